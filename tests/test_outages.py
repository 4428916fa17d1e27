"""Outages: the platforms answer 5xx/429 or are down, a feed host hangs, the database is locked.

The bot must keep running, retry with backoff, and neither lose nor duplicate a digest or an answer.
The real adapters (discord.py, slack-bolt/slack_sdk) talk over 127.0.0.1 to the local fakes; "API down"
is a real TCP outage: a relay (`Switch`) in front of the fake's REST port stops listening, so every
connection is refused, and later listens again on the same port. Scheduler passes run at explicit
instants (`DigestScheduler.run_due(now)`), so retry timing is tested without waiting for it.

Lower bounds on the gap between a refused call and its retry check that a backoff happened; nothing
here asserts that anything is fast. Every test is bounded by `hard_timeout`.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator, Awaitable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import pytest
from aiohttp import web
from fake_discord import NEWS_CHANNEL_ID, FakeDiscord
from fake_slack import BOT_USER_ID, RESPONSE, Call, FakeSlack
from pydantic import SecretStr
from slack_sdk.errors import SlackApiError
from sqlalchemy import update
from test_full_run import wait_until
from test_slack_e2e import SECRET, deliver, hard_timeout, responses, shown, slash_body
from test_slack_e2e import TOKEN as SLACK_TOKEN

from bot.app import Running, serve
from bot.articles.models import Article
from bot.briefing.models import Digest, Notice, Reply
from bot.briefing.runner import FAILED as FAILED_NOTICE
from bot.briefing.runner import AsyncBriefing
from bot.briefing.service import BriefingService
from bot.commands import BriefRequest, Requester
from bot.platforms.discord.app import DiscordAdapter
from bot.platforms.slack.app import SlackAdapter
from bot.scheduler import DigestScheduler
from bot.scheduler.digests import ERROR, retry_delay
from bot.scheduler.polling import failure_backoff
from bot.settings import FeedConfig, Secrets, Settings
from bot.store import Store, database
from bot.store import deliveries as rows
from bot.store import feeds as feed_rows
from bot.store.schema import ArticleRow, SubscriptionRow

pytestmark = pytest.mark.e2e
T = TypeVar("T")

SLOT = datetime(2025, 6, 2, 8, 0, tzinfo=UTC)  # every scenario's digest slot: 08:00 UTC
CREATED = SLOT - timedelta(days=1)
DISCORD_NEWS = str(NEWS_CHANNEL_ID)
SLACK_NEWS = "C0NEWS001"
MANAGER = "U0MANAGE1"
CHANNEL_POSTS = rf"/channels/{NEWS_CHANNEL_ID}/messages"
ARTICLES = [
    Article(title="Parliament passes the budget",
            text=("Parliament passed the spring budget by 312 votes to 250 on Tuesday. "
                  "The chancellor said income tax thresholds would rise in April. "
                  "Opposition leaders called the plan a gamble with public services."),
            url="https://news.example/budget", source="Example News"),
    Article(title="Mayor Jane Rivera unveils free buses",
            text=("Mayor Jane Rivera announced free bus travel for under-18s on Monday. "
                  "Rivera said the scheme would cost 40 million pounds a year. "
                  "The plan starts in May if the council approves it."),
            url="https://city.example/buses", source="City Post"),
]


# -- a switchable TCP outage --------------------------------------------------------------------------------

class Switch:
    """A TCP relay on 127.0.0.1 in front of a fake API. `down()` stops listening and cuts open connections,
    so clients get what a dead API gives them (connection refused); `up()` listens on the same port again."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def up(self) -> None:
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def down(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for writer in list(self._writers):
            writer.close()

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.close()
            return
        pair = {writer, upstream_writer}
        self._writers |= pair
        try:
            await asyncio.gather(_pipe(reader, upstream_writer), _pipe(upstream_reader, writer))
        finally:
            self._writers -= pair


async def _pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    try:
        while data := await source.read(65536):
            sink.write(data)
            await sink.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        sink.close()


class FlakySlack(FakeSlack):
    """The fake Slack, able to answer the next calls to a method (or RESPONSE) with server errors."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._errors: dict[str, list[int]] = {}

    def fail_next(self, method: str, *statuses: int) -> None:
        self._errors.setdefault(method, []).extend(statuses)

    def _limited(self, method: str, body: dict[str, Any]) -> web.Response | None:
        queued = self._errors.get(method)
        if queued:
            status = queued.pop(0)
            self.calls.append(Call(method, body, time.monotonic(), status, False))
            return web.json_response({"ok": False, "error": "internal_error"}, status=status)
        return super()._limited(method, body)


class Recorder:
    """A platform adapter that only records what it is asked to post (the database is under test)."""

    platform = "slack"

    def __init__(self) -> None:
        self.posts: list[tuple[str, Reply]] = []

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def send(self, channel_id: str, reply: Reply) -> str | None:
        self.posts.append((channel_id, reply))
        return f"msg-{len(self.posts)}"


def statuses(calls: list[Call], method: str) -> list[int]:
    return [c.status for c in calls if c.method == method]


# -- fixtures --------------------------------------------------------------------------------------------

def make_store(tmp_path: Path) -> Store:
    store = Store(f"sqlite:///{tmp_path / 'outage.db'}")
    for article in ARTICLES:
        outcome = store.add_article(Article(text=article.text, title=article.title, url=article.url,
                                            source=article.source))
        with store.session() as s:  # stored an hour before the slot, on the test's clock
            s.execute(update(ArticleRow).where(ArticleRow.id == outcome.id).values(added_at=SLOT - timedelta(hours=1)))
    return store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = make_store(tmp_path)
    yield store
    store.close()


@pytest.fixture
def briefing(store: Store) -> Iterator[AsyncBriefing]:
    service = BriefingService(store, Settings(database_url=store.url), load_default_model=False)
    runner = AsyncBriefing(service, user_per_minute=100, channel_per_minute=100)
    yield runner
    runner.close()


@pytest.fixture
async def fake_discord() -> AsyncIterator[FakeDiscord]:
    fake = FakeDiscord()
    await fake.start()
    yield fake
    await fake.close()


@pytest.fixture
async def discord_switch(fake_discord: FakeDiscord) -> AsyncIterator[Switch]:
    switch = Switch(urlsplit(fake_discord.api_url).port or 0)
    await switch.up()
    yield switch
    await switch.down()


@pytest.fixture
async def discord_adapter(fake_discord: FakeDiscord, discord_switch: Switch,
                          briefing: AsyncBriefing) -> AsyncIterator[DiscordAdapter]:
    """The real discord.py client: REST through the switch, gateway straight to the fake."""
    secrets = Secrets(discord_token=SecretStr("test-token"), discord_gateway_url=fake_discord.gateway_url,
                      discord_api_url=f"http://127.0.0.1:{discord_switch.port}/api/v10")
    adapter = DiscordAdapter(briefing, briefing.service.settings, secrets, guild_ready_timeout=0.1, ready_timeout_s=15)
    await adapter.start()
    yield adapter
    await adapter.close()


@pytest.fixture
async def fake_slack() -> AsyncIterator[FlakySlack]:
    fake = FlakySlack()
    await fake.start()
    yield fake
    await fake.close()


@pytest.fixture
async def slack_switch(fake_slack: FlakySlack) -> AsyncIterator[Switch]:
    switch = Switch(fake_slack.port)
    await switch.up()
    yield switch
    await switch.down()


def slack_secrets(switch: Switch, token: str = SLACK_TOKEN) -> Secrets:
    """Slack in HTTP mode, its Web API reached through the switch."""
    return Secrets(slack_bot_token=SecretStr(token), slack_signing_secret=SecretStr(SECRET),
                   slack_api_url=f"http://127.0.0.1:{switch.port}/api/")


@pytest.fixture
async def slack_adapter(slack_switch: Switch, briefing: AsyncBriefing) -> AsyncIterator[SlackAdapter]:
    """The real slack-bolt app over HTTP on 127.0.0.1; Web API calls go through the switch."""
    secrets = slack_secrets(slack_switch)
    adapter = SlackAdapter(briefing, briefing.service.settings, secrets, host="127.0.0.1", port=0,
                           managers={MANAGER}, message_interval=0.0)
    await adapter.start()
    yield adapter
    await adapter.close()


def subscribe(store: Store, platform: str, channel: str) -> int:
    sub = store.add_subscription(platform, channel, "08:00", "UTC", workspace_id="W1", created_by=MANAGER)
    with store.session() as s:  # subscribed the day before, on the test's clock
        s.execute(update(SubscriptionRow).where(SubscriptionRow.id == sub.id).values(created_at=CREATED))
    return sub.id


async def post_slash(adapter: SlackAdapter, body: str) -> int:
    """POST a signed slash command to the adapter as Slack would; returns the HTTP status of the ack."""
    status, _, _ = await deliver(adapter, body)
    return status


# -- 5xx and 429 from a platform that is up ---------------------------------------------------------------

@pytest.mark.parametrize("status", [500, 503, 429])
@hard_timeout(30)
async def test_discord_send_retries_server_errors_and_posts_once(
        fake_discord: FakeDiscord, discord_adapter: DiscordAdapter, status: int) -> None:
    if status == 429:
        fake_discord.rate_limit_once("POST", CHANNEL_POSTS, retry_after=1.0)
    else:
        fake_discord.fail_once("POST", CHANNEL_POSTS, status=status)
    ref = await discord_adapter.send(DISCORD_NEWS, Notice("Daily briefing test"))
    refused, posted = fake_discord.find("POST", CHANNEL_POSTS)
    assert (refused.status, posted.status) == (status, 200)
    assert posted.json == refused.json  # the same message, sent again
    assert posted.received_at - refused.received_at >= 0.9  # after a backoff, not at once
    assert ref is not None and ref.isdigit()


@hard_timeout(30)
async def test_discord_follow_up_survives_a_503(fake_discord: FakeDiscord, discord_adapter: DiscordAdapter) -> None:
    interaction = fake_discord.interaction_payload("brief", [{"name": "topic", "type": 3, "value": "budget"}])
    followup = rf"/webhooks/\d+/{interaction['token']}"
    fake_discord.fail_once("POST", followup, status=503)
    await fake_discord.dispatch("INTERACTION_CREATE", interaction)
    await fake_discord.wait_for("POST", followup, timeout=20)
    assert [r.status for r in fake_discord.find("POST", followup)] == [503, 200]
    assert "Parliament passes the budget" in str(fake_discord.find("POST", followup)[1].json)


@pytest.mark.parametrize("status", [500, 503, 429])
@hard_timeout(30)
async def test_slack_send_retries_server_errors_and_posts_once(
        fake_slack: FlakySlack, slack_adapter: SlackAdapter, status: int) -> None:
    if status == 429:
        fake_slack.rate_limit_once("chat.postMessage", retry_after=1)
    else:
        fake_slack.fail_next("chat.postMessage", status)
    ts = await slack_adapter.send(SLACK_NEWS, Notice("Daily briefing test"))
    assert statuses(fake_slack.calls, "chat.postMessage") == [status, 200]
    refused, posted = [c for c in fake_slack.calls if c.method == "chat.postMessage"]
    assert posted.at - refused.at >= 0.4  # slack_sdk's backoff (0.5 s + jitter) or Retry-After
    [accepted] = fake_slack.accepted("chat.postMessage")
    assert accepted.body["channel"] == SLACK_NEWS and ts == accepted.result["ts"]


@hard_timeout(30)
async def test_slack_answer_to_a_slash_command_survives_a_503(fake_slack: FlakySlack,
                                                               slack_adapter: SlackAdapter) -> None:
    fake_slack.fail_next(RESPONSE, 503)
    assert await post_slash(slack_adapter, slash_body(fake_slack, "budget", name="flaky")) == 200
    await fake_slack.wait_for(lambda calls: any(c.ok for c in responses(calls, "flaky")), timeout=20)
    assert [c.status for c in responses(fake_slack.calls, "flaky")] == [503, 200]
    assert "Parliament passes the budget" in shown(responses(fake_slack.calls, "flaky")[1].body)


# -- the platform APIs are down entirely -----------------------------------------------------------------

@hard_timeout(60)
async def test_platforms_down_the_digest_fails_then_is_delivered_once(
        store: Store, briefing: AsyncBriefing, fake_discord: FakeDiscord, discord_switch: Switch,
        discord_adapter: DiscordAdapter, fake_slack: FlakySlack, slack_switch: Switch,
        slack_adapter: SlackAdapter, caplog: pytest.LogCaptureFixture) -> None:
    ids = {"discord": subscribe(store, "discord", DISCORD_NEWS), "slack": subscribe(store, "slack", SLACK_NEWS)}
    scheduler = DigestScheduler(store, briefing.service, {"discord": discord_adapter, "slack": slack_adapter},
                                briefing.service.settings, instance_id="outage")
    await discord_switch.down()
    await slack_switch.down()

    first = SLOT + timedelta(seconds=10)
    outcomes = await scheduler.run_due(first)
    assert sorted(o.status for o in outcomes) == [rows.FAILED, rows.FAILED]
    failed = {d.platform: d for d in rows.list_deliveries(store)}
    for platform, delivery in failed.items():
        assert delivery.subscription_id == ids[platform] and delivery.status == rows.FAILED
        assert delivery.next_attempt_at == first + retry_delay(1)  # backoff: retried a minute later
        assert "connect" in (delivery.last_error or "").lower()  # send() raised: connection refused
    assert fake_discord.find("POST", CHANNEL_POSTS) == [] and fake_slack.accepted("chat.postMessage") == []
    assert any("failed" in r.getMessage() for r in caplog.records if r.name == "bot.scheduler.digests")
    # the process is still serving: both adapters are alive, and a slash command is acked and answered
    # (its response_url is on another host than the Web API that is down)
    assert not discord_adapter.client.is_closed()
    assert await post_slash(slack_adapter, slash_body(fake_slack, "help", name="still-up")) == 200
    await fake_slack.wait_for(lambda calls: any(c.ok for c in responses(calls, "still-up")))

    assert await scheduler.run_due(first + timedelta(seconds=30)) == []  # backing off: nothing tried yet
    await discord_switch.up()
    await slack_switch.up()
    outcomes = await scheduler.run_due(first + timedelta(minutes=2))
    assert sorted(o.status for o in outcomes) == [rows.SENT, rows.SENT]
    assert await scheduler.run_due(first + timedelta(minutes=10)) == []  # nothing left to do

    [post] = fake_discord.find("POST", CHANNEL_POSTS)
    assert post.status == 200 and "Parliament passes the budget" in str(post.json)
    [slack_post] = fake_slack.accepted("chat.postMessage")
    assert slack_post.body["channel"] == SLACK_NEWS and "Parliament passes the budget" in shown(slack_post.body)
    sent = rows.list_deliveries(store)
    assert [(d.status, d.attempts) for d in sent] == [(rows.SENT, 2), (rows.SENT, 2)]


# -- Slack starting up, or serving its first request, while its Web API is down ---------------------------

@hard_timeout(60)
async def test_a_fresh_bot_acks_its_first_slash_command_while_the_slack_web_api_is_down(
        store: Store, fake_slack: FlakySlack, slack_switch: Switch) -> None:
    """`serve()` on 127.0.0.1; the Web API goes away before the first request. Bolt's own per-request
    auth.test would make that request an HTTP 500; it is authorized from the start-up auth.test instead."""
    settings = Settings(database_url=store.url, model="none", http_host="127.0.0.1", http_port=0)
    ready: asyncio.Future[Running] = asyncio.get_running_loop().create_future()
    stop = asyncio.Event()
    bot = asyncio.create_task(serve(settings, slack_secrets(slack_switch), stop=stop, on_ready=ready.set_result))
    try:
        await asyncio.wait({ready, bot}, return_when=asyncio.FIRST_COMPLETED)
        assert ready.done(), bot.exception()
        adapter = ready.result().adapters["slack"]
        assert isinstance(adapter, SlackAdapter) and adapter.host == "127.0.0.1" and adapter.port != 0
        await slack_switch.down()
        assert await post_slash(adapter, slash_body(fake_slack, "budget", name="first")) == 200
        # the answer goes to the response_url (another host than the Web API that is down)
        await fake_slack.wait_for(lambda calls: any(c.ok for c in responses(calls, "first")), timeout=20)
        assert "Parliament passes the budget" in shown(responses(fake_slack.calls, "first")[0].body)
        assert len(fake_slack.accepted("auth.test")) == 1  # start-up's only
    finally:
        stop.set()
        await asyncio.wait_for(bot, timeout=30)


@hard_timeout(30)
async def test_slack_starts_while_its_web_api_is_down_and_signs_in_when_it_returns(
        fake_slack: FlakySlack, slack_switch: Switch, briefing: AsyncBriefing) -> None:
    await slack_switch.down()
    adapter = SlackAdapter(briefing, briefing.service.settings, slack_secrets(slack_switch), host="127.0.0.1",
                           port=0, message_interval=0.0, auth_attempts=2, auth_backoff=0.05)
    try:
        await adapter.start()  # two tries, then it serves without auth.test
        assert adapter.bot_user_id is None
        assert await post_slash(adapter, slash_body(fake_slack, "budget", name="early")) == 200
        await fake_slack.wait_for(lambda calls: any(c.ok for c in responses(calls, "early")), timeout=20)
        assert "Parliament passes the budget" in shown(responses(fake_slack.calls, "early")[0].body)
        await slack_switch.up()
        await wait_until(lambda: adapter.bot_user_id == BOT_USER_ID, "auth.test retried in the background")
        assert len(fake_slack.accepted("auth.test")) == 1
    finally:
        await adapter.close()


@hard_timeout(30)
async def test_slack_start_fails_at_once_on_a_refused_token(fake_slack: FlakySlack, slack_switch: Switch,
                                                            briefing: AsyncBriefing) -> None:
    """An outage is waited out; a wrong token is not an outage, so start-up stops with Slack's answer."""
    adapter = SlackAdapter(briefing, briefing.service.settings, slack_secrets(slack_switch, "xoxb-wrong"),
                           host="127.0.0.1", port=0, auth_attempts=5, auth_backoff=0.05)
    with pytest.raises(SlackApiError) as refused:
        await adapter.start()
    await adapter.close()
    assert refused.value.response.get("error") == "invalid_auth"
    assert [c.status for c in fake_slack.calls if c.method == "auth.test"] == [200]  # one try, no retries


# -- a feed host that never answers ----------------------------------------------------------------------

FEED = """<?xml version="1.0"?><rss version="2.0"><channel><title>Slow News</title>
<item><title>Council approves the harbour plan</title><link>https://slow.example/harbour</link>
<description>The city council approved the harbour redevelopment plan on Thursday by nine votes to four.
The mayor said the work would start next spring and create about 300 jobs in the area.
Opponents said the council had ignored the concerns of residents who live near the docks.</description>
</item></channel></rss>"""


class SlowFeedHost:
    """A feed server on 127.0.0.1 that hangs (until released) while `hanging`, else serves FEED."""

    def __init__(self) -> None:
        self.hanging = True
        self.requests = 0
        self._release = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/feed.xml", self._feed)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}/feed.xml"

    async def close(self) -> None:
        self._release.set()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _feed(self, request: web.Request) -> web.Response:
        self.requests += 1
        if self.hanging:
            await self._release.wait()  # far past any fetch timeout; the hard timeout would catch a hang
        return web.Response(body=FEED.encode(), content_type="application/rss+xml")


@hard_timeout(30)
async def test_feed_host_timing_out_backs_off_and_recovers(store: Store) -> None:
    host = SlowFeedHost()
    await host.start()
    try:
        settings = Settings(database_url=store.url, fetch_timeout_s=0.5, fetch_allow_hosts=["127.0.0.1"],
                            feeds=[FeedConfig(url=host.url, poll_minutes=30)])
        feed_rows.sync_feeds(store, settings.feeds)
        service = BriefingService(store, settings, load_default_model=False)
        scheduler = DigestScheduler(store, service, {}, settings, instance_id="feeds")
        t0 = SLOT

        first = await scheduler.poll_feed(host.url, t0)
        assert first is not None and not first.ok and first.failures == 1
        assert "timed out" in (first.error or "")
        state = feed_rows.get_feed(store, host.url)
        assert state is not None and state.failures == 1 and "timed out" in (state.last_error or "")
        assert state.next_poll_at is not None and state.next_poll_at > t0 + timedelta(minutes=30)  # backed off
        assert await scheduler.poll_feed(host.url, t0 + timedelta(minutes=31)) is None  # not yet

        second = await scheduler.poll_feed(host.url, state.next_poll_at)
        assert second is not None and not second.ok and second.failures == 2
        later = feed_rows.get_feed(store, host.url)
        assert later is not None and later.next_poll_at is not None
        assert later.next_poll_at - state.next_poll_at > failure_backoff(30, 1)  # the backoff grows

        host.hanging = False
        recovered = await scheduler.poll_feed(host.url, later.next_poll_at)
        assert recovered is not None and recovered.ok and recovered.added == 1
        final = feed_rows.get_feed(store, host.url)
        assert final is not None and final.failures == 0 and final.last_error is None
        assert host.requests == 3
    finally:
        await host.close()


# -- a locked database -------------------------------------------------------------------------------------

class WriteLock:
    """An exclusive SQLite write lock held by another connection (another process, a backup, a migration)."""

    def __init__(self, path: Path) -> None:
        self._conn = sqlite3.connect(path, timeout=0, isolation_level=None, check_same_thread=False)
        self.held = False
        self.released_at: float | None = None

    def acquire(self) -> None:
        self._conn.execute("BEGIN EXCLUSIVE")
        self.held = True

    def release(self) -> None:
        if self.held:
            self._conn.execute("COMMIT")
            self.held = False
            self.released_at = time.monotonic()

    def close(self) -> None:
        self.release()
        self._conn.close()


async def finished(work: Awaitable[T]) -> tuple[T, float]:
    """The result of `work` and the monotonic time it completed."""
    result = await work
    return result, time.monotonic()


def db_path(store: Store) -> Path:
    return Path(store.url.removeprefix("sqlite:///"))


@hard_timeout(30)
async def test_a_short_lock_is_waited_out_and_nothing_is_lost(store: Store, briefing: AsyncBriefing) -> None:
    """busy_timeout (15 s) covers a lock of ~1.5 s: each write waits for it, then succeeds."""
    sub_id = subscribe(store, "slack", SLACK_NEWS)
    adapter = Recorder()
    scheduler = DigestScheduler(store, briefing.service, {"slack": adapter}, briefing.service.settings,
                                instance_id="locked")
    manager = Requester("slack", MANAGER, SLACK_NEWS, workspace_id="W1", can_manage=True)
    lock = WriteLock(db_path(store))
    try:
        lock.acquire()
        asyncio.get_running_loop().call_later(1.5, lock.release)
        (digest, digest_done), (subscribed, subscribe_done), (outcomes, pass_done) = await asyncio.gather(
            finished(briefing.handle(BriefRequest("digest"), manager)),  # writes the summaries it computes
            finished(briefing.handle(BriefRequest("subscribe", channel="C0OTHER01", time="09:00",
                                                  timezone="UTC"), manager)),
            finished(scheduler.run_due(SLOT + timedelta(seconds=10))),  # claims, then records the delivery
        )
    finally:
        lock.close()
    assert lock.released_at is not None
    assert min(digest_done, subscribe_done, pass_done) >= lock.released_at  # each one waited for the lock
    assert isinstance(digest, Digest) and len(digest.stories) == 2
    assert isinstance(subscribed, Notice) and subscribed.ok
    assert [o.status for o in outcomes] == [rows.SENT]
    assert [channel for channel, _ in adapter.posts] == [SLACK_NEWS]
    assert [(d.subscription_id, d.status) for d in rows.list_deliveries(store)] == [(sub_id, rows.SENT)]
    assert {s.channel_id for s in store.list_subscriptions("slack")} == {SLACK_NEWS, "C0OTHER01"}


@hard_timeout(40)
async def test_a_lock_outlasting_the_busy_timeout_gives_a_short_error_and_a_later_delivery(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake_slack: FlakySlack, slack_switch: Switch) -> None:
    monkeypatch.setattr(database, "SQLITE_BUSY_TIMEOUT_MS", 200)
    store = make_store(tmp_path)
    service = BriefingService(store, Settings(database_url=store.url), load_default_model=False)
    briefing = AsyncBriefing(service, user_per_minute=100, channel_per_minute=100)
    secrets = Secrets(slack_bot_token=SecretStr(SLACK_TOKEN), slack_signing_secret=SecretStr(SECRET),
                      slack_api_url=f"http://127.0.0.1:{slack_switch.port}/api/")
    adapter = SlackAdapter(briefing, service.settings, secrets, host="127.0.0.1", port=0, managers={MANAGER},
                           message_interval=0.0)
    await adapter.start()
    subscribe(store, "slack", SLACK_NEWS)
    scheduler = DigestScheduler(store, service, {"slack": adapter}, service.settings, instance_id="locked")
    lock = WriteLock(db_path(store))
    try:
        lock.acquire()
        # A manager's /brief subscribe needs a write: it gets a short, private error instead of hanging.
        body = slash_body(fake_slack, "subscribe <#C0OTHER01|other> 09:00 UTC", user=MANAGER, name="locked")
        assert await post_slash(adapter, body) == 200
        await fake_slack.wait_for(lambda calls: bool(responses(calls, "locked")), timeout=20)
        [answer] = responses(fake_slack.calls, "locked")
        assert answer.body["response_type"] == "ephemeral"
        assert FAILED_NOTICE.split(".")[0] in shown(answer.body) and len(answer.body["text"]) < 200
        assert [s.channel_id for s in store.list_subscriptions("slack")] == [SLACK_NEWS]  # nothing half-written
        # The digest pass cannot claim its slot: the slot is logged and left for the next pass, no exception.
        [outcome] = await scheduler.run_due(SLOT + timedelta(seconds=10))
        assert outcome.status == ERROR and "locked" in outcome.detail
        assert fake_slack.accepted("chat.postMessage") == []
        assert rows.list_deliveries(store) == []
    finally:
        lock.close()
    try:
        # Lock gone: the next pass delivers the slot, once; the user's retry of the command works.
        outcomes = await scheduler.run_due(SLOT + timedelta(minutes=2))
        assert [o.status for o in outcomes] == [rows.SENT]
        assert await scheduler.run_due(SLOT + timedelta(minutes=10)) == []
        [post] = fake_slack.accepted("chat.postMessage")
        assert post.body["channel"] == SLACK_NEWS and "Parliament passes the budget" in shown(post.body)
        assert [d.status for d in rows.list_deliveries(store)] == [rows.SENT]
        assert await post_slash(adapter, slash_body(fake_slack, "subscribe <#C0OTHER01|other> 09:00 UTC",
                                                    user=MANAGER, name="retry")) == 200
        await fake_slack.wait_for(lambda calls: bool(responses(calls, "retry")), timeout=20)
        assert {s.channel_id for s in store.list_subscriptions("slack")} == {SLACK_NEWS, "C0OTHER01"}
    finally:
        await adapter.close()
        briefing.close()
        store.close()


class RefusesWhileLocked(Recorder):
    """A platform that refuses the first `refusals` sends, while another connection takes the database's write
    lock (so the refusal cannot be recorded either): the compound failure of a platform and a database outage."""

    def __init__(self, lock: WriteLock, refusals: int = 1) -> None:
        super().__init__()
        self.lock = lock
        self.refusals = refusals
        self.calls = 0

    async def send(self, channel_id: str, reply: Reply) -> str | None:
        self.calls += 1
        if self.calls <= self.refusals:
            self.lock.acquire()
            raise ConnectionError("platform unavailable")
        return await super().send(channel_id, reply)


@hard_timeout(60)
async def test_a_refused_send_is_recorded_once_a_lock_shorter_than_the_record_patience_lifts(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(database, "SQLITE_BUSY_TIMEOUT_MS", 200)
    store = make_store(tmp_path)
    service = BriefingService(store, Settings(database_url=store.url), load_default_model=False)
    subscribe(store, "slack", SLACK_NEWS)
    lock = WriteLock(db_path(store))
    adapter = RefusesWhileLocked(lock)
    scheduler = DigestScheduler(store, service, {"slack": adapter}, service.settings, instance_id="patient",
                                record_patience=20)
    try:
        asyncio.get_running_loop().call_later(1.0, lock.release)  # several busy timeouts, well within patience
        [failed] = await scheduler.run_due(SLOT + timedelta(seconds=10))
        assert failed.status == rows.FAILED and scheduler.deliverer.pending == []
        [row] = rows.list_deliveries(store)
        assert (row.status, row.attempts) == (rows.FAILED, 1)  # recorded in the same pass
        [sent] = await scheduler.run_due(SLOT + timedelta(minutes=2))
        assert sent.status == rows.SENT and [c for c, _ in adapter.posts] == [SLACK_NEWS]
    finally:
        lock.close()
        store.close()


@hard_timeout(60)
async def test_a_refused_send_and_a_lock_outlasting_the_record_patience_still_deliver_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Before: the refusal could not be written, the row stayed `sending`, became `unconfirmed` after the
    lease, and a digest that was definitely not posted was never sent."""
    monkeypatch.setattr(database, "SQLITE_BUSY_TIMEOUT_MS", 200)
    store = make_store(tmp_path)
    service = BriefingService(store, Settings(database_url=store.url), load_default_model=False)
    subscribe(store, "slack", SLACK_NEWS)
    lock = WriteLock(db_path(store))
    adapter = RefusesWhileLocked(lock)
    scheduler = DigestScheduler(store, service, {"slack": adapter}, service.settings, instance_id="impatient",
                                record_patience=0.5)
    try:
        [failed] = await scheduler.run_due(SLOT + timedelta(seconds=10))
        assert failed.status == rows.FAILED and [p.status for p in scheduler.deliverer.pending] == [rows.FAILED]
        assert await scheduler.run_due(SLOT + timedelta(seconds=40)) == []  # still locked: kept in memory
        assert [d.status for d in rows.list_deliveries(store)] == [rows.SENDING]
        lock.release()
        # The lock lifted after the lease ran out: the refusal is written before anything can call the
        # send interrupted, and the slot is retried and posted.
        later = SLOT + rows.DEFAULT_LEASE + timedelta(minutes=1)
        [sent] = await scheduler.run_due(later)
        assert sent.status == rows.SENT and scheduler.deliverer.pending == []
        assert await scheduler.run_due(later + timedelta(minutes=30)) == []
        assert adapter.calls == 2 and [c for c, _ in adapter.posts] == [SLACK_NEWS]
        [row] = rows.list_deliveries(store)
        assert (row.status, row.attempts) == (rows.SENT, 2)
    finally:
        lock.close()
        store.close()

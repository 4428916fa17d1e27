"""End to end over real HTTP on 127.0.0.1: Slack-signed requests → the real slack-bolt app and briefing core
(SQLite store, extractive summaries) → a local fake Slack Web API and response_url receiver.

Each test is bounded by `hard_timeout`; nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import hmac
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlencode

import aiohttp
import pytest
from fake_slack import (
    APP_TOKEN,
    BOT_USER_ID,
    MARK,
    RESPONSE,
    SOCKET_ACK,
    TEAM_ID,
    TOKEN,
    Call,
    FakeSlack,
    hostile_requests,
    limit_problems,
    pings,
)
from pydantic import SecretStr

from bot.articles.models import Article
from bot.briefing.models import Digest, Notice, StoryBrief
from bot.briefing.runner import AsyncBriefing
from bot.briefing.service import BriefingService
from bot.platforms.slack.app import WORKING, SlackAdapter
from bot.settings import Secrets, Settings
from bot.store import Store
from summarizers.nlp import get_nlp
from summarizers.types import Point

pytestmark = pytest.mark.e2e

SECRET = "e2e-signing-secret-0123456789abcdef"
ADMIN, MEMBER, MANAGER = "U0ADMIN01", "U0MEMBER1", "U0MANAGE1"
GENERAL, NEWS, DM = "C0GENERAL", "C0NEWS001", "D0DM00001"
NOW = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
EVIL = "<!channel> <!here> <!everyone> <@U123> <#C123> @everyone & < >"

ARTICLES = [
    Article(title="Parliament passes the budget",
            text=("Parliament passed the spring budget by 312 votes to 250 on Tuesday. "
                  "The chancellor said income tax thresholds would rise in April. "
                  "Opposition leaders called the plan a gamble with public services."),
            url="https://news.example/budget", source="Example News", published=NOW - timedelta(hours=3)),
    Article(title="Mayor Jane Rivera unveils free buses",
            text=("Mayor Jane Rivera announced free bus travel for under-18s on Monday. "
                  "Rivera said the scheme would cost 40 million pounds a year. "
                  "The plan starts in May if the council approves it."),
            url="https://city.example/buses", source="City Post", published=NOW - timedelta(hours=2)),
    Article(title=f"Forum prank {EVIL}",
            text=(f"Pranksters posted {EVIL} in a public forum on Sunday. "
                  "Moderators removed the posts within an hour of the prank. "
                  "The forum said 3 & 4 accounts were banned <for now>."),
            url="https://tech.example/prank?a=1&b=2", source="Tech <!here> Daily", published=NOW - timedelta(hours=1)),
]

T = TypeVar("T")


def hard_timeout(seconds: float) -> Callable[[Callable[..., Awaitable[T]]], Callable[..., Awaitable[T]]]:
    """Fail a test that runs longer than `seconds` instead of hanging the suite."""
    def wrap(test: Callable[..., Awaitable[T]]) -> Callable[..., Awaitable[T]]:
        @functools.wraps(test)
        async def bounded(*args: Any, **kwargs: Any) -> T:
            async with asyncio.timeout(seconds):
                return await test(*args, **kwargs)
        return bounded
    return wrap


# -- fixtures -----------------------------------------------------------------------------------------

@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    slack = FakeSlack(users={ADMIN: {"name": "ada", "is_admin": True}, MEMBER: {"name": "bob"}})
    await slack.start()
    yield slack
    await slack.close()


@pytest.fixture
def service(tmp_path: Path) -> Iterator[BriefingService]:
    store = Store("sqlite:///" + str(tmp_path / "t.db"))
    for article in ARTICLES:
        store.add_article(Article(text=article.text, title=article.title, url=article.url,
                                  source=article.source, published=article.published))
    get_nlp()  # spaCy's one-off load (seconds on a busy machine) happens here, not inside a reply deadline
    yield BriefingService(store, Settings(), load_default_model=False)
    store.close()


@pytest.fixture
async def adapter(fake: FakeSlack, service: BriefingService) -> AsyncIterator[SlackAdapter]:
    briefing = AsyncBriefing(service, user_per_minute=100, channel_per_minute=100)
    secrets = Secrets(slack_bot_token=SecretStr(TOKEN), slack_signing_secret=SecretStr(SECRET), slack_api_url=fake.api_url)
    app = SlackAdapter(briefing, service.settings, secrets, host="127.0.0.1", port=0, managers={MANAGER})
    await app.start()
    yield app
    await app.close()
    briefing.close()


# -- Slack-side helpers -------------------------------------------------------------------------------

def signature_headers(body: str, *, ts: int | None = None, secret: str = SECRET) -> dict[str, str]:
    """Slack's v0 request signature: HMAC-SHA256 of `v0:{timestamp}:{body}` with the signing secret."""
    stamp = str(int(time.time()) if ts is None else ts)
    digest = hmac.new(secret.encode(), f"v0:{stamp}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": f"v0={digest}"}


def slash_body(fake: FakeSlack, text: str, *, user: str = MEMBER, channel: str = GENERAL,
               name: str = "r1") -> str:
    return urlencode({
        "token": "legacy-verification-token", "team_id": TEAM_ID, "team_domain": "fake-team",
        "channel_id": channel, "channel_name": "general", "user_id": user, "user_name": "someone",
        "command": "/brief", "text": text, "api_app_id": "A0APP0001", "is_enterprise_install": "false",
        "response_url": fake.response_url(name), "trigger_id": "1337.42.abcd",
    })


def event_body(event: dict[str, Any], event_id: str) -> str:
    return json.dumps({
        "token": "legacy-verification-token", "team_id": TEAM_ID, "api_app_id": "A0APP0001",
        "event": {"team": TEAM_ID, "event_ts": event.get("ts", "1700000100.000100"), **event},
        "type": "event_callback", "event_id": event_id, "event_time": int(time.time()),
        "authorizations": [{"team_id": TEAM_ID, "user_id": BOT_USER_ID, "is_bot": True}],
    })


async def deliver(adapter: SlackAdapter, body: str, *, json_body: bool = False, headers: dict[str, str] | None = None,
                  signed: bool = True) -> tuple[int, str, float]:
    """POST to /slack/events as Slack would; returns status, body and seconds until the HTTP answer."""
    sent = {"Content-Type": "application/json" if json_body else "application/x-www-form-urlencoded"}
    if signed:
        sent.update(signature_headers(body))
    sent.update(headers or {})
    url = f"http://127.0.0.1:{adapter.port}/slack/events"
    started = time.monotonic()
    async with aiohttp.ClientSession() as http, http.post(url, data=body.encode(), headers=sent) as resp:
        text = await resp.text()
    return resp.status, text, time.monotonic() - started


def responses(calls: list[Call], name: str) -> list[Call]:
    return [c for c in calls if c.method == RESPONSE and c.body.get("_name") == name]


async def answer_to(fake: FakeSlack, name: str, count: int = 1) -> list[dict[str, Any]]:
    """The response_url posts for one slash command, once `count` arrived; each checked against Slack's limits."""
    await fake.wait_for(lambda calls: len(responses(calls, name)) >= count)
    bodies = [c.body for c in responses(fake.calls, name)]
    for body in bodies:
        assert limit_problems(body.get("text"), body.get("blocks")) == []
        assert pings(body.get("text"), body.get("blocks")) == []
    return bodies


def shown(body: dict[str, Any]) -> str:
    return json.dumps(body.get("blocks"), ensure_ascii=False)


# -- slash commands -----------------------------------------------------------------------------------

@hard_timeout(20)
async def test_brief_acks_at_once_then_posts_the_digest_in_channel(adapter: SlackAdapter, fake: FakeSlack) -> None:
    status, text, elapsed = await deliver(adapter, slash_body(fake, ""))
    assert status == 200 and WORKING in text and elapsed < 3
    [body] = await answer_to(fake, "r1")
    assert body["response_type"] == "in_channel"
    assert body["blocks"][0]["type"] == "header" and body["blocks"][0]["text"]["text"] == "Three things to know"
    blocks = shown(body)
    assert "Parliament passes the budget" in blocks and "Mayor Jane Rivera unveils free buses" in blocks
    # the prank article's control sequences arrive as inert text, its source link as our own link
    assert "&lt;!channel&gt;" in blocks and "<#C123" not in blocks
    assert "<https://tech.example/prank?a=1&amp;b=2|" in blocks


@hard_timeout(20)
async def test_brief_topic_briefs_only_matching_stories(adapter: SlackAdapter, fake: FakeSlack) -> None:
    status, _, elapsed = await deliver(adapter, slash_body(fake, "budget", name="topic"))
    assert status == 200 and elapsed < 3
    [body] = await answer_to(fake, "topic")
    assert body["response_type"] == "in_channel"
    assert "Three things to know: budget" in shown(body)
    assert "Parliament passes the budget" in shown(body) and "free buses" not in shown(body)


@hard_timeout(20)
async def test_brief_who_answers_about_a_figure(adapter: SlackAdapter, fake: FakeSlack) -> None:
    status, _, _ = await deliver(adapter, slash_body(fake, "who Jane Rivera", name="who"))
    assert status == 200
    [body] = await answer_to(fake, "who")
    assert body["response_type"] == "in_channel"
    assert "Rivera" in shown(body)


@hard_timeout(20)
async def test_bad_subscribe_gets_a_private_error(adapter: SlackAdapter, fake: FakeSlack,
                                                  service: BriefingService) -> None:
    status, _, _ = await deliver(adapter, slash_body(fake, f"subscribe <#{NEWS}|news> 25:00 Europe/London",
                                                     user=ADMIN, name="bad"))
    assert status == 200
    [body] = await answer_to(fake, "bad")
    assert body["response_type"] == "ephemeral" and "not a time" in shown(body)
    assert service.store.list_subscriptions("slack") == []


@hard_timeout(20)
async def test_member_cannot_subscribe(adapter: SlackAdapter, fake: FakeSlack, service: BriefingService) -> None:
    await deliver(adapter, slash_body(fake, f"subscribe <#{NEWS}|news> 08:00 Europe/London", name="member"))
    [body] = await answer_to(fake, "member")
    assert body["response_type"] == "ephemeral" and "managers" in shown(body)
    assert [c.body["user"] for c in fake.accepted("users.info")] == [MEMBER]
    assert service.store.list_subscriptions("slack") == []


@hard_timeout(20)
async def test_admin_subscribes_and_list_shows_it(adapter: SlackAdapter, fake: FakeSlack,
                                                   service: BriefingService) -> None:
    await deliver(adapter, slash_body(fake, f"subscribe <#{NEWS}|news> 08:00 Europe/London", user=ADMIN,
                                      name="admin"))
    [body] = await answer_to(fake, "admin")
    assert body["response_type"] == "in_channel" and f"<#{NEWS}>" in shown(body)
    [sub] = service.store.list_subscriptions("slack")
    assert (sub.channel_id, sub.time, sub.timezone, sub.workspace_id, sub.created_by) == (
        NEWS, "08:00", "Europe/London", TEAM_ID, ADMIN)
    await deliver(adapter, slash_body(fake, "list", name="list"))
    [listed] = await answer_to(fake, "list")
    assert f"<#{NEWS}> at 08:00 Europe/London" in shown(listed)


@hard_timeout(20)
async def test_configured_manager_may_unsubscribe_without_a_users_lookup(
        adapter: SlackAdapter, fake: FakeSlack, service: BriefingService) -> None:
    service.store.add_subscription("slack", NEWS, "07:30", "UTC", workspace_id=TEAM_ID, created_by=ADMIN)
    await deliver(adapter, slash_body(fake, f"unsubscribe <#{NEWS}|news>", user=MANAGER, name="unsub"))
    [body] = await answer_to(fake, "unsub")
    assert "stopped" in shown(body)
    assert fake.accepted("users.info") == []
    assert service.store.list_subscriptions("slack") == []


@hard_timeout(20)
async def test_channel_typed_as_a_name_is_refused_clearly(adapter: SlackAdapter, fake: FakeSlack) -> None:
    await deliver(adapter, slash_body(fake, "subscribe #news 08:00", user=ADMIN, name="name"))
    [body] = await answer_to(fake, "name")
    assert body["response_type"] == "ephemeral" and "autocomplete" in shown(body)


@hard_timeout(20)
async def test_ack_stays_fast_when_the_core_is_slow(adapter: SlackAdapter, fake: FakeSlack,
                                                    service: BriefingService,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    real_digest = service.digest

    def slow_digest(**kwargs: Any) -> Digest:
        time.sleep(4)  # runs in the briefing worker thread, like a slow model would
        return real_digest(**kwargs)

    monkeypatch.setattr(service, "digest", slow_digest)
    status, text, elapsed = await deliver(adapter, slash_body(fake, "", name="slow"))
    assert status == 200 and WORKING in text and elapsed < 3
    assert responses(fake.calls, "slow") == []
    [body] = await answer_to(fake, "slow")
    assert "Parliament passes the budget" in shown(body)


# -- events -------------------------------------------------------------------------------------------

@hard_timeout(20)
async def test_direct_message_is_answered_once_and_bot_messages_are_ignored(
        adapter: SlackAdapter, fake: FakeSlack) -> None:
    dm = {"type": "message", "channel": DM, "channel_type": "im", "user": MEMBER,
          "text": "what's the latest on Jane Rivera?", "ts": "1700000100.000200"}
    body = event_body(dm, "Ev0DM0001")
    status, _, elapsed = await deliver(adapter, body, json_body=True)
    assert status == 200 and elapsed < 3
    redelivered, _, _ = await deliver(adapter, body, json_body=True, headers={"X-Slack-Retry-Num": "1"})
    assert redelivered == 200
    for n, extra in enumerate(({"bot_id": "B0OTHER01"}, {"subtype": "message_changed"})):
        await deliver(adapter, event_body({**dm, **extra}, f"Ev0IGNORE{n}"), json_body=True)
    await fake.wait_for(lambda calls: len(fake.accepted("chat.postMessage")) >= 1)
    await asyncio.sleep(0.5)  # room for a wrong second answer to show up
    [post] = [c for c in fake.calls if c.method == "chat.postMessage"]
    assert post.ok and post.body["channel"] == DM and "Rivera" in shown(post.body)
    assert pings(post.body.get("text"), post.body.get("blocks")) == []


@hard_timeout(20)
async def test_app_mention_is_answered_in_thread(adapter: SlackAdapter, fake: FakeSlack) -> None:
    mention = {"type": "app_mention", "channel": GENERAL, "user": MEMBER,
               "text": f"<@{BOT_USER_ID}> what's the latest on Jane Rivera?", "ts": "1700000200.000300"}
    status, _, _ = await deliver(adapter, event_body(mention, "Ev0MENTION"), json_body=True)
    assert status == 200
    await fake.wait_for(lambda calls: len(fake.accepted("chat.postMessage")) >= 1)
    [post] = fake.accepted("chat.postMessage")
    assert post.body["channel"] == GENERAL and post.body["thread_ts"] == "1700000200.000300"
    assert "Rivera" in shown(post.body)


# -- request verification -----------------------------------------------------------------------------

@hard_timeout(20)
async def test_forged_stale_and_unsigned_requests_are_rejected(adapter: SlackAdapter, fake: FakeSlack) -> None:
    body = slash_body(fake, "", name="bad-sig")
    forged, _, _ = await deliver(adapter, body, signed=False, headers=signature_headers(body, secret="not-it"))
    stale, _, _ = await deliver(adapter, body, signed=False,
                                headers=signature_headers(body, ts=int(time.time()) - 6 * 60))
    unsigned, _, _ = await deliver(adapter, body, signed=False)
    tampered, _, _ = await deliver(adapter, body.replace("text=", "text=list"), signed=False,
                                   headers=signature_headers(body))
    assert (forged, stale, unsigned, tampered) == (401, 401, 401, 401)
    await asyncio.sleep(0.3)
    assert responses(fake.calls, "bad-sig") == []
    ok, _, _ = await deliver(adapter, body)  # the same body correctly signed goes through
    assert ok == 200


@hard_timeout(20)
async def test_url_verification_challenge(adapter: SlackAdapter) -> None:
    body = json.dumps({"token": "legacy", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
                       "type": "url_verification"})
    status, text, _ = await deliver(adapter, body, json_body=True)
    assert status == 200 and "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" in text
    unsigned, _, _ = await deliver(adapter, body, json_body=True, signed=False)
    assert unsigned == 401


# -- hostile input (issue 15 items 3 and 5) -------------------------------------------------------------

async def post_raw(adapter: SlackAdapter, body: bytes, headers: dict[str, str],
                   http: aiohttp.ClientSession) -> int:
    async with http.post(f"http://127.0.0.1:{adapter.port}/slack/events", data=body, headers=headers) as resp:
        await resp.read()
        return resp.status


@hard_timeout(60)
async def test_a_flood_of_unsigned_malformed_requests_gets_400_or_401_and_a_bounded_log(
        adapter: SlackAdapter, fake: FakeSlack, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    async with aiohttp.ClientSession() as http:
        statuses = [await post_raw(adapter, body, headers, http) for body, headers in hostile_requests(500)]
    assert set(statuses) <= {400, 401} and statuses.count(400) >= 150
    await adapter.close()  # flushes the count of refusals not logged one by one
    log_text = caplog.text
    assert len(log_text) <= 50_000, len(log_text)  # the target: <= 100 KB per 1,000 such requests
    assert MARK not in log_text and "Traceback" not in log_text
    assert all(r.levelno < logging.ERROR for r in caplog.records)
    assert "refused a request from 127.0.0.1" in log_text and "more requests refused" in log_text
    assert [c for c in fake.calls if c.method != "auth.test"] == []


@hard_timeout(20)
async def test_signed_but_unreadable_bodies_get_400_not_500(adapter: SlackAdapter, fake: FakeSlack,
                                                            caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    cases = [(bytes(range(256)), "application/x-www-form-urlencoded"), (b'{"type": "event_', "application/json"),
             (b"[1, 2]", "application/json"), (b"payload=%7Bnot-json", "application/x-www-form-urlencoded")]
    async with aiohttp.ClientSession() as http:
        for body, content_type in cases:
            stamp = str(int(time.time()))
            mac = hmac.new(SECRET.encode(), f"v0:{stamp}:".encode() + body, hashlib.sha256).hexdigest()
            headers = {"Content-Type": content_type, "X-Slack-Request-Timestamp": stamp,
                       "X-Slack-Signature": f"v0={mac}"}
            assert await post_raw(adapter, body, headers, http) == 400, body
    assert "Traceback" not in caplog.text and caplog.text.count("unreadable body") == len(cases)


@hard_timeout(20)
async def test_a_replayed_slash_command_runs_once(adapter: SlackAdapter, fake: FakeSlack,
                                                  service: BriefingService) -> None:
    body = slash_body(fake, f"subscribe <#{NEWS}|news> 08:00 UTC", user=ADMIN, name="replayed")
    headers = signature_headers(body)
    first, _, _ = await deliver(adapter, body, signed=False, headers=headers)
    again, text, _ = await deliver(adapter, body, signed=False, headers=headers)
    assert (first, again, text) == (200, 200, "")
    await answer_to(fake, "replayed")
    await asyncio.sleep(0.5)  # room for a second answer to show up
    assert len(responses(fake.calls, "replayed")) == 1
    assert len(service.store.list_subscriptions("slack")) == 1


# -- rate limits and delivery -------------------------------------------------------------------------

@hard_timeout(20)
async def test_rate_limited_post_is_retried_after_retry_after_and_posted_once(
        adapter: SlackAdapter, fake: FakeSlack) -> None:
    fake.rate_limit_once("chat.postMessage", retry_after=1)
    ts = await adapter.send(NEWS, Notice("Daily briefing test"))
    posts = [c for c in fake.calls if c.method == "chat.postMessage"]
    assert [c.status for c in posts] == [429, 200]
    assert posts[1].at - posts[0].at >= 1.0
    [accepted] = fake.accepted("chat.postMessage")
    assert accepted.body["channel"] == NEWS and ts is not None and ts.startswith("1700000000.")


@hard_timeout(20)
async def test_rate_limited_response_url_still_delivers_once(adapter: SlackAdapter, fake: FakeSlack) -> None:
    fake.rate_limit_once(RESPONSE, retry_after=1)
    await deliver(adapter, slash_body(fake, "help", name="limited"))
    await fake.wait_for(lambda calls: any(c.ok for c in responses(calls, "limited")))
    assert [c.status for c in responses(fake.calls, "limited")] == [429, 200]


@hard_timeout(20)
async def test_send_splits_a_long_digest_and_paces_the_channel(adapter: SlackAdapter, fake: FakeSlack) -> None:
    long_points = tuple(Point(f"Point {k}: " + " ".join(f"word{i}" for i in range(400)) + ".", ())
                        for k in range(3))
    stories = tuple(StoryBrief(title=f"Story {i} {EVIL}", points=long_points, links=()) for i in range(2))
    ts = await adapter.send(GENERAL, Digest(heading="Morning digest", stories=stories, generated_at=NOW))
    posts = fake.accepted("chat.postMessage")
    assert len(posts) >= 2 and ts == posts[0].result["ts"]
    assert all(p.body["channel"] == GENERAL for p in posts)
    assert all(pings(p.body.get("text"), p.body.get("blocks")) == [] for p in posts)
    gaps = [b.at - a.at for a, b in zip(posts, posts[1:], strict=False)]
    assert min(gaps) >= 0.9  # about one message per second per channel
    shown_all = " ".join(shown(p.body) for p in posts)
    assert all(f"Story {i} " in shown_all for i in range(2))


# -- Socket Mode and configuration --------------------------------------------------------------------

@hard_timeout(20)
async def test_socket_mode_acks_over_the_websocket_and_answers(fake: FakeSlack, service: BriefingService) -> None:
    briefing = AsyncBriefing(service, user_per_minute=100, channel_per_minute=100)
    secrets = Secrets(slack_bot_token=SecretStr(TOKEN), slack_app_token=SecretStr(APP_TOKEN), slack_api_url=fake.api_url)
    adapter = SlackAdapter(briefing, service.settings, secrets)
    assert adapter.socket_mode
    await adapter.start()
    try:
        payload = {"token": "legacy", "team_id": TEAM_ID, "channel_id": GENERAL, "user_id": MEMBER,
                   "command": "/brief", "text": "budget", "response_url": fake.response_url("socket")}
        await fake.push({"envelope_id": "env-1", "type": "slash_commands", "payload": payload,
                         "accepts_response_payload": True})
        await fake.wait_for(lambda calls: any(c.method == SOCKET_ACK for c in calls))
        [ack] = [c.body for c in fake.calls if c.method == SOCKET_ACK]
        assert ack["envelope_id"] == "env-1" and WORKING in json.dumps(ack, ensure_ascii=False)
        [body] = await answer_to(fake, "socket")
        assert "Parliament passes the budget" in shown(body)
    finally:
        await adapter.close()
        briefing.close()


def test_http_mode_refuses_to_run_without_a_signing_secret(service: BriefingService) -> None:
    briefing = AsyncBriefing(service)
    with pytest.raises(ValueError, match="SLACK_SIGNING_SECRET"):
        SlackAdapter(briefing, service.settings, Secrets(slack_bot_token=SecretStr(TOKEN)))
    with pytest.raises(ValueError, match="SLACK_BOT_TOKEN"):
        SlackAdapter(briefing, service.settings, Secrets(slack_signing_secret=SecretStr(SECRET)))
    briefing.close()


def test_managers_come_from_the_environment(service: BriefingService, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_MANAGERS", "U0ONE0001, U0TWO0002 U0THREE03")
    settings = Settings()
    assert settings.slack_managers == {"U0ONE0001", "U0TWO0002", "U0THREE03"}
    briefing = AsyncBriefing(service)
    adapter = SlackAdapter(briefing, settings, Secrets(slack_bot_token=SecretStr(TOKEN), slack_signing_secret=SecretStr(SECRET)))
    assert adapter.managers == {"U0ONE0001", "U0TWO0002", "U0THREE03"}
    assert adapter.port == settings.http_port == 3000
    briefing.close()

"""Follow alerts end to end: the real discord.py client and the real bolt app, over loopback, against the
local fakes. The user follows with the platform's own command, an article quoting the figure is stored
(as `briefbot ingest` would, through its own store), the scheduler's follow-alert pass runs (the job
`briefbot run` fires every 30 s, called here at explicit instants) and the DM goes out through the
platform's DM transport: Discord `POST /users/@me/channels` then the channel message; Slack
`conversations.open` then `chat.postMessage`. A restart sends nothing again; a closed DM pauses the follow.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fake_discord import APP_ID, FakeDiscord
from fake_slack import TOKEN, FakeSlack, limit_problems, pings
from pydantic import SecretStr
from test_slack_e2e import MEMBER, SECRET, answer_to, deliver, hard_timeout, slash_body

from bot.articles.models import Article
from bot.briefing.runner import AsyncBriefing
from bot.briefing.service import BriefingService
from bot.follows import store as rows
from bot.platforms.discord.app import DiscordAdapter
from bot.platforms.slack.app import SlackAdapter
from bot.scheduler import DigestScheduler
from bot.settings import Secrets, Settings
from bot.store import Store
from summarizers.nlp import get_nlp

pytestmark = pytest.mark.e2e

EPHEMERAL = 64
DISCORD_USER, OTHER_DISCORD_USER = 940000000000000001, 940000000000000007
MERKEL = Article(
    title="Angela Merkel urges European unity in Berlin speech",
    text=("Former chancellor Angela Merkel told an audience in Berlin on Monday that Europe must stay united. "
          "\"Cooperation has kept this continent safe for decades,\" Merkel said. She urged younger politicians "
          "to defend democratic institutions. A prankster in the hall shouted @everyone and <@123>."),
    url="https://news.example/merkel-berlin", source="Daily Example")
KNOWN = Article(
    title="Merkel to speak in Berlin",
    text=("Angela Merkel will speak in Berlin on Monday at a foundation's anniversary. Organisers expect "
          "several hundred guests at the event."),
    url="https://news.example/merkel-preview", source="Daily Example")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = Store("sqlite:///" + str(tmp_path / "t.db"))
    store.add_article(Article(text=KNOWN.text, title=KNOWN.title, url=KNOWN.url, source=KNOWN.source))
    yield store
    store.close()


@pytest.fixture
def service(store: Store) -> BriefingService:
    get_nlp()  # spaCy's one-off load (seconds on a busy machine) happens here, not inside a reply deadline
    return BriefingService(store, Settings(database_url=store.url), load_default_model=False)


def ingest_elsewhere(url: str, article: Article) -> int:
    """Store an article through a separate store, as `briefbot ingest` in another process does."""
    other = Store(url, run_migrations=False)
    try:
        outcome = other.add_article(Article(text=article.text, title=article.title, url=article.url,
                                            source=article.source))
    finally:
        other.close()
    assert outcome.status != "duplicate", outcome
    return outcome.id


def scheduler(store: Store, service: BriefingService, adapter: Any, name: str) -> DigestScheduler:
    """The scheduler `briefbot run` builds (not started: the test calls its follow pass at chosen instants)."""
    return DigestScheduler(store, service, {adapter.platform: adapter}, service.settings, instance_id=name)


# -- Discord ------------------------------------------------------------------------------------------


@pytest.fixture
async def discord_fake() -> AsyncIterator[FakeDiscord]:
    fake = FakeDiscord()
    await fake.start()
    yield fake
    await fake.close()


@pytest.fixture
async def discord_adapter(discord_fake: FakeDiscord, service: BriefingService) -> AsyncIterator[DiscordAdapter]:
    briefing = AsyncBriefing(service, user_per_minute=100, channel_per_minute=100)
    secrets = Secrets(discord_token=SecretStr("test-token"), discord_api_url=discord_fake.api_url,
                      discord_gateway_url=discord_fake.gateway_url)
    adapter = DiscordAdapter(briefing, service.settings, secrets, guild_ready_timeout=0.1, ready_timeout_s=15)
    await adapter.start()
    yield adapter
    await adapter.close()
    briefing.close()


async def discord_command(fake: FakeDiscord, name: str, options: list[dict[str, Any]],
                          user_id: int = DISCORD_USER) -> dict[str, Any]:
    """Run a slash command; returns its (single) follow-up message body."""
    interaction = fake.interaction_payload(name, options, user_id=user_id)
    await fake.dispatch("INTERACTION_CREATE", interaction)
    [callback] = await fake.wait_for("POST", rf"/interactions/{interaction['id']}/{interaction['token']}/callback")
    assert callback.json["data"]["flags"] & EPHEMERAL  # follows are private
    [followup] = await fake.wait_for("POST", rf"/webhooks/{APP_ID}/{interaction['token']}", timeout=30)
    return dict(followup.json)


def dm_messages(fake: FakeDiscord) -> list[dict[str, Any]]:
    opened = {str(r.json["recipient_id"]) for r in fake.find("POST", "/users/@me/channels")}
    assert opened <= {str(DISCORD_USER), str(OTHER_DISCORD_USER)}
    return [r.json for r in fake.find("POST", r"/channels/\d+/messages") if r.status == 200]


@hard_timeout(90)
async def test_discord_follow_then_one_dm_and_none_after_a_restart(
        discord_fake: FakeDiscord, discord_adapter: DiscordAdapter, store: Store, service: BriefingService) -> None:
    synced = {c["name"]: c for c in discord_fake.commands}
    assert {o["name"] for o in synced["follow"]["options"]} == {"figure", "topic"}
    assert {"unfollow", "following"} <= set(synced)
    answer = await discord_command(discord_fake, "follow", [{"name": "figure", "type": 3, "value": "merkel"}])
    assert "You now follow Angela Merkel" in answer["content"]
    listed = await discord_command(discord_fake, "following", [])
    assert "Angela Merkel (figure)" in listed["content"]

    first = scheduler(store, service, discord_adapter, "first")
    await first.run_follow_alerts()
    ingest_elsewhere(store.url, MERKEL)
    await first.run_follow_alerts(datetime.now(UTC) + timedelta(seconds=30))
    [opened] = await discord_fake.wait_for("POST", "/users/@me/channels")
    assert str(opened.json["recipient_id"]) == str(DISCORD_USER)
    [dm] = dm_messages(discord_fake)
    assert dm["allowed_mentions"] == {"parse": []}
    shown = json.dumps(dm, ensure_ascii=False)
    assert "New on what you follow: Angela Merkel" in dm["content"]
    assert "Angela Merkel said: “Cooperation has kept this continent safe for decades”" in shown
    assert MERKEL.url in shown and "**1.** " in shown  # the link and the three things
    assert "@everyone" not in shown and "<@123>" not in shown  # the article's pings are inert

    restarted = scheduler(store, service, discord_adapter, "restarted")
    await restarted.run_follow_alerts(datetime.now(UTC) + timedelta(seconds=60))
    await asyncio.sleep(0.2)
    assert len(dm_messages(discord_fake)) == 1


@hard_timeout(90)
async def test_discord_closed_dms_pause_the_follow(
        discord_fake: FakeDiscord, discord_adapter: DiscordAdapter, store: Store, service: BriefingService) -> None:
    await discord_command(discord_fake, "follow", [{"name": "figure", "type": 3, "value": "Angela Merkel"}],
                          user_id=OTHER_DISCORD_USER)
    bad = await discord_command(discord_fake, "follow", [{"name": "figure", "type": 3, "value": "Merkel"},
                                                         {"name": "topic", "type": 3, "value": "budget"}],
                                user_id=OTHER_DISCORD_USER)
    assert "one option" in bad["content"]
    ingest_elsewhere(store.url, MERKEL)
    discord_fake.fail_once("POST", r"/channels/\d+/messages", 403)  # "Cannot send messages to this user"
    await scheduler(store, service, discord_adapter, "p").run_follow_alerts(datetime.now(UTC) + timedelta(seconds=5))
    [follow] = rows.list_follows(store, "discord", str(OTHER_DISCORD_USER))
    assert follow.paused_at is not None and "403" in (follow.paused_reason or "")
    assert [a.status for a in rows.list_alerts(store)] == ["closed"]
    await scheduler(store, service, discord_adapter, "p").run_follow_alerts(datetime.now(UTC) + timedelta(minutes=5))
    assert len(discord_fake.find("POST", r"/channels/\d+/messages")) == 1  # the refused one; no retry
    listed = await discord_command(discord_fake, "following", [], user_id=OTHER_DISCORD_USER)
    assert "paused" in listed["content"]


# -- Slack ----------------------------------------------------------------------------------------------


@pytest.fixture
async def slack_fake() -> AsyncIterator[FakeSlack]:
    slack = FakeSlack(users={MEMBER: {"name": "bob"}})
    await slack.start()
    yield slack
    await slack.close()


@pytest.fixture
async def slack_adapter(slack_fake: FakeSlack, service: BriefingService) -> AsyncIterator[SlackAdapter]:
    briefing = AsyncBriefing(service, user_per_minute=100, channel_per_minute=100)
    secrets = Secrets(slack_bot_token=SecretStr(TOKEN), slack_signing_secret=SecretStr(SECRET),
                      slack_api_url=slack_fake.api_url)
    app = SlackAdapter(briefing, service.settings, secrets, host="127.0.0.1", port=0, message_interval=0)
    await app.start()
    yield app
    await app.close()
    briefing.close()


@hard_timeout(90)
async def test_slack_follow_then_one_dm_via_conversations_open(
        slack_fake: FakeSlack, slack_adapter: SlackAdapter, store: Store, service: BriefingService) -> None:
    status, _, _ = await deliver(slack_adapter, slash_body(slack_fake, "follow Angela Merkel", name="f"))
    assert status == 200
    [answer] = await answer_to(slack_fake, "f")
    assert answer["response_type"] == "ephemeral"  # what someone follows is shown to them alone
    assert "You now follow Angela Merkel" in json.dumps(answer, ensure_ascii=False)

    first = scheduler(store, service, slack_adapter, "first")
    await first.run_follow_alerts()
    ingest_elsewhere(store.url, MERKEL)
    await first.run_follow_alerts(datetime.now(UTC) + timedelta(seconds=30))
    [opened] = slack_fake.accepted("conversations.open")
    assert opened.body["users"] == MEMBER
    [post] = slack_fake.accepted("chat.postMessage")
    assert post.body["channel"] == "D" + MEMBER.removeprefix("U")
    blocks = post.body["blocks"] if isinstance(post.body["blocks"], list) else json.loads(post.body["blocks"])
    assert limit_problems(post.body.get("text"), blocks) == [] and pings(post.body.get("text"), blocks) == []
    shown = json.dumps(blocks, ensure_ascii=False)
    assert "Angela Merkel said: “Cooperation has kept this continent safe for decades”" in shown
    assert MERKEL.url in shown

    await scheduler(store, service, slack_adapter, "restarted").run_follow_alerts(
        datetime.now(UTC) + timedelta(seconds=60))
    assert len(slack_fake.accepted("chat.postMessage")) == 1


@hard_timeout(90)
async def test_slack_cannot_dm_bot_pauses_the_follow(
        slack_fake: FakeSlack, slack_adapter: SlackAdapter, store: Store, service: BriefingService) -> None:
    await deliver(slack_adapter, slash_body(slack_fake, "follow figure Angela Merkel", name="f"))
    await answer_to(slack_fake, "f")
    slack_fake.closed_dms.add(MEMBER)
    ingest_elsewhere(store.url, MERKEL)
    await scheduler(store, service, slack_adapter, "p").run_follow_alerts(datetime.now(UTC) + timedelta(seconds=5))
    [follow] = rows.list_follows(store, "slack", MEMBER)
    assert follow.paused_at is not None and "cannot_dm_bot" in (follow.paused_reason or "")
    await scheduler(store, service, slack_adapter, "p").run_follow_alerts(datetime.now(UTC) + timedelta(minutes=5))
    assert len([c for c in slack_fake.calls if c.method == "conversations.open"]) == 1  # not retried
    assert slack_fake.accepted("chat.postMessage") == []

"""End to end: the real discord.py client, over real sockets on 127.0.0.1, against `FakeDiscord`.

The bot runs the real `AsyncBriefing` + `BriefingService` on a temp SQLite store (extractive, no
model). Assertions are on what the bot put on the wire: the interaction callback (the deferral),
follow-up webhooks, channel messages, their flags and their `allowed_mentions`.
"""

from __future__ import annotations

import asyncio
import functools
import re
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import discord
import pytest
from fake_discord import APP_ID, GUILD_ID, MANAGE_GUILD, NEWS_CHANNEL_ID, FakeDiscord, RecordedRequest
from pydantic import SecretStr

from bot.articles.models import Article
from bot.briefing.models import Digest
from bot.briefing.runner import AsyncBriefing
from bot.briefing.service import BriefingService
from bot.commands import BAD_URL, ONE_OPTION
from bot.platforms.discord.app import DiscordAdapter
from bot.settings import Secrets, Settings
from bot.store import Store
from summarizers.nlp import get_nlp

pytestmark = pytest.mark.e2e

TEST_TIMEOUT_S = 25.0
DEFER_DEADLINE_S = 3.0  # Discord's acknowledgement deadline: a contract, not a speed benchmark
EPHEMERAL = 64
NO_PINGS: dict[str, list[str]] = {"parse": []}
LIVE_MENTION = re.compile(r"@everyone|@here|<@[!&]?\d+>|<#\d+>", re.IGNORECASE)
SENT = r"/webhooks/\d+/[^/]+|/channels/\d+/messages"
PUBLISHED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ZWSP = "\u200b"

ARTICLES = [
    Article(
        title="Parliament passes the 2026 budget",
        text=("Lawmakers approved the 2026 budget on Tuesday by 312 votes to 204. The plan raises spending on "
              "hospitals by 4 percent and freezes fuel duty for a year. Finance minister Rachel Adams said the "
              "budget would restore stability after two difficult years. Opposition leaders called the plan a "
              "gamble with public money and promised to fight it in the upper house."),
        url="https://news.example/budget-2026", source="Example Times", published=PUBLISHED,
    ),
    Article(
        title="Angela Merkel urges European unity in Berlin speech",
        text=("Former chancellor Angela Merkel told an audience in Berlin on Monday that Europe must stay "
              "united. \"Cooperation has kept this continent safe for decades,\" Merkel said. She urged "
              "younger politicians to defend democratic institutions and to keep talking to their opponents. "
              "The speech marked the tenth anniversary of a foundation that supports civic education."),
        url="https://news.example/merkel-berlin", source="Daily Example", published=PUBLISHED,
    ),
    Article(
        title="Spam tagging @everyone, <@123> and <@&456> floods party forum",
        text=("A campaign account posted @everyone and @here in the party forum on Sunday evening. "
              "Moderators said messages tagging <@123> and the role <@&456> were removed within minutes. "
              "The party said its election campaign would continue as planned next week. Officials asked "
              "members to report further spam to the forum moderators."),
        url="https://news.example/forum-spam", source="Example Post", published=PUBLISHED,
    ),
]


def hard_timeout(test: Callable[..., Awaitable[None]]) -> Callable[..., Awaitable[None]]:
    """Fail a test that runs past TEST_TIMEOUT_S instead of hanging the suite."""
    @functools.wraps(test)
    async def wrapper(*args: Any, **kwargs: Any) -> None:
        async with asyncio.timeout(TEST_TIMEOUT_S):
            await test(*args, **kwargs)
    return wrapper


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = Store("sqlite:///" + str(tmp_path / "t.db"))
    for article in ARTICLES:
        store.add_article(Article(text=article.text, title=article.title, url=article.url,
                                  source=article.source, published=article.published))
    yield store
    store.close()


@pytest.fixture
def service(store: Store) -> BriefingService:
    get_nlp()  # spaCy's one-off load (seconds on a busy machine) happens here, not inside a reply deadline
    return BriefingService(store, Settings(database_url=store.url), load_default_model=False)


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    fake = FakeDiscord()
    await fake.start()
    yield fake
    await fake.close()


async def start_adapter(fake: FakeDiscord, service: BriefingService, *, shards: bool = False) -> DiscordAdapter:
    settings = Settings(database_url=service.settings.database_url, discord_shards=shards)
    briefing = AsyncBriefing(service, user_per_minute=100, channel_per_minute=100)
    secrets = Secrets(discord_token=SecretStr("test-token"), discord_api_url=fake.api_url,
                      discord_gateway_url=fake.gateway_url)
    adapter = DiscordAdapter(briefing, settings, secrets, guild_ready_timeout=0.1, ready_timeout_s=15)
    async with asyncio.timeout(TEST_TIMEOUT_S):
        await adapter.start()
    return adapter


@pytest.fixture
async def adapter(fake: FakeDiscord, service: BriefingService) -> AsyncIterator[DiscordAdapter]:
    adapter = await start_adapter(fake, service)
    yield adapter
    async with asyncio.timeout(TEST_TIMEOUT_S):
        await adapter.close()
    adapter.briefing.close()


def followup_path(interaction: dict[str, Any]) -> str:
    return rf"/webhooks/{APP_ID}/{interaction['token']}"


def callback_path(interaction: dict[str, Any]) -> str:
    return rf"/interactions/{interaction['id']}/{interaction['token']}/callback"


def embed_text(body: dict[str, Any]) -> str:
    """Everything a reader could see in a message body: content and every embed string."""
    parts = [body.get("content") or ""]
    for embed in body.get("embeds") or []:
        parts += [embed.get("title", ""), embed.get("description", ""), (embed.get("footer") or {}).get("text", "")]
        parts += [f"{f['name']} {f['value']}" for f in embed.get("fields", [])]
    return "\n".join(parts)


def assert_nothing_pings(fake: FakeDiscord) -> None:
    """Every message the bot sent forbids all mentions and holds no live mention in its text."""
    sent = fake.find("POST", SENT) + fake.find("PATCH", r"/webhooks/\d+/[^/]+/messages/[^/]+")
    assert sent, "the bot sent nothing"
    for request in sent:
        assert request.json["allowed_mentions"] == NO_PINGS, request
        for found in LIVE_MENTION.findall(embed_text(request.json)):
            # channel links the core writes on purpose (subscription notices) never notify anyone
            assert found.startswith("<#"), (found, request.path)


def story_titles(request: RecordedRequest) -> list[str]:
    return [e["title"] for e in request.json.get("embeds", [])]


def channel_option(name: str, channel_id: int) -> tuple[dict[str, Any], dict[str, Any]]:
    option = {"name": name, "type": 7, "value": str(channel_id)}
    resolved = {"channels": {str(channel_id): {"id": str(channel_id), "name": "news", "type": 0,
                                               "permissions": str((1 << 41) - 1), "guild_id": str(GUILD_ID)}}}
    return option, resolved


def subcommand(name: str, *options: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"name": name, "type": 1, "options": list(options)}]


def text_option(name: str, value: str) -> dict[str, Any]:
    return {"name": name, "type": 3, "value": value}


@hard_timeout
async def test_login_identify_heartbeat_and_command_sync(fake: FakeDiscord, adapter: DiscordAdapter) -> None:
    assert fake.find("GET", "/users/@me") and fake.find("GET", "/oauth2/applications/@me")
    assert fake.identifies[0]["token"] == "test-token"
    assert fake.heartbeats >= 1  # discord.py beats as soon as it gets HELLO; the fake ACKs with op 11
    [sync] = fake.find("PUT", rf"/applications/{APP_ID}/commands")
    commands = {c["name"]: c for c in sync.json}
    assert set(commands) == {"brief", "briefing", "feed", "follow", "unfollow", "following"}
    assert {o["name"] for o in commands["brief"]["options"]} == {"topic", "url", "figure"}
    assert int(commands["briefing"]["default_member_permissions"]) == MANAGE_GUILD
    assert commands["briefing"]["dm_permission"] is False
    assert {o["name"] for o in commands["briefing"]["options"]} == {"subscribe", "unsubscribe", "list"}


@hard_timeout
async def test_brief_is_deferred_before_a_slow_service_answers(
        fake: FakeDiscord, adapter: DiscordAdapter, service: BriefingService,
        monkeypatch: pytest.MonkeyPatch) -> None:
    release = threading.Event()
    real_digest = service.digest

    def slow_digest(**kwargs: Any) -> Digest:
        release.wait(10)  # a model stuck on a long article: blocks until the test has seen the deferral
        return real_digest(**kwargs)

    monkeypatch.setattr(service, "digest", slow_digest)
    interaction = fake.interaction_payload("brief")
    sent_at = await fake.dispatch("INTERACTION_CREATE", interaction)
    [callback] = await fake.wait_for("POST", callback_path(interaction))
    assert not release.is_set() and not fake.find("POST", followup_path(interaction))
    assert callback.received_at - sent_at < DEFER_DEADLINE_S
    assert callback.json["type"] == 5  # DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE ("thinking…")
    assert not (callback.json.get("data") or {}).get("flags", 0) & EPHEMERAL
    release.set()

    [followup] = await fake.wait_for("POST", followup_path(interaction))
    assert "Three things to know" in followup.json["content"]
    assert set(story_titles(followup)) == {
        "Parliament passes the 2026 budget", "Angela Merkel urges European unity in Berlin speech",
        f"Spam tagging @{ZWSP}everyone, <@{ZWSP}123> and <@&{ZWSP}456> floods party forum"}
    embed = next(e for e in followup.json["embeds"] if e["title"] == ARTICLES[0].title)
    assert embed["url"] == ARTICLES[0].url
    assert embed["timestamp"].startswith("2026-03-02T09:00:00")
    assert embed["description"].startswith("**1.** ")
    assert "[Example Times · 02 Mar 2026](https://news.example/budget-2026)" in embed["fields"][0]["value"]
    assert not followup.json.get("flags", 0) & EPHEMERAL
    assert_nothing_pings(fake)


@hard_timeout
async def test_brief_topic_and_figure(fake: FakeDiscord, adapter: DiscordAdapter) -> None:
    topic = await fake.slash("brief", [text_option("topic", "budget")])
    [reply] = await fake.wait_for("POST", followup_path(topic))
    assert "Three things to know: budget" in reply.json["content"]
    assert story_titles(reply) == ["Parliament passes the 2026 budget"]
    assert "312 votes" in embed_text(reply.json) or "hospitals" in embed_text(reply.json)

    figure = await fake.slash("brief", [text_option("figure", "Angela Merkel")])
    [answer] = await fake.wait_for("POST", followup_path(figure))
    [callback] = fake.find("POST", callback_path(figure))
    assert callback.json["type"] == 5
    text = embed_text(answer.json)
    assert answer.json["embeds"], answer.json
    assert "Merkel" in text
    assert "https://news.example/merkel-berlin" in text
    assert_nothing_pings(fake)


@pytest.mark.parametrize("options, message", [
    ([text_option("url", "ftp://x")], BAD_URL),
    ([text_option("topic", "budget"), text_option("figure", "Merkel")], ONE_OPTION),
])
@hard_timeout
async def test_bad_brief_options_get_an_ephemeral_usage_notice(
        fake: FakeDiscord, adapter: DiscordAdapter, options: list[dict[str, Any]], message: str) -> None:
    interaction = await fake.slash("brief", options)
    [followup] = await fake.wait_for("POST", followup_path(interaction))
    [callback] = fake.find("POST", callback_path(interaction))
    assert callback.json == {"type": 5, "data": {"flags": EPHEMERAL}}
    assert followup.json["content"] == message
    assert followup.json["flags"] & EPHEMERAL
    assert_nothing_pings(fake)


@hard_timeout
async def test_error_from_the_core_after_a_public_defer_goes_privately(
        fake: FakeDiscord, adapter: DiscordAdapter) -> None:
    # An http link passes the option check; the core refuses to fetch a loopback address.
    interaction = await fake.slash("brief", [text_option("url", "http://127.0.0.1:9/story")])
    [followup] = await fake.wait_for("POST", followup_path(interaction))
    [callback] = fake.find("POST", callback_path(interaction))
    assert callback.json == {"type": 5}  # a public "thinking…" placeholder...
    assert fake.find("DELETE", followup_path(interaction) + "/messages/@original")  # ...removed,
    assert followup.json["flags"] & EPHEMERAL  # so only the asker sees the error
    assert followup.json["content"].startswith("I couldn't read that link")


@hard_timeout
async def test_subscriptions_need_manage_server(fake: FakeDiscord, adapter: DiscordAdapter, store: Store) -> None:
    channel, resolved = channel_option("channel", NEWS_CHANNEL_ID)
    options = subcommand("subscribe", channel, text_option("time", "08:00"), text_option("timezone", "Europe/London"))

    refused = await fake.slash("briefing", options, permissions=0, resolved=resolved)
    [reply] = await fake.wait_for("POST", followup_path(refused))
    assert reply.json["flags"] & EPHEMERAL
    assert "Only server or workspace managers" in reply.json["content"]
    assert store.list_subscriptions("discord") == []

    allowed = await fake.slash("briefing", options, permissions=MANAGE_GUILD, resolved=resolved)
    [reply] = await fake.wait_for("POST", followup_path(allowed))
    assert reply.json["content"] == f"Daily briefing for <#{NEWS_CHANNEL_ID}> at 08:00 Europe/London."
    [sub] = store.list_subscriptions("discord")
    assert (sub.channel_id, sub.time, sub.timezone, sub.workspace_id) == (
        str(NEWS_CHANNEL_ID), "08:00", "Europe/London", str(GUILD_ID))

    listing = await fake.slash("briefing", subcommand("list"), permissions=0)
    [reply] = await fake.wait_for("POST", followup_path(listing))
    assert f"<#{NEWS_CHANNEL_ID}> at 08:00 Europe/London" in reply.json["content"]

    gone = await fake.slash("briefing", subcommand("unsubscribe", channel), permissions=MANAGE_GUILD,
                            resolved=resolved)
    await fake.wait_for("POST", followup_path(gone))
    assert store.list_subscriptions("discord") == []
    assert_nothing_pings(fake)


@pytest.mark.parametrize("time, timezone, message", [
    ("25:99", "UTC", "`25:99` is not a time"),
    ("08:00", "Mars/Base", "`Mars/Base` is not a known time zone"),
])
@hard_timeout
async def test_bad_subscription_input_is_an_ephemeral_error(
        fake: FakeDiscord, adapter: DiscordAdapter, store: Store, time: str, timezone: str, message: str) -> None:
    channel, resolved = channel_option("channel", NEWS_CHANNEL_ID)
    options = subcommand("subscribe", channel, text_option("time", time), text_option("timezone", timezone))
    interaction = await fake.slash("briefing", options, permissions=MANAGE_GUILD, resolved=resolved)
    [followup] = await fake.wait_for("POST", followup_path(interaction))
    assert fake.find("POST", callback_path(interaction))[0].json["data"]["flags"] == EPHEMERAL
    assert followup.json["content"].startswith(message)
    assert followup.json["flags"] & EPHEMERAL
    assert store.list_subscriptions("discord") == []


@hard_timeout
async def test_dm_question_is_answered_in_the_dm_and_bots_are_ignored(
        fake: FakeDiscord, adapter: DiscordAdapter) -> None:
    await fake.direct_message("what's the latest on Merkel?", channel_id=960000000000000009, bot=True)
    await fake.direct_message("what's the latest on Angela Merkel?", channel_id=960000000000000001)
    [reply] = await fake.wait_for("POST", r"/channels/960000000000000001/messages")
    assert "Merkel" in embed_text(reply.json)
    assert fake.find("POST", r"/channels/960000000000000001/typing")
    assert not fake.find("POST", r"/channels/960000000000000009/.*")
    assert_nothing_pings(fake)


@hard_timeout
async def test_rate_limited_followup_is_retried_after_retry_after(fake: FakeDiscord, adapter: DiscordAdapter) -> None:
    interaction = fake.interaction_payload("brief", [text_option("topic", "budget")])
    fake.rate_limit_once("POST", followup_path(interaction), retry_after=0.4)
    await fake.dispatch("INTERACTION_CREATE", interaction)
    [ok] = await fake.wait_for("POST", followup_path(interaction))
    limited, retried = fake.find("POST", followup_path(interaction))
    assert (limited.status, retried.status) == (429, 200)
    assert retried is ok and retried.json == limited.json
    assert retried.received_at - limited.received_at >= 0.4


@hard_timeout
async def test_failed_followup_is_logged_and_the_bot_keeps_serving(
        fake: FakeDiscord, adapter: DiscordAdapter, caplog: pytest.LogCaptureFixture) -> None:
    first = fake.interaction_payload("brief", [text_option("topic", "budget")])
    fake.fail_once("POST", followup_path(first), status=403)
    await fake.dispatch("INTERACTION_CREATE", first)
    await fake.wait_for("POST", followup_path(first), status=403)
    second = await fake.slash("brief", [text_option("topic", "budget")])
    await fake.wait_for("POST", followup_path(second))
    assert any("follow-up to interaction" in r.getMessage() for r in caplog.records)
    assert not adapter.client.is_closed()


@hard_timeout
async def test_send_posts_a_digest_to_the_channel(
        fake: FakeDiscord, adapter: DiscordAdapter, service: BriefingService) -> None:
    digest = await adapter.briefing.call(service.digest)
    fake.rate_limit_once("POST", rf"/channels/{NEWS_CHANNEL_ID}/messages", retry_after=0.3)
    message_id = await adapter.send(str(NEWS_CHANNEL_ID), digest)
    limited, post = fake.find("POST", rf"/channels/{NEWS_CHANNEL_ID}/messages")
    assert (limited.status, post.status) == (429, 200)  # discord.py waited retry_after and sent again
    assert post.received_at - limited.received_at >= 0.3
    assert message_id and message_id.isdigit()
    assert len(post.json["embeds"]) == len(ARTICLES)
    assert post.json["content"].startswith("**Three things to know**")
    assert_nothing_pings(fake)
    spam = next(e for e in post.json["embeds"] if e["url"] == "https://news.example/forum-spam")
    assert spam["title"].startswith(f"Spam tagging @{ZWSP}everyone, <@{ZWSP}123> and <@&{ZWSP}456>")

    fake.fail_once("POST", rf"/channels/{NEWS_CHANNEL_ID}/messages", status=403)
    with pytest.raises(discord.Forbidden):  # the scheduler records the failure and retries
        await adapter.send(str(NEWS_CHANNEL_ID), digest)
    with pytest.raises(ValueError, match="not a Discord channel id"):
        await adapter.send("#news", digest)


@hard_timeout
async def test_sharded_client_uses_the_configured_gateway(fake: FakeDiscord, service: BriefingService) -> None:
    adapter = await start_adapter(fake, service, shards=True)
    try:
        assert isinstance(adapter.client, discord.AutoShardedClient)
        assert fake.identifies[0]["shard"] == [0, 1]
        interaction = await fake.slash("brief", [text_option("topic", "budget")])
        [reply] = await fake.wait_for("POST", followup_path(interaction))
        assert story_titles(reply) == ["Parliament passes the 2026 budget"]
    finally:
        await adapter.close()
        adapter.briefing.close()

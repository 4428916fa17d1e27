"""Feeds from chat, end to end: the real discord.py client and slack-bolt app against the local fakes,
the briefing core on SQLite, and a local feed server, all on 127.0.0.1 (loopback is allowed here only
through the test-only `fetch_allow_hosts` setting).

Two Discord servers and two Slack workspaces add their own feeds; each then briefs only its own stories.
Members are refused privately and nothing changes.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from fake_discord import GUILD_ID, MANAGE_GUILD, FakeDiscord
from fake_slack import TEAM_ID, TOKEN, FakeSlack
from feed_server import FeedServer, story
from pydantic import SecretStr
from test_discord_e2e import EPHEMERAL, TEST_TIMEOUT_S, embed_text, followup_path, start_adapter, text_option
from test_slack_e2e import ADMIN, GENERAL, MEMBER, SECRET, answer_to, deliver, shown

from bot.briefing.runner import AsyncBriefing
from bot.briefing.service import BriefingService
from bot.platforms.discord.app import DiscordAdapter
from bot.platforms.slack.app import SlackAdapter
from bot.settings import Secrets, Settings
from bot.store import Store
from bot.store import feeds as feed_rows

pytestmark = pytest.mark.e2e

OTHER_GUILD_ID = GUILD_ID + 1
OTHER_TEAM_ID = "T0OTHER01"


@pytest.fixture
def server() -> Iterator[FeedServer]:
    s = FeedServer().start()
    yield s
    s.close()


@pytest.fixture
def service(tmp_path: Path) -> Iterator[BriefingService]:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'e2e.db'}", fetch_allow_hosts=["127.0.0.1"])
    store = Store(settings.database_url)
    yield BriefingService(store, settings, load_default_model=False)
    store.close()


def serve(server: FeedServer, topic: str) -> str:
    items = [(f"{topic.title()} story {n}", f"https://{topic}.example/{n}", story(topic, "e2e", n)) for n in range(2)]
    return server.serve_feed(f"/{topic}.xml", f"{topic.title()} News", items)


# -- Discord ---------------------------------------------------------------------------------------------


@pytest.fixture
async def discord_fake() -> AsyncIterator[FakeDiscord]:
    fake = FakeDiscord()
    await fake.start()
    yield fake
    await fake.close()


@pytest.fixture
async def discord_adapter(discord_fake: FakeDiscord, service: BriefingService) -> AsyncIterator[DiscordAdapter]:
    adapter = await start_adapter(discord_fake, service)
    yield adapter
    async with asyncio.timeout(TEST_TIMEOUT_S):
        await adapter.close()
    adapter.briefing.close()


async def slash_in(fake: FakeDiscord, guild: int, name: str, options: list[dict[str, Any]], *,
                   permissions: int = 0) -> dict[str, Any]:
    payload = fake.interaction_payload(name, options, permissions=permissions)
    payload["guild_id"] = str(guild)
    await fake.dispatch("INTERACTION_CREATE", payload)
    return payload


def feed_sub(action: str, *options: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"name": action, "type": 1, "options": list(options)}]


async def test_discord_servers_manage_their_own_feeds_and_brief_only_their_stories(
        discord_fake: FakeDiscord, discord_adapter: DiscordAdapter, server: FeedServer,
        service: BriefingService) -> None:
    async with asyncio.timeout(60):
        [sync] = discord_fake.find("PUT", r"/applications/\d+/commands")
        feed = next(c for c in sync.json if c["name"] == "feed")
        assert int(feed["default_member_permissions"]) == MANAGE_GUILD and feed["dm_permission"] is False
        assert {o["name"] for o in feed["options"]} == {"add", "remove", "list", "test", "presets"}

        member = await slash_in(discord_fake, GUILD_ID, "feed",
                                feed_sub("add", text_option("url", serve(server, "lighthouse"))))
        [refused] = await discord_fake.wait_for("POST", followup_path(member))
        assert refused.json["flags"] & EPHEMERAL and "Only people who can manage" in refused.json["content"]
        assert feed_rows.list_sources(service.store) == []

        for guild, topic in ((GUILD_ID, "lighthouse"), (OTHER_GUILD_ID, "vineyard")):
            added = await slash_in(discord_fake, guild, "feed", feed_sub("add", text_option("url", serve(server, topic))),
                                   permissions=MANAGE_GUILD)
            [reply] = await discord_fake.wait_for("POST", followup_path(added))
            assert reply.json["flags"] & EPHEMERAL and f"Added “{topic.title()} News”" in reply.json["content"]

        listing = await slash_in(discord_fake, GUILD_ID, "feed", feed_sub("list"), permissions=MANAGE_GUILD)
        [listed] = await discord_fake.wait_for("POST", followup_path(listing))
        assert listed.json["flags"] & EPHEMERAL
        assert "/lighthouse.xml" in listed.json["content"] and "/vineyard.xml" not in listed.json["content"]

        for guild, mine, theirs in ((GUILD_ID, "Lighthouse", "Vineyard"), (OTHER_GUILD_ID, "Vineyard", "Lighthouse")):
            brief = await slash_in(discord_fake, guild, "brief", [])
            [digest] = await discord_fake.wait_for("POST", followup_path(brief))
            text = embed_text(digest.json)
            assert f"{mine} story" in text and f"{theirs} story" not in text


# -- Slack -----------------------------------------------------------------------------------------------


@pytest.fixture
async def slack_fake() -> AsyncIterator[FakeSlack]:
    slack = FakeSlack(users={ADMIN: {"name": "ada", "is_admin": True}, MEMBER: {"name": "bob"}})
    await slack.start()
    yield slack
    await slack.close()


@pytest.fixture
async def slack_adapter(slack_fake: FakeSlack, service: BriefingService) -> AsyncIterator[SlackAdapter]:
    briefing = AsyncBriefing(service, user_per_minute=100, channel_per_minute=100)
    secrets = Secrets(slack_bot_token=SecretStr(TOKEN), slack_signing_secret=SecretStr(SECRET),
                      slack_api_url=slack_fake.api_url)
    app = SlackAdapter(briefing, service.settings, secrets, host="127.0.0.1", port=0, managers=set())
    await app.start()
    yield app
    await app.close()
    briefing.close()


def command(fake: FakeSlack, team: str, text: str, *, user: str, name: str) -> str:
    return urlencode({
        "token": "legacy", "team_id": team, "team_domain": "fake", "channel_id": GENERAL, "channel_name": "general",
        "user_id": user, "user_name": "someone", "command": "/brief", "text": text, "api_app_id": "A0APP0001",
        "is_enterprise_install": "false", "response_url": fake.response_url(name), "trigger_id": "1.2.3",
    })


async def test_slack_workspaces_manage_their_own_feeds_and_brief_only_their_stories(
        slack_fake: FakeSlack, slack_adapter: SlackAdapter, server: FeedServer, service: BriefingService) -> None:
    async with asyncio.timeout(60):
        url = serve(server, "glacier")
        await deliver(slack_adapter, command(slack_fake, TEAM_ID, f"feed add <{url}>", user=MEMBER, name="member"))
        [refused] = await answer_to(slack_fake, "member")
        assert refused["response_type"] == "ephemeral" and "Only people who can manage" in shown(refused)
        assert feed_rows.list_sources(service.store) == []

        for team, topic in ((TEAM_ID, "glacier"), (OTHER_TEAM_ID, "orchard")):
            await deliver(slack_adapter, command(slack_fake, team, f"feed add {serve(server, topic)} {topic} desk",
                                                 user=ADMIN, name=f"add-{team}"))
            [added] = await answer_to(slack_fake, f"add-{team}")
            assert added["response_type"] == "ephemeral" and f"{topic} desk" in shown(added)

        await deliver(slack_adapter, command(slack_fake, TEAM_ID, "feed list", user=ADMIN, name="list"))
        [listed] = await answer_to(slack_fake, "list")
        assert listed["response_type"] == "ephemeral"
        assert "glacier.xml" in shown(listed) and "orchard.xml" not in shown(listed)

        for team, mine, theirs in ((TEAM_ID, "Glacier", "Orchard"), (OTHER_TEAM_ID, "Orchard", "Glacier")):
            await deliver(slack_adapter, command(slack_fake, team, "", user=MEMBER, name=f"brief-{team}"))
            [digest] = await answer_to(slack_fake, f"brief-{team}")
            assert digest["response_type"] == "in_channel"
            assert f"{mine} story" in shown(digest) and f"{theirs} story" not in shown(digest)

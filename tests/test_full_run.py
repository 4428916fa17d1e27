"""The whole bot process, as `briefbot run` starts it, against local fakes of both platforms.

`bot.app.serve()` runs in the test's event loop with Discord and Slack both configured (REST and gateway
of `FakeDiscord`, Web API of `FakeSlack`, Slack's HTTP endpoint bound to 127.0.0.1 on a free port, found
through serve()'s `on_ready`). The test drives a Discord `/brief`, a Slack `/brief`, a DM on each, a subscription on
each and one scheduled digest pass at an explicit instant, with every logger at DEBUG, and then scans
everything that was logged for the three secrets, plain and in base64 or URL-encoded form.

The fakes prove the secrets were really used (the Discord IDENTIFY carried the token, the fake Slack
only answers calls that present the bot token, and only requests signed with the signing secret get
in), so their absence from the logs means something.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import time
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote, quote_plus

import fake_slack
import pytest
from fake_discord import MANAGE_GUILD, NEWS_CHANNEL_ID, FakeDiscord
from fake_slack import FakeSlack
from pydantic import SecretStr
from test_slack_e2e import answer_to, deliver, event_body, hard_timeout, shown, signature_headers, slash_body

from bot.app import Running, serve
from bot.articles.models import Article
from bot.platforms.slack.app import SlackAdapter
from bot.settings import Secrets, Settings
from bot.store import Store
from bot.store import deliveries as rows

pytestmark = pytest.mark.e2e

DISCORD_TOKEN = "discord-token-SECRET-1234"
SLACK_BOT_TOKEN = "xoxb-SECRET-5678"
SLACK_SIGNING_SECRET = "signing-SECRET-9012"
SECRETS = (DISCORD_TOKEN, SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET)
SLACK_ADMIN, SLACK_NEWS, SLACK_DM = "U0ADMIN01", "C0NEWS001", "D0DM00001"
LOUD_LOGGERS = ("", "bot", "summarizers", "discord", "slack_bolt", "slack_sdk", "aiohttp", "httpx", "httpcore",
                "apscheduler", "sqlalchemy", "asyncio", "urllib3")
ARTICLES = [
    Article(title="Parliament passes the budget",
            text=("Parliament passed the spring budget by 312 votes to 250 on Tuesday. "
                  "The chancellor said income tax thresholds would rise in April. "
                  "Opposition leaders called the plan a gamble with public services."),
            url="https://news.example/budget", source="Example News"),
    Article(title="Mayor Jane Rivera unveils free buses",
            text=("Mayor Jane Rivera announced free bus travel for under-18s on Monday. "
                  "“This is about fairness for every family,” Rivera said at City Hall. "
                  "The plan starts in May if the council approves it."),
            url="https://city.example/buses", source="City Post"),
]


def encoded_forms(secret: str) -> set[str]:
    """The secret as it could appear in a log: plain, URL-encoded, and base64 (standard and URL-safe) at
    each of the three byte alignments it could have inside a longer encoded value (e.g. Basic auth)."""
    raw = secret.encode()
    forms = {secret, quote(secret, safe=""), quote_plus(secret)}
    for offset in range(3):
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            encoded = encode(b"\0" * offset + raw).decode()
            start = -(-8 * offset // 6)  # first base64 digit made only of the secret's bits
            stop = 8 * (offset + len(raw)) // 6
            forms.add(encoded[start:stop])
    return forms


class Collect(logging.Handler):
    """Keeps every formatted record (message, arguments and traceback) in memory."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def debug_logs() -> Iterator[Collect]:
    """Every logger at DEBUG into one collector, with the levels restored afterwards."""
    collect = Collect()
    saved = {name: logging.getLogger(name).level for name in LOUD_LOGGERS}
    for name in LOUD_LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG)
    logging.getLogger().addHandler(collect)
    yield collect
    logging.getLogger().removeHandler(collect)
    for name, level in saved.items():
        logging.getLogger(name).setLevel(level)


@pytest.fixture
async def fakes(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[tuple[FakeDiscord, FakeSlack]]:
    monkeypatch.setattr(fake_slack, "TOKEN", SLACK_BOT_TOKEN)  # the fake only answers this bot token
    discord_fake = FakeDiscord()
    slack_fake = FakeSlack(users={SLACK_ADMIN: {"name": "ada", "is_admin": True}})
    await discord_fake.start()
    await slack_fake.start()
    yield discord_fake, slack_fake
    await slack_fake.close()
    await discord_fake.close()


async def wait_until(predicate: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


@hard_timeout(90)
async def test_full_run_serves_both_platforms_and_never_logs_a_secret(
        tmp_path: Path, fakes: tuple[FakeDiscord, FakeSlack], debug_logs: Collect,
        capfd: pytest.CaptureFixture[str]) -> None:
    discord_fake, slack_fake = fakes
    url = f"sqlite:///{tmp_path / 'full.db'}"
    seed = Store(url)
    for article in ARTICLES:
        seed.add_article(article)
    settings = Settings(database_url=url, model="none", http_host="127.0.0.1", http_port=0)
    secrets = Secrets(discord_token=SecretStr(DISCORD_TOKEN), discord_api_url=discord_fake.api_url,
                      discord_gateway_url=discord_fake.gateway_url, slack_bot_token=SecretStr(SLACK_BOT_TOKEN),
                      slack_signing_secret=SecretStr(SLACK_SIGNING_SECRET), slack_api_url=slack_fake.api_url)
    stop = asyncio.Event()
    started: list[Running] = []
    bot = asyncio.create_task(serve(settings, secrets, stop=stop, on_ready=started.append), name="briefbot")
    try:
        await wait_until(lambda: bool(started) or bot.done(), "the bot to start")
        assert not bot.done(), bot.exception()
        [running] = started
        scheduler = running.scheduler
        slack = running.adapters["slack"]
        assert isinstance(slack, SlackAdapter) and slack.host == "127.0.0.1"  # bound to loopback only
        slot = (datetime.now(UTC) + timedelta(minutes=10)).replace(second=0, microsecond=0)
        hhmm = f"{slot:%H:%M}"

        def signed(body: str) -> dict[str, str]:
            return signature_headers(body, secret=SLACK_SIGNING_SECRET)

        # Discord: /brief, a DM, a subscription
        brief = await discord_fake.slash("brief")
        [reply] = await discord_fake.wait_for("POST", rf"/webhooks/\d+/{brief['token']}", timeout=30)
        assert "Parliament passes the budget" in str(reply.json)
        await discord_fake.direct_message("what's the latest on Jane Rivera?", channel_id=960000000000000001)
        [dm] = await discord_fake.wait_for("POST", r"/channels/960000000000000001/messages", timeout=30)
        assert "Rivera" in str(dm.json)
        resolved = {"channels": {str(NEWS_CHANNEL_ID): {"id": str(NEWS_CHANNEL_ID), "name": "news", "type": 0,
                                                         "permissions": str((1 << 41) - 1), "guild_id": "1"}}}
        options = [{"name": "subscribe", "type": 1, "options": [
            {"name": "channel", "type": 7, "value": str(NEWS_CHANNEL_ID)},
            {"name": "time", "type": 3, "value": hhmm}, {"name": "timezone", "type": 3, "value": "UTC"}]}]
        sub = await discord_fake.slash("briefing", options, permissions=MANAGE_GUILD, resolved=resolved)
        [done] = await discord_fake.wait_for("POST", rf"/webhooks/\d+/{sub['token']}", timeout=30)
        assert "Daily briefing for" in done.json["content"]

        # Slack: /brief, a DM, a subscription (signed with the signing secret, sent to 127.0.0.1 only)
        body = slash_body(slack_fake, "", name="brief")
        status, _, _ = await deliver(slack, body, signed=False, headers=signed(body))
        assert status == 200
        [answer] = await answer_to(slack_fake, "brief")
        assert "Parliament passes the budget" in shown(answer)
        event = event_body({"type": "message", "channel": SLACK_DM, "channel_type": "im", "user": "U0MEMBER1",
                            "text": "what's the latest on Jane Rivera?", "ts": "1700000100.000200"}, "Ev0FULL01")
        status, _, _ = await deliver(slack, event, json_body=True, signed=False, headers=signed(event))
        assert status == 200
        await slack_fake.wait_for(lambda _: bool(slack_fake.accepted("chat.postMessage")), timeout=30)
        body = slash_body(slack_fake, f"subscribe <#{SLACK_NEWS}|news> {hhmm} UTC", user=SLACK_ADMIN, name="sub")
        status, _, _ = await deliver(slack, body, signed=False, headers=signed(body))
        assert status == 200
        [subscribed] = await answer_to(slack_fake, "sub")
        assert "Daily briefing for" in shown(subscribed)

        # One scheduled pass at the slot, as the cron job would run it; each channel gets its digest once.
        outcomes = await scheduler.run_due(slot + timedelta(seconds=30))
        assert sorted(o.status for o in outcomes) == [rows.SENT, rows.SENT]
        assert await scheduler.run_due(slot + timedelta(seconds=40)) == []
        [digest] = discord_fake.find("POST", rf"/channels/{NEWS_CHANNEL_ID}/messages")
        assert "Your daily briefing" in digest.json["content"]
        [slack_digest] = [c for c in slack_fake.accepted("chat.postMessage") if c.body["channel"] == SLACK_NEWS]
        assert "Your daily briefing" in shown(slack_digest.body)
    finally:
        stop.set()
        await asyncio.wait_for(bot, timeout=30)
        seed.close()

    # The secrets were really in use...
    assert discord_fake.identifies and discord_fake.identifies[0]["token"] == DISCORD_TOKEN
    assert slack_fake.accepted("auth.test")
    # ...and none of them reached the logs, in any form.
    assert len(debug_logs.lines) > 100, "DEBUG logging was not captured"
    captured = capfd.readouterr()
    text = "\n".join([*debug_logs.lines, captured.out, captured.err])
    for secret in SECRETS:
        for form in encoded_forms(secret):
            assert form not in text, f"a secret ({secret[:8]}…) appears in the logs as {form!r}"

"""Slack listeners: a slash command, a DM or a mention → request → core → Block Kit → Slack.

The grammar is `bot.commands`, the work is the core's (`AsyncBriefing`), the rendering `bot.render.slack`,
and getting bytes to and from Slack (client, retries, pacing, endpoint, Socket Mode) `transport.py`.

Slack gives a slash command 3 seconds to be acknowledged, and the core may take far longer (a model,
a fetch), so `/brief` is acked at once and answered later through its `response_url`; DMs and mentions
are acked by bolt before any work starts and answered with `chat.postMessage`. Work runs in tracked
tasks so `close()` can let in-flight answers finish instead of dropping them.

Who may change daily briefings: workspace admins and owners (`users.info`), plus `Settings.slack_managers`
(`SLACK_MANAGERS`) or the ids passed as `managers=`.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Collection, Coroutine
from dataclasses import replace
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncBoltContext
from slack_sdk.errors import SlackApiError

from bot.briefing.models import Notice, Reply
from bot.briefing.runner import AsyncBriefing
from bot.commands import BriefRequest, CommandError, Requester, parse_brief
from bot.platforms.slack.transport import (
    AUTH_BACKOFF_S,
    MESSAGE_INTERVAL_S,
    START_AUTH_ATTEMPTS,
    RecentIds,
    SlackTransport,
)
from bot.render.slack import render
from bot.settings import Secrets, Settings

log = logging.getLogger(__name__)

PLATFORM = "slack"
COMMAND = "/brief"
CLOSE_GRACE_S = 10.0  # how long close() lets in-flight answers finish
WORKING = "Working on it…"
ASK_HINT = "Ask me about a public figure, e.g. “what did Keir Starmer say?” or “who is Elon Musk?”."
_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{2,}$")
_MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")


class SlackAdapter:
    """`/brief`, DMs and mentions on Slack; `send()` posts scheduled digests. Implements PlatformAdapter."""

    platform = PLATFORM

    def __init__(self, briefing: AsyncBriefing, settings: Settings, secrets: Secrets, *,
                 host: str | None = None, port: int | None = None, managers: Collection[str] | None = None,
                 message_interval: float = MESSAGE_INTERVAL_S, auth_attempts: int = START_AUTH_ATTEMPTS,
                 auth_backoff: float = AUTH_BACKOFF_S) -> None:
        self.briefing = briefing
        self.managers = frozenset(settings.slack_managers if managers is None else managers)
        self.transport = SlackTransport(
            secrets, host=settings.http_host if host is None else host,
            port=settings.http_port if port is None else port, message_interval=message_interval,
            auth_attempts=auth_attempts, auth_backoff=auth_backoff)
        app = self.transport.app
        app.command(COMMAND)(self._on_brief)
        app.event("app_mention")(self._on_mention)
        app.event("message")(self._on_message)
        self._events = RecentIds()
        self._tasks: set[asyncio.Task[None]] = set()

    socket_mode = property(lambda self: self.transport.socket_mode)
    host = property(lambda self: self.transport.host)
    port = property(lambda self: self.transport.port)
    bot_user_id = property(lambda self: self.transport.bot_user_id)

    async def start(self) -> None:
        await self.transport.start()

    async def close(self) -> None:
        """Stop accepting requests, let in-flight answers finish (bounded), then disconnect."""
        await self.transport.stop_serving()
        if self._tasks:
            _, pending = await asyncio.wait(set(self._tasks), timeout=CLOSE_GRACE_S)
            for task in pending:
                task.cancel()
        await self.transport.close()

    async def send(self, channel_id: str, reply: Reply) -> str | None:
        """Post a reply (a scheduled digest) to a channel; returns the first message's ts.
        Raises SlackApiError when Slack refuses after retries, so the scheduler records and retries."""
        return await self.transport.post(channel_id, render(reply))

    async def send_direct(self, user_id: str, reply: Reply) -> str | None:
        """A follow alert, by DM (implements `bot.delivery.DirectSender`)."""
        return await self.transport.post_direct(user_id, render(reply))

    # -- listeners ----------------------------------------------------------------------------

    async def _on_brief(self, ack: AsyncAck, command: dict[str, Any]) -> None:
        await ack(text=WORKING)  # first, always: Slack gives up on a slash command after 3 s
        self._spawn(self._run_brief(command))

    async def _on_message(self, event: dict[str, Any], body: dict[str, Any]) -> None:
        if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id"):
            return
        if self._first_time(body.get("event_id")):
            question = " ".join(str(event.get("text") or "").split())
            self._spawn(self._answer(event, question, event.get("thread_ts")))

    async def _on_mention(self, event: dict[str, Any], body: dict[str, Any], context: AsyncBoltContext) -> None:
        if event.get("bot_id") or not self._first_time(body.get("event_id")):
            return
        text = strip_mentions(str(event.get("text") or ""), context.bot_user_id or self.bot_user_id)
        self._spawn(self._answer(event, text, event.get("thread_ts") or event.get("ts")))

    # -- work ---------------------------------------------------------------------------------

    async def _run_brief(self, command: dict[str, Any]) -> None:
        channel = str(command.get("channel_id") or "")
        requester = Requester(PLATFORM, str(command.get("user_id") or ""), channel, workspace_id=command.get("team_id"))
        reply = await self._brief(str(command.get("text") or ""), requester)
        await self.transport.respond(command.get("response_url"), channel, render(reply), ephemeral=reply.private)

    async def _brief(self, text: str, requester: Requester) -> Reply:
        try:
            request = parse_brief(text)
        except CommandError as exc:
            return Notice(str(exc), ok=False)
        if request.needs_manager:
            problem = _slack_channel_problem(request)
            if problem:
                return Notice(problem, ok=False)
            requester = replace(requester, can_manage=await self.can_manage(requester.user_id))
        return await self.briefing.handle(request, requester)

    async def can_manage(self, user_id: str) -> bool:
        """Workspace admins and owners, and the configured managers, may change daily briefings."""
        return user_id in self.managers or await self.transport.is_admin(user_id)

    async def _answer(self, event: dict[str, Any], question: str, thread_ts: str | None) -> None:
        channel = str(event.get("channel") or "")
        requester = Requester(PLATFORM, str(event.get("user") or ""), channel, workspace_id=event.get("team"))
        reply = await self.briefing.answer(question, requester) if question else Notice(ASK_HINT)
        await self.transport.post(channel, render(reply), thread_ts=thread_ts)

    def _first_time(self, event_id: str | None) -> bool:
        """False for an event id already handled (Slack redelivers when it thinks an ack was lost)."""
        if self._events.first_time(event_id):
            return True
        log.info("ignoring redelivered Slack event %s", event_id)
        return False

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(_guarded(work))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


async def _guarded(work: Coroutine[Any, Any, None]) -> None:
    """A failed post is logged with its Slack error, never an unhandled task exception."""
    try:
        await work
    except SlackApiError as exc:
        log.error("Slack refused a reply: %s", exc.response.get("error"))
    except Exception:
        log.exception("Slack reply failed")


def strip_mentions(text: str, bot_user_id: str | None = None) -> str:
    """The question in an `app_mention`: the bot's mention removed (any leading mention if unknown)."""
    if bot_user_id:
        text = re.sub(rf"<@{re.escape(bot_user_id)}(?:\|[^>]*)?>", " ", text)
    else:
        text = re.sub(rf"^\s*(?:{_MENTION.pattern}\s*)+", " ", text)
    return " ".join(text.split())


def _slack_channel_problem(request: BriefRequest) -> str | None:
    """Slack needs a channel id; a bare name means the command was sent without escaped channels."""
    if request.channel is None or _CHANNEL_ID.match(request.channel):
        return None
    return (f"I need the channel picked from Slack's #-autocomplete, not typed as `{request.channel}` "
            "(the /brief command must have “Escape channels, users, and links” switched on).")

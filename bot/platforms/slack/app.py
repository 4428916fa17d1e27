"""The Slack adapter: slack-bolt events → briefing core → Block Kit → Slack. Thin on purpose.

Slack gives a slash command 3 seconds to be acknowledged, and the core may take far longer (a model,
a fetch), so `/brief` is acked at once and answered later through its `response_url`; DMs and mentions
are acked by bolt before any work starts and answered with `chat.postMessage`. Work runs in tracked
tasks so `close()` can let in-flight answers finish instead of dropping them.

Two transports, chosen by the environment:
- HTTP mode (`SLACK_SIGNING_SECRET`): bolt's aiohttp app served at `POST /slack/events` on
  `BRIEFBOT_HTTP_HOST`:`BRIEFBOT_HTTP_PORT` in the bot's own event loop (so it runs beside Discord and
  the scheduler); bolt verifies every request's signature and rejects forged, stale (> 5 min) or unsigned ones with 401.
- Socket Mode (`SLACK_APP_TOKEN` set): bolt's aiohttp Socket Mode client; no public endpoint needed.

Rate limits: every Web API and `response_url` call retries after a 429 as long as `Retry-After` says
(slack_sdk's retry handlers; Slack never processes a 429'd call, so a retry cannot duplicate), and a
per-channel pacer keeps to about one message per second per channel. A 500 or 503 (Slack having an
incident) is retried with exponential backoff too: without it a slash command's answer to its
`response_url` would be dropped, and a digest would wait a whole scheduler retry (which re-sends as well).

Start-up while Slack is down: bolt's default authorization runs `auth.test` on the first request it
sees and answers HTTP 500 if the Web API is unreachable then, so a slash command would go un-acked. The
adapter instead runs `auth.test` itself in `start()` (with backoff; if Slack stays down it serves anyway
and keeps trying in the background) and bolt authorizes every request from that cached result
(`CachedAuthorize`), never calling the Web API before the ack.

Who may change daily briefings: workspace admins and owners (`users.info`), plus the user ids listed in
`SLACK_MANAGERS` (comma- or space-separated) or passed as `managers=`.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Collection, Coroutine
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

import aiohttp
from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.authorization.async_authorize import AsyncAuthorize
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.briefing.models import Notice, Reply
from bot.briefing.runner import AsyncBriefing
from bot.commands import BriefRequest, CommandError, Requester, parse_brief
from bot.render.slack import SlackMessage, render
from bot.settings import Secrets, Settings

log = logging.getLogger(__name__)

PLATFORM = "slack"
EVENTS_PATH = "/slack/events"
COMMAND = "/brief"
DEFAULT_API_URL = "https://slack.com/api/"
MESSAGE_INTERVAL_S = 1.0     # Slack allows about one message per second per channel
RATE_LIMIT_RETRIES = 3       # 429 retries per call, each waiting Retry-After
SERVER_ERROR_RETRIES = 2     # 500/503 retries per call, after about 0.5-1.5 s, then 1-2 s
RESPONSE_URL_MAX_POSTS = 5   # Slack accepts at most five posts to one response_url
SEEN_EVENTS = 1024           # event ids remembered, so Slack's redeliveries are answered once
CLOSE_GRACE_S = 10.0         # how long close() lets in-flight answers finish
START_AUTH_ATTEMPTS = 3      # auth.test tries in start() before serving without it (then retried in the background)
AUTH_BACKOFF_S = 1.0         # wait after the first failed auth.test; doubles after each further failure
AUTH_BACKOFF_CAP_S = 300.0
WORKING = "Working on it…"
ASK_HINT = "Ask me about a public figure, e.g. “what did Keir Starmer say?” or “who is Elon Musk?”."
MANAGE_KINDS = frozenset({"subscribe", "unsubscribe"})
_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{2,}$")
_MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")


def retry_handlers() -> list[AsyncRetryHandler]:
    """Connection errors (slack_sdk's default), 429s honouring Retry-After, and 500/503 with backoff."""
    return [AsyncConnectionErrorRetryHandler(), AsyncRateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES),
            AsyncServerErrorRetryHandler(max_retry_count=SERVER_ERROR_RETRIES)]


def api_base_url(url: str | None) -> str:
    """`SLACK_API_URL` (tests, proxies) or Slack's, with the trailing slash slack_sdk needs."""
    base = (url or DEFAULT_API_URL).strip()
    return base if base.endswith("/") else base + "/"


def managers_from_env() -> frozenset[str]:
    """User ids in `SLACK_MANAGERS`, e.g. `U012AB3CD,U045EF6GH`."""
    return frozenset(re.split(r"[\s,]+", os.environ.get("SLACK_MANAGERS", "").strip())) - {""}


def strip_mentions(text: str, bot_user_id: str | None = None) -> str:
    """The question in an `app_mention`: the bot's mention removed (any leading mention if unknown)."""
    if bot_user_id:
        text = re.sub(rf"<@{re.escape(bot_user_id)}(?:\|[^>]*)?>", " ", text)
    else:
        text = re.sub(rf"^\s*(?:{_MENTION.pattern}\s*)+", " ", text)
    return " ".join(text.split())


class ChannelPacer:
    """Serialises posts per channel and spaces them `interval` seconds apart, keeping their order."""

    def __init__(self, interval: float = MESSAGE_INTERVAL_S, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = interval
        self._clock = clock
        self._locks: dict[str, asyncio.Lock] = {}
        self._next: dict[str, float] = {}

    @asynccontextmanager
    async def turn(self, channel: str) -> AsyncIterator[None]:
        lock = self._locks.setdefault(channel, asyncio.Lock())
        async with lock:
            wait = self._next.get(channel, 0.0) - self._clock()
            if wait > 0:
                await asyncio.sleep(wait)
            try:
                yield
            finally:
                self._next[channel] = self._clock() + self.interval


def transient(exc: Exception) -> bool:
    """Whether a failed Web API call is an outage worth retrying (unreachable, 429, 5xx), not a refusal
    such as `invalid_auth` that no retry can fix."""
    if isinstance(exc, SlackApiError):
        status = getattr(exc.response, "status_code", 200)
        return status == 429 or status >= 500
    return isinstance(exc, aiohttp.ClientError | asyncio.TimeoutError | OSError)


class CachedAuthorize(AsyncAuthorize):
    """Bolt's per-request authorization, answered from the adapter's own auth.test, never a Web API call.

    Until auth.test has answered (Slack was down at start-up), requests are authorized by the token alone:
    bolt then lacks the bot's ids, which only its "ignore the bot's own events" middleware needs, and the
    listeners skip bot messages themselves.
    """

    def __init__(self, client: AsyncWebClient) -> None:
        super().__init__()
        self._client = client
        self.auth: dict[str, Any] | None = None  # the auth.test answer, once there is one

    async def __call__(self, *, context: AsyncBoltContext, enterprise_id: str | None, team_id: str | None,
                       user_id: str | None, actor_enterprise_id: str | None = None,
                       actor_team_id: str | None = None, actor_user_id: str | None = None) -> AuthorizeResult:
        auth = self.auth or {}
        return AuthorizeResult(enterprise_id=auth.get("enterprise_id") or enterprise_id,
                               team_id=auth.get("team_id") or team_id, team=auth.get("team"), url=auth.get("url"),
                               bot_user_id=auth.get("user_id"), bot_id=auth.get("bot_id"),
                               bot_token=self._client.token, user_id=user_id)


class SlackAdapter:
    """`/brief`, DMs and mentions on Slack; `send()` posts scheduled digests. Implements PlatformAdapter."""

    platform = PLATFORM

    def __init__(self, briefing: AsyncBriefing, settings: Settings, secrets: Secrets, *,
                 host: str | None = None, port: int | None = None, managers: Collection[str] | None = None,
                 message_interval: float = MESSAGE_INTERVAL_S, auth_attempts: int = START_AUTH_ATTEMPTS,
                 auth_backoff: float = AUTH_BACKOFF_S) -> None:
        if secrets.slack_bot_token is None:
            raise ValueError("SLACK_BOT_TOKEN is not set")
        self.briefing = briefing
        self.socket_mode = secrets.slack_app_token is not None
        signing_secret = secrets.slack_signing_secret.get_secret_value() if secrets.slack_signing_secret else ""
        if not self.socket_mode and not signing_secret:
            raise ValueError("Slack HTTP mode needs SLACK_SIGNING_SECRET (or set SLACK_APP_TOKEN for Socket Mode)")
        self._app_token = secrets.slack_app_token
        self.host = settings.http_host if host is None else host
        self.port = settings.http_port if port is None else port
        self.managers = frozenset(managers) if managers is not None else managers_from_env()
        self._handlers = retry_handlers()
        base_url = api_base_url(secrets.slack_api_url)
        self.client = AsyncWebClient(token=secrets.slack_bot_token.get_secret_value(), base_url=base_url,
                                     retry_handlers=self._handlers)
        self.auth_attempts = max(auth_attempts, 1)
        self.auth_backoff = auth_backoff
        self._authorize = CachedAuthorize(self.client)
        # Bolt gets a token-less client: it copies its settings into each request's client and takes the
        # token from `authorize`. (Given the token too, bolt would warn that it ignores it.)
        self.app = AsyncApp(name="briefbot", client=AsyncWebClient(base_url=base_url, retry_handlers=self._handlers),
                            authorize=self._authorize, signing_secret=signing_secret)
        self.app.command(COMMAND)(self._on_brief)
        self.app.event("app_mention")(self._on_mention)
        self.app.event("message")(self._on_message)
        self.bot_user_id: str | None = None
        self._pacer = ChannelPacer(message_interval)
        self._tasks: set[asyncio.Task[None]] = set()
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._runner: web.AppRunner | None = None
        self._socket: AsyncSocketModeHandler | None = None
        self._sign_in_task: asyncio.Task[None] | None = None

    # -- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        """Check the token (auth.test), then serve HTTP or connect Socket Mode; returns when ready.

        A refused token fails start-up; an unreachable Web API does not: after `auth_attempts` tries the
        adapter serves anyway (requests are acked without it) and keeps retrying auth.test in the background.
        """
        if not await self.sign_in(self.auth_attempts):
            log.warning("Slack: the Web API did not answer auth.test after %d tries; serving anyway and "
                        "retrying in the background", self.auth_attempts)
            self._sign_in_task = asyncio.get_running_loop().create_task(self._keep_signing_in())
        if self.socket_mode and self._app_token is not None:
            self._socket = AsyncSocketModeHandler(self.app, self._app_token.get_secret_value())
            await self._socket.connect_async()
            log.info("Slack: Socket Mode connected")
            return
        self._runner = web.AppRunner(self.app.web_app(path=EVENTS_PATH, port=self.port), access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, self.port).start()
        self.port = self._runner.addresses[0][1]  # the real port when 0 asked for a free one
        log.info("Slack: serving %s on %s:%d", EVENTS_PATH, self.host, self.port)

    async def sign_in(self, attempts: int | None) -> bool:
        """auth.test with exponential backoff until it answers (True) or `attempts` tries failed for an
        outage (False; None: no limit). A refusal such as `invalid_auth` raises SlackApiError at once."""
        delay = self.auth_backoff
        tries = 0
        while True:
            tries += 1
            try:
                auth = await self.client.auth_test()
            except Exception as exc:
                if not transient(exc):
                    raise
                problem = (f"HTTP {exc.response.status_code}" if isinstance(exc, SlackApiError)
                           else f"{type(exc).__name__}: {exc}")
            else:
                self._authorize.auth = dict(auth.data) if isinstance(auth.data, dict) else {}
                self.bot_user_id = auth.get("user_id")
                log.info("Slack: signed in to %s as %s", auth.get("team"), auth.get("user"))
                return True
            if attempts is not None and tries >= attempts:
                log.info("Slack: auth.test failed (%s)", problem)
                return False
            log.info("Slack: auth.test failed (%s); retrying in %.1f s", problem, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, AUTH_BACKOFF_CAP_S)

    async def _keep_signing_in(self) -> None:
        """Background sign-in after Slack was down at start-up: learns the bot's ids once the Web API is back."""
        try:
            await self.sign_in(None)
        except SlackApiError as exc:
            log.error("Slack refused the bot token: %s", exc.response.get("error"))
        except Exception:
            log.exception("Slack: auth.test failed")

    async def close(self) -> None:
        """Stop accepting requests, let in-flight answers finish (bounded), then disconnect."""
        if self._sign_in_task is not None:
            self._sign_in_task.cancel()
            self._sign_in_task = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._tasks:
            _, pending = await asyncio.wait(set(self._tasks), timeout=CLOSE_GRACE_S)
            for task in pending:
                task.cancel()
        if self._socket is not None:
            await self._socket.close_async()
            self._socket = None

    # -- PlatformAdapter ----------------------------------------------------------------------

    async def send(self, channel_id: str, reply: Reply) -> str | None:
        """Post a reply (a scheduled digest) to a channel; returns the first message's ts.

        Raises SlackApiError when Slack refuses after retries, so the scheduler records and retries.
        """
        return await self._post(channel_id, reply)

    # -- listeners ----------------------------------------------------------------------------

    async def _on_brief(self, ack: AsyncAck, command: dict[str, Any]) -> None:
        await ack(text=WORKING)  # first, always: Slack gives up on a slash command after 3 s
        self._spawn(self._run_brief(command))

    async def _on_message(self, event: dict[str, Any], body: dict[str, Any]) -> None:
        if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id"):
            return
        if self._first_time(body.get("event_id")):
            thread = event.get("thread_ts")
            self._spawn(self._answer(event, " ".join(str(event.get("text") or "").split()), thread))

    async def _on_mention(self, event: dict[str, Any], body: dict[str, Any], context: AsyncBoltContext) -> None:
        if event.get("bot_id") or not self._first_time(body.get("event_id")):
            return
        text = strip_mentions(str(event.get("text") or ""), context.bot_user_id or self.bot_user_id)
        self._spawn(self._answer(event, text, event.get("thread_ts") or event.get("ts")))

    # -- work ---------------------------------------------------------------------------------

    async def _run_brief(self, command: dict[str, Any]) -> None:
        channel = str(command.get("channel_id") or "")
        requester = Requester(PLATFORM, str(command.get("user_id") or ""), channel,
                              workspace_id=command.get("team_id"))
        reply = await self._brief(str(command.get("text") or ""), requester)
        await self._respond(command.get("response_url"), channel, reply)

    async def _brief(self, text: str, requester: Requester) -> Reply:
        try:
            request = parse_brief(text)
        except CommandError as exc:
            return Notice(str(exc), ok=False)
        if request.kind in MANAGE_KINDS:
            problem = _slack_channel_problem(request)
            if problem:
                return Notice(problem, ok=False)
            requester = replace(requester, can_manage=await self.can_manage(requester.user_id))
        return await self.briefing.handle(request, requester)

    async def can_manage(self, user_id: str) -> bool:
        """Workspace admins and owners, and the configured managers, may change daily briefings."""
        if user_id in self.managers:
            return True
        try:
            info = await self.client.users_info(user=user_id)
        except SlackApiError as exc:
            log.warning("users.info failed for %s: %s", user_id, exc.response.get("error"))
            return False
        user = info.get("user") or {}
        return bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"))

    async def _answer(self, event: dict[str, Any], question: str, thread_ts: str | None) -> None:
        channel = str(event.get("channel") or "")
        requester = Requester(PLATFORM, str(event.get("user") or ""), channel, workspace_id=event.get("team"))
        reply = await self.briefing.answer(question, requester) if question else Notice(ASK_HINT)
        await self._post(channel, reply, thread_ts=thread_ts)

    async def _respond(self, response_url: str | None, channel: str, reply: Reply) -> None:
        """Answer a slash command: errors privately, results to the channel, via its response_url."""
        ephemeral = isinstance(reply, Notice) and not reply.ok
        messages = render(reply)
        if not response_url:
            log.warning("slash command without response_url; posting to %s instead", channel)
            await self._post_messages(channel, messages)
            return
        webhook = AsyncWebhookClient(url=response_url, retry_handlers=self._handlers)
        for n, message in enumerate(messages):
            if n >= RESPONSE_URL_MAX_POSTS and not ephemeral:
                await self._post_messages(channel, messages[n:])  # response_url is spent; post the rest
                return
            async with self._pacer.turn(channel):
                sent = await webhook.send(text=message.text, blocks=message.blocks,
                                          response_type="ephemeral" if ephemeral else "in_channel",
                                          unfurl_links=False, unfurl_media=False)
            if sent.status_code != 200:
                log.warning("response_url answered %d: %s", sent.status_code, sent.body[:200])
                return

    async def _post(self, channel: str, reply: Reply, *, thread_ts: str | None = None) -> str | None:
        return await self._post_messages(channel, render(reply), thread_ts=thread_ts)

    async def _post_messages(self, channel: str, messages: list[SlackMessage], *,
                             thread_ts: str | None = None) -> str | None:
        first: str | None = None
        for message in messages:
            async with self._pacer.turn(channel):
                result = await self.client.chat_postMessage(
                    channel=channel, text=message.text, blocks=message.blocks, thread_ts=thread_ts,
                    unfurl_links=False, unfurl_media=False)
            first = first or result.get("ts")
        return first

    # -- helpers ------------------------------------------------------------------------------

    def _first_time(self, event_id: str | None) -> bool:
        """False for an event id already handled (Slack redelivers when it thinks an ack was lost)."""
        if not event_id:
            return True
        if event_id in self._seen:
            log.info("ignoring redelivered Slack event %s", event_id)
            return False
        self._seen[event_id] = None
        while len(self._seen) > SEEN_EVENTS:
            self._seen.popitem(last=False)
        return True

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(self._guarded(work))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @staticmethod
    async def _guarded(work: Coroutine[Any, Any, None]) -> None:
        """A failed post is logged with its Slack error, never an unhandled task exception."""
        try:
            await work
        except SlackApiError as exc:
            log.error("Slack refused a reply: %s", exc.response.get("error"))
        except Exception:
            log.exception("Slack reply failed")


def _slack_channel_problem(request: BriefRequest) -> str | None:
    """Slack needs a channel id; a bare name means the command was sent without escaped channels."""
    if request.channel is None or _CHANNEL_ID.match(request.channel):
        return None
    return (f"I need the channel picked from Slack's #-autocomplete, not typed as `{request.channel}` "
            "(the /brief command must have “Escape channels, users, and links” switched on).")

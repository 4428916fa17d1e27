"""Slack transport: the Web API client, retries, pacing, sign-in, the HTTP endpoint and Socket Mode.

Nothing here knows what `/brief` means; the listener (`app.py`) does. This module gets messages to
and from Slack and survives Slack's bad days.

Two ways in, chosen by the environment:
- HTTP mode (`SLACK_SIGNING_SECRET`): `POST /slack/events` on `BRIEFBOT_HTTP_HOST`:`BRIEFBOT_HTTP_PORT`,
  served by aiohttp in the bot's own event loop (so it runs beside Discord and the scheduler). Every
  request's signature is checked on the raw bytes (`signing.py`) before bolt parses anything: forged,
  stale (> 5 min) or unsigned requests get 401, malformed ones 400, a replayed one an empty 200, and
  none of them reaches bolt. Only then is the body handed to bolt (`async_dispatch`).
- Socket Mode (`SLACK_APP_TOKEN` set): bolt's aiohttp Socket Mode client; no public endpoint needed.

Rate limits: every Web API and `response_url` call retries after a 429 as long as `Retry-After` says
(slack_sdk's retry handlers; Slack never processes a 429'd call, so a retry cannot duplicate), and a
per-channel pacer keeps to about one message per second per channel. A 500 or 503 (Slack having an
incident) is retried with exponential backoff too: without it a slash command's answer to its
`response_url` would be dropped, and a digest would wait a whole scheduler retry (which re-sends as well).

Start-up while Slack is down: bolt's default authorization runs `auth.test` on the first request it
sees and answers HTTP 500 if the Web API is unreachable then, so a slash command would go un-acked. The
transport instead runs `auth.test` itself in `start()` (with backoff; if Slack stays down it serves anyway
and keeps trying in the background) and bolt authorizes every request from that cached result
(`CachedAuthorize`), never calling the Web API before the ack.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.authorization.async_authorize import AsyncAuthorize
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.delivery import DirectMessagesClosed
from bot.platforms.slack.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, Refusal, RefusalLog, Signatures
from bot.render.slack import SlackMessage
from bot.settings import Secrets

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
DEFAULT_API_URL = "https://slack.com/api/"
MESSAGE_INTERVAL_S = 1.0     # Slack allows about one message per second per channel
RATE_LIMIT_RETRIES = 3       # 429 retries per call, each waiting Retry-After
SERVER_ERROR_RETRIES = 2     # 500/503 retries per call, after about 0.5-1.5 s, then 1-2 s
RESPONSE_URL_MAX_POSTS = 5   # Slack accepts at most five posts to one response_url
SEEN_IDS = 1024              # event ids remembered, so Slack's redeliveries are answered once
START_AUTH_ATTEMPTS = 3      # auth.test tries in start() before serving without it (then retried in the background)
AUTH_BACKOFF_S = 1.0         # wait after the first failed auth.test; doubles after each further failure
AUTH_BACKOFF_CAP_S = 300.0
# Web API errors that mean "this user cannot get a DM from the bot": retrying cannot help.
CLOSED_DM_ERRORS = frozenset({"cannot_dm_bot", "user_not_found", "user_disabled"})


def retry_handlers() -> list[AsyncRetryHandler]:
    """Connection errors (slack_sdk's default), 429s honouring Retry-After, and 500/503 with backoff."""
    return [AsyncConnectionErrorRetryHandler(), AsyncRateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES),
            AsyncServerErrorRetryHandler(max_retry_count=SERVER_ERROR_RETRIES)]


def api_base_url(url: str | None) -> str:
    """`SLACK_API_URL` (tests, proxies) or Slack's, with the trailing slash slack_sdk needs."""
    base = (url or DEFAULT_API_URL).strip()
    return base if base.endswith("/") else base + "/"


def transient(exc: Exception) -> bool:
    """Whether a failed Web API call is an outage worth retrying (unreachable, 429, 5xx), not a refusal
    such as `invalid_auth` that no retry can fix."""
    if isinstance(exc, SlackApiError):
        status = getattr(exc.response, "status_code", 200)
        return status == 429 or status >= 500
    return isinstance(exc, aiohttp.ClientError | asyncio.TimeoutError | OSError)


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


class RecentIds:
    """The last `size` ids seen, so a delivery Slack repeats is acted on once."""

    def __init__(self, size: int = SEEN_IDS) -> None:
        self.size = size
        self._seen: OrderedDict[str, None] = OrderedDict()

    def first_time(self, key: str | None) -> bool:
        """True the first time `key` is seen (and for no key at all), False for a repeat."""
        if not key:
            return True
        if key in self._seen:
            return False
        self._seen[key] = None
        while len(self._seen) > self.size:
            self._seen.popitem(last=False)
        return True


class CachedAuthorize(AsyncAuthorize):
    """Bolt's per-request authorization, answered from the transport's own auth.test, never a Web API call.

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


class SlackTransport:
    """The bolt app and the Web API client, served over HTTP or Socket Mode; posts with retries and pacing."""

    def __init__(self, secrets: Secrets, *, host: str, port: int, message_interval: float = MESSAGE_INTERVAL_S,
                 auth_attempts: int = START_AUTH_ATTEMPTS, auth_backoff: float = AUTH_BACKOFF_S) -> None:
        if secrets.slack_bot_token is None:
            raise ValueError("SLACK_BOT_TOKEN is not set")
        self.socket_mode = secrets.slack_app_token is not None
        signing_secret = secrets.slack_signing_secret.get_secret_value() if secrets.slack_signing_secret else ""
        if not self.socket_mode and not signing_secret:
            raise ValueError("Slack HTTP mode needs SLACK_SIGNING_SECRET (or set SLACK_APP_TOKEN for Socket Mode)")
        self._app_token = secrets.slack_app_token
        self.host = host
        self.port = port
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
        self.signatures = Signatures(signing_secret)
        self._refusals = RefusalLog()
        self.bot_user_id: str | None = None
        self._pacer = ChannelPacer(message_interval)
        self._runner: web.AppRunner | None = None
        self._socket: AsyncSocketModeHandler | None = None
        self._sign_in_task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Check the token (auth.test), then serve HTTP or connect Socket Mode; returns when ready.

        A refused token fails start-up; an unreachable Web API does not: after `auth_attempts` tries the
        transport serves anyway (requests are acked without it) and keeps retrying auth.test in the background.
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
        web_app = web.Application()
        web_app.router.add_post(EVENTS_PATH, self._events)
        self._runner = web.AppRunner(web_app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, self.port).start()
        self.port = self._runner.addresses[0][1]  # the real port when 0 asked for a free one
        log.info("Slack: serving %s on %s:%d", EVENTS_PATH, self.host, self.port)

    async def _events(self, request: web.Request) -> web.StreamResponse:
        """One HTTP request from Slack: verified on its raw bytes, then parsed and dispatched by bolt."""
        verified = await self._verify(request)
        if isinstance(verified, Refusal):
            self._refusals.refused(verified, request.remote)
            return web.Response(status=verified.status, text="" if verified.status == 200 else verified.reason)
        return await to_aiohttp_response(await self.app.async_dispatch(verified))

    async def _verify(self, request: web.Request) -> AsyncBoltRequest | Refusal:
        """The bolt request for a signed, readable body, or why there is none."""
        timestamp, signature = request.headers.get(TIMESTAMP_HEADER), request.headers.get(SIGNATURE_HEADER)
        refusal = self.signatures.check_headers(timestamp, signature)
        if refusal is not None or timestamp is None or signature is None:
            return refusal or Refusal(401, "unsigned")
        try:
            body = await request.read()  # bounded by aiohttp's client_max_size (1 MiB)
        except web.HTTPRequestEntityTooLarge:
            return Refusal(413, "body too large")
        refusal = self.signatures.check(timestamp, signature, body)
        if refusal is not None:
            return refusal
        try:  # bolt parses JSON, forms and the `payload` field in its constructor; Slack never sends such junk
            return AsyncBoltRequest(body=body.decode("utf-8"), query=request.query_string,
                                    headers=request.headers)  # type: ignore[arg-type]  # as bolt's adapter does
        except Exception as exc:
            return Refusal(400, f"unreadable body ({type(exc).__name__})")

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

    async def stop_serving(self) -> None:
        """Stop accepting requests (HTTP) and stop signing in; Socket Mode stays up for `close`."""
        self._refusals.flush()
        if self._sign_in_task is not None:
            self._sign_in_task.cancel()
            self._sign_in_task = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def close(self) -> None:
        await self.stop_serving()
        if self._socket is not None:
            await self._socket.close_async()
            self._socket = None

    async def is_admin(self, user_id: str) -> bool:
        """Whether `users.info` says the user is a workspace admin or owner (False if Slack will not say)."""
        try:
            info = await self.client.users_info(user=user_id)
        except SlackApiError as exc:
            log.warning("users.info failed for %s: %s", user_id, exc.response.get("error"))
            return False
        user = info.get("user") or {}
        return bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"))

    async def post(self, channel: str, messages: list[SlackMessage], *, thread_ts: str | None = None) -> str | None:
        """`chat.postMessage` each message in order, paced per channel; returns the first message's ts.
        Raises SlackApiError when Slack refuses after retries."""
        first: str | None = None
        for message in messages:
            async with self._pacer.turn(channel):
                result = await self.client.chat_postMessage(
                    channel=channel, text=message.text, blocks=message.blocks, thread_ts=thread_ts,
                    unfurl_links=False, unfurl_media=False)
            first = first or result.get("ts")
        return first

    async def post_direct(self, user_id: str, messages: list[SlackMessage]) -> str | None:
        """DM a user (follow alerts): `conversations.open` gives the DM channel, then post as usual.

        `cannot_dm_bot`, `user_not_found` and `user_disabled` raise `DirectMessagesClosed` (the user's
        follows are paused, not retried); other refusals raise SlackApiError, to be retried."""
        try:
            opened = await self.client.conversations_open(users=user_id)
            channel = str((opened.get("channel") or {}).get("id") or "")
            if not channel:
                raise DirectMessagesClosed("conversations.open returned no channel")
            return await self.post(channel, messages)
        except SlackApiError as exc:
            error = str(exc.response.get("error") or "")
            if error in CLOSED_DM_ERRORS:
                raise DirectMessagesClosed(f"Slack answered {error}") from exc
            raise

    async def respond(self, response_url: str | None, channel: str, messages: list[SlackMessage], *,
                      ephemeral: bool) -> None:
        """Answer a slash command through its `response_url` (falling back to the channel when there is
        none, or when Slack's five posts per response_url are spent on a public answer)."""
        if not response_url:
            log.warning("slash command without response_url; posting to %s instead", channel)
            await self.post(channel, messages)
            return
        webhook = AsyncWebhookClient(url=response_url, retry_handlers=self._handlers)
        for n, message in enumerate(messages):
            if n >= RESPONSE_URL_MAX_POSTS and not ephemeral:
                await self.post(channel, messages[n:])  # response_url is spent; post the rest
                return
            async with self._pacer.turn(channel):
                sent = await webhook.send(text=message.text, blocks=message.blocks,
                                          response_type="ephemeral" if ephemeral else "in_channel",
                                          unfurl_links=False, unfurl_media=False)
            if sent.status_code != 200:
                log.warning("response_url answered %d: %s", sent.status_code, sent.body[:200])
                return

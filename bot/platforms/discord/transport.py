"""Discord transport: endpoints, the gateway connection, command sync and sends that survive Discord's bad days.

Nothing here knows what `/brief` means; the listeners (`app.py`) do.

Nothing the bot sends can ping: `AllowedMentions.none()` is set on the client and again on each send.
Rate limits (429 + retry_after) and 5xx are retried by discord.py's own HTTP client, except a 503 on a
channel message (a DM answer, a digest), which is retried here with backoff (`retry_unavailable`).

Endpoints: `DISCORD_API_URL` replaces discord.py's REST base (`discord.http.Route.BASE`, which every
REST call, webhook and interaction callback is built from) and `DISCORD_GATEWAY_URL` replaces
`DiscordWebSocket.DEFAULT_GATEWAY`, which discord.py 2.x connects to without asking `/gateway`.
Both are class attributes of the library, so they are set just before logging in (no object has
built a URL yet) and restored on close. This is how tests point the real client at a local fake,
and how a deployment puts a REST or gateway proxy in front of Discord.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from secrets import randbits
from typing import Any, TypeVar

import discord
import yarl
from discord import app_commands
from discord.gateway import DiscordWebSocket

from bot.delivery import DirectMessagesClosed
from bot.render.discord import DiscordMessage
from bot.settings import Secrets
from bot.text import masked_url

log = logging.getLogger(__name__)

NO_MENTIONS = discord.AllowedMentions.none()
READY_TIMEOUT_S = 60.0
UNAVAILABLE_RETRIES = 3  # extra tries after a 503, waiting 1, 3, 5 s (discord.py's own 5xx backoff)
T = TypeVar("T")


class Endpoints:
    """Point discord.py at `DISCORD_API_URL` / `DISCORD_GATEWAY_URL` while the bot runs, then put them back."""

    def __init__(self, secrets: Secrets) -> None:
        self.api_url = secrets.discord_api_url
        self.gateway_url = secrets.discord_gateway_url
        self._saved: tuple[str, yarl.URL] | None = None

    def apply(self) -> None:
        saved = (discord.http.Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)
        if self.api_url:
            discord.http.Route.BASE = self.api_url.rstrip("/")
        if self.gateway_url:
            DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(self.gateway_url)
        if self.api_url or self.gateway_url:
            self._saved = saved
            log.info("Discord endpoints overridden: REST %s, gateway %s", masked_url(discord.http.Route.BASE),
                     masked_url(str(DiscordWebSocket.DEFAULT_GATEWAY)))

    def restore(self) -> None:
        if self._saved is not None:
            discord.http.Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = self._saved
            self._saved = None


async def sync_commands(tree: app_commands.CommandTree[Any], guild_ids: Sequence[int]) -> None:
    """Register the command tree globally, or per guild (instant, for development); a failure is logged,
    not fatal: the commands Discord already has keep working."""
    try:
        if not guild_ids:
            synced = await tree.sync()
            log.info("synced %d global application commands", len(synced))
            return
        for guild_id in guild_ids:
            guild = discord.Object(id=guild_id)
            tree.copy_global_to(guild=guild)
            synced = await tree.sync(guild=guild)
            log.info("synced %d application commands to guild %s", len(synced), guild_id)
    except discord.HTTPException:
        log.exception("could not sync Discord application commands")


class DiscordTransport:
    """A discord.py client's connection: log in, run the gateway in the background, post to channels, close."""

    def __init__(self, client: discord.Client, secrets: Secrets, *, ready_timeout_s: float = READY_TIMEOUT_S) -> None:
        if secrets.discord_token is None:
            raise ValueError("DISCORD_TOKEN is not set; the Discord adapter cannot start without it")
        self.client = client
        self.ready_timeout_s = ready_timeout_s
        self._token = secrets.discord_token
        self._endpoints = Endpoints(secrets)
        self._runner: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Log in (discord.py runs the client's `setup_hook` there), connect the gateway in the background
        and return once Discord says ready."""
        try:
            self._endpoints.apply()
            await self.client.login(self._token.get_secret_value())
            if isinstance(self.client, discord.AutoShardedClient) and self._endpoints.gateway_url:
                # With no shard count, AutoShardedClient connects to the URL /gateway/bot returns; asking
                # for the count ourselves makes it use DEFAULT_GATEWAY, i.e. the configured gateway.
                self.client.shard_count = (await self.client.http.get_bot_gateway())[0]
            self._runner = asyncio.create_task(self.client.connect(reconnect=True), name="discord-gateway")
            self._runner.add_done_callback(_log_gateway_exit)
            await self._wait_until_ready(self._runner)
        except BaseException:
            await self.close()
            raise
        log.info("Discord adapter ready as %s", self.client.user)

    async def _wait_until_ready(self, runner: asyncio.Task[None]) -> None:
        ready = asyncio.create_task(self.client.wait_until_ready(), name="discord-ready")
        done, _ = await asyncio.wait({ready, runner}, timeout=self.ready_timeout_s,
                                     return_when=asyncio.FIRST_COMPLETED)
        if ready in done:
            return
        ready.cancel()
        if runner in done:
            raise RuntimeError(f"Discord gateway closed before ready: {runner.exception()!r}")
        raise TimeoutError(f"Discord did not become ready within {self.ready_timeout_s:.0f} s")

    async def close(self) -> None:
        await self.client.close()
        if self._runner is not None:
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await self._runner
            self._runner = None
        self._endpoints.restore()

    async def send(self, channel_id: str, messages: list[DiscordMessage]) -> str | None:
        """Post messages to a channel (the scheduler's digests); returns the first message's id.
        Raises after discord.py's own retries so the scheduler can record and retry the delivery."""
        try:
            channel = self.client.get_partial_messageable(int(channel_id))
        except ValueError:
            raise ValueError(f"{channel_id!r} is not a Discord channel id") from None
        try:
            sent = await send_all(channel, messages)
        except discord.HTTPException:
            log.exception("could not post to Discord channel %s", channel_id)
            raise
        return str(sent[0].id) if sent else None

    async def send_direct(self, user_id: str, messages: list[DiscordMessage]) -> str | None:
        """DM a user (follow alerts): open the DM channel (`POST /users/@me/channels`), then post as to any
        channel; returns the first message's id.

        Discord answers 403 when the user does not take DMs from the bot (privacy settings, no shared
        server, blocked) and 404 for an unknown user: both raise `DirectMessagesClosed`, which pauses the
        user's follows instead of retrying. Anything else raises as is, to be retried."""
        try:
            recipient = discord.Object(id=int(user_id))
        except ValueError:
            raise DirectMessagesClosed(f"{user_id!r} is not a Discord user id") from None
        try:
            channel = await self.client.create_dm(recipient)
            sent = await send_all(channel, messages)
        except (discord.Forbidden, discord.NotFound) as exc:
            raise DirectMessagesClosed(f"Discord answered {exc.status}: {exc.text or 'refused'}") from exc
        return str(sent[0].id) if sent else None


def _log_gateway_exit(task: asyncio.Task[None]) -> None:
    """discord.py reconnects by itself; the gateway task only ends on close or a fatal error
    (revoked token, disallowed intents), which must reach the log rather than vanish."""
    if not task.cancelled() and task.exception() is not None:
        log.error("Discord gateway stopped", exc_info=task.exception())


def send_kwargs(message: DiscordMessage) -> dict[str, Any]:
    """Keyword arguments for `send`: content only when there is some, never any mention."""
    kwargs: dict[str, Any] = {"embeds": message.embeds, "allowed_mentions": NO_MENTIONS}
    if message.content:
        kwargs["content"] = message.content
    return kwargs


async def send_all(channel: discord.abc.Messageable, messages: list[DiscordMessage]) -> list[discord.Message]:
    """Post messages to a channel in order. One nonce per message, kept across retries: Discord
    (enforce_nonce) then posts it at most once."""
    return [await retry_unavailable(partial(channel.send, **send_kwargs(message), nonce=randbits(63)))
            for message in messages]


async def retry_unavailable(send: Callable[[], Awaitable[T]]) -> T:
    """Run `send`, retrying with backoff while Discord answers 503 Service Unavailable.

    For channel messages discord.py retries 500, 502, 504 and 524 but raises on 503 at once (its webhook
    client, used for interaction follow-ups, retries every 5xx), which would drop the answer to a DM and
    delay a digest by a whole scheduler retry. A 503 means the request was not handled, and each message
    keeps its nonce across tries, so Discord would answer a repeat with the message it already posted.
    """
    for attempt in range(UNAVAILABLE_RETRIES + 1):
        try:
            return await send()
        except discord.DiscordServerError as exc:
            if exc.status != 503 or attempt == UNAVAILABLE_RETRIES:
                raise
            delay = 1 + 2 * attempt
            log.warning("Discord answered 503; retrying in %d s (try %d of %d)", delay, attempt + 2,
                        UNAVAILABLE_RETRIES + 1)
            await asyncio.sleep(delay)
    raise AssertionError("unreachable: the last try returns or raises")

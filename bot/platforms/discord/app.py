"""The Discord adapter: slash commands and DMs in, briefings out, on discord.py 2.x.

Thin by design: event -> `AsyncBriefing` call -> `bot.render.discord.render` -> send. Every
interaction is deferred before any work (Discord drops an interaction not acknowledged within 3 s,
and the model can take far longer), then answered with follow-ups. Nothing the bot sends can ping:
`AllowedMentions.none()` is set on the client and again on each send, and the renderer also makes
mentions in article text inert. A failed send is logged and dropped so one bad message never takes
the bot down; `send` (used by the scheduler) re-raises instead so the delivery can be retried.
Rate limits (429 + retry_after) and 5xx are retried by discord.py's own HTTP client, except a 503 on
a channel message (a DM answer, a digest), which is retried here with backoff (`retry_unavailable`).

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
from typing import TYPE_CHECKING, Any, TypeVar
from zoneinfo import available_timezones

import discord
import yarl
from discord import app_commands
from discord.gateway import DiscordWebSocket

from bot.briefing.models import Notice, Reply
from bot.commands import (
    MAX_ARG_CHARS,
    BriefRequest,
    CommandError,
    Requester,
    parse_brief,
    subscribe_request,
)
from bot.render.discord import DiscordMessage, render
from bot.settings import Secrets, Settings
from bot.text import masked_url

if TYPE_CHECKING:  # the adapter only needs the interface; importing it would load the whole core
    from bot.briefing.runner import AsyncBriefing

log = logging.getLogger(__name__)

PLATFORM = "discord"
NO_MENTIONS = discord.AllowedMentions.none()
READY_TIMEOUT_S = 60.0
ONE_OPTION = "Use one option at a time: `/brief topic:…`, `/brief url:…` or `/brief figure:…`."
BAD_URL = "`url` must be an http(s) link to an article, e.g. https://example.com/story."
COMMAND_FAILED = "Sorry, that command failed. It has been logged."
UNAVAILABLE_RETRIES = 3  # extra tries after a 503, waiting 1, 3, 5 s (discord.py's own 5xx backoff)
_TIMEZONES = sorted(available_timezones())
T = TypeVar("T")


def requester_for(interaction: discord.Interaction[Any]) -> Requester:
    """Who asked and where. `can_manage` comes from the member's resolved permissions that Discord
    sends with the interaction, so subscriptions are checked server-side whatever the client shows."""
    perms = interaction.permissions
    in_guild = interaction.guild_id is not None
    return Requester(
        platform=PLATFORM,
        user_id=str(interaction.user.id),
        channel_id=str(interaction.channel_id or ""),
        workspace_id=str(interaction.guild_id) if in_guild else None,
        can_manage=in_guild and (perms.manage_guild or perms.administrator),
    )


def brief_request(topic: str | None, url: str | None, figure: str | None) -> BriefRequest:
    """Turn `/brief`'s options into the shared request; raises `CommandError` with a usage hint."""
    given = {name: value.strip() for name, value in (("topic", topic), ("url", url), ("figure", figure))
             if value and value.strip()}
    if len(given) > 1:
        raise CommandError(ONE_OPTION)
    for value in given.values():
        if len(value) > MAX_ARG_CHARS:
            raise CommandError(f"That is too long ({len(value)} characters); keep it under {MAX_ARG_CHARS}.")
    if "url" in given:
        try:
            request = parse_brief(given["url"])
        except CommandError:
            raise CommandError(BAD_URL) from None
        if request.kind != "url":
            raise CommandError(BAD_URL)
        return request
    if "topic" in given:
        return BriefRequest("topic", arg=given["topic"])
    if "figure" in given:
        return BriefRequest("figure", arg=given["figure"])
    return BriefRequest("digest")


class BriefingCommands(app_commands.Group):
    """`/briefing subscribe|unsubscribe|list`: hidden from non-managers by Discord
    (default_member_permissions = Manage Server) and refused again by the core for them."""

    def __init__(self, adapter: DiscordAdapter) -> None:
        super().__init__(name="briefing", description="Daily briefings posted in this server's channels",
                         guild_only=True, default_permissions=discord.Permissions(manage_guild=True))
        self.adapter = adapter

    @app_commands.command(description="Post a daily briefing in a channel")
    @app_commands.describe(channel="Where to post", time="24-hour time, e.g. 08:00",
                           timezone="IANA time zone, e.g. Europe/London (default UTC)")
    async def subscribe(self, interaction: discord.Interaction[Any], channel: discord.TextChannel, time: str,
                        timezone: str = "UTC") -> None:
        try:
            request: BriefRequest | Notice = subscribe_request(f"<#{channel.id}>", time, timezone)
        except CommandError as exc:
            request = Notice(str(exc), ok=False)
        await self.adapter.respond(interaction, request, ephemeral=True)

    @subscribe.autocomplete("timezone")
    async def _timezones(self, interaction: discord.Interaction[Any],
                         current: str) -> list[app_commands.Choice[str]]:
        needle = current.lower()
        names = [tz for tz in _TIMEZONES if needle in tz.lower()][:25]
        return [app_commands.Choice(name=tz, value=tz) for tz in names]

    @app_commands.command(description="Stop the daily briefing in a channel")
    @app_commands.describe(channel="The channel to stop posting in")
    async def unsubscribe(self, interaction: discord.Interaction[Any], channel: discord.TextChannel) -> None:
        await self.adapter.respond(interaction, BriefRequest("unsubscribe", channel=str(channel.id)),
                                   ephemeral=True)

    @app_commands.command(name="list", description="List this server's daily briefings")
    async def list_(self, interaction: discord.Interaction[Any]) -> None:
        await self.adapter.respond(interaction, BriefRequest("list"), ephemeral=True)


class DiscordAdapter:
    """Connects the briefing core to Discord (implements `bot.delivery.PlatformAdapter`)."""

    platform = PLATFORM

    def __init__(self, briefing: AsyncBriefing, settings: Settings, secrets: Secrets, *,
                 sync_guild_ids: Sequence[int] = (), guild_ready_timeout: float = 2.0,
                 ready_timeout_s: float = READY_TIMEOUT_S) -> None:
        """`sync_guild_ids`: register commands per guild (instant, for development) instead of
        globally. `guild_ready_timeout`: how long discord.py waits for more GUILD_CREATEs before
        `ready` (tests shorten it)."""
        if secrets.discord_token is None:
            raise ValueError("DISCORD_TOKEN is not set; the Discord adapter cannot start without it")
        self.briefing = briefing
        self.settings = settings
        self.secrets = secrets
        self.sync_guild_ids = tuple(sync_guild_ids)
        self.ready_timeout_s = ready_timeout_s
        intents = discord.Intents.default()  # DMs arrive with content without the privileged intent
        client_cls = discord.AutoShardedClient if settings.discord_shards else discord.Client
        self.client: discord.Client = client_cls(intents=intents, allowed_mentions=NO_MENTIONS,
                                                 guild_ready_timeout=guild_ready_timeout)
        self.tree: app_commands.CommandTree[discord.Client] = app_commands.CommandTree(self.client)
        self._ready = asyncio.Event()
        self._synced = False
        self._runner: asyncio.Task[None] | None = None
        self._saved_endpoints: tuple[str, yarl.URL] | None = None
        self._register_commands()
        self.client.event(self.on_ready)
        self.client.event(self.on_message)
        self.tree.error(self.on_app_command_error)

    # -- lifecycle -----------------------------------------------------------------------------

    async def start(self) -> None:
        """Log in, connect the gateway in the background and return once Discord says ready."""
        assert self.secrets.discord_token is not None  # checked in __init__
        self._configure_endpoints()
        try:
            await self.client.login(self.secrets.discord_token.get_secret_value())
            if isinstance(self.client, discord.AutoShardedClient) and self.secrets.discord_gateway_url:
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
        ready = asyncio.create_task(self._ready.wait(), name="discord-ready")
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
        self._restore_endpoints()

    def _configure_endpoints(self) -> None:
        saved = (discord.http.Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)
        if self.secrets.discord_api_url:
            discord.http.Route.BASE = self.secrets.discord_api_url.rstrip("/")
        if self.secrets.discord_gateway_url:
            DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(self.secrets.discord_gateway_url)
        if self.secrets.discord_api_url or self.secrets.discord_gateway_url:
            self._saved_endpoints = saved
            log.info("Discord endpoints overridden: REST %s, gateway %s", masked_url(discord.http.Route.BASE),
                     masked_url(str(DiscordWebSocket.DEFAULT_GATEWAY)))

    def _restore_endpoints(self) -> None:
        if self._saved_endpoints is not None:
            discord.http.Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = self._saved_endpoints
            self._saved_endpoints = None

    # -- gateway events ------------------------------------------------------------------------

    async def on_ready(self) -> None:
        """Sync the command tree once per process (ready fires again after every reconnect)."""
        if not self._synced:
            self._synced = True
            try:
                await self._sync_commands()
            except discord.HTTPException:
                log.exception("could not sync Discord application commands")
        self._ready.set()

    async def _sync_commands(self) -> None:
        if not self.sync_guild_ids:
            synced = await self.tree.sync()
            log.info("synced %d global application commands", len(synced))
            return
        for guild_id in self.sync_guild_ids:
            guild = discord.Object(id=guild_id)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
            log.info("synced %d application commands to guild %s", len(synced), guild_id)

    async def on_message(self, message: discord.Message) -> None:
        """A DM is a question about a figure or topic; guild messages are not ours to read."""
        if message.author.bot or message.guild is not None:
            return
        question = message.content.strip()
        if not question:
            return
        requester = Requester(PLATFORM, str(message.author.id), str(message.channel.id))
        try:
            async with message.channel.typing():
                reply = await self.briefing.answer(question, requester)
        except discord.HTTPException:  # the typing indicator failed; answer anyway
            log.warning("typing indicator failed in DM %s", message.channel.id, exc_info=True)
            reply = await self.briefing.answer(question, requester)
        try:
            await self._send_all(message.channel, render(reply))
        except discord.HTTPException:
            log.exception("could not answer DM in channel %s", message.channel.id)

    # -- slash commands ------------------------------------------------------------------------

    def _register_commands(self) -> None:
        adapter = self

        @app_commands.command(name="brief", description="Three things to know: latest stories, a topic, "
                                                        "an article link or a public figure")
        @app_commands.describe(topic="A topic, e.g. budget", url="An article link (http or https)",
                               figure="A public figure, e.g. Angela Merkel")
        async def brief(interaction: discord.Interaction[Any],
                        topic: app_commands.Range[str, 1, MAX_ARG_CHARS] | None = None,
                        url: app_commands.Range[str, 1, MAX_ARG_CHARS] | None = None,
                        figure: app_commands.Range[str, 1, MAX_ARG_CHARS] | None = None) -> None:
            try:
                request: BriefRequest | Notice = brief_request(topic, url, figure)
            except CommandError as exc:
                request = Notice(str(exc), ok=False)
            await adapter.respond(interaction, request, ephemeral=isinstance(request, Notice))

        self.tree.add_command(brief)
        self.tree.add_command(BriefingCommands(self))

    async def respond(self, interaction: discord.Interaction[Any], request: BriefRequest | Notice, *,
                      ephemeral: bool) -> None:
        """Defer at once (the 3 s acknowledgement), run the request, then follow up with the result.

        A `Notice` passed in is an input error already found (cheaply) before deferring, so its
        deferral is ephemeral and nobody else sees the mistake.
        """
        try:
            await interaction.response.defer(thinking=True, ephemeral=ephemeral)
        except discord.HTTPException:
            log.exception("could not acknowledge interaction %s", interaction.id)
            return
        if isinstance(request, Notice):
            reply: Reply = request
        else:
            reply = await self.briefing.handle(request, requester_for(interaction))
        await self.follow_up(interaction, reply, deferred_ephemeral=ephemeral)

    async def follow_up(self, interaction: discord.Interaction[Any], reply: Reply, *,
                        deferred_ephemeral: bool) -> None:
        """Send the rendered reply as follow-ups; errors go privately.

        The first follow-up after a defer replaces the "thinking…" message and keeps the defer's
        visibility, so an error after a public defer first deletes that placeholder: the error
        then arrives as a new, ephemeral message instead of a public one.
        """
        private = deferred_ephemeral or (isinstance(reply, Notice) and not reply.ok)
        if private and not deferred_ephemeral:
            try:
                await interaction.delete_original_response()
            except discord.HTTPException:
                log.warning("could not delete the placeholder of interaction %s", interaction.id, exc_info=True)
        for message in render(reply):
            try:
                await interaction.followup.send(**_send_kwargs(message), ephemeral=private)
            except discord.HTTPException:
                log.exception("follow-up to interaction %s failed", interaction.id)
                return

    async def on_app_command_error(self, interaction: discord.Interaction[Any],
                                   error: app_commands.AppCommandError) -> None:
        """Anything that escaped a command (e.g. an option Discord could not resolve): the user
        gets a short private message, the log gets the trace."""
        log.error("application command %s failed", interaction.command and interaction.command.qualified_name,
                  exc_info=error)
        text = str(error) if isinstance(error, app_commands.TransformerError) else COMMAND_FAILED
        try:
            if interaction.response.is_done():
                await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
            else:
                await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
        except discord.HTTPException:
            log.exception("could not report the error to interaction %s", interaction.id)

    # -- scheduled delivery ----------------------------------------------------------------------

    async def send(self, channel_id: str, reply: Reply) -> str | None:
        """Post a reply to a channel (the scheduler's digests); returns the first message's id.
        Raises after discord.py's own retries so the scheduler can record and retry the delivery."""
        try:
            channel = self.client.get_partial_messageable(int(channel_id))
        except ValueError:
            raise ValueError(f"{channel_id!r} is not a Discord channel id") from None
        try:
            sent = await self._send_all(channel, render(reply))
        except discord.HTTPException:
            log.exception("could not post to Discord channel %s", channel_id)
            raise
        return str(sent[0].id) if sent else None

    @staticmethod
    async def _send_all(channel: discord.abc.Messageable, messages: list[DiscordMessage]) -> list[discord.Message]:
        # One nonce per message, kept across retries: Discord (enforce_nonce) then posts it at most once.
        return [await retry_unavailable(partial(channel.send, **_send_kwargs(message), nonce=randbits(63)))
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


def _log_gateway_exit(task: asyncio.Task[None]) -> None:
    """discord.py reconnects by itself; the gateway task only ends on close or a fatal error
    (revoked token, disallowed intents), which must reach the log rather than vanish."""
    if not task.cancelled() and task.exception() is not None:
        log.error("Discord gateway stopped", exc_info=task.exception())


def _send_kwargs(message: DiscordMessage) -> dict[str, Any]:
    """Keyword arguments for `send`: content only when there is some, never any mention."""
    kwargs: dict[str, Any] = {"embeds": message.embeds, "allowed_mentions": NO_MENTIONS}
    if message.content:
        kwargs["content"] = message.content
    return kwargs

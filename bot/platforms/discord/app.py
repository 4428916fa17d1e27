"""Discord listeners: `/brief`, `/briefing …` and DMs → request → core → embeds → Discord (discord.py 2.x).

Shaped like discord.py's own example (examples/app_commands/basic.py): the commands are module-level,
the client owns the command tree and syncs it in `setup_hook`. The grammar is `bot.commands` (typed
options build the same request as Slack's text), the work is the core's (`AsyncBriefing`), the rendering
`bot.render.discord`, and endpoints, connecting and retried sends `transport.py`.

Every interaction is deferred before any work (Discord drops an interaction not acknowledged within 3 s,
and the model can take far longer), then answered with follow-ups. A failed send is logged and dropped so
one bad message never takes the bot down; `send` (used by the scheduler) re-raises instead so the
delivery can be retried.

Adding a command: a grammar entry in `bot.commands` and a core call, then a module-level
`@app_commands.command` here that builds the request and calls `respond`, listed in `COMMANDS`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal, cast
from zoneinfo import available_timezones

import discord
from discord import app_commands

from bot.briefing.models import Notice, Reply
from bot.commands import (
    MAX_ARG_CHARS,
    MAX_FEED_NAME_CHARS,
    BriefRequest,
    CommandError,
    Requester,
    brief_from_options,
    feed_request,
    follow_request,
    subscribe_request,
)
from bot.platforms.discord.transport import (
    NO_MENTIONS,
    READY_TIMEOUT_S,
    DiscordTransport,
    send_all,
    send_kwargs,
    sync_commands,
)
from bot.render.discord import render
from bot.settings import Secrets, Settings

if TYPE_CHECKING:  # the listeners only need the interface; importing it would load the whole core
    from bot.briefing.runner import AsyncBriefing

log = logging.getLogger(__name__)

PLATFORM = "discord"
COMMAND_FAILED = "Sorry, that command failed. It has been logged."
_TIMEZONES = sorted(available_timezones())
Option = app_commands.Range[str, 1, MAX_ARG_CHARS]


# -- commands -----------------------------------------------------------------------------------

@app_commands.command(name="brief", description="Three things to know: latest stories, a topic, "
                                                "an article link or a public figure")
@app_commands.describe(topic="A topic, e.g. budget", url="An article link (http or https)",
                       figure="A public figure, e.g. Angela Merkel")
async def brief(interaction: discord.Interaction[Any], topic: Option | None = None, url: Option | None = None,
                figure: Option | None = None) -> None:
    try:
        request: BriefRequest | Notice = brief_from_options(topic, url, figure)
    except CommandError as exc:
        request = Notice(str(exc), ok=False)
    await respond(interaction, request, ephemeral=isinstance(request, Notice))


# Hidden from non-managers by Discord (default_member_permissions = Manage Server) and refused again by the
# core for them; its answers are private, being one manager's housekeeping.
briefing_commands = app_commands.Group(name="briefing", description="Daily briefings posted in this server's channels",
                                       guild_only=True, default_permissions=discord.Permissions(manage_guild=True))


@briefing_commands.command(name="subscribe", description="Post a daily briefing in a channel")
@app_commands.describe(channel="Where to post", time="24-hour time, e.g. 08:00",
                       timezone="IANA time zone, e.g. Europe/London (default UTC)")
async def subscribe(interaction: discord.Interaction[Any], channel: discord.TextChannel, time: str,
                    timezone: str = "UTC") -> None:
    try:
        request: BriefRequest | Notice = subscribe_request(f"<#{channel.id}>", time, timezone)
    except CommandError as exc:
        request = Notice(str(exc), ok=False)
    await respond(interaction, request, ephemeral=True)


@subscribe.autocomplete("timezone")
async def _timezones(interaction: discord.Interaction[Any], current: str) -> list[app_commands.Choice[str]]:
    needle = current.lower()
    return [app_commands.Choice(name=tz, value=tz) for tz in _TIMEZONES if needle in tz.lower()][:25]


@briefing_commands.command(name="unsubscribe", description="Stop the daily briefing in a channel")
@app_commands.describe(channel="The channel to stop posting in")
async def unsubscribe(interaction: discord.Interaction[Any], channel: discord.TextChannel) -> None:
    await respond(interaction, BriefRequest("unsubscribe", channel=str(channel.id)), ephemeral=True)


@briefing_commands.command(name="list", description="List this server's daily briefings")
async def list_(interaction: discord.Interaction[Any]) -> None:
    await respond(interaction, BriefRequest("list"), ephemeral=True)


# `/feed …`: this server's own sources. Hidden from non-managers like `/briefing` and refused again by the
# core; every answer is ephemeral (a feed list shows outages only managers should hear about).
feed_commands = app_commands.Group(name="feed", description="This server's news sources",
                                   guild_only=True, default_permissions=discord.Permissions(manage_guild=True))


async def _feed(interaction: discord.Interaction[Any], action: str, url: str | None = None,
                name: str | None = None, preset: str | None = None) -> None:
    try:
        request: BriefRequest | Notice = feed_request(action, url, name, preset)
    except CommandError as exc:
        request = Notice(str(exc), ok=False)
    await respond(interaction, request, ephemeral=True)


@feed_commands.command(name="add", description="Add a feed (fetched and checked first) or a starter set")
@app_commands.describe(url="Feed address, or a page that links to its feed", name="Display name",
                       preset="A starter set instead of one feed: us, uk, eu or world (see /feed presets)")
async def feed_add(interaction: discord.Interaction[Any], url: Option | None = None,
                   name: app_commands.Range[str, 1, MAX_FEED_NAME_CHARS] | None = None,
                   preset: app_commands.Range[str, 1, 40] | None = None) -> None:
    await _feed(interaction, "add", url, name, preset)


@feed_commands.command(name="remove", description="Stop using a feed in this server")
@app_commands.describe(url="The feed's address, as /feed list shows it")
async def feed_remove(interaction: discord.Interaction[Any], url: Option) -> None:
    await _feed(interaction, "remove", url)


@feed_commands.command(name="list", description="This server's feeds and how each is doing")
async def feed_list(interaction: discord.Interaction[Any]) -> None:
    await _feed(interaction, "list")


@feed_commands.command(name="test", description="Fetch a feed now and show what it holds (stores nothing)")
@app_commands.describe(url="Feed address, or a page that links to its feed")
async def feed_test(interaction: discord.Interaction[Any], url: Option) -> None:
    await _feed(interaction, "test", url)


@feed_commands.command(name="presets", description="The starter sets of public political-news feeds")
async def feed_presets(interaction: discord.Interaction[Any]) -> None:
    await _feed(interaction, "presets")


@app_commands.command(name="follow", description="Get a direct message when a figure is quoted or a topic is in "
                                                 "the news")
@app_commands.describe(figure="A public figure, e.g. Angela Merkel", topic="Words, e.g. budget vote")
async def follow(interaction: discord.Interaction[Any], figure: Option | None = None,
                 topic: Option | None = None) -> None:
    await respond(interaction, _follow_or_notice("follow", figure, topic), ephemeral=True)


@app_commands.command(name="unfollow", description="Stop following a figure or a topic")
@app_commands.describe(figure="A figure you follow", topic="A topic you follow")
async def unfollow(interaction: discord.Interaction[Any], figure: Option | None = None,
                   topic: Option | None = None) -> None:
    await respond(interaction, _follow_or_notice("unfollow", figure, topic), ephemeral=True)


@app_commands.command(name="following", description="The figures and topics you follow")
async def following(interaction: discord.Interaction[Any]) -> None:
    await respond(interaction, BriefRequest("following"), ephemeral=True)


def _follow_or_notice(verb: Literal["follow", "unfollow"], figure: str | None,
                      topic: str | None) -> BriefRequest | Notice:
    """What the user follows is theirs alone, so these answers are private (ephemeral) whatever they say."""
    try:
        return follow_request(verb, figure=figure, topic=topic)
    except CommandError as exc:
        return Notice(str(exc), ok=False)


async def on_app_command_error(interaction: discord.Interaction[Any], error: app_commands.AppCommandError) -> None:
    """Anything that escaped a command (e.g. an option Discord could not resolve): the user gets a short
    private message, the log gets the trace."""
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


COMMANDS: tuple[app_commands.Command[Any, ..., Any] | app_commands.Group, ...] = (
    brief, briefing_commands, feed_commands, follow, unfollow, following)
"""What `BriefbotClient` registers and syncs; a new module-level command goes here."""


# -- request → core → reply ---------------------------------------------------------------------

def requester_for(interaction: discord.Interaction[Any]) -> Requester:
    """Who asked and where. `can_manage` comes from the member's resolved permissions that Discord
    sends with the interaction, so subscriptions are checked server-side whatever the client shows."""
    perms = interaction.permissions
    in_guild = interaction.guild_id is not None
    return Requester(platform=PLATFORM, user_id=str(interaction.user.id), channel_id=str(interaction.channel_id or ""),
                     workspace_id=str(interaction.guild_id) if in_guild else None,
                     can_manage=in_guild and (perms.manage_guild or perms.administrator))


async def respond(interaction: discord.Interaction[Any], request: BriefRequest | Notice, *, ephemeral: bool) -> None:
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
        reply = await cast(BriefbotClient, interaction.client).briefing.handle(request, requester_for(interaction))
    await follow_up(interaction, reply, deferred_ephemeral=ephemeral)


async def follow_up(interaction: discord.Interaction[Any], reply: Reply, *, deferred_ephemeral: bool) -> None:
    """Send the rendered reply as follow-ups, privately if the reply is private (`Reply.private`).

    The first follow-up after a defer replaces the "thinking…" message and keeps the defer's
    visibility, so a private reply after a public defer first deletes that placeholder: it then
    arrives as a new, ephemeral message instead of a public one.
    """
    private = deferred_ephemeral or reply.private
    if private and not deferred_ephemeral:
        try:
            await interaction.delete_original_response()
        except discord.HTTPException:
            log.warning("could not delete the placeholder of interaction %s", interaction.id, exc_info=True)
    for message in render(reply):
        try:
            await interaction.followup.send(**send_kwargs(message), ephemeral=private)
        except discord.HTTPException:
            log.exception("follow-up to interaction %s failed", interaction.id)
            return


# -- the client ---------------------------------------------------------------------------------

class BriefbotClient(discord.Client):
    """discord.py's example shape: the client owns the command tree, syncs it in `setup_hook` and
    answers DMs in `on_message`."""

    def __init__(self, briefing: AsyncBriefing, *, sync_guild_ids: Sequence[int] = (), **options: Any) -> None:
        # DMs arrive with content without the privileged message-content intent.
        super().__init__(intents=discord.Intents.default(), allowed_mentions=NO_MENTIONS, **options)
        self.briefing = briefing
        self.sync_guild_ids = tuple(sync_guild_ids)
        self.tree: app_commands.CommandTree[BriefbotClient] = app_commands.CommandTree(self)
        for command in COMMANDS:
            self.tree.add_command(command)
        self.tree.error(on_app_command_error)

    async def setup_hook(self) -> None:
        await sync_commands(self.tree, self.sync_guild_ids)

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
            await send_all(message.channel, render(reply))
        except discord.HTTPException:
            log.exception("could not answer DM in channel %s", message.channel.id)


class ShardedBriefbotClient(BriefbotClient, discord.AutoShardedClient):  # type: ignore[misc]
    """The same client on several gateway shards (`discord_shards = true`)."""


# -- the adapter the bot runs -------------------------------------------------------------------

class DiscordAdapter:
    """Connects the briefing core to Discord (implements `bot.delivery.PlatformAdapter`).

    `sync_guild_ids`: register commands per guild (instant, for development) instead of globally.
    `guild_ready_timeout`: how long discord.py waits for more GUILD_CREATEs before `ready` (tests shorten it).
    """

    platform = PLATFORM

    def __init__(self, briefing: AsyncBriefing, settings: Settings, secrets: Secrets, *,
                 sync_guild_ids: Sequence[int] = (), guild_ready_timeout: float = 2.0,
                 ready_timeout_s: float = READY_TIMEOUT_S) -> None:
        self.briefing = briefing
        client_cls = ShardedBriefbotClient if settings.discord_shards else BriefbotClient
        self.client: BriefbotClient = client_cls(briefing, sync_guild_ids=sync_guild_ids,
                                                 guild_ready_timeout=guild_ready_timeout)
        self.transport = DiscordTransport(self.client, secrets, ready_timeout_s=ready_timeout_s)

    async def start(self) -> None:
        await self.transport.start()

    async def close(self) -> None:
        await self.transport.close()

    async def send(self, channel_id: str, reply: Reply) -> str | None:
        return await self.transport.send(channel_id, render(reply))

    async def send_direct(self, user_id: str, reply: Reply) -> str | None:
        """A follow alert (implements `bot.delivery.DirectSender`)."""
        return await self.transport.send_direct(user_id, render(reply))

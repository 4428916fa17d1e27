"""Discord rendering: core replies become messages that fit every Discord limit and never ping anyone.

The adapter sends what this module returns as-is, so the limits live here and nowhere else. Text is
split (never silently cut) across embeds and messages; the only cut is a single word longer than a
limit, which `split_text` marks with an ellipsis. Article text is untrusted, so mentions are
neutralised in the text itself as well as by `allowed_mentions` on every send: if a message is ever
sent without the flag (a future code path, a proxy that drops it), nothing still pings. Links too:
every untrusted string goes through `_clean`, which also breaks Markdown masked links
(`[label](url)`) and makes bare and `<…>` URLs non-clickable, so the only links in a message are the
source links this module builds itself (`_link_line`, the embed url).

Limits: https://discord.com/developers/docs/resources/message#embed-object-embed-limits
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import discord

from bot.briefing.models import Digest, FigureAnswer, Link, Notice, Reply, StoryBrief
from bot.render.common import (
    ZWSP,
    answer_heading,
    defang_urls,
    disagreement_lines,
    link_label,
    outlet_count,
    point_outlets,
    split_text,
)
from bot.text import truncate

log = logging.getLogger(__name__)

CONTENT_LIMIT = 2000
EMBEDS_PER_MESSAGE = 10
EMBED_TOTAL_LIMIT = 6000  # title + description + field names/values + footer + author, over all embeds of a message
EMBED_TITLE_LIMIT = 256
EMBED_DESCRIPTION_LIMIT = 4096
EMBED_FIELDS_LIMIT = 25
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
FOOTER_LIMIT = 2048
URL_LIMIT = 2048  # longer links are shown as text: Discord rejects an embed url it cannot store

COLOUR = discord.Colour(0x2B6CB0)
CONTINUED = " (continued)"
EMPTY_REPLY = "Nothing to show."

_MASS_MENTION = re.compile(r"@(everyone|here)", re.IGNORECASE)
_USER_OR_ROLE = re.compile(r"<(@[!&]?)(\d+)>")
_CHANNEL = re.compile(r"<#(\d+)>")
_SAFE_URL = re.compile(r"^https?://[^\s<>]+$", re.IGNORECASE)
_MARKDOWN_ESCAPES = str.maketrans({c: f"\\{c}" for c in "*_~`|[]"})


@dataclass(slots=True)
class DiscordMessage:
    """One message to send: content plus up to ten embeds, already within every limit."""

    content: str = ""
    embeds: list[discord.Embed] = field(default_factory=list)

    @property
    def embed_chars(self) -> int:
        """Characters Discord counts against the 6,000 shared by all embeds of the message."""
        return sum(len(e) for e in self.embeds)


def neutralise_mentions(text: str, *, keep_channels: bool = False) -> str:
    """Make `@everyone`, `@here`, `<@id>`, `<@!id>`, `<@&id>` and `<#id>` inert by inserting a
    zero-width space, so they read the same but Discord no longer parses them as mentions.

    `keep_channels` leaves `<#id>` links alone: the core writes them on purpose in subscription
    notices, and a channel link never notifies anyone.
    """
    text = _MASS_MENTION.sub(lambda m: f"@{ZWSP}{m.group(1)}", text)
    text = _USER_OR_ROLE.sub(lambda m: f"<{m.group(1)}{ZWSP}{m.group(2)}>", text)
    if not keep_channels:
        text = _CHANNEL.sub(lambda m: f"<#{ZWSP}{m.group(1)}>", text)
    return text


def unmask_links(text: str) -> str:
    """Break Markdown masked links `[label](url)`, which show any label for any target: the `](` join gets
    a zero-width space, so the text reads the same but is no longer a link."""
    return text.replace("](", f"]{ZWSP}(")


def neutralise_links(text: str) -> str:
    """Make every link in untrusted text inert: masked links (`unmask_links`) and bare or `<…>` URLs
    (`defang_urls`), so nothing in it is clickable."""
    return unmask_links(defang_urls(text))


def _clean(text: str | None) -> str:
    """Untrusted text (articles, user input) ready to embed: mentions and links made inert, whitespace
    trimmed."""
    return neutralise_mentions(neutralise_links((text or "").strip()))


def _safe_url(url: str | None) -> str | None:
    """An http(s) URL that can sit inside Markdown `[label](url)` and an embed's url, else None."""
    if not url or len(url) > URL_LIMIT or not _SAFE_URL.match(url):
        return None
    return url.replace("(", "%28").replace(")", "%29")


def _link_line(link: Link, limit: int = FIELD_VALUE_LIMIT) -> str:
    """`[Outlet · date](url)`, or the plain label when there is no usable URL; at most `limit` chars."""
    label = _clean(link_label(link)).replace("[", "(").replace("]", ")") or "source"
    url = _safe_url(link.url)
    if url is None:
        return truncate(label, limit)
    room = limit - len(url) - 4  # the brackets and parentheses around label and url
    if room < 8:
        return truncate(label, limit)
    return f"[{truncate(label, room)}]({url})"


def _timestamp(when: datetime | None) -> datetime | None:
    """Naive datetimes from feeds are taken as UTC (discord.py would read them as local time)."""
    if when is None:
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def _discord_time(when: datetime) -> str:
    """`<t:unix:f>`: Discord shows it in each reader's own time zone."""
    return discord.utils.format_dt(_timestamp(when) or when, "f")


class _EmbedSeries:
    """The embeds of one titled section; starts a "(continued)" embed whenever the current one is full."""

    def __init__(self, title: str, *, url: str | None = None, timestamp: datetime | None = None,
                 colour: discord.Colour = COLOUR) -> None:
        self._title = title or "Briefing"
        self._colour = colour
        self.embeds: list[discord.Embed] = [
            discord.Embed(title=truncate(self._title, EMBED_TITLE_LIMIT), url=url, colour=colour,
                          timestamp=_timestamp(timestamp))
        ]

    def _continue(self) -> discord.Embed:
        title = truncate(self._title, EMBED_TITLE_LIMIT - len(CONTINUED)) + CONTINUED
        embed = discord.Embed(title=title, colour=self._colour)
        self.embeds.append(embed)
        return embed

    def add_text(self, text: str) -> None:
        """Put `text` in descriptions, splitting it cleanly over as many embeds as it needs."""
        for chunk in split_text(text, EMBED_DESCRIPTION_LIMIT) if text.strip() else []:
            embed = self.embeds[-1]
            if embed.description or embed.fields:
                embed = self._continue()
            embed.description = chunk

    def set_footer(self, text: str) -> None:
        """Footer on the first embed, shortened (with an ellipsis) to the room the 6,000 total leaves."""
        embed = self.embeds[0]
        room = min(FOOTER_LIMIT, EMBED_TOTAL_LIMIT - len(embed))
        if text.strip() and room > 1:
            embed.set_footer(text=truncate(text, room))

    def add_lines_as_fields(self, name: str, lines: Iterable[str]) -> None:
        """Group lines into fields of at most 1,024 characters, spilling into new embeds past 25 fields
        or the 6,000-character total."""
        value = ""
        part = 0
        for line in lines:
            line = truncate(line, FIELD_VALUE_LIMIT)
            if value and len(value) + 1 + len(line) > FIELD_VALUE_LIMIT:
                self._add_field(name if part == 0 else name + CONTINUED, value)
                part += 1
                value = ""
            value = f"{value}\n{line}" if value else line
        if value:
            self._add_field(name if part == 0 else name + CONTINUED, value)

    def _add_field(self, name: str, value: str) -> None:
        name = truncate(name, FIELD_NAME_LIMIT)
        embed = self.embeds[-1]
        if len(embed.fields) >= EMBED_FIELDS_LIMIT or len(embed) + len(name) + len(value) > EMBED_TOTAL_LIMIT:
            embed = self._continue()
        embed.add_field(name=name, value=value, inline=False)


def _story_embeds(story: StoryBrief) -> list[discord.Embed]:
    title = _clean(story.title) or "Untitled story"
    lead_url = next((u for u in (_safe_url(link.url) for link in story.links) if u), None)
    series = _EmbedSeries(title, url=lead_url, timestamp=story.published)
    # A title too long for the embed title is given in full at the top of the text: nothing is lost.
    head = f"**{title}**\n\n" if len(title) > EMBED_TITLE_LIMIT else ""
    points = "\n".join(f"**{i}.** {_clean(p.text)}{_cited(story, i - 1)}" for i, p in enumerate(story.points, 1))
    series.add_text(head + points)
    if story.note:
        series.set_footer(_clean(story.note))
    series.add_lines_as_fields("Outlets differ", (f"• {line}" for line in disagreement_lines(story, _plain)))
    outlets = outlet_count(story)
    sources = f"Sources · {outlets} outlets" if outlets else "Sources"
    series.add_lines_as_fields(sources, (f"• {_link_line(link, FIELD_VALUE_LIMIT - 2)}" for link in story.links))
    return series.embeds


def _plain(text: str) -> str:
    """Untrusted words shown as written: mentions inert, no Markdown of theirs (they sit inside our own
    quotes and emphasis), no masked link they could form."""
    return _clean(text).replace("\\", "\\\\").translate(_MARKDOWN_ESCAPES)


def _cited(story: StoryBrief, index: int) -> str:
    """` *(Outlet A, Outlet B)*` after a point of a several-outlet story, else ""."""
    cited = point_outlets(story, index, _plain)
    return f" *({cited})*" if cited else ""


def _digest(digest: Digest) -> list[DiscordMessage]:
    lines = [f"**{_clean(digest.heading)}** · {_discord_time(digest.generated_at)}"]
    lines += [f"-# {_clean(note)}" for note in digest.notices]
    if not digest.stories:
        lines.append(_clean(digest.empty_message) or "Nothing to brief.")
    embeds = [e for story in digest.stories for e in _story_embeds(story)]
    return _pack("\n".join(lines), embeds)


def _answer(answer: FigureAnswer) -> list[DiscordMessage]:
    heading = answer_heading(answer)
    title = _clean(heading) if heading else "About your question"
    lines: list[str] = []
    if answer.message:
        lines.append(_clean(answer.message))
    if answer.suggestions:
        lines.append("Did you mean: " + ", ".join(_clean(s) for s in answer.suggestions) + "?")
    for q in answer.quotes:
        partial = " *(partial quote)*" if q.partial else ""
        lines.append(f"> “{_clean(q.quote)}”{partial}\n— **{_clean(q.speaker)}**, {_link_line(q.link)}")
    if answer.mentions:
        lines.append("**About them**" if answer.quotes else "")
        lines += [f"• {_clean(m.sentence)} — {_link_line(m.link)}" for m in answer.mentions]
    body = "\n".join(line for line in lines if line) or "I have nothing about that yet."
    series = _EmbedSeries(title)
    series.add_text(body)
    return _pack("", series.embeds)


def _notice(notice: Notice) -> list[DiscordMessage]:
    text = "\n".join(line for line in (notice.text, *notice.lines) if line.strip())
    # Notices are the core's own words (usage examples show a bare https:// link on purpose); what they
    # echo of user input can still not dress a link up with a fake label.
    return _pack(neutralise_mentions(unmask_links(text), keep_channels=True), [])


def _pack(content: str, embeds: Sequence[discord.Embed]) -> list[DiscordMessage]:
    """Content in chunks of 2,000 characters, the last chunk carrying the first embeds; then as many
    messages as needed for at most 10 embeds and 6,000 embed characters each."""
    chunks = split_text(content, CONTENT_LIMIT) if content.strip() else [""]
    messages = [DiscordMessage(content=chunk) for chunk in chunks]
    current = messages[-1]
    for embed in embeds:
        if len(current.embeds) >= EMBEDS_PER_MESSAGE or current.embed_chars + len(embed) > EMBED_TOTAL_LIMIT:
            current = DiscordMessage()
            messages.append(current)
        current.embeds.append(embed)
    kept = [m for m in messages if m.content or m.embeds]
    return kept or [DiscordMessage(content=EMPTY_REPLY)]


def render(reply: Reply) -> list[DiscordMessage]:
    """Render any core reply as one or more Discord messages, in the order they should be sent."""
    if isinstance(reply, Digest):
        messages = _digest(reply)
    elif isinstance(reply, FigureAnswer):
        messages = _answer(reply)
    else:
        messages = _notice(reply)
    if len(messages) > 1:
        log.debug("reply split over %d Discord messages", len(messages))
    return messages

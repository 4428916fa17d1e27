"""The `/brief` grammar and the request type every platform shares: the one place a command is defined.

Slack and the terminal pass the raw text after `/brief` (`parse_brief`); Discord's typed options build
the same `BriefRequest` through `brief_from_options` and `subscribe_request`. What each kind of request
is allowed to do lives on the request (`KIND_RULES`): whether it needs a manager and whether it costs
model or fetch work (and so is rate limited). Bad input raises `CommandError`, whose message is safe to
show the user.

Adding a command: a `Kind`, its `KIND_RULES` entry, a branch in `parse_brief` (and an options builder
if Discord gets a typed command for it), and a case in `BriefingService.handle`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

Kind = Literal["digest", "topic", "url", "figure", "subscribe", "unsubscribe", "list", "help"]

USAGE = (
    "Usage: `/brief` (latest digest) · `/brief <topic>` · `/brief <article url>` · `/brief who <name>` · "
    "`/brief subscribe #channel HH:MM Area/City` · `/brief unsubscribe #channel` · `/brief list`"
)

_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_URL = re.compile(r"^https?://\S+$", re.IGNORECASE)
# Slack sends channels as <#C123|name>, Discord as <#123>; people type #name.
_CHANNEL = re.compile(r"^<#([A-Z0-9]+)(?:\|[^>]*)?>$|^#?([\w-]+)$", re.IGNORECASE)
MAX_ARG_CHARS = 300
ONE_OPTION = "Use one option at a time: `/brief topic:…`, `/brief url:…` or `/brief figure:…`."
BAD_URL = "`url` must be an http(s) link to an article, e.g. https://example.com/story."


@dataclass(frozen=True, slots=True)
class KindRule:
    """What a kind of request may do. `manager`: only server or workspace managers may run it (checked
    by the core; the platform says who is a manager). `costly`: it runs model or fetch work, so it is
    rate limited and queued; cheap kinds answer at once from the store."""

    manager: bool = False
    costly: bool = True


KIND_RULES: dict[Kind, KindRule] = {
    "digest": KindRule(), "topic": KindRule(), "url": KindRule(), "figure": KindRule(),
    "help": KindRule(costly=False), "list": KindRule(costly=False),
    "subscribe": KindRule(manager=True, costly=False), "unsubscribe": KindRule(manager=True, costly=False),
}


class CommandError(ValueError):
    """A malformed command; the message tells the user how to fix it."""


@dataclass(frozen=True, slots=True)
class Requester:
    """Who asked, and where: enough for permission checks and rate limits, nothing platform-specific."""

    platform: str
    user_id: str
    channel_id: str
    workspace_id: str | None = None
    can_manage: bool = False


@dataclass(frozen=True, slots=True)
class BriefRequest:
    """One parsed `/brief`, whatever platform it came from."""

    kind: Kind
    arg: str | None = None
    channel: str | None = None
    time: str | None = None
    timezone: str | None = None

    @property
    def needs_manager(self) -> bool:
        return KIND_RULES[self.kind].manager

    @property
    def costly(self) -> bool:
        return KIND_RULES[self.kind].costly


def parse_channel(token: str) -> str:
    """Return the channel id or name in a channel token such as `<#C123|news>` or `#news`."""
    m = _CHANNEL.match(token.strip())
    if not m:
        raise CommandError(f"`{token}` is not a channel. Use #channel.")
    return m.group(1) or m.group(2)


def parse_time(text: str) -> str:
    """Validate `HH:MM` (24-hour) and return it zero-padded."""
    m = _TIME.match(text.strip())
    if not m:
        raise CommandError(f"`{text}` is not a time. Use 24-hour HH:MM, e.g. 08:00.")
    return f"{int(m.group(1)):02d}:{m.group(2)}"


def parse_timezone(text: str) -> str:
    """Validate an IANA time zone name such as `Europe/London`."""
    name = text.strip()
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise CommandError(f"`{name}` is not a known time zone. Use an IANA name such as Europe/London.") from exc
    return name


def subscribe_request(channel: str, time: str, timezone: str = "UTC") -> BriefRequest:
    """Build a validated subscribe request (shared by text parsing and Discord options)."""
    return BriefRequest("subscribe", channel=parse_channel(channel), time=parse_time(time),
                        timezone=parse_timezone(timezone))


def _check_length(text: str) -> str:
    if len(text) > MAX_ARG_CHARS:
        raise CommandError(f"That is too long ({len(text)} characters); keep it under {MAX_ARG_CHARS}.")
    return text


def brief_from_options(topic: str | None = None, url: str | None = None, figure: str | None = None) -> BriefRequest:
    """Discord's `/brief topic:… | url:… | figure:…` as the same request the text grammar gives."""
    given = {name: _check_length(value.strip()) for name, value in (("topic", topic), ("url", url),
                                                                     ("figure", figure)) if value and value.strip()}
    if len(given) > 1:
        raise CommandError(ONE_OPTION)
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


def parse_brief(text: str) -> BriefRequest:
    """Parse the text after `/brief` (Slack, terminal)."""
    text = _check_length(" ".join((text or "").split()))
    if not text:
        return BriefRequest("digest")
    head, _, rest = text.partition(" ")
    word = head.lower()
    if word in {"help", "?"}:
        return BriefRequest("help")
    if word == "list" and not rest:
        return BriefRequest("list")
    if word == "subscribe":
        parts = rest.split()
        if len(parts) not in (2, 3):
            raise CommandError("Usage: `/brief subscribe #channel HH:MM Area/City`")
        return subscribe_request(*parts)
    if word == "unsubscribe":
        parts = rest.split()
        if len(parts) != 1:
            raise CommandError("Usage: `/brief unsubscribe #channel`")
        return BriefRequest("unsubscribe", channel=parse_channel(parts[0]))
    if word in {"who", "figure"}:
        if not rest:
            raise CommandError("Usage: `/brief who <name>`")
        return BriefRequest("figure", arg=rest)
    if _URL.match(text):
        return BriefRequest("url", arg=text)
    if "://" in text:
        raise CommandError("Only http(s) article links can be briefed.")
    return BriefRequest("topic", arg=text)

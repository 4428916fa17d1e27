"""Parse `/brief` text into a request every adapter shares, so the grammar lives in one place.

Slack and the terminal pass the raw text after `/brief`; Discord builds the same `BriefRequest`
from its typed options. Bad input raises `CommandError` whose message is safe to show the user.
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
    kind: Kind
    arg: str | None = None
    channel: str | None = None
    time: str | None = None
    timezone: str | None = None


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


def parse_brief(text: str) -> BriefRequest:
    """Parse the text after `/brief` (Slack, terminal)."""
    text = " ".join((text or "").split())
    if len(text) > MAX_ARG_CHARS:
        raise CommandError(f"That is too long ({len(text)} characters); keep it under {MAX_ARG_CHARS}.")
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

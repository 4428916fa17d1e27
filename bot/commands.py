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

Kind = Literal["digest", "topic", "url", "figure", "subscribe", "unsubscribe", "list", "help",
               "feed-add", "feed-remove", "feed-list", "feed-test", "feed-presets",
               "follow", "unfollow", "following"]
FEED_KINDS = frozenset({"feed-add", "feed-remove", "feed-list", "feed-test", "feed-presets"})
Subject = Literal["figure", "topic"]

USAGE = (
    "Usage: `/brief` (latest digest) · `/brief <topic>` · `/brief <article url>` · `/brief who <name>` · "
    "`/brief subscribe #channel HH:MM Area/City` · `/brief unsubscribe #channel` · `/brief list` · "
    "`/brief feed add|remove|test <feed url>` · `/brief feed list` · `/brief feed add preset:<name>` · "
    "`/brief follow <name or words>` · `/brief unfollow <name or words>` · `/brief following`"
)
FEED_USAGE = ("Usage: `/brief feed add <feed url> [name]` · `/brief feed add preset:<name>` · "
              "`/brief feed remove <feed url>` · `/brief feed list` · `/brief feed test <feed url>` · "
              "`/brief feed presets`")
MAX_FEED_NAME_CHARS = 80
FOLLOW_USAGE = "Usage: `/brief {verb} <name or words>` (or `/brief {verb} figure <name>`, `/brief {verb} topic <words>`)"

_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_URL = re.compile(r"^https?://\S+$", re.IGNORECASE)
_SLACK_LINK = re.compile(r"^<(https?://[^|>\s]+)(?:\|[^>]*)?>$", re.IGNORECASE)
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
    # feeds: add and test fetch the feed now; the others answer from the store
    "feed-add": KindRule(manager=True), "feed-test": KindRule(manager=True),
    "feed-remove": KindRule(manager=True, costly=False), "feed-list": KindRule(manager=True, costly=False),
    "feed-presets": KindRule(manager=True, costly=False),
    # following resolves the name against the stored articles (spaCy); unfollowing and listing read rows
    "follow": KindRule(), "unfollow": KindRule(costly=False), "following": KindRule(costly=False),
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
    name: str | None = None  # a feed's display name (`feed add`)
    preset: str | None = None  # a starter set (`feed add preset:<name>`)
    subject: Subject | None = None  # follow/unfollow: a figure or a topic; None lets the core decide

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


def feed_url(text: str) -> str:
    """Validate a feed address: an http(s) URL (where it points is checked when it is fetched). Slack
    sends links typed in a command as `<https://…>` or `<https://…|label>`."""
    url = text.strip()
    wrapped = _SLACK_LINK.match(url)
    if wrapped:
        url = wrapped.group(1)
    if not _URL.match(url):
        raise CommandError(f"`{url}` is not a feed address. Use an http(s) link, e.g. https://example.org/rss.xml.")
    return url


def feed_request(action: str, url: str | None = None, name: str | None = None,
                 preset: str | None = None) -> BriefRequest:
    """Build a validated feed request (shared by text parsing and Discord options)."""
    action = action.lower()
    if action in ("list", "presets"):
        return BriefRequest("feed-list" if action == "list" else "feed-presets")
    if action == "add" and preset and preset.strip():
        if url:
            raise CommandError("Give either a feed address or a preset, not both.")
        return BriefRequest("feed-add", preset=preset.strip().lower())
    if action not in ("add", "remove", "test"):
        raise CommandError(FEED_USAGE)
    if not url:
        raise CommandError(FEED_USAGE)
    clean_name = " ".join((name or "").split()) or None
    if clean_name and len(clean_name) > MAX_FEED_NAME_CHARS:
        raise CommandError(f"That name is too long; keep it under {MAX_FEED_NAME_CHARS} characters.")
    kind: Kind = "feed-add" if action == "add" else "feed-remove" if action == "remove" else "feed-test"
    return BriefRequest(kind, arg=feed_url(url), name=clean_name if action == "add" else None)


def _parse_feed(rest: str) -> BriefRequest:
    """`feed add <url> [name]`, `feed add preset:<name>`, `feed remove|test <url>`, `feed list|presets`."""
    action, _, tail = rest.partition(" ")
    if not action:
        raise CommandError(FEED_USAGE)
    first, _, name = tail.partition(" ")
    if action.lower() == "add" and first.lower().startswith("preset:"):
        return feed_request("add", preset=first.split(":", 1)[1] or name)
    if action.lower() == "add" and first.lower() == "preset":
        return feed_request("add", preset=name)
    if action.lower() in ("list", "presets") and tail:
        raise CommandError(FEED_USAGE)
    return feed_request(action, first or None, name or None)


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


def follow_request(verb: Literal["follow", "unfollow"], *, figure: str | None = None,
                   topic: str | None = None) -> BriefRequest:
    """A follow or unfollow of exactly one figure or topic (Discord's options; the text grammar too)."""
    given = [(kind, _check_length(" ".join(value.split()))) for kind, value in (("figure", figure), ("topic", topic))
             if value and value.strip()]
    if len(given) != 1:
        raise CommandError(f"Give one option: `/{verb} figure:<name>` or `/{verb} topic:<words>`.")
    subject, name = given[0]
    return BriefRequest(verb, arg=name, subject="figure" if subject == "figure" else "topic")


def _follow_text(verb: Literal["follow", "unfollow"], rest: str) -> BriefRequest:
    """`follow <name or words>`, `follow figure <name>`, `follow topic <words>`."""
    head, _, tail = rest.partition(" ")
    if head.lower() == "figure" and tail.strip():
        return follow_request(verb, figure=tail)
    if head.lower() == "topic" and tail.strip():
        return follow_request(verb, topic=tail)
    if not rest:
        raise CommandError(FOLLOW_USAGE.format(verb=verb))
    return BriefRequest(verb, arg=rest)


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
    if word in {"follow", "unfollow"}:
        return _follow_text("follow" if word == "follow" else "unfollow", rest)
    if word == "following" and not rest:
        return BriefRequest("following")
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
    if word in {"feed", "feeds"}:
        return _parse_feed(rest)
    if word in {"who", "figure"}:
        if not rest:
            raise CommandError("Usage: `/brief who <name>`")
        return BriefRequest("figure", arg=rest)
    if _URL.match(text):
        return BriefRequest("url", arg=text)
    if "://" in text:
        raise CommandError("Only http(s) article links can be briefed.")
    return BriefRequest("topic", arg=text)

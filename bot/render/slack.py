"""Slack Block Kit rendering: every Slack limit is enforced here, and untrusted text is made inert.

Article text, titles, quotes and user input are untrusted: in Slack `mrkdwn`, `<!channel>`,
`<!here>`, `<!everyone>`, `<@U…>` and `<#C…>` ping people or link channels. Escaping `&`, `<` and `>`
as HTML entities (what Slack's own formatting guide asks for) turns every such sequence into plain text;
bare `@channel`/`@here`/`@everyone` words get a zero-width space so no client or `link_names` setting can
ever resolve them. `plain_text` objects (the header) are not parsed for mentions by Slack and are not
entity-escaped (Slack escapes plain text itself); as a second line of defence a zero-width space follows
every `<` and broadcast `@` there, which looks the same and can never form a control sequence.

Long replies are split over several messages (never mid-word without an ellipsis), each within the
block count, the per-section limit and Slack's undocumented cumulative block-text limit (`msg_blocks_too_long`
at about 12,000 characters, slackapi/bolt-js#2509 and #2867).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

from bot.briefing.models import Digest, FigureAnswer, Link, Notice, Reply, StoryBrief
from bot.render.common import (
    answer_heading,
    disagreement_lines,
    link_label,
    outlet_count,
    point_outlets,
    split_text,
)
from bot.text import truncate

# -- Slack's limits (https://docs.slack.dev/reference/block-kit/blocks) and our margins ---------------
MAX_BLOCKS = 50                  # blocks per message
HEADER_MAX_CHARS = 150           # header block plain_text
SECTION_MAX_CHARS = 3_000        # section block text
CONTEXT_MAX_ELEMENTS = 10        # elements per context block
CONTEXT_BLOCK_MAX_CHARS = 3_000  # per context block in all (Slack's cap per element; ours for the block)
MESSAGE_MAX_CHARS = 11_000       # cumulative block text per message (Slack rejects ~12,000; keep a margin)
FALLBACK_MAX_CHARS = 300         # top-level `text` before escaping (Slack: 40,000, ~4,000 in practice)
LINK_LABEL_MAX_CHARS = 150       # link labels are titles or outlet names; the link carries the rest
URL_MAX_CHARS = 1_500            # longer URLs are shown as a label only (Slack mangles very long links)

_BROADCAST = re.compile(r"@(?=(?:channel|here|everyone)\b)", re.IGNORECASE)
_CHANNEL_REF = re.compile(r"&lt;#([A-Z0-9]{2,})&gt;")
# Whitespace and control characters (NEL, U+2028, NUL, ...) have no place in a URL and could end Slack's
# `<url|label>` early, leaving the rest of an untrusted URL to be read as text.
_URL_UNSAFE = re.compile(r"[\s\x00-\x1f\x7f-\x9f]")
ZERO_WIDTH_SPACE = "\u200b"
_EMPHASIS_LOOKALIKES = str.maketrans({"*": "∗", "_": "＿", "~": "∼", "`": "ˋ"})

Block = dict[str, Any]


@dataclass(slots=True)
class SlackMessage:
    """One chat.postMessage / response_url payload: a short mrkdwn fallback and its blocks."""

    text: str
    blocks: list[Block] = field(default_factory=list)


# -- escaping -----------------------------------------------------------------------------------------

def defuse_broadcasts(text: str) -> str:
    """Break bare `@channel`, `@here` and `@everyone` words with a zero-width space."""
    return _BROADCAST.sub("@" + ZERO_WIDTH_SPACE, text)


def plain(text: str) -> str:
    """Untrusted text for a `plain_text` object: displayed as typed, never a control sequence."""
    return defuse_broadcasts(text.replace("<", "<" + ZERO_WIDTH_SPACE))


def escape(text: str) -> str:
    """Make untrusted text inert in Slack mrkdwn: no mention, broadcast, channel link or URL markup."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return defuse_broadcasts(escaped)


def safe_url(url: str | None) -> str | None:
    """The URL in a form safe inside `<url|label>`, or None when it is not a usable http(s) link."""
    if not url or len(url) > URL_MAX_CHARS:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:  # e.g. `https://[Official](…)`: a bracketed host that is no IP; article data, not ours
        return None
    if parts.scheme.lower() not in {"http", "https"} or not parts.netloc:
        return None
    cleaned = url.strip().replace("&", "&amp;")
    for raw, encoded in (("<", "%3C"), (">", "%3E"), ("|", "%7C"), (" ", "%20"), ("\n", ""), ("\t", "")):
        cleaned = cleaned.replace(raw, encoded)
    return _URL_UNSAFE.sub(lambda m: quote(m.group()), cleaned)


def link(url: str | None, label: str) -> str:
    """A mrkdwn link we build ourselves: `<url|label>` with the label escaped, or just the label."""
    text = escape(truncate(label, LINK_LABEL_MAX_CHARS)) or "link"
    target = safe_url(url)
    return f"<{target}|{text}>" if target else text


# -- blocks -------------------------------------------------------------------------------------------

def header_block(text: str) -> Block:
    shown = truncate(plain(" ".join(text.split())), HEADER_MAX_CHARS) or "Briefing"
    return {"type": "header", "text": {"type": "plain_text", "text": shown, "emoji": True}}


def section_blocks(mrkdwn: str) -> list[Block]:
    """Already-escaped mrkdwn as one or more sections, split at line, sentence or word boundaries."""
    if not mrkdwn.strip():
        return []
    return [{"type": "section", "text": {"type": "mrkdwn", "text": chunk}}
            for chunk in split_text(mrkdwn, SECTION_MAX_CHARS)]


def context_blocks(items: Iterable[str]) -> list[Block]:
    """Already-escaped mrkdwn items grouped into context blocks (≤ 10 elements and a char budget each)."""
    blocks: list[Block] = []
    elements: list[Block] = []
    size = 0
    for item in items:
        for piece in split_text(item, CONTEXT_BLOCK_MAX_CHARS) if item.strip() else []:
            if elements and (len(elements) >= CONTEXT_MAX_ELEMENTS or size + len(piece) > CONTEXT_BLOCK_MAX_CHARS):
                blocks.append({"type": "context", "elements": elements})
                elements, size = [], 0
            elements.append({"type": "mrkdwn", "text": piece})
            size += len(piece)
    if elements:
        blocks.append({"type": "context", "elements": elements})
    return blocks


def divider_block() -> Block:
    return {"type": "divider"}


def block_chars(value: Any) -> int:
    """Characters of text in a block (what Slack's cumulative limit counts)."""
    if isinstance(value, dict):
        return sum(len(v) if k == "text" and isinstance(v, str) else block_chars(v) for k, v in value.items())
    if isinstance(value, list):
        return sum(block_chars(v) for v in value)
    return 0


# -- paging -------------------------------------------------------------------------------------------

def _fits(page: Sequence[Block], blocks: Sequence[Block], reserve_chars: int) -> bool:
    return (len(page) + len(blocks) <= MAX_BLOCKS - 1  # one block kept for the "part i of n" marker
            and block_chars(page) + block_chars(blocks) <= MESSAGE_MAX_CHARS - reserve_chars)


def fallback_text(text: str) -> str:
    """The top-level `text` of a message: short, escaped, shown in notifications and to screen readers."""
    return escape(truncate(" ".join(text.split()), FALLBACK_MAX_CHARS))


def paginate(units: Sequence[list[Block]], heading: str, fallback: str) -> list[SlackMessage]:
    """Lay out units (the lead, a story, a quote) over as few messages as the limits allow.

    A unit stays in one message when it fits in one; only a unit larger than a whole message flows
    block by block. Messages after the first open with a `heading · part i of n` marker.
    `fallback` is already-escaped mrkdwn (see `fallback_text`).
    """
    marker_text = escape(truncate(heading, HEADER_MAX_CHARS))
    reserve = len(marker_text) + 32
    pages: list[list[Block]] = [[]]
    for unit in units:
        if not _fits(pages[-1], unit, reserve) and pages[-1] and _fits([], unit, reserve):
            pages.append([])
        for block in unit:
            if not _fits(pages[-1], [block], reserve):
                pages.append([])
            pages[-1].append(block)
    pages = [p for p in pages if p] or [section_blocks(fallback) or [divider_block()]]
    total = len(pages)
    messages: list[SlackMessage] = []
    for number, blocks in enumerate(pages, 1):
        if number > 1:
            blocks.insert(0, {"type": "context", "elements": [
                {"type": "mrkdwn", "text": f"{marker_text} · part {number} of {total}"}]})
            text = f"{marker_text} (part {number} of {total})"
        else:
            text = fallback
        messages.append(SlackMessage(text=text, blocks=blocks))
    return messages


# -- replies ------------------------------------------------------------------------------------------

def _story_unit(story: StoryBrief, first: bool) -> list[Block]:
    lines = [f"*{escape(story.title)}*"]
    for i, point in enumerate(story.points, 1):
        cited = point_outlets(story, i - 1, _plain_mrkdwn)
        lines.append(f"{i}. {escape(point.text)}" + (f" _({cited})_" if cited else ""))
    differ = disagreement_lines(story, _plain_mrkdwn)
    if differ:
        lines += ["*Outlets differ:*", *(f"• {line}" for line in differ)]
    blocks: list[Block] = [] if first else [divider_block()]
    blocks += section_blocks("\n".join(lines))
    if story.note:
        blocks += context_blocks([f"_{escape(story.note)}_"])
    outlets = outlet_count(story)
    blocks += context_blocks([*([f"*{outlets} outlets*"] if outlets else []),
                              *(link(lnk.url, link_label(lnk)) for lnk in story.links)])
    return blocks


def _plain_mrkdwn(text: str) -> str:
    """Untrusted words inside our own emphasis and quotes: escaped, and their own emphasis markers
    turned into look-alikes so they cannot end ours."""
    return escape(text).translate(_EMPHASIS_LOOKALIKES)


def render_digest(digest: Digest) -> list[SlackMessage]:
    lead = [header_block(digest.heading)]
    lead += context_blocks(f"_{escape(note)}_" for note in digest.notices)
    if not digest.stories:
        lead += section_blocks(escape(digest.empty_message or "Nothing to brief."))
    units = [_story_unit(story, i == 0) for i, story in enumerate(digest.stories)]
    titles = "; ".join(s.title for s in digest.stories) or (digest.empty_message or "")
    fallback = f"{digest.heading}: {titles}" if titles else digest.heading
    return paginate([lead, *units], digest.heading, fallback_text(fallback))


def _sourced(text: str, source: Link) -> list[Block]:
    return section_blocks(text) + context_blocks([link(source.url, link_label(source))])


def render_answer(answer: FigureAnswer) -> list[SlackMessage]:
    heading = answer_heading(answer) or "Briefing"
    lead = [header_block(heading)]
    if answer.message:
        lead += section_blocks(escape(answer.message))
    if answer.suggestions:
        lead += section_blocks("Did you mean: " + ", ".join(escape(s) for s in answer.suggestions) + "?")
    units: list[list[Block]] = []
    for q in answer.quotes:
        partial = " _(partial quote)_" if q.partial else ""
        units.append(_sourced(f"*{escape(q.speaker)}*: “{escape(q.quote)}”{partial}", q.link))
    for m in answer.mentions:
        units.append(_sourced(escape(m.sentence), m.link))
    if len(lead) == 1 and not units:
        lead += section_blocks("I found nothing about that in the stories I have.")
    fallback = heading if not answer.message else f"{heading}: {answer.message}"
    return paginate([lead, *units], heading, fallback_text(fallback))


def render_notice(notice: Notice) -> list[SlackMessage]:
    """A confirmation or error. The service writes channel references as `<#C123>`; those alone are kept
    as links (they never ping), everything else is escaped like any untrusted text."""
    body = _channel_links("\n".join(escape(line) for line in (notice.text, *notice.lines)))
    if not notice.ok:
        body = ":warning: " + body
    units = [[block] for block in section_blocks(body)]
    return paginate(units, "Briefing", _channel_links(fallback_text(notice.text)))


def _channel_links(escaped: str) -> str:
    return _CHANNEL_REF.sub(r"<#\1>", escaped)


def render(reply: Reply) -> list[SlackMessage]:
    """Render any core reply as one or more Slack messages, each within every Slack limit."""
    if isinstance(reply, Digest):
        return render_digest(reply)
    if isinstance(reply, FigureAnswer):
        return render_answer(reply)
    return render_notice(reply)

"""Plain-text and Markdown rendering for the terminal (`briefbot chat`, `digest`, `ask`)."""

from __future__ import annotations

import re

from bot.briefing.models import Digest, FigureAnswer, Notice, Reply, StoryBrief
from bot.render.common import (
    answer_heading,
    disagreement_lines,
    format_date,
    link_label,
    outlet_count,
    point_outlets,
)


def _story(story: StoryBrief, markdown: bool) -> list[str]:
    head = f"## {story.title}" if markdown else story.title
    lines = [head]
    if story.published and not markdown:
        lines[0] += f" ({format_date(story.published)})"
    if outlets := outlet_count(story):
        lines[0] += f" · {outlets} outlets"
    for i, point in enumerate(story.points, 1):
        cited = point_outlets(story, i - 1, str)
        lines.append(f"{i}. {point.text}" + (f" ({cited})" if cited else ""))
    differ = disagreement_lines(story, str)
    if differ:
        lines.append("**Outlets differ:**" if markdown else "Outlets differ:")
        lines += [f"- {line}" if markdown else f"   - {line}" for line in differ]
    if story.note:
        lines.append(f"_{story.note}_" if markdown else f"({story.note})")
    for link in story.links:
        if link.url:
            label = link_label(link)
            lines.append(f"- [{label}]({link.url})" if markdown else f"   {label}: {link.url}")
    return lines


def render_digest(digest: Digest, *, markdown: bool = False) -> str:
    lines = [f"# {digest.heading}" if markdown else digest.heading.upper(), ""]
    for note in digest.notices:
        lines += [f"> {note}" if markdown else f"[{note}]", ""]
    if not digest.stories:
        lines.append(digest.empty_message or "Nothing to brief.")
    for story in digest.stories:
        lines += _story(story, markdown) + [""]
    return "\n".join(lines).rstrip() + "\n"


def render_answer(answer: FigureAnswer) -> str:
    lines: list[str] = []
    heading = answer_heading(answer)
    if heading:
        lines.append(heading)
    if answer.message:
        lines.append(answer.message)
    if answer.suggestions:
        lines.append("Did you mean: " + ", ".join(answer.suggestions) + "?")
    for q in answer.quotes:
        mark = " (partial)" if q.partial else ""
        lines.append(f"- {q.speaker}: “{q.quote}”{mark} — {link_label(q.link)} {q.link.url or ''}".rstrip())
    if answer.mentions:
        lines.append("About them:" if answer.quotes else "")
        for m in answer.mentions:
            lines.append(f"- {m.sentence} — {link_label(m.link)} {m.link.url or ''}".rstrip())
    return "\n".join(line for line in lines if line) + "\n"


_CHANNEL_LINK = re.compile(r"<#([^>|\s]+)(?:\|([^>]*))?>")


def plain_channels(text: str) -> str:
    """The core writes channels as `<#id>` (Discord and Slack show a link); a terminal shows `#id` (or `#name`)."""
    return _CHANNEL_LINK.sub(lambda m: "#" + (m.group(2) or m.group(1)), text)


def render_notice(notice: Notice) -> str:
    return plain_channels("\n".join([notice.text, *notice.lines])) + "\n"


def render(reply: Reply, *, markdown: bool = False) -> str:
    if isinstance(reply, Digest):
        return render_digest(reply, markdown=markdown)
    if isinstance(reply, FigureAnswer):
        return render_answer(reply)
    return render_notice(reply)

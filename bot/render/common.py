"""Helpers every renderer shares: dates, link labels and clean splitting of long text."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bot.briefing.models import FigureAnswer, Link, StoryBrief
from bot.text import ELLIPSIS, truncate

CLAIM_CHARS = 160  # an outlet's words on a disputed matter: a phrase, not its article

ZWSP = "\u200b"


def defang_urls(text: str) -> str:
    """Make every URL written in untrusted text non-clickable: `http://x` becomes `http:` + ZWSP + `//x`.

    It reads the same, but chat clients no longer recognise a scheme there, so neither a bare URL nor an
    `<http://…>` autolink in article text becomes a live link (a lure: "log in here"). Every scheme is
    broken, not only http(s): what a client links varies, what we must never do is link for the article.
    Our own source links are built from `Link.url` after this, so they are unaffected.
    """
    return text.replace("://", f":{ZWSP}//")


def format_date(when: datetime | None) -> str:
    return when.strftime("%d %b %Y") if when else ""


def link_label(link: Link) -> str:
    """`Source · 26 Nov 2026` or the title when the outlet is unknown."""
    parts = [link.source or "", format_date(link.published)]
    label = " · ".join(p for p in parts if p)
    return label or link.title or (link.url or "")


def split_text(text: str, limit: int) -> list[str]:
    """Split `text` into chunks of at most `limit` characters at paragraph, line, sentence or word
    boundaries. A single word longer than `limit` is cut hard (and marked with an ellipsis), the only
    case where a cut falls mid-word."""
    if limit < 2:
        raise ValueError("limit must be at least 2")
    chunks: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        window = rest[: limit + 1]
        cut = -1
        for sep in ("\n\n", "\n", ". ", " "):
            pos = window.rfind(sep, 0, limit)
            if pos > limit // 4:
                cut = pos + (1 if sep == ". " else 0)
                break
        if cut <= 0:
            chunks.append(rest[: limit - 1] + ELLIPSIS)
            rest = rest[limit - 1:].lstrip()
            continue
        chunks.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        chunks.append(rest)
    return chunks




def answer_heading(answer: FigureAnswer) -> str | None:
    """`What X said` / `Who is X` / `The latest on X`, or None when no figure was recognised."""
    if not answer.figure:
        return None
    return {"said": f"What {answer.figure} said", "who": f"Who is {answer.figure}",
            "latest": f"The latest on {answer.figure}"}[answer.intent]


# -- stories told by several outlets (`StoryBrief.outlet_brief`) -----------------------------------------
# Outlet names and claims come from feeds and articles: untrusted. Every piece goes through the
# renderer's own `clean` (mention neutralising, escaping) before it is joined into the wording here.


def outlet_count(story: StoryBrief) -> int:
    """Distinct outlets behind a story told by several ("N outlets"); 0 for a one-outlet story."""
    outlets = len(story.outlets) or (len(story.outlet_brief.outlets) if story.outlet_brief else 0)
    return outlets if outlets >= 2 else 0


def point_outlets(story: StoryBrief, index: int, clean: Callable[[str], str]) -> str:
    """"Outlet A, Outlet B": the outlets whose text supports point `index` ("" when not known), with
    "outlets differ" when the point states something they disagree on."""
    brief = story.outlet_brief
    if brief is None or index >= len(brief.points):
        return ""
    point = brief.points[index]
    names = ", ".join(clean(o) for o in point.outlets)
    return f"{names}; outlets differ" if point.disagreements else names


def disagreement_lines(story: StoryBrief, clean: Callable[[str], str]) -> list[str]:
    """One line per disagreement: `A, B: “their words” · C: “its words”`, each side once."""
    brief = story.outlet_brief
    if brief is None:
        return []
    lines = []
    for d in brief.disagreements:
        sides = [
            f"{', '.join(clean(o) for o in dict.fromkeys(c.outlet for c in side))}: "
            f"“{clean(truncate(side[0].text, CLAIM_CHARS))}”"
            for side in d.sides
        ]
        lines.append(" · ".join(sides))
    return lines

"""Helpers every renderer shares: dates, link labels and clean splitting of long text."""

from __future__ import annotations

from datetime import datetime

from bot.briefing.models import FigureAnswer, Link
from bot.text import ELLIPSIS

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

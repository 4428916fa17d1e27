"""RSS and Atom feeds: recognise a feed body and turn its entries into documents (via feedparser).

Entries carry either full text (`content:encoded`, Atom `content`) or a summary; we take the longest of
those, converted from HTML to paragraphs. Entries with no text at all keep their link so that ingest can
fetch the article page instead.
"""

from __future__ import annotations

import calendar
import logging
import re
import time
import xml.sax
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import feedparser

from bot.articles.loaders import Document, LoadError, html_fragment_to_text

log = logging.getLogger(__name__)

# The root element after any XML declaration, comments, processing instructions or doctype.
_ROOT = re.compile(rb"^(?:\s|<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>]*>)*<(?:[\w-]+:)?(rss|feed|RDF)\b", re.S | re.I)


@dataclass(slots=True)
class FeedEntries:
    """A parsed feed: its title, entry documents, and problems worth telling the user about."""

    title: str
    documents: list[Document]
    needs_fetch: list[Document] = field(default_factory=list)  # entries with a link but no text
    warnings: list[str] = field(default_factory=list)


def looks_like_feed(body: bytes, content_type: str = "") -> bool:
    """True if the body is RSS/Atom: by its root element, whatever the server claims it is."""
    head = body[:4096].lstrip(b"\xef\xbb\xbf")
    if _ROOT.match(head):
        return True
    return any(t in content_type for t in ("rss", "atom")) and b"<" in head


def _entry_text(entry: Any) -> str:
    """The longest text the entry offers (full content beats summary), as paragraphs."""
    candidates: list[tuple[str, str]] = []
    for content in entry.get("content") or []:
        candidates.append((str(content.get("value") or ""), str(content.get("type") or "text/html")))
    detail = entry.get("summary_detail") or {}
    if entry.get("summary"):
        candidates.append((str(entry.get("summary")), str(detail.get("type") or "text/html")))
    best = ""
    for value, kind in candidates:
        text = html_fragment_to_text(value) if "html" in kind else value.strip()
        if len(text) > len(best):
            best = text
    return best


def _entry_date(entry: Any) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        parsed: time.struct_time | None = entry.get(key)
        if parsed:
            try:
                return datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC)
            except (OverflowError, ValueError, OSError):
                continue
    return None


def parse_feed(body: bytes, url: str | None = None) -> FeedEntries:
    """Entries of an RSS/Atom feed as documents; LoadError if the feed is broken or has no entries.

    feedparser recovers what it can from malformed XML (a stray `&` is common in real feeds); we keep the
    recovered entries with a warning, and only fail when nothing usable came out.
    """
    parsed = feedparser.parse(body, response_headers={"content-location": url} if url else None)
    problem = parsed.get("bozo_exception") if parsed.get("bozo") else None
    broken = isinstance(problem, xml.sax.SAXException)
    feed_title = str(parsed.feed.get("title") or "").strip()
    result = FeedEntries(title=feed_title, documents=[])
    for entry in parsed.entries:
        link = str(entry.get("link") or "").strip() or None
        doc = Document(
            text=_entry_text(entry),
            title=str(entry.get("title") or "").strip(),
            url=link,
            source=feed_title or None,
            published=_entry_date(entry),
            extra={"feed": url} if url else {},
        )
        if doc.text.strip():
            result.documents.append(doc)
        elif link:
            result.needs_fetch.append(doc)
        else:
            result.warnings.append(f"entry {doc.title or '(untitled)'!r} has neither text nor link")
    if broken:
        reason = _describe(problem)
        if not result.documents and not result.needs_fetch:
            raise LoadError(f"feed XML is broken: {reason}")
        result.warnings.append(f"feed XML is broken ({reason}); kept the entries that could be recovered")
    elif not parsed.entries:
        if not parsed.get("version"):
            raise LoadError("not an RSS or Atom feed")
        result.warnings.append("feed has no entries")
    return result


def _describe(exc: object) -> str:
    if isinstance(exc, xml.sax.SAXParseException):
        return f"{exc.getMessage()} at line {exc.getLineNumber()}, column {exc.getColumnNumber()}"
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__

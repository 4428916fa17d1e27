"""Fetch a feed now and say what it holds, or exactly why it cannot be used.

`/feed test` shows this and stores nothing; `/feed add` runs the same check first and stores the
articles it found, so the tenant's next `/brief` shows them at once. The fetch goes through
`bot.articles.fetch` (SSRF checks on every hop, size and time limits). A URL that is a web page is
resolved through its `<link rel="alternate" type="application/rss+xml" href="...">` to the feed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from html.parser import HTMLParser
from urllib.parse import urljoin

import httpx

from bot.articles.feeds import FeedEntries, looks_like_feed, parse_feed
from bot.articles.fetch import FetchError, FetchResult, fetch, make_client
from bot.articles.ingest import documents_to_articles
from bot.articles.loaders import LoadError
from bot.articles.models import Article
from bot.settings import Settings
from bot.text import truncate

log = logging.getLogger(__name__)

FEED_TYPES = frozenset({"application/rss+xml", "application/atom+xml", "application/rdf+xml",
                        "application/feed+json", "application/xml", "text/xml"})
NEWEST = 3
MAX_NAME_CHARS = 80


class FeedProblem(Exception):
    """Why a URL cannot be used as a feed, in words to show the manager (with what to do)."""


@dataclass(frozen=True, slots=True)
class FeedItem:
    title: str
    url: str | None
    published: datetime | None


@dataclass(slots=True)
class FeedPreview:
    """What a feed holds right now."""

    url: str  # the feed itself (after discovery and redirects as requested: the URL to poll)
    requested: str  # what the user gave
    title: str
    item_count: int
    newest: tuple[FeedItem, ...]
    articles: list[Article] = field(default_factory=list)  # entries with text, ready to store
    warnings: list[str] = field(default_factory=list)

    @property
    def discovered(self) -> bool:
        return self.url != self.requested

    @property
    def name(self) -> str:
        return truncate(self.title, MAX_NAME_CHARS) if self.title else self.url


class _AlternateLinks(HTMLParser):
    """Collects `<link rel="alternate" type="...rss/atom..." href>` in a page's markup."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "link":
            return
        a = {k.lower(): (v or "") for k, v in attrs}
        rels = a.get("rel", "").lower().split()
        if "alternate" in rels and a.get("type", "").lower().strip() in FEED_TYPES and a.get("href"):
            self.links.append(a["href"].strip())


def discover_feeds(html: bytes | str, base_url: str) -> list[str]:
    """Feed URLs a page advertises, absolute, in page order (RSS and Atom)."""
    text = html.decode("utf-8", "replace") if isinstance(html, bytes) else html
    parser = _AlternateLinks()
    try:
        parser.feed(text[:500_000])
        parser.close()
    except Exception:  # html.parser is lenient; anything it still chokes on just means "no links"
        log.debug("could not parse %s for feed links", base_url, exc_info=True)
    seen: list[str] = []
    for href in parser.links:
        url = urljoin(base_url, href)
        if url.startswith(("http://", "https://")) and url not in seen:
            seen.append(url)
    return seen


def _fetch(url: str, settings: Settings, client: httpx.Client) -> FetchResult:
    try:
        return fetch(url, settings, client=client)
    except FetchError as exc:
        raise FeedProblem(f"could not fetch {url}: {exc}") from exc


def _parse(fetched: FetchResult) -> FeedEntries:
    try:
        return parse_feed(fetched.body, fetched.final_url)
    except LoadError as exc:
        raise FeedProblem(f"{fetched.url} is not a usable feed: {exc}") from exc


def inspect_feed(url: str, settings: Settings, *, client: httpx.Client | None = None) -> FeedPreview:
    """Fetch `url` (a feed, or a page that links to one) and describe the feed; FeedProblem if unusable."""
    url = url.strip()
    http = client or make_client(settings)
    try:
        fetched = _fetch(url, settings, http)
        if not fetched.body.strip():
            raise FeedProblem(f"{url} answered with an empty body")
        feed_url = url
        if not looks_like_feed(fetched.body, fetched.content_type):
            candidates = discover_feeds(fetched.body, fetched.final_url) if "html" in fetched.content_type or \
                fetched.body.lstrip()[:1] == b"<" else []
            if not candidates:
                kind = fetched.content_type or "unknown content"
                raise FeedProblem(f"{url} is not an RSS or Atom feed ({kind}) and the page links to no feed. "
                                  "Look for an RSS link on the site and use that address.")
            feed_url = candidates[0]
            log.info("%s links to feed %s", url, feed_url)
            fetched = _fetch(feed_url, settings, http)
            if not looks_like_feed(fetched.body, fetched.content_type):
                raise FeedProblem(f"{url} links to {feed_url}, but that is not an RSS or Atom feed either")
        entries = _parse(fetched)
    finally:
        if client is None:
            http.close()
    documents = entries.documents + entries.needs_fetch
    articles, warnings = documents_to_articles(entries.documents, settings)
    newest = sorted(documents, key=lambda d: d.published.timestamp() if d.published else float("-inf"),
                    reverse=True)[:NEWEST]
    if not any(d.published for d in documents):
        newest = documents[:NEWEST]  # no dates: feeds list newest first by convention
    return FeedPreview(
        url=feed_url, requested=url, title=entries.title, item_count=len(documents),
        newest=tuple(FeedItem(truncate(d.title or "(untitled)", 200), d.url, d.published) for d in newest),
        articles=articles, warnings=entries.warnings + warnings,
    )

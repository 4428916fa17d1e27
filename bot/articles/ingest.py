"""The one entry point for getting articles in: files, directories, stdin, article URLs and feed URLs.

`load_inputs` turns each input into a `LoadResult` and never raises for bad input, so one broken feed or
unreadable file cannot stop a batch or leave the store half-written: the caller stores what loaded and
reports the rest. Every document, whatever its origin, goes through the same steps: clean the text,
split an aggregated page into stories, cut oversized stories at a paragraph boundary, drop exact repeats.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bot.articles.clean import clean_text
from bot.articles.feeds import looks_like_feed, parse_feed
from bot.articles.fetch import FetchError, FetchResult, HttpCache, fetch, make_client
from bot.articles.language import looks_english
from bot.articles.loaders import (
    SUPPORTED_SUFFIXES,
    Document,
    Loaded,
    LoadError,
    extract_html,
    iter_directory,
    load_file,
    parse_bytes,
    read_limited,
)
from bot.articles.models import Article
from bot.articles.split import split_stories
from bot.settings import Settings
from bot.text import truncate

log = logging.getLogger(__name__)

# A feed whose entries carry no text costs one page fetch per entry; cap it so one feed cannot stall a run.
MAX_ENTRY_FETCHES = 10
_URL_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)
_HTML_SNIFF = re.compile(rb"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)\b", re.IGNORECASE | re.S)
_SENTENCE_END = re.compile(r"[.!?…][\"'”’)]*\s")


@dataclass
class LoadResult:
    """What one input gave: articles, or a one-line error; `warnings` lists records that were skipped."""

    source: str  # the input as given (path or URL); for a directory, each file's path
    articles: list[Article]
    error: str | None = None
    not_modified: bool = False
    warnings: list[str] = field(default_factory=list)


def truncate_story(text: str, limit: int) -> str:
    """Cut text to at most `limit` characters at a paragraph boundary (else a sentence end, else a space).

    Cutting mid-sentence would hand the summariser a broken last sentence and the quote finder an open
    quotation, so we give up to half the budget to find a clean break.
    """
    if len(text) <= limit:
        return text
    cut = text.rfind("\n\n", 0, limit + 1)
    if cut < limit // 2:
        ends = [m.end() for m in _SENTENCE_END.finditer(text, limit // 2, limit + 1)]
        cut = ends[-1] if ends else text.rfind(" ", limit // 2, limit + 1)
    if cut <= 0:
        cut = limit
    return text[:cut].rstrip()


MAX_TITLE_CHARS = 300


def _short_title(title: str) -> str:
    """Titles are shown in every message header; a hostile or broken page must not make one huge."""
    return truncate(" ".join(title.split()), MAX_TITLE_CHARS)


def documents_to_articles(documents: Sequence[Document], settings: Settings) -> tuple[list[Article], list[str]]:
    """Clean, split, truncate and de-duplicate documents into articles; also return per-story warnings.

    Stories split from one page share its URL; all but the first get a `#story-N` fragment so each has
    its own identity in the store (`dedupe.canonical_url` keeps that fragment).
    """
    articles: list[Article] = []
    warnings: list[str] = []
    seen: set[str] = set()
    for doc in documents:
        text = clean_text(doc.text)
        if not text:
            warnings.append(f"{doc.title or doc.url or 'document'}: no text left after removing boilerplate")
            continue
        if not looks_english(text):
            log.info("refused non-English text %r", doc.title or doc.url or "document")
            warnings.append(f"{doc.title or doc.url or 'document'}: not English text "
                            "(briefbot summarises English-language news)")
            continue
        stories = [(t, body) for t, body in split_stories(text, doc.title) if body.strip()]
        for n, (title, body) in enumerate(stories, start=1):
            extra = dict(doc.extra)
            label = title or doc.title or doc.url or "story"
            if len(body) > settings.max_article_chars:
                original = len(body)
                body = truncate_story(body, settings.max_article_chars)
                log.warning("truncated %r from %d to %d characters (max_article_chars=%d)",
                            label, original, len(body), settings.max_article_chars)
                warnings.append(f"{label}: truncated from {original:,} to {len(body):,} characters")
                extra["truncated_from"] = original
            if len(stories) > 1:
                extra["story"] = f"{n}/{len(stories)}"
            url = doc.url
            if url and n > 1:
                url = f"{url.split('#', 1)[0]}#story-{n}"
            title = _short_title(title or (doc.title if n == 1 else ""))
            article = Article(text=body, title=title, url=url,
                              source=doc.source, published=doc.published, extra=extra)
            if article.content_hash in seen:
                log.info("dropping a repeat of %r within one input", article.label)
                continue
            seen.add(article.content_hash)
            articles.append(article)
    return articles, warnings


class _Loader:
    """State shared across one `load_inputs` call: settings, the HTTP client (made on first use), the cache."""

    def __init__(self, settings: Settings, cache: HttpCache | None, client: httpx.Client | None) -> None:
        self.settings = settings
        self.cache = cache
        self._client = client
        self._own_client = client is None

    @property
    def client(self) -> httpx.Client:
        if self._client is None:
            self._client = make_client(self.settings)
        return self._client

    def close(self) -> None:
        if self._own_client and self._client is not None:
            self._client.close()

    def _result(self, source: str, loaded: Loaded) -> LoadResult:
        articles, warnings = documents_to_articles(loaded.documents, self.settings)
        warnings = loaded.warnings + warnings
        if not articles:
            reason = warnings[0] if len(warnings) == 1 else "no article text left after removing boilerplate"
            return LoadResult(source, [], error=reason, warnings=warnings)
        return LoadResult(source, articles, warnings=warnings)

    def load(self, raw: str) -> Iterator[LoadResult]:
        text = raw.strip()
        if not text:
            yield LoadResult(raw, [], error="empty input (expected a path, a URL or '-')")
        elif text == "-":
            yield self._load_stdin(raw)
        elif _URL_SCHEME.match(text):
            scheme = text.split(":", 1)[0].lower()
            if scheme in ("http", "https"):
                yield self._load_url(raw, text)
            else:
                yield LoadResult(raw, [], error=f"unsupported URL scheme {scheme!r} (only http and https)")
        else:
            yield from self._load_path(raw, Path(text).expanduser())

    def _load_stdin(self, raw: str) -> LoadResult:
        stream = getattr(sys.stdin, "buffer", None)
        if stream is None:
            return LoadResult(raw, [], error="no standard input to read")
        try:
            data = read_limited(stream, self.settings.max_article_bytes)
            if not data.strip():
                raise LoadError("empty input on stdin")
            return self._result(raw, parse_bytes(data, "text"))
        except LoadError as exc:
            return LoadResult(raw, [], error=str(exc))

    def _load_path(self, raw: str, path: Path) -> Iterator[LoadResult]:
        if path.is_dir():
            try:
                files = iter_directory(path)
            except OSError as exc:
                yield LoadResult(raw, [], error=f"cannot list directory: {exc.strerror or exc}")
                return
            if not files:
                supported = ", ".join(sorted(SUPPORTED_SUFFIXES))
                yield LoadResult(raw, [], error=f"no supported files in directory (looked for {supported})")
            for file in files:
                yield self._load_file(str(file), file)
            return
        yield self._load_file(raw, path)

    def _load_file(self, source: str, path: Path) -> LoadResult:
        try:
            return self._result(source, load_file(path, self.settings.max_article_bytes))
        except LoadError as exc:
            return LoadResult(source, [], error=str(exc))

    def _load_url(self, raw: str, url: str) -> LoadResult:
        try:
            fetched = fetch(url, self.settings, cache=self.cache, client=self.client)
        except FetchError as exc:
            return LoadResult(raw, [], error=str(exc))
        if fetched.not_modified:
            return LoadResult(raw, [], not_modified=True)
        try:
            loaded = self._parse_fetched(fetched)
        except LoadError as exc:
            return LoadResult(raw, [], error=str(exc))
        return self._result(raw, loaded)

    def _parse_fetched(self, fetched: FetchResult) -> Loaded:
        body, media = fetched.body, fetched.content_type
        if not body.strip():
            raise LoadError("empty response")
        if looks_like_feed(body, media):
            feed = parse_feed(body, fetched.final_url)
            documents = feed.documents + self._fetch_entry_pages(feed.needs_fetch, feed.warnings)
            if not documents:
                raise LoadError(feed.warnings[0] if feed.warnings else "feed has no entries with text")
            return Loaded(documents, feed.warnings)
        sniffed_html = media in ("", "text/plain") and _HTML_SNIFF.match(body[:4096]) is not None
        if media in ("text/html", "application/xhtml+xml") or sniffed_html:
            doc = extract_html(body, fetched.final_url)
            if fetched.final_url != fetched.url:
                doc.extra["requested_url"] = fetched.url
            return Loaded([doc])
        if media in ("application/json", "text/json"):
            return parse_bytes(body, "json", url=fetched.final_url, declared=fetched.charset)
        if media in ("application/x-ndjson", "application/jsonl", "application/x-jsonlines"):
            return parse_bytes(body, "jsonl", url=fetched.final_url, declared=fetched.charset)
        if media in ("", "text/plain", "text/markdown"):
            return parse_bytes(body, "text", url=fetched.final_url, declared=fetched.charset)
        raise LoadError(f"unsupported content type {media} (expected an article page, a feed or text)")

    def _fetch_entry_pages(self, entries: list[Document], warnings: list[str]) -> list[Document]:
        """Fetch the pages of feed entries that carry no text (title-only feeds), up to MAX_ENTRY_FETCHES."""
        documents: list[Document] = []
        if len(entries) > MAX_ENTRY_FETCHES:
            warnings.append(f"{len(entries) - MAX_ENTRY_FETCHES} text-less entries skipped "
                            f"(at most {MAX_ENTRY_FETCHES} entry pages are fetched per feed)")
        for entry in entries[:MAX_ENTRY_FETCHES]:
            if entry.url is None:
                continue
            try:
                fetched = fetch(entry.url, self.settings, client=self.client)
                if looks_like_feed(fetched.body, fetched.content_type):
                    raise LoadError("entry link points to another feed")
                page = extract_html(fetched.body, fetched.final_url)
            except (FetchError, LoadError) as exc:
                warnings.append(f"entry {entry.title or entry.url!r}: {exc}")
                continue
            documents.append(Document(
                text=page.text, title=entry.title or page.title, url=entry.url,
                source=entry.source or page.source, published=entry.published or page.published,
                extra=entry.extra,
            ))
        return documents


def load_inputs(
    inputs: Sequence[str],
    settings: Settings,
    *,
    cache: HttpCache | None = None,
    client: httpx.Client | None = None,
) -> Iterator[LoadResult]:
    """Load each input (file, directory, '-' for stdin, http(s) article or feed URL) into a LoadResult.

    One result per input, except a directory, which gives one per supported file in it. Never raises for
    bad input: problems become `error` (nothing loaded) or `warnings` (some records skipped). A given
    `client` is used as is and left open; otherwise one is made for the call and closed at the end.
    """
    loader = _Loader(settings, cache, client)
    try:
        for raw in inputs:
            try:
                yield from loader.load(raw)
            except Exception as exc:  # noqa: BLE001 - a bug on one input must not lose the rest of the batch
                log.exception("unexpected error while loading %s", raw)
                yield LoadResult(raw, [], error=f"unexpected error: {type(exc).__name__}: {exc}")
    finally:
        loader.close()

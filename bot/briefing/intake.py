"""The one way articles come in: load → HTTP validators held back → store and place in a story → commit.

`/brief <url>`, the feed poller, `briefbot ingest` and `briefbot digest --articles` all call `intake`, so
they share the SSRF-safe loading, the duplicate and story rules of the store, and the rule that a feed's
ETag/Last-Modified is saved only once its articles are safely stored (else a failed store would hide
them on the next conditional GET).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from bot.articles.fetch import DeferredHttpCache
from bot.articles.ingest import LoadResult, load_inputs
from bot.articles.models import Article
from bot.settings import Settings
from bot.store import AddOutcome, ArticleOrigin, Store

log = logging.getLogger(__name__)

Loader = Callable[[str], Iterable[LoadResult]]


@dataclass(frozen=True, slots=True)
class Intake:
    """What one input gave once stored: each article with what the store did with it, or an error.

    For a URL fetched before and unchanged (`not_modified`), `known` holds the stored copy, so callers
    can brief it without fetching again.
    """

    source: str
    stored: tuple[tuple[Article, AddOutcome], ...] = ()
    error: str | None = None
    not_modified: bool = False
    warnings: tuple[str, ...] = ()
    known: tuple[Article, ...] = field(default_factory=tuple)

    @property
    def articles(self) -> list[Article]:
        """Every article this input stands for: newly stored, duplicates of stored ones, or the known copy."""
        return [a for a, _ in self.stored] + list(self.known)

    @property
    def new(self) -> list[Article]:
        """Articles stored (or updated) by this intake, not duplicates."""
        return [a for a, o in self.stored if o.status != "duplicate"]


def _store(store: Store, article: Article, origin: ArticleOrigin | None) -> AddOutcome:
    """Add the article; a known URL with new text (a corrected or updated page) replaces the stored text
    and is placed in its story again, since the update may be a different event's page now."""
    outcome = store.add_article(article, origin=origin)
    if outcome.status != "duplicate" or not outcome.id or not article.url:
        return outcome
    known = store.get_article(outcome.id)
    if known is None or known.content_hash == article.content_hash or known.url is None:
        return outcome
    log.info("article #%d changed at %s; storing the new text", outcome.id, article.url)
    return store.update_article(outcome.id, text=article.text, title=article.title or None)


def intake(inputs: Sequence[str], store: Store, settings: Settings, *, load: Loader | None = None,
           origin: ArticleOrigin | None = None) -> Iterator[Intake]:
    """Load, store and place every input, one `Intake` per load result (a directory gives one per file).

    `origin` says where the articles came from (a polled feed, a tenant's `/brief <url>`), recorded with
    each so that only the tenants it belongs to see it (`bot.store.scope`); None: the operator's, global.

    `load` replaces the real loader (tests, a feed poller's injected fetcher); validators are then not
    used. Never raises for bad input; a store error propagates after the validators were discarded.
    """
    cache = DeferredHttpCache(store)
    if load is not None:
        results: Iterable[LoadResult] = (r for item in inputs for r in load(item))
    else:
        results = load_inputs(inputs, settings, cache=cache)
    for result in results:
        if result.error:
            cache.discard()
            log.info("could not load %s: %s", result.source, result.error)
            yield Intake(result.source, error=result.error, warnings=tuple(result.warnings))
            continue
        stored: list[tuple[Article, AddOutcome]] = []
        try:
            for article in result.articles:
                outcome = _store(store, article, origin)
                if article.id is None and outcome.id:  # a duplicate: point at the stored copy
                    article.id, article.story_id = outcome.id, outcome.story_id
                stored.append((article, outcome))
        except Exception:
            cache.discard()
            raise
        cache.commit()  # only now that the articles are stored
        known: tuple[Article, ...] = ()
        if result.not_modified and not result.articles:
            copy = store.article_by_url(result.source)
            known = (copy,) if copy is not None else ()
        yield Intake(result.source, tuple(stored), not_modified=result.not_modified,
                     warnings=tuple(result.warnings), known=known)

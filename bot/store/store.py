"""The one storage module every stage reads and writes through (articles, summaries, feeds, subscriptions)."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.articles.dedupe import canonical_url, shingles, similar_shingles
from bot.articles.models import Article
from bot.store.database import make_engine, migrate
from bot.store.schema import ArticleRow, FeedRow, SubscriptionRow, SummaryRow, utcnow

log = logging.getLogger(__name__)

NEAR_DUPLICATE_WINDOW = 300  # recent articles compared for near-duplicate text across outlets


@dataclass(frozen=True, slots=True)
class AddOutcome:
    """What happened to one article: added, linked (same story, another outlet) or skipped as duplicate."""

    status: Literal["added", "linked", "duplicate"]
    id: int
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Subscription:
    id: int
    platform: str
    workspace_id: str | None
    channel_id: str
    time: str
    timezone: str
    created_by: str | None
    active: bool
    last_digest_at: datetime | None


def _to_article(row: ArticleRow) -> Article:
    return Article(text=row.text, title=row.title or "", url=row.url, source=row.source,
                   published=row.published, id=row.id,
                   extra={"story_of": row.story_of, "added_at": row.added_at})


def _to_subscription(row: SubscriptionRow) -> Subscription:
    return Subscription(row.id, row.platform, row.workspace_id, row.channel_id, row.time, row.timezone,
                        row.created_by, row.active, row.last_digest_at)


class Store:
    """SQLAlchemy-backed storage. Thread-safe: each call opens its own short session."""

    def __init__(self, url: str, *, run_migrations: bool = True) -> None:
        self.url = url
        self.engine = make_engine(url)
        if run_migrations:
            migrate(self.engine)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._shingles: dict[int, frozenset[tuple[str, ...]]] = {}

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A transaction: committed on success, rolled back on any error so nothing is half-written."""
        with self._sessions() as s, s.begin():
            yield s

    # -- articles -------------------------------------------------------------------------------

    def add_article(self, article: Article) -> AddOutcome:
        """Store an article unless its URL or text is already known; link near-duplicates to their story."""
        chash = article.content_hash
        canon = canonical_url(article.url) if article.url else None
        with self.session() as s:
            dup = s.scalar(select(ArticleRow).where(ArticleRow.content_hash == chash))
            if dup is not None:
                return AddOutcome("duplicate", dup.id, f"same text as article #{dup.id}")
            if canon:
                dup = s.scalar(select(ArticleRow).where(ArticleRow.canonical_url == canon))
                if dup is not None:
                    return AddOutcome("duplicate", dup.id, f"same URL as article #{dup.id}")
            story_of = self._find_story(s, article.text)
            row = ArticleRow(url=article.url, canonical_url=canon, title=article.title or "", text=article.text,
                             source=article.source, published=article.published, content_hash=chash,
                             story_of=story_of)
            s.add(row)
            try:
                s.flush()
            except IntegrityError:  # another process stored it between our check and insert
                s.rollback()
                return AddOutcome("duplicate", 0, "stored concurrently by another process")
            article.id = row.id
            if story_of is not None:
                return AddOutcome("linked", row.id, f"same story as article #{story_of}")
            return AddOutcome("added", row.id)

    def _find_story(self, s: Session, text: str) -> int | None:
        """The story id of a recent article with nearly the same text, if any.

        Shingle sets of recent articles are kept in memory by id, so each stored text is read and
        shingled once per process instead of once per new article.
        """
        mine = shingles(text)
        if not mine:
            return None
        recent = s.execute(select(ArticleRow.id, ArticleRow.story_of)
                           .order_by(ArticleRow.id.desc()).limit(NEAR_DUPLICATE_WINDOW)).all()
        missing = [rid for rid, _ in recent if rid not in self._shingles]
        if missing:
            for rid, stored_text in s.execute(
                    select(ArticleRow.id, ArticleRow.text).where(ArticleRow.id.in_(missing))):
                self._shingles[rid] = shingles(stored_text)
        found = None
        for rid, story_of in recent:
            if similar_shingles(mine, self._shingles[rid]):
                found = story_of or rid
                break
        keep = {rid for rid, _ in recent}
        if len(self._shingles) > 2 * NEAR_DUPLICATE_WINDOW:
            self._shingles = {k: v for k, v in self._shingles.items() if k in keep}
        return found

    def get_article(self, article_id: int) -> Article | None:
        with self.session() as s:
            row = s.get(ArticleRow, article_id)
            return _to_article(row) if row else None

    def article_by_url(self, url: str) -> Article | None:
        with self.session() as s:
            row = s.scalar(select(ArticleRow).where(ArticleRow.canonical_url == canonical_url(url)))
            return _to_article(row) if row else None

    def latest_articles(self, limit: int = 20, *, since: datetime | None = None,
                        query: str | None = None) -> list[Article]:
        """Newest first (by publication date, else by when we stored it); optional topic words filter."""
        newest = func.coalesce(ArticleRow.published, ArticleRow.added_at)
        stmt = select(ArticleRow)
        if since is not None:
            stmt = stmt.where(ArticleRow.added_at > since)
        for word in (query or "").split():
            like = f"%{word.lower()}%"
            stmt = stmt.where(or_(func.lower(ArticleRow.title).like(like), func.lower(ArticleRow.text).like(like)))
        stmt = stmt.order_by(newest.desc(), ArticleRow.id.desc()).limit(limit)
        with self.session() as s:
            return [_to_article(r) for r in s.scalars(stmt)]

    def count_articles(self) -> int:
        with self.session() as s:
            return int(s.scalar(select(func.count(ArticleRow.id))) or 0)

    # -- summaries (cache keyed by article version + method + model) ---------------------------

    def get_summary(self, content_hash: str, method: str, model: str) -> dict[str, Any] | None:
        with self.session() as s:
            row = s.scalar(select(SummaryRow).where(
                SummaryRow.content_hash == content_hash, SummaryRow.method == method, SummaryRow.model == model))
            return dict(row.payload) if row else None

    def put_summary(self, content_hash: str, method: str, model: str, payload: dict[str, Any],
                    *, article_id: int | None = None) -> None:
        """Cache a summary; a concurrent writer of the same key wins and ours is dropped (same content)."""
        try:
            with self.session() as s:
                s.add(SummaryRow(article_id=article_id, content_hash=content_hash, method=method, model=model,
                                 payload=payload))
        except IntegrityError:
            log.debug("summary %s/%s/%s already cached", content_hash[:8], method, model)

    # -- feeds: poll schedule and conditional-GET validators (implements articles.fetch.HttpCache) --

    def get(self, url: str) -> tuple[str | None, str | None]:
        with self.session() as s:
            row = s.get(FeedRow, url)
            return (row.etag, row.last_modified) if row else (None, None)

    def put(self, url: str, etag: str | None, last_modified: str | None) -> None:
        with self.session() as s:
            row = s.get(FeedRow, url)
            if row is None:
                row = FeedRow(url=url, failures=0, poll_minutes=30)
                s.add(row)
            row.etag, row.last_modified = etag, last_modified

    # -- subscriptions ------------------------------------------------------------------------

    def add_subscription(self, platform: str, channel_id: str, time: str, timezone: str, *,
                         workspace_id: str | None = None, created_by: str | None = None) -> Subscription:
        """Create or update the channel's subscription (one per channel)."""
        with self.session() as s:
            row = s.scalar(select(SubscriptionRow).where(
                SubscriptionRow.platform == platform, SubscriptionRow.channel_id == channel_id))
            if row is None:
                row = SubscriptionRow(platform=platform, channel_id=channel_id, created_at=utcnow())
                s.add(row)
            row.time, row.timezone, row.active = time, timezone, True
            row.workspace_id = workspace_id or row.workspace_id
            row.created_by = created_by or row.created_by
            s.flush()
            return _to_subscription(row)

    def remove_subscription(self, platform: str, channel_id: str) -> bool:
        with self.session() as s:
            row = s.scalar(select(SubscriptionRow).where(
                SubscriptionRow.platform == platform, SubscriptionRow.channel_id == channel_id))
            if row is None:
                return False
            s.delete(row)
            return True

    def list_subscriptions(self, platform: str | None = None, workspace_id: str | None = None,
                           *, active_only: bool = True) -> list[Subscription]:
        stmt = select(SubscriptionRow).order_by(SubscriptionRow.id)
        if platform:
            stmt = stmt.where(SubscriptionRow.platform == platform)
        if workspace_id:
            stmt = stmt.where(SubscriptionRow.workspace_id == workspace_id)
        if active_only:
            stmt = stmt.where(SubscriptionRow.active.is_(True))
        with self.session() as s:
            return [_to_subscription(r) for r in s.scalars(stmt)]

    def get_subscription(self, subscription_id: int) -> Subscription | None:
        with self.session() as s:
            row = s.get(SubscriptionRow, subscription_id)
            return _to_subscription(row) if row else None

    def articles_by_ids(self, ids: Sequence[int]) -> list[Article]:
        if not ids:
            return []
        with self.session() as s:
            rows = s.scalars(select(ArticleRow).where(ArticleRow.id.in_(list(ids))))
            by_id = {r.id: _to_article(r) for r in rows}
        return [by_id[i] for i in ids if i in by_id]

"""The one storage module every stage reads and writes through (articles, summaries, feeds, subscriptions)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import numpy as np
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.articles.dedupe import canonical_url
from bot.articles.models import Article
from bot.store.database import make_engine, migrate
from bot.store.schema import (
    ArticleRevisionRow,
    ArticleRow,
    DeliveryRow,
    FeedArticleRow,
    FeedRow,
    StoryRow,
    SubscriptionRow,
    SummaryRow,
    TenantArticleRow,
    utcnow,
)
from bot.store.scope import SourceScope, visible_to
from bot.stories import Story, StoryIndex, article_features
from bot.stories.cluster import StorySignature
from bot.stories.embedding import embed_article, from_bytes, to_bytes
from bot.stories.features import FEATURES_VERSION, ArticleFeatures

log = logging.getLogger(__name__)

INDEX_STORIES = 50_000  # most recent stories whose signatures are kept in memory for placement


@dataclass(frozen=True, slots=True)
class AddOutcome:
    """What happened to one article: added (a new story), linked (joined a stored story), updated (new text
    for a stored article, placed again) or skipped as duplicate."""

    status: Literal["added", "linked", "updated", "duplicate"]
    id: int
    reason: str = ""
    story_id: int | None = None


@dataclass(frozen=True, slots=True)
class ArticleOrigin:
    """Where an article came from, recorded with it so that `bot.store.scope` can tell who sees it:
    a polled feed, or a tenant whose user ingested it ("global" for the operator's own ingests)."""

    feed_url: str | None = None
    tenant: str | None = None


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
                   published=row.published, id=row.id, story_id=row.story_id, added_at=row.added_at)


def _signature(row: StoryRow) -> StorySignature:
    return StorySignature.from_dict(row.id, row.signature or {}, row.event_first, row.event_last)


def _to_subscription(row: SubscriptionRow) -> Subscription:
    return Subscription(row.id, row.platform, row.workspace_id, row.channel_id, row.time, row.timezone,
                        row.created_by, row.active, row.last_digest_at)


class Store:
    """SQLAlchemy-backed storage. Thread-safe: each call opens its own short session."""

    def __init__(self, url: str, *, run_migrations: bool = True,
                 embed: Callable[[Article], np.ndarray | None] | None = embed_article) -> None:
        """`embed` computes an article's sentence embedding when it is stored (default: all-MiniLM-L6-v2
        when installed, else None); pass None to place on lexical features only."""
        self.url = url
        self._embed = embed
        self.engine = make_engine(url)
        if run_migrations:
            migrate(self.engine)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        # Story placement: signatures in memory, refreshed from the table (other processes place too).
        self._index = StoryIndex()
        self._index_lock = threading.Lock()
        self._index_synced: datetime | None = None

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A transaction: committed on success, rolled back on any error so nothing is half-written."""
        with self._sessions() as s, s.begin():
            yield s

    # -- articles -------------------------------------------------------------------------------

    def add_article(self, article: Article, *, origin: ArticleOrigin | None = None) -> AddOutcome:
        """Store an article unless its URL or text is already known, and place it in its story (the one
        it reports, or a new one). Sets `article.id`, `article.story_id` and `article.added_at`.

        `origin` is recorded in the same transaction (also for a duplicate: a second feed carrying the
        same article makes it visible to that feed's tenants too), so no article is ever briefly visible
        to tenants it does not belong to (`bot.store.scope`).
        """
        chash = article.content_hash
        canon = canonical_url(article.url) if article.url else None
        if self._is_stored(chash, canon):  # cheap check first: no model run for a duplicate
            vector = None
        else:
            vector = self._embedding(article)  # outside the lock: ~0.1 s of CPU (see the README)
        with self._index_lock, self.session() as s:
            dup = s.scalar(select(ArticleRow).where(ArticleRow.content_hash == chash))
            if dup is not None:
                self._record_origin(s, dup.id, origin)
                return AddOutcome("duplicate", dup.id, f"same text as article #{dup.id}", dup.story_id)
            if canon:
                dup = s.scalar(select(ArticleRow).where(ArticleRow.canonical_url == canon))
                if dup is not None:
                    self._record_origin(s, dup.id, origin)
                    return AddOutcome("duplicate", dup.id, f"same URL as article #{dup.id}", dup.story_id)
            now = utcnow()
            row = ArticleRow(url=article.url, canonical_url=canon, title=article.title or "", text=article.text,
                             source=article.source, published=article.published, content_hash=chash,
                             added_at=now, embedding=to_bytes(vector))
            s.add(row)
            try:
                s.flush()
            except IntegrityError:  # another process stored it between our check and insert
                s.rollback()
                return AddOutcome("duplicate", 0, "stored concurrently by another process")
            self._record_origin(s, row.id, origin)
            features = article_features(article, when=article.published or now)
            story, signature, joined = self._place(s, row, features, vector)
            reason = ""
            if joined:
                first = s.scalar(select(func.min(ArticleRow.id)).where(ArticleRow.story_id == story.id))
                reason = f"same story as article #{first}"
        self._index.put(signature)  # only once committed
        article.id, article.story_id, article.added_at = row.id, story.id, now
        return AddOutcome("linked" if joined else "added", row.id, reason, story.id)

    def _embedding(self, article: Article) -> np.ndarray | None:
        if self._embed is None:
            return None
        try:
            return self._embed(article)
        except Exception:  # a model failure must not lose the article: it is placed on its words alone
            log.exception("sentence embedding failed; placing the article on lexical features only")
            return None

    def _is_stored(self, chash: str, canon: str | None) -> bool:
        with self.session() as s:
            cond = ArticleRow.content_hash == chash
            if canon:
                cond = or_(cond, ArticleRow.canonical_url == canon)
            return s.scalar(select(ArticleRow.id).where(cond).limit(1)) is not None

    @staticmethod
    def _record_origin(s: Session, article_id: int, origin: ArticleOrigin | None) -> None:
        if origin is None:
            return
        if origin.feed_url and s.get(FeedArticleRow, (origin.feed_url, article_id)) is None:
            s.add(FeedArticleRow(feed_url=origin.feed_url, article_id=article_id))
        if origin.tenant and s.get(TenantArticleRow, (origin.tenant, article_id)) is None:
            s.add(TenantArticleRow(tenant=origin.tenant, article_id=article_id))

    def grant_article(self, article_id: int, tenant: str) -> None:
        """Let a tenant see an article that is already stored (its user asked to brief that link)."""
        try:
            with self.session() as s:
                self._record_origin(s, article_id, ArticleOrigin(tenant=tenant))
        except IntegrityError:
            log.debug("article %d already granted to %s", article_id, tenant)

    def update_article(self, article_id: int, *, text: str, title: str | None = None) -> AddOutcome:
        """Replace a stored article's text (a correction, an updated page) and place it again: it may
        leave its story for another one. The old story's signature is rebuilt from its other articles."""
        chash = Article(text=text).content_hash
        with self.session() as s:
            known = s.get(ArticleRow, article_id)
            vector = self._embedding(Article(text=text, title=known.title if title is None else title)) \
                if known is not None else None
        with self._index_lock, self.session() as s:
            row = s.get(ArticleRow, article_id)
            if row is None:
                raise KeyError(article_id)
            other = s.scalar(select(ArticleRow.id).where(ArticleRow.content_hash == chash, ArticleRow.id != article_id))
            if other is not None:  # the new text is another stored article's: nothing to update
                return AddOutcome("duplicate", other, f"same text as article #{other}", row.story_id)
            old_story = row.story_id
            row.text, row.content_hash, row.embedding = text, chash, to_bytes(vector)
            if title is not None:
                row.title = title
            row.story_id = None
            s.add(ArticleRevisionRow(article_id=article_id))
            s.flush()
            rebuilt = self._rebuild_story(s, old_story) if old_story is not None else None
            if rebuilt is not None:
                self._index.put(rebuilt)
            elif old_story is not None:
                self._index.drop(old_story)
            features = article_features(_to_article(row), when=row.published or row.added_at)
            story, signature, joined = self._place(s, row, features, vector)
        self._index.put(signature)
        moved = "" if story.id == old_story else f" (moved from story #{old_story} to #{story.id})"
        return AddOutcome("updated", article_id, f"placed again{moved}", story.id)

    def _place(self, s: Session, row: ArticleRow, features: ArticleFeatures,
               embedding: np.ndarray | None) -> tuple[StoryRow, StorySignature, bool]:
        """Put a flushed article row in its story (creating one if none fits); returns the story row, its
        new signature (for the in-memory index once committed) and whether it joined an existing story."""
        self._sync_index(s)
        placed = self._index.place(features, embedding)
        story = s.get(StoryRow, placed.story_id) if placed.story_id is not None else None
        joined = story is not None
        if story is None:
            story = StoryRow(title=row.title or "", first_seen=row.added_at, last_seen=row.added_at,
                             article_count=0, signature={}, updated_at=utcnow())
            s.add(story)
            s.flush()
        old = self._index.signature(story.id)
        signature = old.copy() if old and joined else StorySignature(story.id)
        signature.add(features, embedding)
        row.story_id = story.id
        story.article_count = (story.article_count or 0) + 1
        story.last_seen = max(story.last_seen, row.added_at) if story.last_seen else row.added_at
        story.event_first, story.event_last = signature.first, signature.last
        story.signature = signature.as_dict()
        story.updated_at = utcnow()
        if not story.title and row.title:
            story.title = row.title
        return story, signature, joined

    def _rebuild_story(self, s: Session, story_id: int) -> StorySignature | None:
        """Recompute a story's signature and counts from its articles; delete it if it has none left."""
        story = s.get(StoryRow, story_id)
        if story is None:
            return None
        rows = list(s.scalars(select(ArticleRow).where(ArticleRow.story_id == story_id).order_by(ArticleRow.id)))
        if not rows:
            s.delete(story)
            return None
        signature = StorySignature(story_id)
        for r in rows:
            signature.add(article_features(_to_article(r), when=r.published or r.added_at), from_bytes(r.embedding))
        story.signature, story.article_count = signature.as_dict(), len(rows)
        story.event_first, story.event_last = signature.first, signature.last
        story.first_seen, story.last_seen = min(r.added_at for r in rows), max(r.added_at for r in rows)
        story.title = rows[0].title or story.title
        story.updated_at = utcnow()
        return signature

    def _sync_index(self, s: Session) -> None:
        """Load story signatures changed since the last sync (all recent ones the first time). Stories
        migrated from the old `story_of` links have no signature yet, and signatures written by an older
        `FEATURES_VERSION` hold terms new articles no longer yield: both get one built here, once."""
        stmt = select(StoryRow)
        if self._index_synced is None:
            stmt = stmt.order_by(StoryRow.last_seen.desc()).limit(INDEX_STORIES)
        else:
            stmt = stmt.where(StoryRow.updated_at >= self._index_synced)
        latest = self._index_synced
        for story in s.scalars(stmt):
            stored = story.signature or {}
            if not stored.get("terms") or stored.get("version", 1) != FEATURES_VERSION:
                sig = self._rebuild_story(s, story.id)
                if sig is not None:
                    self._index.put(sig)
                continue
            self._index.put(_signature(story))
            latest = story.updated_at if latest is None else max(latest, story.updated_at)
        self._index_synced = latest or utcnow()

    # -- stories ------------------------------------------------------------------------------

    def stories_by_ids(self, story_ids: Sequence[int], *, scope: SourceScope | None = None) -> list[Story]:
        """Typed stories with every stored article (oldest first), in the order of `story_ids`. With a
        `scope`, only the articles that tenant may see: a story is shared, its other outlets' copies may
        come from feeds another tenant added, and a story with none visible is left out."""
        if not story_ids:
            return []
        with self.session() as s:
            rows = {r.id: r for r in s.scalars(select(StoryRow).where(StoryRow.id.in_(list(story_ids))))}
            members: dict[int, list[Article]] = {}
            stmt = select(ArticleRow).where(ArticleRow.story_id.in_(list(rows)))
            if scope is not None:
                stmt = stmt.where(visible_to(scope))
            for a in s.scalars(stmt.order_by(ArticleRow.added_at, ArticleRow.id)):
                members.setdefault(a.story_id or 0, []).append(_to_article(a))
        def title(sid: int) -> str:  # a story's title is its first article's: maybe one the scope may not see
            return (rows[sid].title if scope is None else "") or members[sid][0].label

        return [Story(sid, title(sid), tuple(members[sid]), rows[sid].first_seen,
                      rows[sid].last_seen) for sid in story_ids if sid in rows and sid in members]

    def latest_stories(self, limit: int = 20, *, since: datetime | None = None, until: datetime | None = None,
                       query: str | None = None, scope: SourceScope | None = None) -> list[Story]:
        """Stories with an article stored in (since, until] (and matching every query word), the story
        with the newest such article (by publication date, else storage time) first. With a `scope`,
        only articles that tenant may see count, and only they are in the stories returned."""
        newest = func.max(func.coalesce(ArticleRow.published, ArticleRow.added_at))
        stmt = select(ArticleRow.story_id).where(ArticleRow.story_id.is_not(None))
        if scope is not None:
            stmt = stmt.where(visible_to(scope))
        if since is not None:
            stmt = stmt.where(ArticleRow.added_at > since)
        if until is not None:
            stmt = stmt.where(ArticleRow.added_at <= until)
        for word in (query or "").split():
            like = f"%{word.lower()}%"
            stmt = stmt.where(or_(func.lower(ArticleRow.title).like(like), func.lower(ArticleRow.text).like(like)))
        stmt = stmt.group_by(ArticleRow.story_id).order_by(newest.desc(), ArticleRow.story_id.desc()).limit(limit)
        with self.session() as s:
            ids = [sid for sid in s.scalars(stmt) if sid is not None]
        return self.stories_by_ids(ids, scope=scope)

    def stories_of(self, articles: Sequence[Article], *, scope: SourceScope | None = None) -> list[Story]:
        """The stored stories of these articles, in the order the articles first name them (with a
        `scope`, holding only the articles that tenant may see)."""
        ids: dict[int, None] = {}
        for a in articles:
            if a.story_id is None and a.id is not None:
                stored = self.get_article(a.id)
                a.story_id = stored.story_id if stored else None
            if a.story_id is not None:
                ids.setdefault(a.story_id, None)
        return self.stories_by_ids(list(ids), scope=scope)

    def posted_article_ids(self, subscription_id: int) -> set[int]:
        """Articles that sent digests of this subscription carried (what "already posted here" means)."""
        with self.session() as s:
            rows = s.scalars(select(DeliveryRow.article_ids).where(
                DeliveryRow.subscription_id == subscription_id, DeliveryRow.status == "sent"))
            return {int(i) for ids in rows for i in (ids or ())}

    def get_article(self, article_id: int) -> Article | None:
        with self.session() as s:
            row = s.get(ArticleRow, article_id)
            return _to_article(row) if row else None

    def article_by_url(self, url: str) -> Article | None:
        with self.session() as s:
            row = s.scalar(select(ArticleRow).where(ArticleRow.canonical_url == canonical_url(url)))
            return _to_article(row) if row else None

    def latest_articles(self, limit: int = 20, *, since: datetime | None = None,
                        query: str | None = None, scope: SourceScope | None = None) -> list[Article]:
        """Newest first (by publication date, else by when we stored it); optional topic words filter.
        With a `scope`, only articles that tenant may see (`bot.store.scope`)."""
        newest = func.coalesce(ArticleRow.published, ArticleRow.added_at)
        stmt = select(ArticleRow)
        if scope is not None:
            stmt = stmt.where(visible_to(scope))
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
        """Create or update the channel's subscription (one per channel).

        Two subscribes for one channel at the same moment (a double submit, two bot processes) both find
        no row and both insert; the loser's unique-key error means the row now exists, so it updates it.
        """
        for _attempt in range(2):
            try:
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
            except IntegrityError:
                log.info("subscription for %s %s created concurrently; updating it", platform, channel_id)
        raise RuntimeError("could not store the subscription")  # pragma: no cover - two conflicts in a row

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

    def articles_by_ids(self, ids: Sequence[int], *, scope: SourceScope | None = None) -> list[Article]:
        """These articles, in the order asked (with a `scope`, only those that tenant may see)."""
        if not ids:
            return []
        with self.session() as s:
            query = select(ArticleRow).where(ArticleRow.id.in_(list(ids)))
            if scope is not None:
                query = query.where(visible_to(scope))
            rows = s.scalars(query)
            by_id = {r.id: _to_article(r) for r in rows}
        return [by_id[i] for i in ids if i in by_id]

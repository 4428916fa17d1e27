"""Database tables. The Alembic migrations in `bot/store/migrations` create exactly these."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UTCDateTime(TypeDecorator[datetime]):
    """Store naive UTC, return aware UTC: SQLite keeps no zone, and mixing naive and aware breaks comparisons."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):  # defensive: SQLite rows written by other tools
            value = datetime.fromisoformat(value)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


class ArticleRow(Base):
    __tablename__ = "articles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str | None] = mapped_column(Text)
    canonical_url: Mapped[str | None] = mapped_column(String(2048), unique=True)
    title: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(String(512))
    published: Mapped[datetime | None] = mapped_column(UTCDateTime)
    content_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The story (event) this article reports; every outlet's article about one event shares it.
    story_id: Mapped[int | None] = mapped_column(ForeignKey("stories.id", ondelete="SET NULL"))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Headline-and-lead sentence embedding (float16 bytes, bot.stories.embedding); NULL without the model.
    embedding: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True, deferred=True)

    __table_args__ = (Index("ix_articles_added_at", "added_at"), Index("ix_articles_published", "published"),
                      Index("ix_articles_story_id", "story_id"))


class ArticleRevisionRow(Base):
    """One replacement of a stored article's text (`Store.update_article`), in the order they happened: the
    follow-alert job reads this table from a watermark, as it reads new articles by id, so an article
    that a correction makes quote a followed figure is alerted like a new one."""

    __tablename__ = "article_revisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    revised_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StoryRow(Base):
    """One event across outlets. `signature` is the compact term summary placement compares new articles
    with (see bot.stories.cluster), so placing an article never re-reads the stored texts."""

    __tablename__ = "stories"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(Text, default="")
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)  # first article stored
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)  # latest article stored
    event_first: Mapped[datetime | None] = mapped_column(UTCDateTime)  # earliest article date
    event_last: Mapped[datetime | None] = mapped_column(UTCDateTime)  # latest article date
    article_count: Mapped[int] = mapped_column(Integer, default=0)
    signature: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_stories_last_seen", "last_seen"), Index("ix_stories_updated_at", "updated_at"))


class SummaryRow(Base):
    __tablename__ = "summaries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    content_hash: Mapped[str] = mapped_column(String(64))
    method: Mapped[str] = mapped_column(String(64))
    model: Mapped[str] = mapped_column(String(256))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("content_hash", "method", "model", name="uq_summary_version"),)


class FeedRow(Base):
    """A polled source: its schedule and the validators for conditional GET."""

    __tablename__ = "feeds"

    url: Mapped[str] = mapped_column(String(2048), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(512))
    poll_minutes: Mapped[int] = mapped_column(Integer, default=30)
    etag: Mapped[str | None] = mapped_column(String(512))
    last_modified: Mapped[str | None] = mapped_column(String(128))
    last_polled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_poll_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Health: an outage starts at the first failure after a success and ends at the next success.
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_feeds_next_poll_at", "next_poll_at"),)


class SourceRow(Base):
    """A tenant's use of a feed. A feed is polled once however many tenants use it; who sees its
    articles is decided by these rows. `tenant` is "global" for the operator's feeds (every tenant
    sees them), else e.g. "discord:<guild id>", "slack:<team id>" or "console"."""

    __tablename__ = "sources"

    tenant: Mapped[str] = mapped_column(String(160), primary_key=True)
    feed_url: Mapped[str] = mapped_column(ForeignKey("feeds.url", ondelete="CASCADE"), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(512))
    origin: Mapped[str] = mapped_column(String(16), default="chat")  # config | operator | chat | preset
    added_by: Mapped[str | None] = mapped_column(String(128))
    channel_id: Mapped[str | None] = mapped_column(String(128))  # where it was added: health reports' fallback
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reported_failing_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reported_paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_sources_feed_url", "feed_url"),)


class FeedArticleRow(Base):
    """An article seen in a feed (also when it was already stored from another feed)."""

    __tablename__ = "feed_articles"

    feed_url: Mapped[str] = mapped_column(ForeignKey("feeds.url", ondelete="CASCADE"), primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True)

    __table_args__ = (Index("ix_feed_articles_article_id", "article_id"),)


class TenantArticleRow(Base):
    """An article a tenant may see without a feed: a user there ingested it (`/brief <url>`), or the
    operator did (tenant "global")."""

    __tablename__ = "tenant_articles"

    tenant: Mapped[str] = mapped_column(String(160), primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True)

    __table_args__ = (Index("ix_tenant_articles_article_id", "article_id"),)


class SubscriptionRow(Base):
    """A channel's daily digest: its local time and IANA time zone."""

    __tablename__ = "subscriptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(32))
    workspace_id: Mapped[str | None] = mapped_column(String(128))
    channel_id: Mapped[str] = mapped_column(String(128))
    time: Mapped[str] = mapped_column(String(5))
    timezone: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_digest_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("platform", "channel_id", name="uq_subscription_channel"),)


class DeliveryRow(Base):
    """One digest slot for one subscription. The unique key is what makes delivery exactly-once."""

    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("subscriptions.id", ondelete="CASCADE"))
    slot: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16))  # claimed | sent | failed | skipped
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(128))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    article_ids: Mapped[list[int] | None] = mapped_column(JSON)
    message_ref: Mapped[str | None] = mapped_column(String(256))

    __table_args__ = (UniqueConstraint("subscription_id", "slot", name="uq_delivery_slot"),)

"""Tables of follows and follow alerts. Migration 0004 creates exactly these.

They share the store's declarative `Base` so one metadata describes the whole database; they live
here, beside the code that reads them, because nothing outside `bot.follows` touches them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.schema import Base, UTCDateTime, utcnow


class FollowRow(Base):
    """One user following one figure (canonical name) or topic (words) on one platform."""

    __tablename__ = "follows"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(32))
    workspace_id: Mapped[str | None] = mapped_column(String(128))
    user_id: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(16))  # figure | topic
    name: Mapped[str] = mapped_column(String(300))  # as shown: "Angela Merkel", "budget vote"
    key: Mapped[str] = mapped_column(String(300))  # folded name: what makes a follow unique
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paused_reason: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        UniqueConstraint("platform", "user_id", "kind", "key", name="uq_follow"),
        Index("ix_follows_user", "platform", "user_id"),
    )


class FollowAlertRow(Base):
    """What one follower is (or was) told about one story. The unique key (follower, story, generation)
    is what makes an alert exactly-once: generation 0 is the first alert, 1 the one allowed update."""

    __tablename__ = "follow_alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str] = mapped_column(String(128))
    story_key: Mapped[str] = mapped_column(String(64))
    generation: Mapped[int] = mapped_column(Integer, default=0)
    # pending | claimed | sending | sent | failed | closed | skipped | unconfirmed
    status: Mapped[str] = mapped_column(String(16))
    revision: Mapped[int] = mapped_column(Integer, default=0)  # optimistic lock for appending matches
    article_ids: Mapped[list[int]] = mapped_column(JSON)
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # [{"kind", "name", "article_id", "quote"}]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    batch: Mapped[str | None] = mapped_column(String(64))  # one claim = one DM, possibly several stories
    claimed_by: Mapped[str | None] = mapped_column(String(128))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    message_ref: Mapped[str | None] = mapped_column(String(256))

    __table_args__ = (
        UniqueConstraint("platform", "user_id", "story_key", "generation", name="uq_follow_alert"),
        Index("ix_follow_alerts_status", "status", "platform", "user_id"),
    )


class FollowScanRow(Base):
    """How far the alert job has read the articles table (by article id), shared by every process."""

    __tablename__ = "follow_scan"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    article_id: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

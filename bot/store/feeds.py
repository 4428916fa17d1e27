"""Feeds and sources rows: which feeds are polled, when next, how they are failing, and who uses them.

A feed (`feeds`, by URL) is polled once however many tenants use it; a source (`sources`) is one
tenant's use of a feed, with the tenant's own name for it and whether its managers were told about an
outage. The conditional-GET validators (etag, last_modified) in the feed rows belong to `Store.get/put`;
this module owns the schedule and health columns, so polling policy (intervals, backoff, pausing) can
live in the scheduler and in `bot.sources.health`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, exists, func, or_, select, update

from bot.settings import FeedConfig
from bot.store.schema import FeedArticleRow, FeedRow, SourceRow
from bot.store.scope import GLOBAL
from bot.store.store import Store

log = logging.getLogger(__name__)

MAX_ERROR_CHARS = 1000
CONFIG, OPERATOR, CHAT, PRESET = "config", "operator", "chat", "preset"


@dataclass(frozen=True, slots=True)
class FeedState:
    url: str
    name: str | None
    poll_minutes: int
    failures: int
    last_error: str | None
    last_polled_at: datetime | None
    next_poll_at: datetime | None
    last_success_at: datetime | None = None
    failing_since: datetime | None = None
    paused_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class SourceState:
    """One tenant's feed with the feed's health, as `/feed list` and `briefbot feeds` show it."""

    tenant: str
    name: str | None
    origin: str
    added_by: str | None
    channel_id: str | None
    feed: FeedState
    items: int = 0
    reported_failing_at: datetime | None = None
    reported_paused_at: datetime | None = None

    @property
    def url(self) -> str:
        return self.feed.url

    @property
    def label(self) -> str:
        return self.name or self.feed.name or self.feed.url


def _state(row: FeedRow) -> FeedState:
    return FeedState(row.url, row.name, row.poll_minutes, row.failures, row.last_error, row.last_polled_at,
                     row.next_poll_at, row.last_success_at, row.failing_since, row.paused_at)


def _used() -> Any:
    """Feeds some tenant (or the operator) uses: only those are polled. Other feed rows only hold
    conditional-GET validators of article pages fetched for `/brief <url>`."""
    return exists(select(SourceRow.feed_url).where(SourceRow.feed_url == FeedRow.url))


def sync_feeds(store: Store, feeds: Iterable[FeedConfig], *, min_poll_minutes: int = 1) -> list[str]:
    """Make the config file's feeds the global `config` sources: create or update them (history is kept)
    and drop config sources no longer in the file. Returns the URLs dropped."""
    wanted = {f.url: f for f in feeds}
    with store.session() as s:
        for feed in wanted.values():
            row = s.get(FeedRow, feed.url)
            if row is None:
                row = FeedRow(url=feed.url, failures=0)
                s.add(row)
            row.name, row.poll_minutes = feed.name, max(feed.poll_minutes, min_poll_minutes)
            source = s.get(SourceRow, (GLOBAL, feed.url))
            if source is None:
                s.add(SourceRow(tenant=GLOBAL, feed_url=feed.url, name=feed.name, origin=CONFIG))
            elif source.origin == CONFIG:
                source.name = feed.name
        stale = list(s.scalars(select(SourceRow.feed_url).where(
            SourceRow.tenant == GLOBAL, SourceRow.origin == CONFIG, SourceRow.feed_url.not_in(list(wanted)))))
        if stale:
            s.execute(delete(SourceRow).where(SourceRow.tenant == GLOBAL, SourceRow.feed_url.in_(stale))
                      .execution_options(synchronize_session=False))
    return stale


def get_feed(store: Store, url: str) -> FeedState | None:
    with store.session() as s:
        row = s.get(FeedRow, url)
        return _state(row) if row else None


def list_feeds(store: Store) -> list[FeedState]:
    """Feeds in use by some source, by URL."""
    with store.session() as s:
        return [_state(r) for r in s.scalars(select(FeedRow).where(_used()).order_by(FeedRow.url))]


def due_feeds(store: Store, now: datetime, *, limit: int | None = None) -> list[FeedState]:
    """Feeds in use whose next poll time has come, most overdue first (never polled ones first of all)."""
    stmt = (select(FeedRow).where(_used(), or_(FeedRow.next_poll_at.is_(None), FeedRow.next_poll_at <= now))
            .order_by(FeedRow.next_poll_at.is_not(None), FeedRow.next_poll_at))
    if limit:
        stmt = stmt.limit(limit)
    with store.session() as s:
        return [_state(r) for r in s.scalars(stmt)]


def claim_poll(store: Store, url: str, now: datetime) -> FeedState | None:
    """Take the right to poll a feed now, or None while it is backing off or another process polls it.

    Taking it moves `next_poll_at` one interval ahead in a conditional UPDATE, which is both the lease
    against a second process polling the same feed and the default next time if we die mid-poll.
    """
    feed = get_feed(store, url)
    if feed is None:
        return None
    with store.session() as s:
        result = cast(CursorResult[Any], s.execute(
            update(FeedRow).where(FeedRow.url == url,
                                  or_(FeedRow.next_poll_at.is_(None), FeedRow.next_poll_at <= now))
            .values(next_poll_at=now + timedelta(minutes=feed.poll_minutes))
            .execution_options(synchronize_session=False)))
    return feed if result.rowcount == 1 else None


def record_poll_success(store: Store, url: str, now: datetime, next_poll_at: datetime) -> None:
    """One success ends an outage: failures, pause and the tenants' "reported" marks are cleared."""
    with store.session() as s:
        s.execute(update(FeedRow).where(FeedRow.url == url).values(
            failures=0, last_error=None, last_polled_at=now, next_poll_at=next_poll_at, last_success_at=now,
            failing_since=None, paused_at=None,
        ).execution_options(synchronize_session=False))
        s.execute(update(SourceRow).where(SourceRow.feed_url == url).values(
            reported_failing_at=None, reported_paused_at=None).execution_options(synchronize_session=False))


def record_poll_failure(store: Store, url: str, now: datetime, *, failures: int, error: str,
                        next_poll_at: datetime, failing_since: datetime | None = None,
                        paused: bool = False) -> None:
    """Record the failure count and outage state the poller computed (it owns the backoff and pause
    policy) and when to try again."""
    if len(error) > MAX_ERROR_CHARS:
        error = error[: MAX_ERROR_CHARS - 1] + "…"
    values: dict[str, Any] = {"failures": failures, "last_error": error, "last_polled_at": now,
                              "next_poll_at": next_poll_at, "failing_since": failing_since or now}
    if paused:
        values["paused_at"] = func.coalesce(FeedRow.paused_at, now)
    with store.session() as s:
        s.execute(update(FeedRow).where(FeedRow.url == url).values(**values)
                  .execution_options(synchronize_session=False))


# -- sources: tenants' feeds --------------------------------------------------------------------------


def _items() -> Any:
    return (select(func.count(FeedArticleRow.article_id)).where(FeedArticleRow.feed_url == FeedRow.url)
            .correlate(FeedRow).scalar_subquery())


def list_sources(store: Store, tenant: str | None = None, *, url: str | None = None) -> list[SourceState]:
    """Sources with their feed's health and stored item count: one tenant's, or all (operator)."""
    stmt = (select(SourceRow, FeedRow, _items()).join(FeedRow, FeedRow.url == SourceRow.feed_url)
            .order_by(SourceRow.tenant, SourceRow.added_at, SourceRow.feed_url))
    if tenant is not None:
        stmt = stmt.where(SourceRow.tenant == tenant)
    if url is not None:
        stmt = stmt.where(SourceRow.feed_url == url)
    with store.session() as s:
        return [SourceState(src.tenant, src.name, src.origin, src.added_by, src.channel_id, _state(feed),
                            int(items or 0), src.reported_failing_at, src.reported_paused_at)
                for src, feed, items in s.execute(stmt)]


def count_sources(store: Store, tenant: str) -> int:
    with store.session() as s:
        return int(s.scalar(select(func.count()).select_from(SourceRow).where(SourceRow.tenant == tenant)) or 0)


def has_source(store: Store, tenant: str, url: str) -> bool:
    with store.session() as s:
        return s.get(SourceRow, (tenant, url)) is not None


def add_source(store: Store, tenant: str, url: str, *, name: str | None, poll_minutes: int, origin: str,
               added_by: str | None = None, channel_id: str | None = None,
               next_poll_at: datetime | None = None, fetched_at: datetime | None = None) -> bool:
    """Give a tenant a feed (creating the feed row if new); True if the source is new.

    `fetched_at`: when the adder's validation fetch succeeded. That counts as a success, so a paused
    or failing feed is cleared and due at `next_poll_at`. A feed shared with other tenants keeps the
    shortest interval any of them asked for.
    """
    with store.session() as s:
        feed = s.get(FeedRow, url)
        if feed is None:
            feed = FeedRow(url=url, name=name, poll_minutes=poll_minutes, failures=0, next_poll_at=next_poll_at)
            s.add(feed)
        else:
            feed.poll_minutes = min(feed.poll_minutes or poll_minutes, poll_minutes)
            if fetched_at is not None and (feed.paused_at is not None or feed.failures):
                feed.paused_at = feed.failing_since = feed.last_error = None
                feed.failures, feed.next_poll_at = 0, next_poll_at
        if fetched_at is not None:
            feed.last_success_at = fetched_at
        source = s.get(SourceRow, (tenant, url))
        if source is not None:
            source.name = name or source.name
            source.reported_failing_at = source.reported_paused_at = None
            return False
        s.add(SourceRow(tenant=tenant, feed_url=url, name=name, origin=origin, added_by=added_by,
                        channel_id=channel_id))
        return True


def remove_source(store: Store, tenant: str, url: str) -> bool:
    """Take a feed from a tenant; the feed row (and its history) stays for others and for a re-add."""
    with store.session() as s:
        source = s.get(SourceRow, (tenant, url))
        if source is None:
            return False
        s.delete(source)
        return True


def claim_report(store: Store, tenant: str, url: str, kind: str, now: datetime) -> bool:
    """Mark a tenant as told about this feed's outage (`kind` "failing" or "paused"), if nobody did yet.

    A conditional UPDATE, so two bot processes never both report; `release_report` undoes it when the
    message could not be posted, so the next pass tries again.
    """
    column = SourceRow.reported_paused_at if kind == "paused" else SourceRow.reported_failing_at
    values: dict[str, Any] = {column.key: now}
    if kind == "paused":  # a pause report says the feed was failing too: never send both
        values["reported_failing_at"] = func.coalesce(SourceRow.reported_failing_at, now)
    with store.session() as s:
        result = cast(CursorResult[Any], s.execute(
            update(SourceRow).where(SourceRow.tenant == tenant, SourceRow.feed_url == url, column.is_(None))
            .values(**values).execution_options(synchronize_session=False)))
    return result.rowcount == 1


def release_report(store: Store, tenant: str, url: str, kind: str) -> None:
    column = SourceRow.reported_paused_at if kind == "paused" else SourceRow.reported_failing_at
    with store.session() as s:
        s.execute(update(SourceRow).where(SourceRow.tenant == tenant, SourceRow.feed_url == url)
                  .values({column.key: None}).execution_options(synchronize_session=False))

"""Feed poll schedule rows: which configured feeds exist, when each may be polled next, how it is failing.

The conditional-GET validators (etag, last_modified) in the same rows belong to `Store.get/put`; this
module only owns the schedule columns, so polling policy (intervals, backoff) can live in the scheduler.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, or_, select, update

from bot.settings import FeedConfig
from bot.store.schema import FeedRow
from bot.store.store import Store

log = logging.getLogger(__name__)

MAX_ERROR_CHARS = 1000


@dataclass(frozen=True, slots=True)
class FeedState:
    url: str
    name: str | None
    poll_minutes: int
    failures: int
    last_error: str | None
    last_polled_at: datetime | None
    next_poll_at: datetime | None


def _state(row: FeedRow) -> FeedState:
    return FeedState(row.url, row.name, row.poll_minutes, row.failures, row.last_error, row.last_polled_at,
                     row.next_poll_at)


def sync_feeds(store: Store, feeds: Iterable[FeedConfig]) -> None:
    """Create rows for configured feeds and apply their name and interval; history is kept."""
    with store.session() as s:
        for feed in feeds:
            row = s.get(FeedRow, feed.url)
            if row is None:
                row = FeedRow(url=feed.url, failures=0)
                s.add(row)
            row.name, row.poll_minutes = feed.name, feed.poll_minutes


def get_feed(store: Store, url: str) -> FeedState | None:
    with store.session() as s:
        row = s.get(FeedRow, url)
        return _state(row) if row else None


def list_feeds(store: Store) -> list[FeedState]:
    with store.session() as s:
        return [_state(r) for r in s.scalars(select(FeedRow).order_by(FeedRow.url))]


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
    with store.session() as s:
        s.execute(update(FeedRow).where(FeedRow.url == url).values(
            failures=0, last_error=None, last_polled_at=now, next_poll_at=next_poll_at,
        ).execution_options(synchronize_session=False))


def record_poll_failure(store: Store, url: str, now: datetime, *, failures: int, error: str,
                        next_poll_at: datetime) -> None:
    """Record the failure count the poller computed (it owns the backoff policy) and when to try again."""
    if len(error) > MAX_ERROR_CHARS:
        error = error[: MAX_ERROR_CHARS - 1] + "…"
    with store.session() as s:
        s.execute(update(FeedRow).where(FeedRow.url == url).values(
            failures=failures, last_error=error, last_polled_at=now, next_poll_at=next_poll_at,
        ).execution_options(synchronize_session=False))

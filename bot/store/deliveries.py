"""Delivery rows: the claim / send / mark protocol that makes a scheduled digest post once per slot.

Every state change is a single conditional statement, so it is atomic on SQLite and PostgreSQL alike
and two bot processes on one database cannot both win:

    (no row) --claim--> claimed --mark_sending--> sending --mark_sent--> sent
                           |                         `--mark_failed--> failed --(retry due)--> claimed
                           |               (timeout, stop) --mark_unconfirmed--> unconfirmed
                           `--mark_skipped--> skipped        (stale) --mark_interrupted--> unconfirmed
                                                   (the sender, who knows better) --mark_sent/failed--'

- `claim` INSERTs the row; the UNIQUE(subscription_id, slot) key lets exactly one process succeed.
  It may also take over a row nobody can be using: a failed send whose retry is due, or a claim whose
  lease ran out before its holder started sending (nothing was posted, so re-claiming is safe).
- `mark_sending` is the point of no return: it is fenced on the claim (holder and claim time), so a
  holder whose lease was taken over cannot send as well.
- A row left in `sending` (the process died mid-send) is never retried: we cannot know whether the
  platform posted it, and the rule is "never post twice". It becomes `unconfirmed` for an operator.
  A send that timed out, or was in flight when the process was stopped, is the same case and is marked
  `unconfirmed` by its own sender at once (`mark_unconfirmed`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, Update, and_, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.store.schema import DeliveryRow, SubscriptionRow
from bot.store.store import Store

log = logging.getLogger(__name__)

CLAIMED, SENDING, SENT, FAILED, SKIPPED, UNCONFIRMED = (
    "claimed", "sending", "sent", "failed", "skipped", "unconfirmed")
STATUSES = (CLAIMED, SENDING, SENT, FAILED, SKIPPED, UNCONFIRMED)
# How long a claim or an in-flight send may stay silent before others treat its holder as dead.
DEFAULT_LEASE = timedelta(minutes=10)
MAX_ERROR_CHARS = 1000


@dataclass(frozen=True, slots=True)
class Delivery:
    """One slot of one subscription, with the channel it is for."""

    id: int
    subscription_id: int
    platform: str
    channel_id: str
    timezone: str
    slot: datetime
    status: str
    attempts: int
    claimed_by: str | None
    claimed_at: datetime | None
    sent_at: datetime | None
    next_attempt_at: datetime | None
    last_error: str | None
    article_ids: tuple[int, ...]
    message_ref: str | None


def _delivery(row: DeliveryRow, sub: SubscriptionRow) -> Delivery:
    return Delivery(row.id, row.subscription_id, sub.platform, sub.channel_id, sub.timezone, row.slot,
                    row.status, row.attempts, row.claimed_by, row.claimed_at, row.sent_at, row.next_attempt_at,
                    row.last_error, tuple(row.article_ids or ()), row.message_ref)


def _key(subscription_id: int, slot: datetime) -> Any:
    return and_(DeliveryRow.subscription_id == subscription_id, DeliveryRow.slot == slot)


def _changed(s: Session, stmt: Update) -> bool:
    """Run a conditional UPDATE; True when it matched a row (the condition held at that instant)."""
    result = cast(CursorResult[Any], s.execute(stmt.execution_options(synchronize_session=False)))
    return result.rowcount == 1


def _clip(error: str) -> str:
    return error if len(error) <= MAX_ERROR_CHARS else error[: MAX_ERROR_CHARS - 1] + "…"


def _takeable(now: datetime, lease: timedelta) -> Any:
    """Rows nobody is using: a failed send whose retry is due, or a claim whose lease ran out before
    its holder started sending (so nothing was posted)."""
    return or_(
        and_(DeliveryRow.status == FAILED, DeliveryRow.next_attempt_at.is_not(None),
             DeliveryRow.next_attempt_at <= now),
        and_(DeliveryRow.status == CLAIMED, DeliveryRow.claimed_at <= now - lease),
    )


def claim(store: Store, subscription_id: int, slot: datetime, instance_id: str, now: datetime, *,
          lease: timedelta = DEFAULT_LEASE) -> bool:
    """Take a slot for delivery; False when another process holds it or it is finished."""
    try:
        with store.session() as s:
            s.add(DeliveryRow(subscription_id=subscription_id, slot=slot, status=CLAIMED, attempts=0,
                              claimed_by=instance_id, claimed_at=now))
        return True
    except IntegrityError:
        pass  # the row exists (or the subscription was just deleted): maybe it can be taken over
    with store.session() as s:
        taken = _changed(s, update(DeliveryRow).where(_key(subscription_id, slot), _takeable(now, lease))
                         .values(status=CLAIMED, claimed_by=instance_id, claimed_at=now, next_attempt_at=None))
    if taken:
        log.info("took over delivery of subscription %d slot %s", subscription_id, slot.isoformat())
    return taken


def mark_sending(store: Store, subscription_id: int, slot: datetime, instance_id: str, *,
                 claimed_at: datetime, now: datetime) -> int | None:
    """Commit to posting. Only the current claim holder succeeds, getting the attempt number; None means
    the claim was taken over (our lease ran out) and we must not send. From here it is never re-sent."""
    key = _key(subscription_id, slot)
    with store.session() as s:
        if not _changed(s, update(DeliveryRow).where(
                key, DeliveryRow.status == CLAIMED, DeliveryRow.claimed_by == instance_id,
                DeliveryRow.claimed_at == claimed_at,
        ).values(status=SENDING, attempts=DeliveryRow.attempts + 1, claimed_at=now)):
            return None
        return int(s.scalar(select(DeliveryRow.attempts).where(key)) or 0)


def mark_sent(store: Store, subscription_id: int, slot: datetime, instance_id: str, now: datetime, *,
              message_ref: str | None, article_ids: Sequence[int]) -> bool:
    """Record the post and move the channel's "since the last digest" mark, in one transaction.

    Also accepted after the row was marked unconfirmed by a peer that thought we had died: we know better.
    """
    with store.session() as s:
        done = _changed(s, update(DeliveryRow).where(
            _key(subscription_id, slot), DeliveryRow.status.in_((SENDING, UNCONFIRMED)),
            DeliveryRow.claimed_by == instance_id,
        ).values(status=SENT, sent_at=now, message_ref=message_ref, article_ids=list(article_ids),
                 next_attempt_at=None))
        if done:
            s.execute(update(SubscriptionRow).where(SubscriptionRow.id == subscription_id)
                      .values(last_digest_at=now).execution_options(synchronize_session=False))
    if not done:
        log.error("posted subscription %d slot %s but could not record it (row changed under us)",
                  subscription_id, slot.isoformat())
    return done


def mark_failed(store: Store, subscription_id: int, slot: datetime, instance_id: str, *, error: str,
                next_attempt_at: datetime | None) -> bool:
    """Record a refused send (or a digest that could not be built) on our claim; `next_attempt_at=None`
    means no more retries.

    Like `mark_sent`, also accepted after a peer marked our send unconfirmed (we could not record the
    refusal in time, e.g. the database was locked): the sender knows nothing was posted, so it is retried.
    """
    with store.session() as s:
        return _changed(s, update(DeliveryRow).where(
            _key(subscription_id, slot), DeliveryRow.status.in_((CLAIMED, SENDING, UNCONFIRMED)),
            DeliveryRow.claimed_by == instance_id,
        ).values(status=FAILED, last_error=_clip(error), next_attempt_at=next_attempt_at))


def mark_unconfirmed(store: Store, subscription_id: int, slot: datetime, instance_id: str, *, note: str) -> bool:
    """Our own send ended without an answer (it timed out, or we were stopped mid-post): the platform may
    have posted it, so it is never re-sent. Only the sender's `sending` row changes (True); a row a peer
    already marked unconfirmed keeps its note."""
    with store.session() as s:
        return _changed(s, update(DeliveryRow).where(
            _key(subscription_id, slot), DeliveryRow.status == SENDING, DeliveryRow.claimed_by == instance_id,
        ).values(status=UNCONFIRMED, next_attempt_at=None, last_error=_clip(note)))


def mark_skipped(store: Store, subscription_id: int, slot: datetime, instance_id: str, now: datetime, *,
                 reason: str) -> bool:
    """Record a slot that will not be posted: our own claim becomes skipped, an unrecorded slot gets a
    skipped row; a row someone else holds or finished is left alone (False)."""
    with store.session() as s:
        if _changed(s, update(DeliveryRow).where(
                _key(subscription_id, slot), DeliveryRow.status == CLAIMED, DeliveryRow.claimed_by == instance_id,
        ).values(status=SKIPPED, last_error=_clip(reason), next_attempt_at=None)):
            return True
    try:
        with store.session() as s:
            s.add(DeliveryRow(subscription_id=subscription_id, slot=slot, status=SKIPPED, attempts=0,
                              claimed_by=instance_id, claimed_at=now, last_error=_clip(reason)))
        return True
    except IntegrityError:
        return False


def mark_interrupted(store: Store, now: datetime, *, lease: timedelta = DEFAULT_LEASE) -> list[Delivery]:
    """Sends whose process vanished mid-post become `unconfirmed` (never retried); returns them."""
    stale = and_(DeliveryRow.status == SENDING, DeliveryRow.claimed_at <= now - lease)
    with store.session() as s:
        found = s.execute(select(DeliveryRow, SubscriptionRow).join(SubscriptionRow).where(stale)).all()
        interrupted = []
        for row, sub in found:
            note = f"{row.claimed_by} stopped while posting; not re-sent, as it may have been posted once"
            if _changed(s, update(DeliveryRow).where(DeliveryRow.id == row.id, stale)
                        .values(status=UNCONFIRMED, next_attempt_at=None, last_error=note)):
                interrupted.append(replace(_delivery(row, sub), status=UNCONFIRMED, last_error=note))
        return interrupted


def due_retries(store: Store, now: datetime, *, lease: timedelta = DEFAULT_LEASE) -> list[Delivery]:
    """Rows another `claim` may take now: failed sends whose retry time came, and abandoned claims."""
    stmt = (select(DeliveryRow, SubscriptionRow).join(SubscriptionRow).where(_takeable(now, lease))
            .order_by(DeliveryRow.slot, DeliveryRow.id))
    with store.session() as s:
        return [_delivery(row, sub) for row, sub in s.execute(stmt)]


def subscription_created(store: Store, ids: Sequence[int]) -> dict[int, datetime]:
    """When each subscription was created: slots before that are not owed to the channel."""
    if not ids:
        return {}
    stmt = select(SubscriptionRow.id, SubscriptionRow.created_at).where(SubscriptionRow.id.in_(list(ids)))
    with store.session() as s:
        return {sid: created for sid, created in s.execute(stmt)}


def recorded_slots(store: Store, since: datetime) -> set[tuple[int, datetime]]:
    """(subscription id, slot) pairs that already have a row, so a scheduler pass claims only new ones."""
    stmt = select(DeliveryRow.subscription_id, DeliveryRow.slot).where(DeliveryRow.slot >= since)
    with store.session() as s:
        return {(sid, slot) for sid, slot in s.execute(stmt)}


def list_deliveries(store: Store, limit: int = 50, status: str | None = None) -> list[Delivery]:
    """Newest slots first, optionally of one status (for `briefbot deliveries`)."""
    if status is not None and status not in STATUSES:
        raise ValueError(f"unknown delivery status {status!r}; use one of: {', '.join(STATUSES)}")
    stmt = select(DeliveryRow, SubscriptionRow).join(SubscriptionRow)
    if status is not None:
        stmt = stmt.where(DeliveryRow.status == status)
    stmt = stmt.order_by(DeliveryRow.slot.desc(), DeliveryRow.id.desc()).limit(max(limit, 0))
    with store.session() as s:
        return [_delivery(row, sub) for row, sub in s.execute(stmt)]

"""Reads and writes of follows and follow alerts: the claim protocol that sends each alert once.

Follows: at most `MAX_FOLLOWS` per user and platform, unique by (kind, folded name); a follow is
paused (not deleted) when the platform refuses DMs to its user, so `/following` can say why.

Alerts follow the protocol of the scheduler's delivery slots (`bot/store/deliveries.py`): every state
change is one conditional statement, atomic on SQLite and PostgreSQL, so two processes cannot both win.

    (no row) --record_match--> pending --claim--> claimed --mark_sending--> sending --mark_sent--> sent
              (same story, not yet sent: the article joins the pending row)   |--mark_retry--> pending (later)
                                                                             |--mark_retry--> failed (gave up)
                                                                             `--mark_closed--> closed
    claimed (lease ran out before sending) --claim--> claimed by another process
    sending (process died mid-send) --mark_interrupted--> unconfirmed (never re-sent: never DM twice)

- One row per (follower, story, generation), enforced by a UNIQUE key. Generation 0 is the first alert
  about a story; generation 1 is the one update allowed when the story gets an article after the first
  alert went out. Nothing past that: a follower hears about a story at most twice.
- `claim` takes every pending row of one follower at once under one batch token: one DM carries every
  story found since the last one (matches batched), and counts once against the hourly cap.
"""

from __future__ import annotations

import logging
import secrets
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, cast

from sqlalchemy import CursorResult, Update, and_, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.follows.schema import FollowAlertRow, FollowRow, FollowScanRow
from bot.store import Store
from bot.store.schema import ArticleRevisionRow, ArticleRow
from summarizers.people.names import fold

log = logging.getLogger(__name__)

MAX_FOLLOWS = 25
MAX_GENERATION = 1  # the first alert and one update
DEFAULT_LEASE = timedelta(minutes=10)
MAX_ERROR_CHARS = 1000
SCAN = "alerts"  # the watermark over new articles (by article id)
REVISIONS = "revisions"  # ... and over replaced article texts (by revision id)

FollowKind = Literal["figure", "topic"]
FIGURE: Literal["figure"] = "figure"
TOPIC: Literal["topic"] = "topic"
PENDING, CLAIMED, SENDING, SENT, FAILED, CLOSED, SKIPPED, UNCONFIRMED = (
    "pending", "claimed", "sending", "sent", "failed", "closed", "skipped", "unconfirmed")


class TooManyFollows(ValueError):
    """The user already follows `MAX_FOLLOWS` figures and topics."""


@dataclass(frozen=True, slots=True)
class Follow:
    id: int
    platform: str
    workspace_id: str | None
    user_id: str
    kind: str
    name: str
    created_at: datetime
    paused_at: datetime | None = None
    paused_reason: str | None = None

    @property
    def active(self) -> bool:
        return self.paused_at is None


@dataclass(frozen=True, slots=True)
class Alert:
    """One follower's alert about one story (see the module docstring for its states)."""

    id: int
    platform: str
    user_id: str
    story_key: str
    generation: int
    status: str
    article_ids: tuple[int, ...]
    reasons: tuple[dict[str, Any], ...]
    created_at: datetime
    attempts: int
    batch: str | None
    sent_at: datetime | None
    last_error: str | None
    message_ref: str | None


@dataclass(frozen=True, slots=True)
class Match:
    """An article that concerns a follower: which story it is in and why it matched."""

    platform: str
    user_id: str
    story_key: str
    article_id: int
    reasons: tuple[dict[str, Any], ...]


class _Lost(Exception):
    """A conditional write missed: someone else changed the row first."""


def _follow(row: FollowRow) -> Follow:
    return Follow(row.id, row.platform, row.workspace_id, row.user_id, row.kind, row.name, row.created_at,
                  row.paused_at, row.paused_reason)


def _alert(row: FollowAlertRow) -> Alert:
    return Alert(row.id, row.platform, row.user_id, row.story_key, row.generation, row.status,
                 tuple(row.article_ids or ()), tuple(row.reasons or ()), row.created_at, row.attempts, row.batch,
                 row.sent_at, row.last_error, row.message_ref)


def _changed(s: Session, stmt: Update) -> int:
    """Run a conditional UPDATE; the number of rows it matched at that instant."""
    result = cast(CursorResult[Any], s.execute(stmt.execution_options(synchronize_session=False)))
    return int(result.rowcount)


def _clip(error: str) -> str:
    return error if len(error) <= MAX_ERROR_CHARS else error[: MAX_ERROR_CHARS - 1] + "…"


def follow_key(name: str) -> str:
    """What makes two follows the same: case, accents and spacing do not count."""
    return fold(" ".join(name.split()))


# -- follows ------------------------------------------------------------------------------------


def add_follow(store: Store, platform: str, user_id: str, kind: FollowKind, name: str, *, now: datetime,
               workspace_id: str | None = None) -> tuple[Follow, bool]:
    """Follow `name`; (follow, True) when new. Following again resumes a paused follow (False).
    Raises TooManyFollows at the limit."""
    key = follow_key(name)
    where = and_(FollowRow.platform == platform, FollowRow.user_id == user_id)
    for _ in range(2):
        with store.session() as s:
            row = s.scalar(select(FollowRow).where(where, FollowRow.kind == kind, FollowRow.key == key))
            if row is not None:
                row.paused_at, row.paused_reason = None, None
                return _follow(row), False
            count = int(s.scalar(select(func.count(FollowRow.id)).where(where)) or 0)
            if count >= MAX_FOLLOWS:
                raise TooManyFollows(f"already following {count}")
        try:
            with store.session() as s:
                row = FollowRow(platform=platform, user_id=user_id, workspace_id=workspace_id, kind=kind,
                                name=" ".join(name.split()), key=key, created_at=now)
                s.add(row)
                s.flush()
                return _follow(row), True
        except IntegrityError:  # the same follow made at the same moment (a double click): read it back
            continue
    raise RuntimeError("could not store the follow")  # pragma: no cover - two integrity errors in a row


def remove_follow(store: Store, platform: str, user_id: str, name: str,
                  kind: FollowKind | None = None) -> list[Follow]:
    """Stop following `name` (as a figure, a topic, or either); returns what was removed."""
    stmt = select(FollowRow).where(FollowRow.platform == platform, FollowRow.user_id == user_id,
                                   FollowRow.key == follow_key(name))
    if kind is not None:
        stmt = stmt.where(FollowRow.kind == kind)
    with store.session() as s:
        rows = list(s.scalars(stmt))
        for row in rows:
            s.delete(row)
        return [_follow(r) for r in rows]


def list_follows(store: Store, platform: str, user_id: str) -> list[Follow]:
    stmt = (select(FollowRow).where(FollowRow.platform == platform, FollowRow.user_id == user_id)
            .order_by(FollowRow.kind, FollowRow.name))
    with store.session() as s:
        return [_follow(r) for r in s.scalars(stmt)]


def active_follows(store: Store) -> list[Follow]:
    with store.session() as s:
        return [_follow(r) for r in s.scalars(select(FollowRow).where(FollowRow.paused_at.is_(None))
                                              .order_by(FollowRow.id))]


# -- the scan watermark -------------------------------------------------------------------------


def watermark(store: Store, name: str = SCAN) -> int:
    """The highest article id (or, for REVISIONS, revision id) the alert job has scanned (0 before its
    first pass)."""
    with store.session() as s:
        return int(s.scalar(select(FollowScanRow.article_id).where(FollowScanRow.name == name)) or 0)


def advance_watermark(store: Store, article_id: int, now: datetime, name: str = SCAN) -> None:
    """Move the watermark forward (never back: a slower process must not undo a faster one's progress)."""
    with store.session() as s:
        if _changed(s, update(FollowScanRow).where(FollowScanRow.name == name,
                                                   FollowScanRow.article_id < article_id)
                    .values(article_id=article_id, updated_at=now)):
            return
        if s.get(FollowScanRow, name) is not None:
            return
    try:
        with store.session() as s:
            s.execute(insert(FollowScanRow).values(name=name, article_id=article_id, updated_at=now))
    except IntegrityError:  # another process created it first
        advance_watermark(store, article_id, now, name)


def articles_after(store: Store, after_id: int, since: datetime, limit: int) -> list[tuple[int, datetime]]:
    """(id, stored at) of articles with a larger id than `after_id` stored after `since`, oldest first.
    Reads only the id and time columns; the articles themselves come through `Store.articles_by_ids`."""
    stmt = (select(ArticleRow.id, ArticleRow.added_at)
            .where(ArticleRow.id > after_id, ArticleRow.added_at > since)
            .order_by(ArticleRow.id).limit(limit))
    with store.session() as s:
        return [(int(i), added) for i, added in s.execute(stmt)]


def revisions_after(store: Store, after_id: int, since: datetime, limit: int) -> list[tuple[int, int, datetime]]:
    """(revision id, article id, revised at) of article texts replaced after revision `after_id` and after
    `since`, oldest first: an edit is news from the time it was made."""
    stmt = (select(ArticleRevisionRow.id, ArticleRevisionRow.article_id, ArticleRevisionRow.revised_at)
            .where(ArticleRevisionRow.id > after_id, ArticleRevisionRow.revised_at > since)
            .order_by(ArticleRevisionRow.id).limit(limit))
    with store.session() as s:
        return [(int(r), int(a), when) for r, a, when in s.execute(stmt)]


# -- alerts: recording matches --------------------------------------------------------------------


def record_match(store: Store, match: Match, now: datetime, *, attempts: int = 4) -> str:
    """Make sure the follower will hear about this article's story; returns what happened:
    "new" (first alert), "update" (the one update after an alert went out), "added" (joined an alert
    not sent yet), "covered" (an alert already has this article) or "done" (no more alerts for it)."""
    key = and_(FollowAlertRow.platform == match.platform, FollowAlertRow.user_id == match.user_id,
               FollowAlertRow.story_key == match.story_key)
    for _ in range(attempts):
        with store.session() as s:
            rows = list(s.scalars(select(FollowAlertRow).where(key).order_by(FollowAlertRow.generation)))
            if any(match.article_id in (r.article_ids or ()) for r in rows):
                return "covered"
            latest = rows[-1] if rows else None
            if latest is not None and latest.status == PENDING:
                appended = _changed(s, update(FollowAlertRow).where(
                    FollowAlertRow.id == latest.id, FollowAlertRow.status == PENDING,
                    FollowAlertRow.revision == latest.revision,
                ).values(article_ids=[*latest.article_ids, match.article_id],
                         reasons=[*latest.reasons, *match.reasons], revision=latest.revision + 1))
                if appended:
                    return "added"
                continue  # claimed or appended to by someone else meanwhile: look again
            if latest is not None and (latest.status != SENT or latest.generation >= MAX_GENERATION):
                return "done"
            generation = 0 if latest is None else latest.generation + 1
        try:
            with store.session() as s:
                s.add(FollowAlertRow(platform=match.platform, user_id=match.user_id, story_key=match.story_key,
                                     generation=generation, status=PENDING, revision=0,
                                     article_ids=[match.article_id], reasons=list(match.reasons),
                                     created_at=now, attempts=0))
            return "new" if generation == 0 else "update"
        except IntegrityError:  # another process recorded this story for this follower first
            continue
    log.warning("gave up recording a follow match for %s/%s story %s after %d tries", match.platform,
                match.user_id, match.story_key, attempts)
    return "done"


def record_matches(store: Store, matches: Sequence[Match], now: datetime) -> Counter[str]:
    """`record_match` for many matches in one transaction (one commit, not one per match: on SQLite each
    commit is a disk sync). The same decisions, taken in memory over the rows read up front; if anything
    changed under us meanwhile (a conditional update misses, a key is taken), the transaction is rolled
    back and every match goes through `record_match` one by one. Returns how many of each outcome."""
    outcomes: Counter[str] = Counter()
    if not matches:
        return outcomes
    keys = {(m.platform, m.user_id, m.story_key) for m in matches}
    try:
        with store.session() as s:
            stmt = select(FollowAlertRow).where(or_(*(and_(
                FollowAlertRow.platform == p, FollowAlertRow.user_id == u, FollowAlertRow.story_key == k)
                for p, u, k in keys))).order_by(FollowAlertRow.generation)
            latest: dict[tuple[str, str, str], FollowAlertRow] = {}
            covered: dict[tuple[str, str, str], set[int]] = {key: set() for key in keys}
            for found in s.scalars(stmt):
                key = (found.platform, found.user_id, found.story_key)
                latest[key] = found
                covered[key].update(found.article_ids or ())
            touched: set[int] = set()
            for m in matches:
                key = (m.platform, m.user_id, m.story_key)
                row: FollowAlertRow | None = latest.get(key)
                if m.article_id in covered[key]:
                    outcomes["covered"] += 1
                    continue
                if row is not None and row.status == PENDING:
                    row.article_ids = [*row.article_ids, m.article_id]
                    row.reasons = [*row.reasons, *m.reasons]
                    if row.id is not None:
                        touched.add(row.id)
                    outcome = "added"
                elif row is not None and (row.status != SENT or row.generation >= MAX_GENERATION):
                    outcomes["done"] += 1
                    continue
                else:
                    generation = 0 if row is None else row.generation + 1
                    row = FollowAlertRow(platform=m.platform, user_id=m.user_id, story_key=m.story_key,
                                         generation=generation, status=PENDING, revision=0,
                                         article_ids=[m.article_id], reasons=list(m.reasons), created_at=now,
                                         attempts=0)
                    s.add(row)
                    latest[key] = row
                    outcome = "new" if generation == 0 else "update"
                covered[key].add(m.article_id)
                outcomes[outcome] += 1
            s.expunge_all()  # written below as conditional statements, not by the unit of work
            for row in latest.values():
                if row.id is None:
                    s.add(row)
                elif row.id in touched and not _changed(s, update(FollowAlertRow).where(
                        FollowAlertRow.id == row.id, FollowAlertRow.status == PENDING,
                        FollowAlertRow.revision == row.revision,
                ).values(article_ids=row.article_ids, reasons=row.reasons, revision=row.revision + 1)):
                    raise _Lost
            s.flush()
        return outcomes
    except (IntegrityError, _Lost):
        log.info("follow matches changed under us; recording them one by one")
    outcomes.clear()
    for m in matches:
        outcomes[record_match(store, m, now)] += 1
    return outcomes


# -- alerts: delivery -----------------------------------------------------------------------------


def _takeable(now: datetime, lease: timedelta) -> Any:
    """Rows a claim may take: pending ones whose (re)try time came, and claims whose holder went quiet
    before sending (so nothing was sent)."""
    return or_(
        and_(FollowAlertRow.status == PENDING,
             or_(FollowAlertRow.next_attempt_at.is_(None), FollowAlertRow.next_attempt_at <= now)),
        and_(FollowAlertRow.status == CLAIMED, FollowAlertRow.claimed_at <= now - lease),
    )


def followers_due(store: Store, platforms: Collection[str], now: datetime, *,
                  lease: timedelta = DEFAULT_LEASE) -> list[tuple[str, str]]:
    """(platform, user id) of followers with alerts to send now on these platforms."""
    if not platforms:
        return []
    stmt = (select(FollowAlertRow.platform, FollowAlertRow.user_id)
            .where(_takeable(now, lease), FollowAlertRow.platform.in_(list(platforms)))
            .group_by(FollowAlertRow.platform, FollowAlertRow.user_id)
            .order_by(func.min(FollowAlertRow.id)))
    with store.session() as s:
        return [(p, u) for p, u in s.execute(stmt)]


def messages_since(store: Store, platform: str, user_id: str, since: datetime) -> int:
    """DMs sent (or being sent) to a follower since `since`: one per batch, whatever it carried."""
    stmt = (select(func.count(func.distinct(FollowAlertRow.batch)))
            .where(FollowAlertRow.platform == platform, FollowAlertRow.user_id == user_id,
                   FollowAlertRow.status.in_((SENDING, SENT, UNCONFIRMED)), FollowAlertRow.claimed_at > since))
    with store.session() as s:
        return int(s.scalar(stmt) or 0)


def claim(store: Store, platform: str, user_id: str, instance_id: str, now: datetime, *,
          lease: timedelta = DEFAULT_LEASE) -> tuple[str, list[Alert]]:
    """Take every alert due for this follower under a new batch token; ([] when another process has them)."""
    batch = secrets.token_hex(8)
    with store.session() as s:
        taken = _changed(s, update(FollowAlertRow).where(
            FollowAlertRow.platform == platform, FollowAlertRow.user_id == user_id, _takeable(now, lease),
        ).values(status=CLAIMED, batch=batch, claimed_by=instance_id, claimed_at=now))
        if not taken:
            return batch, []
        rows = s.scalars(select(FollowAlertRow).where(FollowAlertRow.batch == batch,
                                                      FollowAlertRow.status == CLAIMED)
                         .order_by(FollowAlertRow.id))
        return batch, [_alert(r) for r in rows]


def mark_sending(store: Store, batch: str, count: int, now: datetime) -> bool:
    """Commit to sending: all `count` rows of the batch must still be ours, else nothing changes (False)
    and the batch is released for a later claim. From here on the batch is never sent again."""
    try:
        with store.session() as s:
            if _changed(s, update(FollowAlertRow).where(FollowAlertRow.batch == batch,
                                                         FollowAlertRow.status == CLAIMED)
                        .values(status=SENDING, attempts=FollowAlertRow.attempts + 1, claimed_at=now)) != count:
                raise _Lost
        return True
    except _Lost:
        release(store, batch)
        return False


def release(store: Store, batch: str) -> None:
    """Give claimed rows back (nothing was sent), e.g. the follower hit the hourly cap meanwhile."""
    with store.session() as s:
        _changed(s, update(FollowAlertRow).where(FollowAlertRow.batch == batch, FollowAlertRow.status == CLAIMED)
                 .values(status=PENDING, batch=None, claimed_by=None, claimed_at=None))


def mark_sent(store: Store, batch: str, now: datetime, message_ref: str | None) -> int:
    with store.session() as s:
        return _changed(s, update(FollowAlertRow).where(FollowAlertRow.batch == batch,
                                                        FollowAlertRow.status.in_((SENDING, UNCONFIRMED)))
                        .values(status=SENT, sent_at=now, message_ref=message_ref, next_attempt_at=None))


def mark_retry(store: Store, batch: str, error: str, next_attempt_at: datetime | None) -> int:
    """A refused send: back to pending for a retry at `next_attempt_at`, or `failed` when None."""
    values: dict[str, Any] = {"last_error": _clip(error), "next_attempt_at": next_attempt_at}
    values["status"] = PENDING if next_attempt_at is not None else FAILED
    with store.session() as s:
        return _changed(s, update(FollowAlertRow).where(FollowAlertRow.batch == batch,
                                                        FollowAlertRow.status.in_((CLAIMED, SENDING, UNCONFIRMED)))
                        .values(**values))


def mark_closed(store: Store, platform: str, user_id: str, batch: str, error: str, now: datetime) -> int:
    """The platform refuses DMs to this user: the batch and every alert still waiting become `closed`
    and the user's follows are paused (in one transaction), so nothing is retried forever. Returns the
    number of follows paused."""
    note = _clip(f"direct messages closed: {error}")
    follower = and_(FollowAlertRow.platform == platform, FollowAlertRow.user_id == user_id)
    with store.session() as s:
        _changed(s, update(FollowAlertRow).where(
            follower, or_(FollowAlertRow.batch == batch, FollowAlertRow.status.in_((PENDING, CLAIMED))),
            FollowAlertRow.status.in_((PENDING, CLAIMED, SENDING, UNCONFIRMED)),
        ).values(status=CLOSED, last_error=note, next_attempt_at=None))
        return _changed(s, update(FollowRow).where(FollowRow.platform == platform, FollowRow.user_id == user_id,
                                                   FollowRow.paused_at.is_(None))
                        .values(paused_at=now, paused_reason=note))


def mark_interrupted(store: Store, now: datetime, *, lease: timedelta = DEFAULT_LEASE) -> int:
    """Sends whose process vanished mid-send become `unconfirmed`: never re-sent (it may have arrived)."""
    with store.session() as s:
        return _changed(s, update(FollowAlertRow).where(FollowAlertRow.status == SENDING,
                                                        FollowAlertRow.claimed_at <= now - lease)
                        .values(status=UNCONFIRMED, next_attempt_at=None,
                                last_error="the process stopped while sending; not re-sent"))


def expire(store: Store, now: datetime, max_age: timedelta) -> int:
    """Alerts still waiting after `max_age` (no process serves the platform, the cap held them) are
    skipped: news that old is no alert any more."""
    with store.session() as s:
        return _changed(s, update(FollowAlertRow).where(FollowAlertRow.status == PENDING,
                                                        FollowAlertRow.created_at <= now - max_age)
                        .values(status=SKIPPED, last_error="not delivered in time", next_attempt_at=None))


def list_alerts(store: Store, platform: str | None = None, user_id: str | None = None) -> list[Alert]:
    stmt = select(FollowAlertRow).order_by(FollowAlertRow.id)
    if platform is not None:
        stmt = stmt.where(FollowAlertRow.platform == platform)
    if user_id is not None:
        stmt = stmt.where(FollowAlertRow.user_id == user_id)
    with store.session() as s:
        return [_alert(r) for r in s.scalars(stmt)]


def article_ids_of(alerts: Sequence[Alert]) -> list[int]:
    """Every article id the alerts carry, in order, once each."""
    seen: dict[int, None] = {}
    for alert in alerts:
        for i in alert.article_ids:
            seen.setdefault(i, None)
    return list(seen)

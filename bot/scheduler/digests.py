"""One scheduler pass: find the digest slots due at `now`, claim each, build, post once, record.

This is the part that must be right, so it takes `now` as an argument and knows nothing about
APScheduler: tests drive it with explicit instants, and the scheduler calls it on every wake-up.

Exactly-once, and where it gives way. A slot is claimed (a row insert only one process can win),
the digest is built, the row moves to `sending`, the platform is called, the row becomes `sent`.
- A crash before `sending`: nothing was posted; the claim's lease runs out and a pass takes it over.
- A crash during the platform call: we cannot tell whether the message went out. We choose
  at-most-once there (the issue's "never posts twice"): the row becomes `unconfirmed` and is not
  re-sent. The window is one HTTP call long, and the operator sees it in `briefbot deliveries`.
- A send that timed out (slack_sdk's 30 s `TimeoutError`, aiohttp / asyncio / discord.py / httpx
  timeouts, or our own `send_timeout`) may have been posted all the same: like a crash mid-send it ends
  `unconfirmed` and is never retried. Only a send the platform answered with an error is a refusal.
- A send that raised otherwise was refused by the platform (adapters raise only after their own retries),
  so it is retried with exponential backoff until the slot's grace deadline or MAX_ATTEMPTS.
- A send in flight when the process is stopped (SIGTERM: `stop_sending`, or the task being cancelled)
  is marked `unconfirmed` by its sender before it goes; it never stays `sending`.

Channels are independent: a pass handles each channel's slots in order, and up to `CONCURRENCY`
channels side by side, so one channel whose platform hangs does not delay every other subscription.

The database failing (SQLite "database is locked" beyond its busy timeout, PostgreSQL gone) is a third
party to all this:
- Each slot is handled on its own: an error on one is logged and the pass goes on with the others. A
  slot whose claim failed has no row and is claimed again on the next pass; one that failed after its
  claim but before the platform call is recorded as failed (retried after the usual backoff).
- What happened at the platform is known only to this process, so it is never thrown away: if the
  `sent` or `failed` record cannot be written, it is retried with backoff for up to `record_patience`
  seconds and then kept in memory (`PendingRecord`) and written first thing on every later pass. A
  refused send therefore ends as `failed` (and is retried), not as `unconfirmed` and never sent. Only if
  the process exits before the database comes back does the slot fall back to `unconfirmed`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import OperationalError

from bot.briefing.models import Digest
from bot.briefing.runner import AsyncBriefing
from bot.delivery import PlatformAdapter
from bot.scheduler.slots import MAX_MISSED, DueSlot, ScheduleError, delivery_deadline, due_slots, zone
from bot.settings import Settings
from bot.store import SourceScope, Store, Subscription
from bot.store import deliveries as rows

log = logging.getLogger(__name__)

RETRY_BASE = timedelta(minutes=1)
RETRY_CAP = timedelta(minutes=30)
MAX_ATTEMPTS = 6
EMPTY_MESSAGE = "No new stories since the last briefing."
FIRST_DIGEST_WINDOW = timedelta(days=1)  # a channel's first digest covers the past day
LOST = "lost"
ERROR = "error"  # the pass could not handle the slot (database trouble); a later pass does
RECORD_PATIENCE_S = 60.0  # how long to keep retrying a delivery record before deferring it to later passes
RECORD_BACKOFF_S = 0.5  # first wait between those retries; doubles, capped at RECORD_BACKOFF_CAP_S
RECORD_BACKOFF_CAP_S = 10.0
SEND_TIMEOUT_S = 120.0  # a platform call still unanswered after this is abandoned as `unconfirmed`
CONCURRENCY = 8  # channels delivered side by side in one pass
MAYBE_POSTED = "not re-sent, as it may have been posted once"


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one pass did with one slot: sent, failed (will retry or gave up), skipped, or lost (a peer
    took the claim over while we were building)."""

    subscription_id: int
    slot: datetime
    status: str
    detail: str = ""


@dataclass(frozen=True, slots=True)
class PendingRecord:
    """A delivery outcome only this process knows (the platform posted, or refused) that the database
    did not accept yet. Losing it would turn a refused send into `unconfirmed` (never sent) and a posted
    one into `unconfirmed` with a stale "since the last digest" mark, so it is kept until written."""

    subscription_id: int
    slot: datetime
    status: str  # rows.SENT, rows.FAILED or rows.UNCONFIRMED
    at: datetime  # when it happened, on the pass's clock
    error: str = ""
    next_attempt_at: datetime | None = None
    message_ref: str | None = None
    article_ids: tuple[int, ...] = ()

    def describe(self) -> str:
        return f"{self.status} of subscription {self.subscription_id} slot {self.slot.isoformat()}"


def retry_delay(attempt: int) -> timedelta:
    """Exponential backoff after the `attempt`-th failed send: 1, 2, 4, ... minutes, capped."""
    return min(RETRY_BASE * 2 ** max(attempt - 1, 0), RETRY_CAP)


def maybe_delivered(exc: BaseException) -> bool:
    """Whether a failed send may have been posted anyway: a timeout, from any client library.

    The request may have reached the platform, which posted it, while the answer never came back (or
    came after the client gave up). Seen through wrapping: the exception or anything it was raised from.
    Python's TimeoutError covers asyncio, aiohttp's ServerTimeoutError, slack_sdk and discord.py;
    httpx's timeouts are matched by name so that this module need not import every client.
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, TimeoutError) or any(
                cls.__name__ in ("TimeoutException", "Timeout") for cls in type(current).__mro__):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


class DigestDeliverer:
    """Runs scheduler passes for the platforms this process is connected to."""

    def __init__(self, store: Store, briefing: AsyncBriefing, adapters: Mapping[str, PlatformAdapter],
                 settings: Settings, instance_id: str, *, lease: timedelta = rows.DEFAULT_LEASE,
                 record_patience: float = RECORD_PATIENCE_S, send_timeout: float = SEND_TIMEOUT_S,
                 concurrency: int = CONCURRENCY) -> None:
        self.store = store
        self.briefing = briefing  # the core, reached through the platforms' bounded worker pool
        self.adapters = adapters
        self.settings = settings
        self.instance_id = instance_id
        self.lease = lease
        self.record_patience = record_patience
        self.send_timeout = send_timeout
        self.concurrency = max(concurrency, 1)
        # Platform calls in flight: (subscription id, slot) -> the task awaiting it, for `stop_sending`.
        self.in_flight: dict[tuple[int, datetime], asyncio.Task[object]] = {}
        self.pending: list[PendingRecord] = []  # outcomes the database has not accepted yet, oldest first
        self._pass = asyncio.Lock()  # a cron wake-up and the periodic tick never run a pass side by side
        self._bad_schedules: set[tuple[int, str, str]] = set()

    @property
    def grace(self) -> timedelta:
        return timedelta(minutes=max(self.settings.grace_minutes, 0))

    async def run_due(self, now: datetime) -> list[Outcome]:
        """Deliver, retry or skip every slot due at `now` on our platforms; safe to run anywhere, anytime."""
        async with self._pass:
            # Our own deferred records first: one for a send that is still `sending` in the database must
            # land before anyone's `mark_interrupted` decides that send's fate.
            if self.pending:
                self.pending = await asyncio.to_thread(self._write_pending, self.pending)
            try:
                for lost in await asyncio.to_thread(rows.mark_interrupted, self.store, now, lease=self.lease):
                    log.warning("delivery of subscription %d slot %s was interrupted mid-send (%s); marked "
                                "unconfirmed and not re-sent", lost.subscription_id, lost.slot.isoformat(),
                                lost.claimed_by)
                work = await asyncio.to_thread(self._due_work, now)
            except OperationalError as exc:
                log.warning("delivery pass at %s skipped, the database is unavailable: %s", now.isoformat(),
                            _short(exc))
                return []
            by_channel: dict[tuple[str, str], list[tuple[Subscription, DueSlot]]] = {}
            for sub, due in work:
                by_channel.setdefault((sub.platform, sub.channel_id), []).append((sub, due))
            gate = asyncio.Semaphore(self.concurrency)
            results = await asyncio.gather(*(self._channel(slots, now, gate) for slots in by_channel.values()))
            return [outcome for outcomes in results for outcome in outcomes]

    async def _channel(self, work: list[tuple[Subscription, DueSlot]], now: datetime,
                       gate: asyncio.Semaphore) -> list[Outcome]:
        """One channel's due slots, in order (a channel's digests must not overtake each other)."""
        outcomes = []
        async with gate:
            for sub, due in work:
                try:
                    outcome = await self._handle(sub, due, now)
                except Exception as exc:  # one slot's trouble must not cost the others their digest
                    log.error("could not handle subscription %d slot %s (retried on a later pass): %s",
                              sub.id, due.at.isoformat(), _short(exc), exc_info=not isinstance(exc, OperationalError))
                    outcome = Outcome(sub.id, due.at, ERROR, _short(exc))
                if outcome is not None:
                    outcomes.append(outcome)
        return outcomes

    def _due_work(self, now: datetime) -> list[tuple[Subscription, DueSlot]]:
        """New slots of our platforms' subscriptions, then retries and abandoned claims."""
        subs = {s.id: s for s in self.store.list_subscriptions() if s.platform in self.adapters}
        if not subs:
            return []
        created = rows.subscription_created(self.store, list(subs))
        recorded = rows.recorded_slots(self.store, now - timedelta(days=MAX_MISSED + 1))
        work: list[tuple[Subscription, DueSlot]] = []
        for sub in subs.values():
            try:
                slots = due_slots(sub, now, self.grace, created_at=created.get(sub.id))
            except ScheduleError as exc:
                self.report_bad_schedule(sub, exc)
                continue
            work.extend((sub, d) for d in slots if (sub.id, d.at) not in recorded)
        for row in rows.due_retries(self.store, now, lease=self.lease):
            owner = subs.get(row.subscription_id)
            if owner is None:
                continue  # another platform's delivery: its own process retries it
            deadline = delivery_deadline(row.slot, self.grace)
            expired = now > deadline
            reason = f"retry window closed at {deadline:%Y-%m-%d %H:%M} UTC" if expired else ""
            work.append((owner, DueSlot(row.slot, expired=expired, reason=reason)))
        return work

    def report_bad_schedule(self, sub: Subscription, exc: ScheduleError) -> None:
        """Log a subscription whose stored time or zone is unusable, once per value rather than every tick."""
        key = (sub.id, sub.time, sub.timezone)
        if key not in self._bad_schedules:
            self._bad_schedules.add(key)
            log.error("subscription %d (%s %s) cannot be scheduled: %s", sub.id, sub.platform, sub.channel_id, exc)

    async def _handle(self, sub: Subscription, due: DueSlot, now: datetime) -> Outcome | None:
        me = self.instance_id
        claimed = await asyncio.to_thread(rows.claim, self.store, sub.id, due.at, me, now, lease=self.lease)
        if not claimed:
            return None  # another process has it, or it is already done
        where = f"subscription {sub.id} ({sub.platform} {sub.channel_id}) slot {due.at:%Y-%m-%d %H:%M} UTC"
        try:
            prepared = await self._prepare(sub, due, now, where)
        except OperationalError as exc:  # the database failed us after the claim; nothing was posted
            return await self._failed(sub, due, now, exc, attempt=None)
        if isinstance(prepared, Outcome):
            return prepared
        digest, attempt = prepared
        key = (sub.id, due.at)
        task = asyncio.current_task()
        if task is not None:
            self.in_flight[key] = task
        try:
            async with asyncio.timeout(self.send_timeout):
                ref = await self.adapters[sub.platform].send(sub.channel_id, digest)
        except asyncio.CancelledError:  # stopped mid-send: say so in the row before going
            self._stopped_mid_send(sub.id, due.at)
            raise
        except Exception as exc:
            if maybe_delivered(exc):
                return await self._unconfirmed(sub, due, now, exc, where)
            return await self._failed(sub, due, now, exc, attempt=attempt)
        finally:
            self.in_flight.pop(key, None)
        article_ids = tuple(i for story in digest.stories for i in story.article_ids)
        log.info("posted %s (%d stories, attempt %d)", where, len(digest.stories), attempt)
        await self._record(PendingRecord(sub.id, due.at, rows.SENT, now, message_ref=ref, article_ids=article_ids))
        return Outcome(sub.id, due.at, rows.SENT, ref or "")

    async def _prepare(self, sub: Subscription, due: DueSlot, now: datetime,
                       where: str) -> tuple[Digest, int] | Outcome:
        """Skip, or build and commit to sending (`mark_sending`): the digest and the attempt number, or
        the outcome that ends this slot's handling here."""
        me = self.instance_id
        if due.expired:
            await asyncio.to_thread(rows.mark_skipped, self.store, sub.id, due.at, me, now, reason=due.reason)
            log.warning("skipped %s: %s", where, due.reason)
            return Outcome(sub.id, due.at, rows.SKIPPED, due.reason)
        try:
            digest = await self.briefing.call(lambda: self.build_digest(sub, due.at, now))
        except Exception as exc:
            log.exception("could not build the digest for %s", where)
            return await self._failed(sub, due, now, exc, attempt=None)
        if not digest.stories and self.settings.empty_digest == "silent":
            reason = "no new stories (empty_digest = silent)"
            await asyncio.to_thread(rows.mark_skipped, self.store, sub.id, due.at, me, now, reason=reason)
            log.info("nothing to post for %s", where)
            return Outcome(sub.id, due.at, rows.SKIPPED, reason)
        attempt = await asyncio.to_thread(rows.mark_sending, self.store, sub.id, due.at, me,
                                          claimed_at=now, now=now)
        if attempt is None:
            log.warning("lost the claim on %s while building it; another process delivers it", where)
            return Outcome(sub.id, due.at, LOST)
        return digest, attempt

    async def _unconfirmed(self, sub: Subscription, due: DueSlot, now: datetime, exc: Exception,
                           where: str) -> Outcome:
        """A send that timed out: maybe posted, so never retried (no duplicate posts)."""
        error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        note = f"the platform did not answer in time ({error}); {MAYBE_POSTED}"
        log.warning("sending %s timed out (%s); marked unconfirmed and not re-sent", where, error)
        await self._record(PendingRecord(sub.id, due.at, rows.UNCONFIRMED, now, error=note))
        return Outcome(sub.id, due.at, rows.UNCONFIRMED, note)

    def _stopped_mid_send(self, subscription_id: int, slot: datetime) -> None:
        """Record, synchronously (we are being cancelled, there may be no later turn of the loop), that a
        send was in flight when the process stopped. Idempotent."""
        note = f"{self.instance_id} was stopped while posting; {MAYBE_POSTED}"
        try:
            if rows.mark_unconfirmed(self.store, subscription_id, slot, self.instance_id, note=note):
                log.warning("stopped while posting subscription %d slot %s; marked unconfirmed and not re-sent",
                            subscription_id, slot.isoformat())
        except OperationalError as exc:  # the row stays `sending`: a peer's mark_interrupted settles it
            log.error("stopped while posting subscription %d slot %s and could not record it: %s",
                      subscription_id, slot.isoformat(), _short(exc))

    def stop_sending(self) -> int:
        """At shutdown: every send still in flight is marked unconfirmed and its task cancelled, so no row
        is left `sending`. Returns how many there were."""
        in_flight = list(self.in_flight.items())
        for (subscription_id, slot), task in in_flight:
            self._stopped_mid_send(subscription_id, slot)
            task.cancel()
        return len(in_flight)

    async def _failed(self, sub: Subscription, due: DueSlot, now: datetime, exc: Exception, *,
                      attempt: int | None) -> Outcome:
        """Schedule a retry with backoff, or give up at the slot's deadline or after MAX_ATTEMPTS."""
        error = f"{type(exc).__name__}: {_short(exc) if isinstance(exc, OperationalError) else exc}"
        retry_at = now + retry_delay(attempt or 1)
        give_up = (attempt or 0) >= MAX_ATTEMPTS or retry_at > delivery_deadline(due.at, self.grace)
        next_at = None if give_up else retry_at
        when = f"retry at {next_at:%H:%M:%S} UTC" if next_at else "giving up"
        log.warning("sending the digest for subscription %d slot %s failed (attempt %s): %s; %s",
                    sub.id, due.at.isoformat(), attempt or "-", error, when)
        await self._record(PendingRecord(sub.id, due.at, rows.FAILED, now, error=error, next_attempt_at=next_at))
        return Outcome(sub.id, due.at, rows.FAILED, error)

    # -- recording outcomes -------------------------------------------------------------------

    async def _record(self, record: PendingRecord) -> None:
        """Write an outcome, retrying with backoff while the database is unavailable (up to
        `record_patience` seconds); then keep it for the next passes instead of losing it. Once one
        record is waiting, the database is known to be down: later ones get one try, not the full wait."""
        deadline = time.monotonic() + (0.0 if self.pending else self.record_patience)
        delay = RECORD_BACKOFF_S
        while True:
            try:
                await asyncio.to_thread(self._write, record)
                return
            except OperationalError as exc:
                left = deadline - time.monotonic()
                if left <= 0:
                    log.error("could not record the %s (%s); kept in memory and written on a later pass",
                              record.describe(), _short(exc))
                    self.pending.append(record)
                    return
                log.info("could not record the %s yet (%s); retrying", record.describe(), _short(exc))
                await asyncio.sleep(min(delay, left))
                delay = min(delay * 2, RECORD_BACKOFF_CAP_S)

    def _write(self, record: PendingRecord) -> bool:
        """One attempt at writing an outcome on our claim; False if the row changed under us."""
        if record.status == rows.SENT:
            return rows.mark_sent(self.store, record.subscription_id, record.slot, self.instance_id, record.at,
                                  message_ref=record.message_ref, article_ids=record.article_ids)
        if record.status == rows.UNCONFIRMED:
            return rows.mark_unconfirmed(self.store, record.subscription_id, record.slot, self.instance_id,
                                         note=record.error)
        return rows.mark_failed(self.store, record.subscription_id, record.slot, self.instance_id,
                                error=record.error, next_attempt_at=record.next_attempt_at)

    def _write_pending(self, pending: list[PendingRecord]) -> list[PendingRecord]:
        """Write deferred outcomes, oldest first; returns those the database still refuses."""
        left: list[PendingRecord] = []
        for record in pending:
            try:
                written = self._write(record)
            except OperationalError as exc:
                log.warning("still cannot record the %s: %s", record.describe(), _short(exc))
                left.append(record)
                continue
            if written:
                log.info("recorded the %s late", record.describe())
            else:
                log.error("could not record the %s late: its row changed under us", record.describe())
        return left

    # -- the digest ---------------------------------------------------------------------------

    def build_digest(self, sub: Subscription, slot: datetime, now: datetime) -> Digest:
        """This channel's digest of what is new since its last one (stored up to `now`); which stories are
        new or updates is the core's decision (`BriefingService.channel_digest`)."""
        since = sub.last_digest_at or slot - FIRST_DIGEST_WINDOW
        local = slot.astimezone(zone(sub.timezone))
        heading = f"Your daily briefing · {local:%A} {local.day} {local:%B}"
        return self.briefing.service.channel_digest(sub.id, since=since, until=now, heading=heading,
                                                    empty_message=EMPTY_MESSAGE,
                                                    scope=SourceScope.of(sub.platform, sub.workspace_id))


def _short(exc: BaseException) -> str:
    """An exception's first line: SQLAlchemy appends the SQL statement and a help link to its messages."""
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def describe(outcomes: Sequence[Outcome]) -> str:
    """A one-line summary of a pass for the log."""
    counts: dict[str, int] = {}
    for o in outcomes:
        counts[o.status] = counts.get(o.status, 0) + 1
    return ", ".join(f"{n} {status}" for status, n in sorted(counts.items())) or "nothing due"

"""When a subscription's digest is due: local wall-clock slots turned into UTC instants, DST included.

A slot is "HH:MM in an IANA zone on a local date". Its UTC instant is the delivery key, so every
process must compute the same one; these pure functions are that single definition.

DST rules (the same as APScheduler's CronTrigger, so its wake-ups agree with our keys):
- a wall time that does not exist on a spring-forward day (01:30 in London on the last Sunday of
  March) is shifted forward by the gap (02:30 BST) — PEP 495 `fold=0`;
- a wall time that happens twice on a fall-back day is delivered at its first occurrence. CronTrigger
  fires at both; the second wake-up finds the slot already delivered.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.cron import CronTrigger

from bot.commands import CommandError, parse_time, parse_timezone

if TYPE_CHECKING:  # annotations only: the time arithmetic needs no database
    from bot.store import Subscription

log = logging.getLogger(__name__)

# A slot is on time for its first minutes whatever the grace setting, so a scheduler tick that lands a
# few seconds after HH:MM, or a slow start-up, never turns "grace 0" into "always skipped".
ON_TIME = timedelta(minutes=5)
# After downtime, how many missed older slots are still recorded as skipped (the newest may be sent).
MAX_MISSED = 7


class ScheduleError(ValueError):
    """A subscription's time or time zone cannot be scheduled (bad data written outside the commands)."""


@dataclass(frozen=True, slots=True)
class DueSlot:
    """A slot that has arrived. `expired` slots are recorded as skipped instead of being posted."""

    at: datetime  # the slot's instant in UTC: the delivery key
    expired: bool = False
    reason: str = ""


def local_time(hhmm: str) -> time:
    """Parse a stored `HH:MM`, with the same grammar the commands accept."""
    try:
        text = parse_time(hhmm)
    except CommandError as exc:
        raise ScheduleError(str(exc)) from exc
    return time(int(text[:2]), int(text[3:]))


def zone(name: str) -> ZoneInfo:
    """Load an IANA zone, with the same validation the commands use."""
    try:
        return ZoneInfo(parse_timezone(name))
    except (CommandError, ZoneInfoNotFoundError) as exc:
        raise ScheduleError(str(exc)) from exc


def slot_on(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The UTC instant of `at` on local date `day` (fold=0: gaps shift forward, repeats take the first)."""
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC)


def previous_slot(at: time, tz: ZoneInfo, now: datetime) -> datetime:
    """The latest slot at or before `now`."""
    today = now.astimezone(tz).date()
    slot = slot_on(today, at, tz)
    return slot if slot <= now else slot_on(today - timedelta(days=1), at, tz)


def next_slot(at: time, tz: ZoneInfo, now: datetime) -> datetime:
    """The first slot strictly after `now`."""
    today = now.astimezone(tz).date()
    slot = slot_on(today, at, tz)
    return slot if slot > now else slot_on(today + timedelta(days=1), at, tz)


def next_run(subscription: Subscription, now: datetime) -> datetime:
    """When this subscription's next digest is due, in UTC."""
    return next_slot(local_time(subscription.time), zone(subscription.timezone), now)


def delivery_deadline(slot: datetime, grace: timedelta) -> datetime:
    """The last instant a slot may still be posted (late deliveries and retries included)."""
    return slot + max(grace, ON_TIME)


def due_slots(subscription: Subscription, now: datetime, grace: timedelta, *,
              created_at: datetime | None = None) -> list[DueSlot]:
    """The slots that have arrived and are not yet covered by a sent digest, oldest first.

    Only the newest slot is ever posted: older ones that were missed (the bot was down) are superseded,
    because one digest already carries every story since the last one. The newest is posted if it is
    still within the grace window, else it is expired too. Slots before the subscription existed, or at
    or before its last digest, are not due. Without either date only the newest slot is considered.
    """
    at, tz = local_time(subscription.time), zone(subscription.timezone)
    known = [d for d in (subscription.last_digest_at, created_at) if d is not None]
    after = max(known) if known else None
    slots: list[datetime] = []
    slot = previous_slot(at, tz, now)
    while len(slots) < MAX_MISSED and (after is None or slot > after):
        slots.append(slot)
        if after is None:
            break
        slot = previous_slot(at, tz, slot - timedelta(microseconds=1))
    if not slots:
        return []
    newest, older = slots[0], slots[1:]
    due = [DueSlot(s, expired=True, reason=f"missed; superseded by the {_fmt(newest)} slot")
           for s in reversed(older)]
    if now > delivery_deadline(newest, grace):
        due.append(DueSlot(newest, expired=True,
                           reason=f"missed by {_minutes(now - newest)} min, beyond the {_minutes(grace)} min grace"))
    else:
        due.append(DueSlot(newest))
    return due


def cron_trigger(subscription: Subscription) -> CronTrigger:
    """The APScheduler trigger that wakes the scheduler at this subscription's local time every day."""
    at = local_time(subscription.time)
    return CronTrigger(hour=at.hour, minute=at.minute, timezone=zone(subscription.timezone))


def _fmt(instant: datetime) -> str:
    return instant.strftime("%Y-%m-%d %H:%M UTC")


def _minutes(delta: timedelta) -> int:
    return int(delta.total_seconds() // 60)

"""When digests are due: local slots across DST changes, grace windows, and agreement with APScheduler."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.scheduler.slots import (
    ON_TIME,
    DueSlot,
    ScheduleError,
    cron_trigger,
    due_slots,
    next_run,
    next_slot,
    previous_slot,
    zone,
)
from bot.store import Subscription

GRACE = timedelta(minutes=120)


def sub(hhmm: str = "08:00", tz: str = "Europe/London", last: datetime | None = None) -> Subscription:
    return Subscription(id=1, platform="slack", workspace_id=None, channel_id="C1", time=hhmm, timezone=tz,
                        created_by=None, active=True, last_digest_at=last)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def fire_times(subscription: Subscription, start: datetime, count: int) -> list[datetime]:
    """What APScheduler would do: ask the trigger for the next fire time after each one, `now` in UTC."""
    trigger = cron_trigger(subscription)
    tz = ZoneInfo(subscription.timezone)
    times: list[datetime] = []
    previous = None
    now = start
    while len(times) < count:
        fire = trigger.get_next_fire_time(previous, now.astimezone(tz))
        assert fire is not None
        times.append(fire.astimezone(UTC))
        previous, now = fire, fire.astimezone(UTC) + timedelta(seconds=1)
    return times


def daily_slots(subscription: Subscription, start: datetime, count: int) -> list[datetime]:
    out, now = [], start
    for _ in range(count):
        now = next_run(subscription, now)
        out.append(now)
    return out


# -- 08:00 stays 08:00 local across DST ---------------------------------------------------------


@pytest.mark.parametrize(("tz", "start", "before", "after"), [
    # London springs forward on 30 March 2025: 08:00 GMT = 08:00 UTC, then 08:00 BST = 07:00 UTC.
    ("Europe/London", utc(2025, 3, 28, 12), [utc(2025, 3, 29, 8), utc(2025, 3, 30, 7)], utc(2025, 3, 31, 7)),
    # ... and falls back on 26 October 2025.
    ("Europe/London", utc(2025, 10, 24, 12), [utc(2025, 10, 25, 7), utc(2025, 10, 26, 8)], utc(2025, 10, 27, 8)),
    # New York springs forward on 9 March 2025 (EST -5 -> EDT -4) and falls back on 2 November 2025.
    ("America/New_York", utc(2025, 3, 7, 18), [utc(2025, 3, 8, 13), utc(2025, 3, 9, 12)], utc(2025, 3, 10, 12)),
    ("America/New_York", utc(2025, 10, 31, 18), [utc(2025, 11, 1, 12), utc(2025, 11, 2, 13)], utc(2025, 11, 3, 13)),
])
def test_local_morning_slot_keeps_its_wall_clock_time_across_dst(
        tz: str, start: datetime, before: list[datetime], after: datetime) -> None:
    s = sub("08:00", tz)
    expected = [*before, after]
    assert daily_slots(s, start, 3) == expected
    assert fire_times(s, start, 3) == expected  # APScheduler wakes us at exactly our slot keys
    for instant in expected:
        local = instant.astimezone(ZoneInfo(tz))
        assert (local.hour, local.minute) == (8, 0)


def test_a_wall_time_skipped_by_spring_forward_is_delivered_after_the_gap() -> None:
    # 02:30 does not exist in New York on 9 March 2025: the clocks jump from 02:00 EST to 03:00 EDT.
    s = sub("02:30", "America/New_York")
    slots = daily_slots(s, utc(2025, 3, 8, 12), 3)
    assert slots == [utc(2025, 3, 9, 7, 30), utc(2025, 3, 10, 6, 30), utc(2025, 3, 11, 6, 30)]
    assert slots[0].astimezone(ZoneInfo("America/New_York")).strftime("%H:%M %Z") == "03:30 EDT"
    assert fire_times(s, utc(2025, 3, 8, 12), 3) == slots


def test_a_wall_time_that_happens_twice_is_due_once_at_its_first_occurrence() -> None:
    # 01:30 happens twice in London on 26 October 2025 (BST, then GMT). The digest is due at the first;
    # APScheduler's CronTrigger fires at both, and the second wake-up finds nothing due.
    s = sub("01:30", "Europe/London")
    first, second = utc(2025, 10, 26, 0, 30), utc(2025, 10, 26, 1, 30)
    assert daily_slots(s, utc(2025, 10, 25, 12), 2) == [first, utc(2025, 10, 27, 1, 30)]
    assert fire_times(s, utc(2025, 10, 25, 12), 3) == [first, second, utc(2025, 10, 27, 1, 30)]
    delivered = sub("01:30", "Europe/London", last=first + timedelta(seconds=5))
    assert due_slots(delivered, second, GRACE) == []


# -- which slots are due --------------------------------------------------------------------------


def test_nothing_is_due_before_the_first_slot_and_the_slot_is_due_on_the_second() -> None:
    s = sub("08:00", "Europe/London")
    created = utc(2025, 6, 1, 12)
    assert due_slots(s, utc(2025, 6, 2, 6, 59, 59), GRACE, created_at=created) == []
    assert due_slots(s, utc(2025, 6, 2, 7), GRACE, created_at=created) == [DueSlot(utc(2025, 6, 2, 7))]


def test_a_delivered_slot_is_not_due_again_until_the_next_day() -> None:
    s = sub("08:00", "Europe/London", last=utc(2025, 6, 2, 7, 0, 3))
    assert due_slots(s, utc(2025, 6, 2, 9), GRACE) == []
    assert due_slots(s, utc(2025, 6, 3, 7), GRACE) == [DueSlot(utc(2025, 6, 3, 7))]


def test_late_within_grace_is_due_and_beyond_grace_is_expired() -> None:
    s = sub("08:00", "UTC", last=utc(2025, 6, 1, 8))
    assert due_slots(s, utc(2025, 6, 2, 9, 59), GRACE) == [DueSlot(utc(2025, 6, 2, 8))]
    [late] = due_slots(s, utc(2025, 6, 2, 10, 1), GRACE)
    assert late.at == utc(2025, 6, 2, 8) and late.expired
    assert "beyond the 120 min grace" in late.reason


def test_zero_grace_still_allows_a_few_minutes_of_scheduling_slack() -> None:
    s = sub("08:00", "UTC", last=utc(2025, 6, 1, 8))
    assert not due_slots(s, utc(2025, 6, 2, 8) + ON_TIME, timedelta(0))[0].expired
    assert due_slots(s, utc(2025, 6, 2, 8) + ON_TIME + timedelta(seconds=1), timedelta(0))[0].expired


def test_after_days_of_downtime_only_the_newest_slot_can_be_posted() -> None:
    s = sub("08:00", "UTC", last=utc(2025, 6, 1, 8, 0, 2))
    due = due_slots(s, utc(2025, 6, 4, 9), GRACE)
    assert [d.at for d in due] == [utc(2025, 6, 2, 8), utc(2025, 6, 3, 8), utc(2025, 6, 4, 8)]
    assert [d.expired for d in due] == [True, True, False]
    assert "superseded" in due[0].reason


def test_slots_before_the_subscription_existed_are_not_owed() -> None:
    s = sub("08:00", "UTC")
    assert due_slots(s, utc(2025, 6, 2, 9), GRACE, created_at=utc(2025, 6, 2, 8, 30)) == []
    assert due_slots(s, utc(2025, 6, 3, 8), GRACE, created_at=utc(2025, 6, 2, 8, 30)) == [
        DueSlot(utc(2025, 6, 3, 8))]


def test_previous_and_next_slot_bracket_now() -> None:
    tz = zone("Asia/Kolkata")  # +05:30, no DST: 08:00 local is 02:30 UTC
    now = utc(2025, 6, 2, 2, 30)
    assert previous_slot(time(8, 0), tz, now) == now
    assert next_slot(time(8, 0), tz, now) == utc(2025, 6, 3, 2, 30)
    assert previous_slot(time(8, 0), tz, now - timedelta(microseconds=1)) == utc(2025, 6, 1, 2, 30)


@pytest.mark.parametrize(("hhmm", "tz"), [("8am", "UTC"), ("24:00", "UTC"), ("08:00", "Mars/Olympus"),
                                          ("08:00", "")])
def test_a_bad_stored_schedule_is_a_clear_error(hhmm: str, tz: str) -> None:
    with pytest.raises(ScheduleError):
        due_slots(sub(hhmm, tz), utc(2025, 6, 2, 9), GRACE)
    with pytest.raises(ScheduleError):
        cron_trigger(sub(hhmm, tz))

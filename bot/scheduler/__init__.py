"""Scheduled digests and feed polling (APScheduler, persistent jobs, exactly-once deliveries).

- `slots`: pure time arithmetic — when a subscription's digest is due, DST included;
- `digests`: one delivery pass at a given instant (claim, build, post once, record);
- `polling`: one feed poll with backoff;
- `jobs`: `DigestScheduler`, the APScheduler wiring that calls the above at the right moments.

`DigestScheduler` is imported lazily: the CLI needs only the time arithmetic, not the briefing core.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.scheduler.slots import DueSlot, ScheduleError, due_slots, next_run

if TYPE_CHECKING:
    from bot.scheduler.jobs import DigestScheduler

__all__ = ["DigestScheduler", "DueSlot", "ScheduleError", "due_slots", "next_run"]


def __getattr__(name: str) -> Any:
    if name == "DigestScheduler":
        from bot.scheduler.jobs import DigestScheduler

        return DigestScheduler
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

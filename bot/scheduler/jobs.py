"""The running scheduler: APScheduler jobs that wake the delivery and polling logic at the right times.

Jobs
- `digest:<id>`: one per subscription, a CronTrigger at its local HH:MM in its IANA zone (DST-aware).
  These live in a SQLAlchemyJobStore in the bot's own database, so they survive restarts and a late
  start still fires a job that was due while the bot was down (misfire grace unlimited, coalesced).
- `tick`: every 30 s, in memory: picks up subscription changes (`sync_subscriptions`) and runs a pass.
- `feeds`: every 15 s, in memory: polls the feeds that are due (`FeedPoller.run_due`, decided from the
  feeds table, so feeds added from chat need no job of their own) and posts feed health reports owed
  to tenants' managers (`bot.sources.health`). Older versions kept one `feed:<hash>` job per feed;
  `sync_feeds` removes those.
- `follow-alerts`: every 30 s, in memory: one `FollowAlerter` pass (scan new articles, DM followers).

Why the tick: APScheduler 3 does not coordinate several schedulers on one job store, so with two
bot processes on a database either may consume a cron wake-up, possibly one without the channel's
platform. Correctness therefore never rests on a job firing: every pass looks at the database
(`DigestDeliverer.run_due`), and the cron jobs only make the common case punctual to the second.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import secrets
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from apscheduler.job import Job
from apscheduler.jobstores.base import JobLookupError
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.briefing.runner import AsyncBriefing
from bot.briefing.service import BriefingService
from bot.delivery import DirectSender, PlatformAdapter
from bot.scheduler.digests import RECORD_PATIENCE_S, SEND_TIMEOUT_S, DigestDeliverer, Outcome, describe
from bot.scheduler.follow_alerts import INTERVAL as FOLLOW_INTERVAL
from bot.scheduler.follow_alerts import FollowAlerter, PassReport
from bot.scheduler.polling import FeedPoller, Loader, PollOutcome
from bot.scheduler.slots import ScheduleError, cron_trigger
from bot.settings import Settings
from bot.sources import health
from bot.store import Store, Subscription
from bot.store import deliveries as rows
from bot.store import feeds as feed_rows

log = logging.getLogger(__name__)

TICK = timedelta(seconds=30)
STOP_GRACE_S = 5.0  # at shutdown, how long a digest send in flight may still finish
FEED_PASS = timedelta(seconds=15)
SHARED, LOCAL = "shared", "local"  # job store aliases: persistent (database) and this process only
JOBS_TABLE = "apscheduler_jobs"
DIGEST_PREFIX, FEED_PREFIX = "digest:", "feed:"

Clock = Callable[[], datetime]

# The scheduler that persistent jobs run against in this process. Persistent jobs must name a
# module-level function (they are pickled by reference), so they find their scheduler here.
_active: DigestScheduler | None = None


def utc_now() -> datetime:
    return datetime.now(UTC)


def default_instance_id() -> str:
    """hostname-pid plus a short random part, so two schedulers in one process are still told apart."""
    return f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(2)}"


async def fire_digests(subscription_id: int) -> None:
    """Job entry point: a subscription's local time came. A full pass is as cheap and covers retries too."""
    scheduler = _active
    if scheduler is None:
        log.warning("digest job for subscription %d fired with no scheduler running", subscription_id)
        return
    log.debug("digest time for subscription %d", subscription_id)
    await scheduler.run_due()


async def fire_feed(url: str) -> None:
    """Entry point of the per-feed jobs older versions stored; kept so they unpickle until removed."""
    scheduler = _active
    if scheduler is None:
        log.warning("feed job for %s fired with no scheduler running", url)
        return
    await scheduler.poll_feed(url)


@dataclass(frozen=True, slots=True)
class SyncReport:
    """What `sync_subscriptions` changed, by job id."""

    added: tuple[str, ...] = ()
    rescheduled: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    invalid: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.added or self.rescheduled or self.removed)


def digest_job_id(subscription_id: int) -> str:
    return f"{DIGEST_PREFIX}{subscription_id}"


def feed_job_id(url: str) -> str:
    """Feed URLs can be long; job ids are limited, so use a stable hash."""
    return FEED_PREFIX + hashlib.sha256(url.encode("utf-8")).hexdigest()[:16]


def _signature(sub: Subscription) -> str:
    """The job's name records what it was scheduled for, so a changed time or zone is noticed."""
    return f"{sub.time} {sub.timezone}"


class DigestScheduler:
    """Daily digests and feed polling for one bot process. `start()` needs a running asyncio loop."""

    def __init__(self, store: Store, core: BriefingService | AsyncBriefing, adapters: Mapping[str, PlatformAdapter],
                 settings: Settings, *, clock: Clock = utc_now, instance_id: str | None = None,
                 load: Loader | None = None, lease: timedelta = rows.DEFAULT_LEASE,
                 record_patience: float = RECORD_PATIENCE_S, send_timeout: float = SEND_TIMEOUT_S) -> None:
        self.store = store
        self.settings = settings
        self.clock = clock
        self.instance_id = instance_id or default_instance_id()
        # The core is reached through the same bounded runner as the platforms (pass theirs to share it).
        self.briefing = core if isinstance(core, AsyncBriefing) else AsyncBriefing(core)
        self.deliverer = DigestDeliverer(store, self.briefing, adapters, settings, self.instance_id, lease=lease,
                                         record_patience=record_patience, send_timeout=send_timeout)
        self.poller = FeedPoller(store, settings, self.briefing, load=load)
        senders = {name: a for name, a in adapters.items() if isinstance(a, DirectSender)}
        self.follow_alerter = FollowAlerter(store, self.briefing, senders, self.instance_id, lease=lease)
        self.aps = AsyncIOScheduler(
            jobstores={SHARED: SQLAlchemyJobStore(engine=store.engine, tablename=JOBS_TABLE),
                       LOCAL: MemoryJobStore()},
            job_defaults={"coalesce": True, "misfire_grace_time": None, "max_instances": 1},
            timezone=UTC,
        )

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self, *, paused: bool = False) -> None:
        """Create the job table if needed, schedule every job and start; `paused` starts without firing
        anything (for inspection and tests)."""
        global _active
        if _active is not None and _active is not self:
            raise RuntimeError("a DigestScheduler is already running in this process")
        self.aps.start(paused=paused)
        _active = self
        # The first tick runs at once: slots missed while the bot was down are sent (or skipped) now.
        self.aps.add_job(self._tick, IntervalTrigger(seconds=TICK.total_seconds(), timezone=UTC), id="tick",
                         jobstore=LOCAL, replace_existing=True, next_run_time=datetime.now(UTC))
        # A long pass (a cold start with many new feeds) outlasts the period: the next tick then returns at
        # once (`_feeds_tick`) instead of APScheduler skipping it with a warning every 15 s.
        self.aps.add_job(self._feeds_tick, IntervalTrigger(seconds=FEED_PASS.total_seconds(), timezone=UTC),
                         id="feeds", jobstore=LOCAL, replace_existing=True, next_run_time=datetime.now(UTC),
                         max_instances=2)
        self.aps.add_job(self._follow_tick, IntervalTrigger(seconds=FOLLOW_INTERVAL.total_seconds(), timezone=UTC),
                         id="follow-alerts", jobstore=LOCAL, replace_existing=True, next_run_time=datetime.now(UTC))
        self.sync_feeds()
        self.sync_subscriptions()
        log.info("scheduler %s started (%d jobs)", self.instance_id, len(self.aps.get_jobs()))

    async def close(self, grace_s: float = STOP_GRACE_S) -> None:
        """Graceful stop (SIGTERM): fire no new jobs, give sends in flight up to `grace_s` to finish,
        then `shutdown()`, which marks any still unanswered `unconfirmed`."""
        if self.aps.running:
            self.aps.pause()
        in_flight = set(self.deliverer.in_flight.values())
        if in_flight:
            log.info("waiting up to %.0f s for %d digest send(s) in flight", grace_s, len(in_flight))
            await asyncio.wait(in_flight, timeout=grace_s)
        self.shutdown()

    def shutdown(self) -> None:
        """Stop firing jobs; persistent jobs stay in the database for the next start. A send still in
        flight is marked `unconfirmed` (it may have been posted) and cancelled, never left `sending`."""
        global _active
        if self.aps.running:
            self.aps.shutdown(wait=False)
        self.poller.close()
        if _active is self:
            _active = None
        stopped = self.deliverer.stop_sending()
        if stopped:
            log.warning("stopped with %d digest send(s) in flight; marked unconfirmed", stopped)
        for record in self.deliverer.pending:  # the database never came back: say what the rows cannot
            log.error("exiting without recording the %s (%s); its row will read `unconfirmed`",
                      record.describe(), record.error or "posted")

    # -- the work ---------------------------------------------------------------------------

    async def run_due(self, now: datetime | None = None) -> list[Outcome]:
        """One delivery pass at `now` (default: the clock)."""
        outcomes = await self.deliverer.run_due(now or self.clock())
        if outcomes:
            log.info("delivery pass: %s", describe(outcomes))
        return outcomes

    async def poll_feed(self, url: str, now: datetime | None = None) -> PollOutcome | None:
        return await self.poller.poll(url, now or self.clock())

    async def poll_due(self, now: datetime | None = None) -> list[PollOutcome]:
        """One feed pass: poll what is due, then post the health reports owed."""
        outcomes = await self.poller.run_due(now or self.clock(), clock=None if now else self.clock)
        await self.report_feed_health(now)
        return outcomes

    async def report_feed_health(self, now: datetime | None = None) -> list[health.HealthReport]:
        """Tell tenants' managers, once per outage, about feeds failing for a day or paused after a week.

        Each report is claimed in the database before posting (so two processes never both post it)
        and released again if the platform refused it, so a later pass retries.
        """
        at = now or self.clock()
        reports = await asyncio.to_thread(health.due_reports, self.store, at, frozenset(self.deliverer.adapters))
        sent = []
        for report in reports:
            claimed = await asyncio.to_thread(feed_rows.claim_report, self.store, report.tenant, report.url,
                                              report.kind, at)
            if not claimed:
                continue
            try:
                async with asyncio.timeout(self.deliverer.send_timeout):
                    await self.deliverer.adapters[report.platform].send(report.channel_id, report.notice)
            except Exception as exc:  # refused or timed out: released, so a later pass tries again
                log.warning("could not report feed %s (%s) to %s: %s", report.url, report.kind, report.tenant, exc)
                await asyncio.to_thread(feed_rows.release_report, self.store, report.tenant, report.url,
                                        report.kind)
                continue
            log.info("reported feed %s as %s to %s in %s", report.url, report.kind, report.tenant,
                     report.channel_id)
            sent.append(report)
        return sent

    async def _feeds_tick(self) -> None:
        if self.poller.busy:
            log.debug("feed pass still running; skipping this tick")
            return
        try:
            await self.poll_due()
        except Exception:  # a database hiccup must not stop the next pass
            log.exception("feed pass failed")

    async def run_follow_alerts(self, now: datetime | None = None) -> PassReport:
        """One follow-alert pass at `now` (default: the clock)."""
        return await self.follow_alerter.run_pass(now or self.clock())

    async def _follow_tick(self) -> None:
        try:
            await self.run_follow_alerts()
        except Exception:  # a database hiccup must not stop the job: the next tick tries again
            log.exception("follow alert pass failed")

    async def _tick(self) -> None:
        try:
            await asyncio.to_thread(self.sync_subscriptions)
        except Exception:  # a bad row or a database hiccup must not stop deliveries
            log.exception("could not sync subscription jobs")
        await self.run_due()

    # -- jobs ---------------------------------------------------------------------------------

    def jobs(self, prefix: str = "") -> dict[str, Job]:
        return {j.id: j for j in self.aps.get_jobs(jobstore=SHARED) if j.id.startswith(prefix)}

    def sync_subscriptions(self) -> SyncReport:
        """Make the digest jobs match the subscriptions table: new ones added, changed ones rescheduled,
        removed ones dropped. Runs every tick, so subscription commands take effect without a restart."""
        current = self.jobs(DIGEST_PREFIX)
        added: list[str] = []
        rescheduled: list[str] = []
        invalid: list[str] = []
        wanted: set[str] = set()
        for sub in self.store.list_subscriptions():
            job_id = digest_job_id(sub.id)
            wanted.add(job_id)
            job = current.get(job_id)
            if job is not None and job.name == _signature(sub):
                continue
            try:
                trigger = cron_trigger(sub)
            except ScheduleError as exc:
                invalid.append(job_id)
                self.deliverer.report_bad_schedule(sub, exc)
                wanted.discard(job_id)
                continue
            self.aps.add_job(fire_digests, trigger, args=[sub.id], id=job_id, name=_signature(sub),
                             jobstore=SHARED, replace_existing=True)
            (rescheduled if job is not None else added).append(job_id)
        removed = sorted(set(current) - wanted)
        self._remove(removed)
        report = SyncReport(tuple(added), tuple(rescheduled), tuple(removed), tuple(invalid))
        if report.changed:
            log.info("digest jobs: %d added, %d rescheduled, %d removed", len(added), len(rescheduled),
                     len(removed))
        return report

    def sync_feeds(self) -> SyncReport:
        """Make the config file's feeds global sources (the feed pass polls them with every other feed in
        use); drop per-feed jobs that older versions stored."""
        dropped = feed_rows.sync_feeds(self.store, self.settings.feeds,
                                       min_poll_minutes=self.settings.feed_min_poll_minutes)
        if dropped:
            log.info("%d feeds left the config file and are no longer global sources", len(dropped))
        removed = sorted(self.jobs(FEED_PREFIX))
        self._remove(removed)
        return SyncReport(removed=tuple(removed))

    def _remove(self, job_ids: list[str]) -> None:
        for job_id in job_ids:
            try:
                self.aps.remove_job(job_id, jobstore=SHARED)
            except JobLookupError:  # another process sharing the job store removed it first
                log.debug("job %s already removed", job_id)

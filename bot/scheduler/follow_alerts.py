"""The follow-alert job: find stored articles that concern a follower, then DM each follower once.

It runs in `briefbot run`'s scheduler every `INTERVAL` (30 s), so an article is alerted at most about
one interval plus one pass after it was stored — whichever process stored it: a feed poll, `/brief
<url>` or `briefbot ingest` in another process all write the articles table, and the job reads that
table from a watermark (the highest article id scanned, kept in the database and shared by every bot
process), not from an in-process event.

One pass at `now`:
1. sends whose process died mid-send (lease over) become `unconfirmed`: never sent twice;
2. scan: articles after the watermark (less `SCAN_OVERLAP` ids, for PostgreSQL transactions that commit
   out of id order; re-scanning is harmless, `record_match` knows what it has), and articles whose text
   was replaced after a second watermark over the revisions table, are matched against the active follows
   and recorded as pending alerts, one per (follower, story, generation);
3. deliver (up to `CONCURRENCY` followers at once): for each follower with pending alerts on a platform this process serves, unless the hourly
   cap is reached: claim them all (one DM), compose, commit to sending, send, record. A platform that
   refuses DMs to the user (closed DMs, unknown user) pauses their follows instead of retrying forever;
   any other refusal is retried with backoff, then given up.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot.briefing.models import Digest
from bot.briefing.runner import AsyncBriefing
from bot.delivery import DirectMessagesClosed, DirectSender
from bot.follows import store as rows
from bot.follows.alerts import compose_alert
from bot.follows.matching import match_article
from bot.store import Store
from bot.store.scope import SourceScope

log = logging.getLogger(__name__)

INTERVAL = timedelta(seconds=30)
ALERTS_PER_HOUR = 4  # direct messages per follower per hour; each may carry several stories
HOUR = timedelta(hours=1)
SCAN_WINDOW = timedelta(days=1)  # articles stored longer ago than this are not news to alert about
SCAN_OVERLAP = 20
SCAN_LIMIT = 200  # articles matched per pass; a backlog drains over the next passes
MAX_AGE = timedelta(hours=12)  # a pending alert older than this is skipped, not sent late
RETRY_BASE = timedelta(minutes=1)
MAX_ATTEMPTS = 5
CONCURRENCY = 8  # followers DMed side by side in one pass (each follower gets one DM per pass)


@dataclass(slots=True)
class PassReport:
    """What one pass did: articles scanned, matches recorded by kind, DMs by outcome."""

    scanned: int = 0
    recorded: Counter[str] = field(default_factory=Counter)
    delivered: Counter[str] = field(default_factory=Counter)

    def describe(self) -> str:
        parts = [f"{self.scanned} articles scanned"]
        parts += [f"{n} {k}" for k, n in sorted(self.recorded.items())]
        parts += [f"{n} DMs {k}" for k, n in sorted(self.delivered.items())]
        return ", ".join(parts)


async def run_every(alerter: FollowAlerter, interval: timedelta = INTERVAL) -> None:
    """Run passes forever, `interval` apart (`briefbot chat`, which has no scheduler); cancel to stop."""
    while True:
        try:
            await alerter.run_pass(datetime.now(UTC))
        except Exception:  # a database hiccup must not end the loop: the next pass tries again
            log.exception("follow alert pass failed")
        await asyncio.sleep(interval.total_seconds())


class FollowAlerter:
    """Runs alert passes for the platforms this process can DM on (`senders`, by platform name)."""

    def __init__(self, store: Store, briefing: AsyncBriefing, senders: Mapping[str, DirectSender],
                 instance_id: str, *, alerts_per_hour: int = ALERTS_PER_HOUR,
                 lease: timedelta = rows.DEFAULT_LEASE, concurrency: int = CONCURRENCY) -> None:
        self.store = store
        self.briefing = briefing  # the core, through the same bounded runner as the platforms
        self.service = briefing.service
        self.senders = senders
        self.instance_id = instance_id
        self.alerts_per_hour = alerts_per_hour
        self.lease = lease
        self.concurrency = max(concurrency, 1)
        self._pass = asyncio.Lock()

    async def run_pass(self, now: datetime) -> PassReport:
        """Scan and deliver at `now`; safe to run in any process at any time, as often as wanted."""
        async with self._pass:
            report = PassReport()
            interrupted = await asyncio.to_thread(rows.mark_interrupted, self.store, now, lease=self.lease)
            if interrupted:
                log.warning("%d follow alerts were interrupted mid-send; marked unconfirmed, not re-sent",
                            interrupted)
            report.scanned = await self.briefing.call(lambda: self.scan(now, report.recorded))
            await asyncio.to_thread(rows.expire, self.store, now, MAX_AGE)
            due = await asyncio.to_thread(rows.followers_due, self.store, list(self.senders), now, lease=self.lease)
            gate = asyncio.Semaphore(self.concurrency)
            for outcome in await asyncio.gather(*(self._deliver_guarded(p, u, now, gate) for p, u in due)):
                report.delivered[outcome] += 1
            if report.recorded or report.delivered:
                log.info("follow alerts: %s", report.describe())
            return report

    # -- scanning -------------------------------------------------------------------------------

    def scan(self, now: datetime, recorded: Counter[str] | None = None) -> int:
        """Match the articles stored, and the article texts replaced (a correction, an updated page),
        since the watermarks against the active follows; returns how many were read. The watermarks
        move even with no follows: following is about news from now."""
        since = now - SCAN_WINDOW
        found = rows.articles_after(self.store, max(rows.watermark(self.store) - SCAN_OVERLAP, 0), since,
                                    SCAN_LIMIT)
        revised = rows.revisions_after(self.store, max(rows.watermark(self.store, rows.REVISIONS) - SCAN_OVERLAP, 0),
                                       since, SCAN_LIMIT)
        when: dict[int, datetime] = {}
        for article_id, at in [*found, *((a, at) for _, a, at in revised)]:
            when[article_id] = max(at, when.get(article_id, at))  # an edit is news from when it was made
        if when:
            self._match(when, now, recorded)
        if found:
            rows.advance_watermark(self.store, found[-1][0], now)
        if revised:
            rows.advance_watermark(self.store, revised[-1][0], now, rows.REVISIONS)
        return len(found) + len(revised)

    def _match(self, when: Mapping[int, datetime], now: datetime, recorded: Counter[str] | None) -> None:
        """Record an alert for every follower an article concerns (`when`: article id -> stored or revised)."""
        follows = rows.active_follows(self.store)
        if not follows:
            return
        ids = list(when)
        articles = {a.id: a for a in self.store.articles_by_ids(ids)}
        matches: list[rows.Match] = []
        for scope, group in follows_by_scope(follows).items():
            # A follower hears only of articles their server or workspace may see (its own and
            # global sources), never of another tenant's feeds.
            visible = {a.id for a in self.store.articles_by_ids(ids, scope=scope)}
            for article_id, stored_at in when.items():
                article = articles.get(article_id)
                if article is None or article_id not in visible:
                    continue
                try:
                    matches += match_article(article, stored_at, group, self.service.people_for,
                                             self.service.quotes_for)
                except Exception:  # one unreadable article must not stop the others' alerts
                    log.exception("could not match article %d against follows", article_id)
        outcomes = rows.record_matches(self.store, matches, now)
        if recorded is not None:
            recorded.update({k: n for k, n in outcomes.items() if k in {"new", "update", "added"}})

    # -- delivering -----------------------------------------------------------------------------

    async def _deliver_guarded(self, platform: str, user_id: str, now: datetime, gate: asyncio.Semaphore) -> str:
        async with gate:
            try:
                return await self.deliver(platform, user_id, now)
            except Exception:  # one follower's trouble must not cost the others their alerts
                log.exception("could not deliver follow alerts to %s user %s", platform, user_id)
                return "error"

    async def deliver(self, platform: str, user_id: str, now: datetime) -> str:
        """Send one DM with every alert due for this follower; returns what happened."""
        sender = self.senders[platform]
        used = await asyncio.to_thread(rows.messages_since, self.store, platform, user_id, now - HOUR)
        if used >= self.alerts_per_hour:
            log.info("follow alerts for %s user %s wait: %d DMs in the past hour", platform, user_id, used)
            return "capped"
        batch, alerts = await asyncio.to_thread(rows.claim, self.store, platform, user_id, self.instance_id, now,
                                                lease=self.lease)
        if not alerts:
            return "taken"  # another process claimed them first
        try:
            message = await self.briefing.call(lambda: self.compose(alerts, now))
        except Exception as exc:
            log.exception("could not compose follow alerts for %s user %s", platform, user_id)
            await asyncio.to_thread(rows.mark_retry, self.store, batch, f"{type(exc).__name__}: {exc}",
                                    self._retry_at(alerts, now))
            return "failed"
        if message is None:
            await asyncio.to_thread(rows.mark_retry, self.store, batch, "its articles are gone", None)
            return "failed"
        if not await asyncio.to_thread(rows.mark_sending, self.store, batch, len(alerts), now):
            log.warning("lost the claim on follow alerts for %s user %s; another process sends them",
                        platform, user_id)
            return "lost"
        try:
            ref = await sender.send_direct(user_id, message)
        except DirectMessagesClosed as exc:
            paused = await asyncio.to_thread(rows.mark_closed, self.store, platform, user_id, batch, str(exc), now)
            log.warning("%s refuses DMs to user %s (%s); paused their %d follows", platform, user_id, exc, paused)
            return "closed"
        except Exception as exc:
            retry_at = self._retry_at(alerts, now)
            await asyncio.to_thread(rows.mark_retry, self.store, batch, f"{type(exc).__name__}: {exc}", retry_at)
            log.warning("follow alert DM to %s user %s failed: %s; %s", platform, user_id, exc,
                        f"retry at {retry_at:%H:%M:%S} UTC" if retry_at else "giving up")
            return "failed"
        await asyncio.to_thread(rows.mark_sent, self.store, batch, now, ref)
        log.info("sent %s user %s a follow alert about %d stories", platform, user_id, len(message.stories))
        return "sent"

    def compose(self, alerts: list[rows.Alert], now: datetime) -> Digest | None:
        found = self.store.articles_by_ids(rows.article_ids_of(alerts))
        articles = {a.id: a for a in found if a.id is not None}
        # The story as the follower's tenant sees it: other tenants' outlets and links stay out.
        scope = scope_of_follower(self.store, alerts[0].platform, alerts[0].user_id) if alerts else None
        return compose_alert(alerts, articles, self.store.stories_of(found, scope=scope), self.service.story_brief,
                             now)

    @staticmethod
    def _retry_at(alerts: list[rows.Alert], now: datetime) -> datetime | None:
        """Exponential backoff after the batch's attempts so far; None (give up) after MAX_ATTEMPTS."""
        attempt = max((a.attempts for a in alerts), default=0) + 1
        return None if attempt >= MAX_ATTEMPTS else now + RETRY_BASE * 2 ** (attempt - 1)


def follows_by_scope(follows: list[rows.Follow]) -> dict[SourceScope, list[rows.Follow]]:
    """Follows grouped by the tenant they were made in (server, workspace, DM or terminal)."""
    groups: dict[SourceScope, list[rows.Follow]] = {}
    for follow in follows:
        groups.setdefault(SourceScope.of(follow.platform, follow.workspace_id, follow.user_id), []).append(follow)
    return groups


def scope_of_follower(store: Store, platform: str, user_id: str) -> SourceScope:
    """The tenant a follower's alerts are told in: where their newest active follow was made."""
    mine = [f for f in rows.active_follows(store) if f.platform == platform and f.user_id == user_id]
    newest = max(mine, key=lambda f: f.created_at, default=None)
    return SourceScope.of(platform, newest.workspace_id if newest else None, user_id)

"""Feed polling: fetch due feeds, store their new articles, back off (and pause) while one keeps failing.

What is due is decided from the feeds table (`next_poll_at`), not by one timer per feed: a pass
(`FeedPoller.run_due`, every few seconds) polls every feed in use whose time has come, so feeds added
from chat are picked up without a restart, backoff survives restarts, and two processes sharing a
database do not both poll the same feed (`claim_poll`). Politeness: conditional GET (validators in the
feeds table), exponential backoff on failure, jitter on every next time, and never two requests to one
host at once (a pass polls each host's feeds one after another, different hosts side by side). Fetching
runs in the poller's own threads (it waits on the network); pre-summarising new articles runs in the
core's bounded pool, where user requests interleave with it.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from bot.articles.models import Article
from bot.briefing.intake import Intake, Loader, intake
from bot.briefing.runner import AsyncBriefing
from bot.settings import Settings
from bot.sources.health import PAUSE_AFTER, PAUSED_RETRY
from bot.store import ArticleOrigin, Store
from bot.store import feeds as feed_rows

log = logging.getLogger(__name__)

BACKOFF_CAP = timedelta(hours=6)
MAX_JITTER_S = 60.0

__all__ = ["FeedPoller", "Loader", "PollOutcome", "failure_backoff", "host_of", "jitter_seconds"]


@dataclass(frozen=True, slots=True)
class PollOutcome:
    url: str
    ok: bool
    added: int = 0
    duplicates: int = 0
    not_modified: bool = False
    error: str | None = None
    failures: int = 0


def jitter_seconds(poll_minutes: int) -> float:
    """Up to a tenth of the interval (at most a minute), so many feeds do not all fire on the same second."""
    return min(poll_minutes * 60 / 10, MAX_JITTER_S)


def failure_backoff(poll_minutes: int, failures: int) -> timedelta:
    """After `failures` failures in a row: 2, 4, 8, ... intervals, capped at BACKOFF_CAP."""
    return min(timedelta(minutes=poll_minutes) * 2 ** min(failures, 16), BACKOFF_CAP)


def host_of(url: str) -> str:
    """The host a feed is fetched from: polls of one host are never run side by side."""
    return (urlsplit(url).hostname or url).lower()


def jittered(poll_minutes: int) -> timedelta:
    """A random offset within ± the jitter, so feeds added together drift apart instead of firing together."""
    j = jitter_seconds(poll_minutes)
    return timedelta(seconds=random.uniform(-j, j))  # noqa: S311 - spreading load, not security


class FeedPoller:
    """Polls feeds through the one intake (conditional GET, SSRF checks, cleaning, dedupe, story placement);
    new articles are then summarised in the core's bounded worker pool, one at a time, so user requests
    interleave with the warming instead of waiting behind a whole feed."""

    def __init__(self, store: Store, settings: Settings, briefing: AsyncBriefing | None = None, *,
                 load: Loader | None = None, warm: Callable[[Article], object] | None = None) -> None:
        self.store = store
        self.settings = settings
        self.briefing = briefing
        self._load = load  # tests inject a loader; None means the real ingest pipeline
        self._warm = warm if warm is not None else (briefing.service.warm if briefing is not None else None)
        self._executor: ThreadPoolExecutor | None = None
        self._pass = asyncio.Lock()

    @property
    def busy(self) -> bool:
        """A pass is running."""
        return self._pass.locked()

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None

    async def poll(self, url: str, now: datetime) -> PollOutcome | None:
        """Poll `url` if it is due; None when it is backing off or another process is polling it."""
        if self.briefing is None:
            outcome, new = await asyncio.to_thread(self._poll, url, now)
        else:
            outcome, new = await self.briefing.call(lambda: self._poll(url, now))
        await self._warm_all(new)
        return outcome

    async def run_due(self, now: datetime, clock: Callable[[], datetime] | None = None) -> list[PollOutcome]:
        """Poll every feed due at `now`: hosts side by side (at most `feed_poll_workers` fetches at once),
        each host's feeds one after another. Each poll is timed by `clock` (default: `now`), so a long pass
        schedules the next poll from when the feed was really fetched."""
        async with self._pass:  # a slow pass and the next timer tick never overlap
            due = await asyncio.to_thread(feed_rows.due_feeds, self.store, now)
            if not due:
                return []
            if self._executor is None:
                self._executor = ThreadPoolExecutor(max_workers=self.settings.feed_poll_workers,
                                                    thread_name_prefix="feed-poll")
            executor = self._executor
            by_host: dict[str, list[str]] = {}
            for feed in due:
                by_host.setdefault(host_of(feed.url), []).append(feed.url)
            slots = asyncio.Semaphore(self.settings.feed_poll_workers)
            loop = asyncio.get_running_loop()

            async def one_host(urls: list[str]) -> list[PollOutcome]:
                done = []
                for url in urls:
                    async with slots:
                        at = clock() if clock is not None else now
                        outcome, new = await loop.run_in_executor(executor, self._poll_safely, url, at)
                    await self._warm_all(new)
                    if outcome is not None:
                        done.append(outcome)
                return done

            per_host = await asyncio.gather(*(one_host(urls) for urls in by_host.values()))
            outcomes = [o for host in per_host for o in host]
            log.info("feed pass: %d polled on %d hosts, %d failed", len(outcomes), len(by_host),
                     sum(not o.ok for o in outcomes))
            return outcomes

    def _poll_safely(self, url: str, now: datetime) -> tuple[PollOutcome | None, list[Article]]:
        try:
            return self._poll(url, now)
        except Exception:  # the database failed us mid-poll: the claim's lease makes it due again later
            log.exception("polling %s failed", url)
            return None, []

    def _poll(self, url: str, now: datetime) -> tuple[PollOutcome | None, list[Article]]:
        feed = feed_rows.claim_poll(self.store, url, now)
        if feed is None:
            log.debug("feed %s not due", url)
            return None, []
        origin = ArticleOrigin(feed_url=url)  # who may see its articles: the tenants using this feed
        try:
            results = list(intake([url], self.store, self.settings, load=self._load, origin=origin))
        except Exception as exc:  # a loader bug must not kill the job: record it like a fetch failure
            log.debug("loading %s raised", url, exc_info=True)
            results = [Intake(url, error=f"{type(exc).__name__}: {exc}")]
        errors = [r.error for r in results if r.error]
        if errors:
            failures = feed.failures + 1
            failing_since = feed.failing_since or now
            paused = now - failing_since >= PAUSE_AFTER
            if paused:  # a week of failures: try once a day until one success clears it
                retry_at = now + PAUSED_RETRY
            else:
                retry_at = now + failure_backoff(feed.poll_minutes, failures) - timedelta(
                    seconds=2 * jitter_seconds(feed.poll_minutes))
            feed_rows.record_poll_failure(self.store, url, now, failures=failures, error="; ".join(errors),
                                          next_poll_at=retry_at, failing_since=failing_since, paused=paused)
            log.warning("feed %s failed (%d in a row%s): %s; next try after %s", url, failures,
                        ", paused" if paused else "", errors[0], retry_at.strftime("%Y-%m-%d %H:%M UTC"))
            return PollOutcome(url, ok=False, error=errors[0], failures=failures), []
        new = [a for r in results for a in r.new]
        added = len(new)
        duplicates = sum(len(r.stored) for r in results) - added
        feed_rows.record_poll_success(self.store, url, now, now + timedelta(minutes=feed.poll_minutes)
                                      + jittered(feed.poll_minutes))
        not_modified = bool(results) and all(r.not_modified for r in results)
        log.info("feed %s: %d new, %d already stored%s", url, added, duplicates,
                 " (not modified)" if not_modified else "")
        return PollOutcome(url, ok=True, added=added, duplicates=duplicates, not_modified=not_modified), new

    async def _warm_all(self, articles: list[Article]) -> None:
        for article in articles:
            if self.briefing is None:
                await asyncio.to_thread(self._warm_one, article)
            else:
                await self.briefing.call(lambda a=article: self._warm_one(a))  # type: ignore[misc]

    def _warm_one(self, article: Article) -> None:
        """Summarise a new article now, in the background job, so `/brief` and digests answer from the cache."""
        if self._warm is None:
            return
        try:
            self._warm(article)
        except Exception:  # a summary failure must not fail the poll; the digest will retry it
            log.warning("could not pre-summarise %r", article.label, exc_info=True)

"""Feed polling: fetch one configured feed, store its new articles, back off while it keeps failing.

The APScheduler interval job only says "this feed's interval came round"; whether to poll is decided
here from the feeds table (`next_poll_at`), so backoff survives restarts and two processes sharing a
database do not both poll the same feed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.articles.models import Article
from bot.briefing.intake import Intake, Loader, intake
from bot.briefing.runner import AsyncBriefing
from bot.settings import Settings
from bot.store import Store
from bot.store import feeds as feed_rows

log = logging.getLogger(__name__)

BACKOFF_CAP = timedelta(hours=6)
MAX_JITTER_S = 60.0

__all__ = ["FeedPoller", "Loader", "PollOutcome", "failure_backoff", "jitter_seconds", "poll_spacing"]


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


def poll_spacing(poll_minutes: int) -> timedelta:
    """The least time between two polls of a feed: its interval less the jitter either way, so a job that
    fires a little early is not turned away and the feed still polls once per interval."""
    return timedelta(minutes=poll_minutes) - timedelta(seconds=2 * jitter_seconds(poll_minutes))


def failure_backoff(poll_minutes: int, failures: int) -> timedelta:
    """After `failures` failures in a row: 2, 4, 8, ... intervals, capped at BACKOFF_CAP."""
    return min(timedelta(minutes=poll_minutes) * 2 ** min(failures, 16), BACKOFF_CAP)


class FeedPoller:
    """Polls feeds through the one intake (conditional GET, SSRF checks, cleaning, dedupe, story placement),
    in the core's bounded worker pool; new articles are then summarised there, one at a time, so user
    requests interleave with the warming instead of waiting behind a whole feed."""

    def __init__(self, store: Store, settings: Settings, briefing: AsyncBriefing | None = None, *,
                 load: Loader | None = None, warm: Callable[[Article], object] | None = None) -> None:
        self.store = store
        self.settings = settings
        self.briefing = briefing
        self._load = load  # tests inject a loader; None means the real ingest pipeline
        self._warm = warm if warm is not None else (briefing.service.warm if briefing is not None else None)

    async def poll(self, url: str, now: datetime) -> PollOutcome | None:
        """Poll `url` if it is due; None when it is backing off or another process is polling it."""
        if self.briefing is None:
            outcome, new = await asyncio.to_thread(self._poll, url, now)
        else:
            outcome, new = await self.briefing.call(lambda: self._poll(url, now))
        for article in new:
            if self.briefing is None:
                await asyncio.to_thread(self._warm_one, article)
            else:
                await self.briefing.call(lambda a=article: self._warm_one(a))  # type: ignore[misc]
        return outcome

    def _poll(self, url: str, now: datetime) -> tuple[PollOutcome | None, list[Article]]:
        feed = feed_rows.claim_poll(self.store, url, now)
        if feed is None:
            log.debug("feed %s not due", url)
            return None, []
        try:
            results = list(intake([url], self.store, self.settings, load=self._load))
        except Exception as exc:  # a loader bug must not kill the job: record it like a fetch failure
            log.debug("loading %s raised", url, exc_info=True)
            results = [Intake(url, error=f"{type(exc).__name__}: {exc}")]
        errors = [r.error for r in results if r.error]
        if errors:
            failures = feed.failures + 1
            retry_at = now + failure_backoff(feed.poll_minutes, failures) - timedelta(
                seconds=2 * jitter_seconds(feed.poll_minutes))
            feed_rows.record_poll_failure(self.store, url, now, failures=failures, error="; ".join(errors),
                                          next_poll_at=retry_at)
            log.warning("feed %s failed (%d in a row): %s; next try after %s", url, failures, errors[0],
                        retry_at.strftime("%H:%M UTC"))
            return PollOutcome(url, ok=False, error=errors[0], failures=failures), []
        new = [a for r in results for a in r.new]
        added = len(new)
        duplicates = sum(len(r.stored) for r in results) - added
        feed_rows.record_poll_success(self.store, url, now, now + poll_spacing(feed.poll_minutes))
        not_modified = bool(results) and all(r.not_modified for r in results)
        log.info("feed %s: %d new, %d already stored%s", url, added, duplicates,
                 " (not modified)" if not_modified else "")
        return PollOutcome(url, ok=True, added=added, duplicates=duplicates, not_modified=not_modified), new

    def _warm_one(self, article: Article) -> None:
        """Summarise a new article now, in the background job, so `/brief` and digests answer from the cache."""
        if self._warm is None:
            return
        try:
            self._warm(article)
        except Exception:  # a summary failure must not fail the poll; the digest will retry it
            log.warning("could not pre-summarise %r", article.label, exc_info=True)

"""The async face of the core for adapters: bounded work queue, rate limits, never an exception.

Model calls are CPU-heavy and synchronous, so they run in worker threads. A burst of `/brief`
beyond the queue bound gets a friendly "busy" notice instead of exhausting memory, and any
unexpected failure becomes a short error notice for the user and a full trace in the log.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from bot.briefing.models import Notice, Reply
from bot.briefing.ratelimit import RateLimiter
from bot.briefing.service import BriefingService
from bot.commands import BriefRequest, Requester
from bot.store import SourceScope

log = logging.getLogger(__name__)

T = TypeVar("T")
BUSY = "I'm working through a lot of requests right now; please try again in a minute."
FAILED = "Sorry, something went wrong while preparing that briefing. It has been logged."


class AsyncBriefing:
    """Run core calls off the event loop with a bounded queue and per-user/channel rate limits."""

    def __init__(self, service: BriefingService, *, workers: int = 2, max_pending: int | None = None,
                 user_per_minute: int | None = None, channel_per_minute: int | None = None,
                 rate_limits: bool = True) -> None:
        """`rate_limits=False` for a single local user (the terminal): limits share a channel fairly
        among its people, and a terminal is nobody else's channel. The queue bound still holds."""
        s = service.settings
        self.service = service
        self.rate_limits = rate_limits
        self.max_pending = max_pending if max_pending is not None else s.model_queue_size
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="briefing")
        self._pending = 0
        self._users = RateLimiter(user_per_minute or s.user_rate_per_minute)
        self._channels = RateLimiter(channel_per_minute or s.channel_rate_per_minute)

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)

    async def handle(self, request: BriefRequest, requester: Requester) -> Reply:
        return await self._run(lambda: self.service.handle(request, requester), requester, request.costly)

    async def handle_text(self, text: str, requester: Requester) -> Reply:
        return await self._run(lambda: self.service.handle_text(text, requester), requester, True)

    async def answer(self, question: str, requester: Requester) -> Reply:
        scope = SourceScope.of(requester.platform, requester.workspace_id, requester.user_id)
        return await self._run(lambda: self.service.answer(question, scope=scope), requester, True)

    async def call(self, fn: Callable[[], T]) -> T:
        """Run any blocking core call in the worker pool (scheduler, tests); exceptions propagate."""
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn)

    async def _run(self, fn: Callable[[], Reply], requester: Requester, expensive: bool) -> Reply:
        if expensive and self.rate_limits:
            wait = max(self._users.retry_after(f"{requester.platform}:u:{requester.user_id}"),
                       self._channels.retry_after(f"{requester.platform}:c:{requester.channel_id}"))
            if wait > 0:
                log.info("rate limited %s user %s", requester.platform, requester.user_id)
                return Notice(f"You're asking faster than I can brief; try again in {int(wait) + 1} s.", ok=False)
        if expensive and self._pending >= self.max_pending:
            log.warning("work queue full (%d pending); refusing request", self._pending)
            return Notice(BUSY, ok=False)
        self._pending += 1
        try:
            return await self.call(fn)
        except Exception:
            log.exception("briefing request failed")
            return Notice(FAILED, ok=False)
        finally:
            self._pending -= 1

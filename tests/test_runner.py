"""AsyncBriefing: bounded queue, rate limits, failures become notices."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from bot.briefing.models import Notice
from bot.briefing.runner import BUSY, FAILED, AsyncBriefing
from bot.commands import BriefRequest, Requester
from bot.settings import Settings


class SlowService:
    """Blocks every request until released, so the test controls how many are in flight."""

    def __init__(self) -> None:
        self.settings = Settings()
        self.release = threading.Event()
        self.calls = 0

    def handle(self, request: BriefRequest, requester: Requester) -> Any:
        self.calls += 1
        self.release.wait(5)
        return Notice("done")

    def handle_text(self, text: str, requester: Requester) -> Any:
        raise RuntimeError("boom")


def who(user: str) -> Requester:
    return Requester("test", user, f"chan-{user}")


async def test_burst_beyond_the_queue_gets_a_busy_notice() -> None:
    service = SlowService()
    briefing = AsyncBriefing(service, workers=1, max_pending=2, user_per_minute=100, channel_per_minute=100)  # type: ignore[arg-type]
    tasks = [asyncio.create_task(briefing.handle(BriefRequest("digest"), who(str(i)))) for i in range(5)]
    await asyncio.sleep(0.2)
    service.release.set()
    replies = await asyncio.gather(*tasks)
    assert sum(r.text == BUSY for r in replies) == 3
    assert sum(r.text == "done" for r in replies) == 2
    assert service.calls == 2
    briefing.close()


async def test_cheap_commands_bypass_the_queue_and_rate_limit() -> None:
    service = SlowService()
    service.release.set()
    briefing = AsyncBriefing(service, max_pending=0, user_per_minute=1, channel_per_minute=1)  # type: ignore[arg-type]
    for _ in range(3):
        assert (await briefing.handle(BriefRequest("list"), who("a"))).text == "done"
    briefing.close()


async def test_rate_limit_per_user() -> None:
    service = SlowService()
    service.release.set()
    briefing = AsyncBriefing(service, user_per_minute=2, channel_per_minute=100)  # type: ignore[arg-type]
    replies = [await briefing.handle(BriefRequest("digest"), who("a")) for _ in range(3)]
    assert [r.ok for r in replies] == [True, True, False]
    assert "try again" in replies[2].text
    assert (await briefing.handle(BriefRequest("digest"), who("b"))).ok
    briefing.close()


async def test_unexpected_errors_become_a_short_notice(caplog: Any) -> None:
    briefing = AsyncBriefing(SlowService())  # type: ignore[arg-type]
    reply = await briefing.handle_text("anything", who("a"))
    assert isinstance(reply, Notice) and not reply.ok and reply.text == FAILED
    assert "boom" in caplog.text
    briefing.close()

"""Scheduled digests end to end with a controllable clock: each pass is `run_due(now)` at an explicit instant.

Every scenario asserts what the channel saw (the fake platform's posts), not just what the rows say:
DST changes, a crash between claim and send, a crash mid-send, two schedulers on one database, a
sender that fails twice, grace windows, "only new stories", empty days, and runtime subscription changes.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import httpx
import pytest
from dbtest import db_url_fixture  # noqa: F401
from sqlalchemy import inspect, text, update
from sqlalchemy.exc import OperationalError

from bot.articles.ingest import LoadResult
from bot.articles.models import Article
from bot.briefing.models import Digest, Reply
from bot.briefing.service import BriefingService
from bot.scheduler import DigestScheduler
from bot.scheduler import jobs as jobs_module
from bot.scheduler.digests import ERROR, MAX_ATTEMPTS
from bot.scheduler.slots import next_run
from bot.settings import FeedConfig, Settings
from bot.store import Store
from bot.store import deliveries as d
from bot.store import feeds as feed_rows
from bot.store.schema import ArticleRow, SubscriptionRow


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


CREATED = utc(2025, 6, 1, 12)  # most scenarios run on 2 and 3 June 2025


class FakeAdapter:
    """A platform that records what it posts and can refuse the first N sends (like an HTTP 503)."""

    def __init__(self, platform: str = "slack", *, fail_times: int = 0) -> None:
        self.platform = platform
        self.fail_times = fail_times
        self.calls = 0
        self.posts: list[tuple[str, Reply]] = []
        self._lock = threading.Lock()

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def send(self, channel_id: str, reply: Reply) -> str | None:
        with self._lock:
            self.calls += 1
            if self.calls <= self.fail_times:
                raise ConnectionError(f"platform unavailable (call {self.calls})")
            self.posts.append((channel_id, reply))
            return f"msg-{len(self.posts)}"

    def channels(self) -> list[str]:
        return [channel for channel, _ in self.posts]


class PostsThenHangs(FakeAdapter):
    """Posts, then never returns: the process is killed before it can record the send."""

    def __init__(self) -> None:
        super().__init__()
        self.posted = asyncio.Event()

    async def send(self, channel_id: str, reply: Reply) -> str | None:
        self.posts.append((channel_id, reply))
        self.posted.set()
        await asyncio.Event().wait()
        return None


@dataclass
class Env:
    """One database with its settings; `scheduler()` builds another process's scheduler on it."""

    url: str
    settings: Settings
    store: Store
    stores: list[Store] = field(default_factory=list)

    def scheduler(self, adapter: FakeAdapter, name: str, *, own_connection: bool = False,
                  **kwargs: Any) -> DigestScheduler:
        store = self.store
        if own_connection:  # a separate process: its own engine and connection pool on the same database
            store = Store(self.url, run_migrations=False)
            self.stores.append(store)
        service = BriefingService(store, self.settings, load_default_model=False)
        return DigestScheduler(store, service, {adapter.platform: adapter}, self.settings, instance_id=name,
                               **kwargs)

    def subscribe(self, channel: str = "C1", hhmm: str = "08:00", tz: str = "Europe/London", *,
                  platform: str = "slack", created: datetime = CREATED) -> int:
        sub = self.store.add_subscription(platform, channel, hhmm, tz)
        with self.store.session() as s:  # subscribed "in the past" of the test clock
            s.execute(update(SubscriptionRow).where(SubscriptionRow.id == sub.id).values(created_at=created))
        return sub.id

    def add_story(self, text: str, title: str, url: str, added_at: datetime) -> int:
        outcome = self.store.add_article(Article(text=text, title=title, url=url, source=url.split("/")[2]))
        assert outcome.status != "duplicate", outcome
        with self.store.session() as s:
            s.execute(update(ArticleRow).where(ArticleRow.id == outcome.id).values(added_at=added_at))
        return outcome.id

    def deliveries(self) -> list[d.Delivery]:
        return sorted(d.list_deliveries(self.store, 1000), key=lambda x: (x.slot, x.channel_id))


def make_env(url: str, **overrides: Any) -> Env:
    settings = Settings(database_url=url, **{"grace_minutes": 120, "empty_digest": "say", **overrides})
    return Env(url, settings, Store(url))


@pytest.fixture
def env_factory(db_url: str) -> Iterator[Callable[..., Env]]:
    made: list[Env] = []

    def factory(**overrides: Any) -> Env:
        made.append(make_env(db_url, **overrides))
        return made[-1]

    yield factory
    for e in made:
        for s in [*e.stores, e.store]:
            s.close()


@pytest.fixture
def env(env_factory: Callable[..., Env]) -> Env:
    return env_factory()


def story(topic: str, n: int = 3) -> str:
    return " ".join(f"{topic} sentence number {i} adds a distinct fact about the {topic} debate in parliament."
                    for i in range(n))


# -- on time, in the right zone ---------------------------------------------------------------------


async def test_digests_post_at_local_eight_across_the_london_spring_change(env: Env) -> None:
    adapter = FakeAdapter()
    sub_id = env.subscribe("C1", "08:00", "Europe/London", created=utc(2025, 3, 28, 12))
    sched = env.scheduler(adapter, "proc-a")
    timeline = [
        (utc(2025, 3, 29, 7, 59), 0),  # Saturday, GMT: not yet
        (utc(2025, 3, 29, 8, 0), 1),  # 08:00 GMT
        (utc(2025, 3, 29, 8, 30), 1),  # nothing new
        (utc(2025, 3, 30, 6, 59), 1),  # Sunday, now BST: 07:59 local
        (utc(2025, 3, 30, 7, 0), 2),  # 08:00 BST
        (utc(2025, 3, 30, 8, 0), 2),  # 09:00 BST: the old UTC time must not post again
        (utc(2025, 3, 31, 7, 0), 3),
    ]
    for now, expected in timeline:
        await sched.run_due(now)
        assert len(adapter.posts) == expected, now
    assert [x.slot for x in env.deliveries()] == [utc(2025, 3, 29, 8), utc(2025, 3, 30, 7), utc(2025, 3, 31, 7)]
    assert {x.status for x in env.deliveries()} == {d.SENT}
    sub = env.store.get_subscription(sub_id)
    assert sub is not None and sub.last_digest_at == utc(2025, 3, 31, 7)


async def test_new_york_fall_back_and_a_repeated_wall_time_post_once(env: Env) -> None:
    adapter = FakeAdapter()
    env.subscribe("NY8", "08:00", "America/New_York", created=utc(2025, 10, 31, 12))
    env.subscribe("NY0130", "01:30", "America/New_York", created=utc(2025, 10, 31, 12))
    sched = env.scheduler(adapter, "proc-a")
    for now in [utc(2025, 11, 1, 5, 30), utc(2025, 11, 1, 12),  # Saturday EDT: 01:30 and 08:00
                utc(2025, 11, 2, 5, 30), utc(2025, 11, 2, 6, 30),  # 01:30 EDT and 01:30 EST: one post
                utc(2025, 11, 2, 12), utc(2025, 11, 2, 13)]:  # 07:00 EST (nothing), 08:00 EST
        await sched.run_due(now)
    assert sorted(adapter.channels()) == ["NY0130", "NY0130", "NY8", "NY8"]
    assert [(x.channel_id, x.slot) for x in env.deliveries()] == [
        ("NY0130", utc(2025, 11, 1, 5, 30)), ("NY8", utc(2025, 11, 1, 12)),
        ("NY0130", utc(2025, 11, 2, 5, 30)), ("NY8", utc(2025, 11, 2, 13))]


# -- exactly once: crashes, restarts, two processes, retries ---------------------------------------


async def test_crash_between_claim_and_send_then_restart_posts_exactly_once(env: Env) -> None:
    adapter = FakeAdapter()
    sub_id = env.subscribe()
    slot = utc(2025, 6, 2, 7)  # 08:00 BST
    assert d.claim(env.store, sub_id, slot, "proc-a", slot)  # proc-a claims the slot ... and dies
    restarted = env.scheduler(adapter, "proc-a-restarted", own_connection=True)
    await restarted.run_due(slot + timedelta(minutes=1))  # proc-a's lease is still live
    assert adapter.posts == []
    await restarted.run_due(slot + d.DEFAULT_LEASE)  # the lease ran out: nothing was sent, so send now
    await restarted.run_due(slot + d.DEFAULT_LEASE + timedelta(minutes=1))
    await env.scheduler(adapter, "proc-c", own_connection=True).run_due(slot + timedelta(minutes=30))
    assert adapter.channels() == ["C1"]
    [row] = env.deliveries()
    assert (row.status, row.attempts, row.claimed_by, row.message_ref) == (d.SENT, 1, "proc-a-restarted", "msg-1")


async def test_crash_during_the_platform_call_never_posts_twice(env: Env) -> None:
    hanging = PostsThenHangs()
    env.subscribe()
    slot = utc(2025, 6, 2, 7)
    doomed = env.scheduler(hanging, "proc-a")
    task = asyncio.create_task(doomed.run_due(slot))
    await asyncio.wait_for(hanging.posted.wait(), 30)
    task.cancel()  # killed after the platform accepted the post, before it was recorded
    with pytest.raises(asyncio.CancelledError):
        await task
    survivor = FakeAdapter()
    restarted = env.scheduler(survivor, "proc-b", own_connection=True)
    for minutes in (1, 11, 30, 90):
        await restarted.run_due(slot + timedelta(minutes=minutes))
    assert len(hanging.posts) == 1 and survivor.posts == []
    [row] = env.deliveries()
    assert row.status == d.UNCONFIRMED and "may have been posted" in (row.last_error or "")


async def test_two_schedulers_on_one_database_post_each_slot_once(env: Env) -> None:
    platform = FakeAdapter()  # one Slack: both processes post to the same channels
    for channel in ("C1", "C2", "C3"):
        env.subscribe(channel, "08:00", "Europe/London")
    a = env.scheduler(platform, "proc-a", own_connection=True)
    b = env.scheduler(platform, "proc-b", own_connection=True)
    for day in (2, 3):
        now = utc(2025, 6, day, 7, 0, 1)
        await asyncio.gather(a.run_due(now), b.run_due(now), a.run_due(now), b.run_due(now))
    assert sorted(platform.channels()) == ["C1", "C1", "C2", "C2", "C3", "C3"]
    assert [x.status for x in env.deliveries()] == [d.SENT] * 6


def test_two_scheduler_processes_in_parallel_threads_post_each_slot_once(env: Env) -> None:
    platform = FakeAdapter()
    for channel in ("C1", "C2", "C3", "C4"):
        env.subscribe(channel, "08:00", "UTC")
    schedulers = [env.scheduler(platform, f"proc-{i}", own_connection=True) for i in range(3)]
    start = threading.Barrier(len(schedulers))
    errors: list[BaseException] = []

    def process(sched: DigestScheduler) -> None:
        try:
            start.wait()
            asyncio.run(sched.run_due(utc(2025, 6, 2, 8, 0, 1)))
        except BaseException as exc:  # surfaced below: a thread's exception would otherwise vanish
            errors.append(exc)

    threads = [threading.Thread(target=process, args=(s,)) for s in schedulers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(platform.channels()) == ["C1", "C2", "C3", "C4"]
    assert {x.claimed_by for x in env.deliveries()} <= {"proc-0", "proc-1", "proc-2"}


async def test_a_sender_that_fails_twice_then_succeeds_posts_once(env: Env) -> None:
    adapter = FakeAdapter(fail_times=2)
    env.subscribe()
    slot = utc(2025, 6, 2, 7)
    sched = env.scheduler(adapter, "proc-a")
    [first] = await sched.run_due(slot)
    assert first.status == d.FAILED and "platform unavailable" in first.detail
    [row] = env.deliveries()
    assert (row.status, row.attempts, row.next_attempt_at) == (d.FAILED, 1, slot + timedelta(minutes=1))
    assert await sched.run_due(slot + timedelta(seconds=59)) == []  # backing off
    await sched.run_due(slot + timedelta(minutes=1))
    [row] = env.deliveries()
    assert (row.status, row.attempts, row.next_attempt_at) == (d.FAILED, 2, slot + timedelta(minutes=3))
    # The third try may come from another process: the retry is in the database, not in memory.
    other = env.scheduler(adapter, "proc-b", own_connection=True)
    await other.run_due(slot + timedelta(minutes=3))
    await sched.run_due(slot + timedelta(minutes=10))
    assert adapter.calls == 3 and adapter.channels() == ["C1"]
    [row] = env.deliveries()
    assert (row.status, row.attempts, row.message_ref, row.next_attempt_at) == (d.SENT, 3, "msg-1", None)


# -- slow and timed-out platforms, shutdown mid-send (issue 15 item 2) --------------------------------


class PostsThenTimesOut(FakeAdapter):
    """The platform posts the message, but its answer comes too late: the client library gives up and
    raises its timeout (slack_sdk's TimeoutError after 30 s, aiohttp's, discord.py's, httpx's)."""

    def __init__(self, timeout: Callable[[], BaseException]) -> None:
        super().__init__()
        self.timeout = timeout

    async def send(self, channel_id: str, reply: Reply) -> str | None:
        self.calls += 1
        self.posts.append((channel_id, reply))
        raise self.timeout()


def _wrapped_timeout() -> BaseException:
    try:
        raise TimeoutError("The read operation timed out")
    except TimeoutError as exc:
        try:
            raise RuntimeError("could not post") from exc
        except RuntimeError as wrapped:
            return wrapped


@pytest.mark.parametrize("timeout", [
    lambda: TimeoutError("The read operation timed out"),  # slack_sdk (urllib), socket.timeout
    asyncio.TimeoutError,  # discord.py, slack_sdk's AsyncWebClient
    lambda: aiohttp.ServerTimeoutError("Timeout on reading data from socket"),
    lambda: httpx.ReadTimeout("timed out"),
    _wrapped_timeout,  # an adapter that wraps the library's timeout
], ids=["TimeoutError", "asyncio", "aiohttp", "httpx", "wrapped"])
async def test_a_post_that_times_out_is_unconfirmed_and_never_sent_twice(
        env: Env, timeout: Callable[[], BaseException]) -> None:
    adapter = PostsThenTimesOut(timeout)
    env.subscribe()
    slot = utc(2025, 6, 2, 7)
    sched = env.scheduler(adapter, "proc-a")
    [outcome] = await sched.run_due(slot)
    assert outcome.status == d.UNCONFIRMED and "may have been posted" in outcome.detail
    for minutes in (1, 3, 7, 15, 30, 90):  # every retry time a refusal would have had
        await sched.run_due(slot + timedelta(minutes=minutes))
    await env.scheduler(adapter, "proc-b", own_connection=True).run_due(slot + d.DEFAULT_LEASE * 2)
    assert adapter.calls == 1 and adapter.channels() == ["C1"]
    [row] = env.deliveries()
    assert (row.status, row.attempts, row.next_attempt_at) == (d.UNCONFIRMED, 1, None)
    assert "did not answer in time" in (row.last_error or "")


class AnswersLate(FakeAdapter):
    """Posts at once, answers after `delay` seconds: slower than the scheduler is willing to wait."""

    def __init__(self, delay: float) -> None:
        super().__init__()
        self.delay = delay

    async def send(self, channel_id: str, reply: Reply) -> str | None:
        self.calls += 1
        self.posts.append((channel_id, reply))
        await asyncio.sleep(self.delay)
        return "msg-late"


async def test_a_platform_that_answers_after_the_send_timeout_posts_once(env: Env) -> None:
    adapter = AnswersLate(delay=30)
    env.subscribe()
    slot = utc(2025, 6, 2, 7)
    sched = env.scheduler(adapter, "proc-a", send_timeout=0.2)
    [outcome] = await asyncio.wait_for(sched.run_due(slot), 10)
    assert outcome.status == d.UNCONFIRMED and "TimeoutError" in outcome.detail
    for minutes in (1, 3, 7, 30):
        await sched.run_due(slot + timedelta(minutes=minutes))
    assert adapter.calls == 1
    assert [x.status for x in env.deliveries()] == [d.UNCONFIRMED]


class HangsOn(FakeAdapter):
    """One channel's posts hang until released; the others post at once."""

    def __init__(self, slow_channel: str) -> None:
        super().__init__()
        self.slow_channel = slow_channel
        self.release = asyncio.Event()
        self.slow_started = asyncio.Event()
        self.others_posted = asyncio.Event()

    async def send(self, channel_id: str, reply: Reply) -> str | None:
        if channel_id == self.slow_channel:
            self.slow_started.set()
            await self.release.wait()
        ref = await super().send(channel_id, reply)
        if channel_id != self.slow_channel and len(self.posts) >= 2:
            self.others_posted.set()
        return ref


async def test_one_hanging_channel_does_not_delay_the_others(env: Env) -> None:
    adapter = HangsOn("C1")
    for channel in ("C1", "C2", "C3"):  # C1 first: a sequential pass would wait on it before the others
        env.subscribe(channel)
    sched = env.scheduler(adapter, "proc-a")
    pass_ = asyncio.create_task(sched.run_due(utc(2025, 6, 2, 7)))
    try:
        await asyncio.wait_for(adapter.slow_started.wait(), 10)
        await asyncio.wait_for(adapter.others_posted.wait(), 10)  # C2 and C3 went out while C1 hangs
        assert sorted(adapter.channels()) == ["C2", "C3"]
    finally:
        adapter.release.set()
    outcomes = await asyncio.wait_for(pass_, 10)
    assert sorted(o.status for o in outcomes) == [d.SENT] * 3
    assert sorted(adapter.channels()) == ["C1", "C2", "C3"]


@pytest.mark.parametrize("graceful", [False, True], ids=["shutdown", "close"])
async def test_a_send_in_flight_at_shutdown_does_not_stay_sending(env: Env, graceful: bool) -> None:
    """SIGTERM while a digest is being posted: the row ends `unconfirmed` (maybe posted), not `sending`,
    and no later pass posts it again."""
    hanging = PostsThenHangs()
    env.subscribe()
    slot = utc(2025, 6, 2, 7)
    sched = env.scheduler(hanging, "proc-a")
    pass_ = asyncio.create_task(sched.run_due(slot))
    await asyncio.wait_for(hanging.posted.wait(), 10)
    if graceful:
        await asyncio.wait_for(sched.close(grace_s=0.1), 10)
    else:
        sched.shutdown()
    [row] = env.deliveries()
    assert row.status == d.UNCONFIRMED and "stopped while posting" in (row.last_error or "")
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(pass_, 10)
    survivor = FakeAdapter()
    restarted = env.scheduler(survivor, "proc-b", own_connection=True)
    for minutes in (1, 11, 30, 90):
        await restarted.run_due(slot + timedelta(minutes=minutes))
    assert len(hanging.posts) == 1 and survivor.posts == []


async def test_close_lets_a_send_in_flight_finish(env: Env) -> None:
    adapter = AnswersLate(delay=0.2)
    env.subscribe()
    slot = utc(2025, 6, 2, 7)
    sched = env.scheduler(adapter, "proc-a")
    pass_ = asyncio.create_task(sched.run_due(slot))
    while not adapter.posts:
        await asyncio.sleep(0.01)
    await asyncio.wait_for(sched.close(grace_s=10), 15)
    [outcome] = await asyncio.wait_for(pass_, 10)
    assert outcome.status == d.SENT
    assert [x.status for x in env.deliveries()] == [d.SENT]


# -- the database failing mid-pass ------------------------------------------------------------------


def locked() -> OperationalError:
    """What SQLAlchemy raises when SQLite's busy timeout runs out."""
    return OperationalError("UPDATE deliveries ...", {}, Exception("database is locked"))


class FailsAt:
    """Wraps a `deliveries` function so its first `times` calls (optionally for one subscription only)
    raise "database is locked", as if another connection held the write lock just then."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, name: str, times: int = 1, *,
                 subscription_id: int | None = None) -> None:
        self.real = getattr(d, name)
        self.left = times
        self.subscription_id = subscription_id
        self.hit: list[int] = []
        monkeypatch.setattr(d, name, self)

    def __call__(self, store: Store, subscription_id: int, *args: Any, **kwargs: Any) -> Any:
        if self.left > 0 and self.subscription_id in (None, subscription_id):
            self.left -= 1
            self.hit.append(subscription_id)
            raise locked()
        return self.real(store, subscription_id, *args, **kwargs)


async def test_a_locked_database_at_one_claim_does_not_cost_the_other_slots_their_digest(
        env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    adapter = FakeAdapter()
    for channel in ("C1", "C2", "C3"):
        env.subscribe(channel)
    claim = FailsAt(monkeypatch, "claim")  # whichever slot the pass claims first
    sched = env.scheduler(adapter, "proc-a")
    slot = utc(2025, 6, 2, 7)
    outcomes = await sched.run_due(slot + timedelta(seconds=5))
    [unlucky] = claim.hit
    assert sorted((o.subscription_id == unlucky, o.status) for o in outcomes) == [
        (False, d.SENT), (False, d.SENT), (True, ERROR)]
    assert len(adapter.posts) == 2
    [retried] = await sched.run_due(slot + timedelta(seconds=35))  # the next tick claims it again
    assert (retried.subscription_id, retried.status) == (unlucky, d.SENT)
    assert await sched.run_due(slot + timedelta(minutes=5)) == []
    assert sorted(adapter.channels()) == ["C1", "C2", "C3"]  # each channel once
    assert [x.status for x in env.deliveries()] == [d.SENT] * 3


async def test_a_locked_database_after_the_claim_is_recorded_as_a_retryable_failure(
        env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    adapter = FakeAdapter()
    sub_id = env.subscribe("C1")
    env.subscribe("C2")
    FailsAt(monkeypatch, "mark_sending", subscription_id=sub_id)
    sched = env.scheduler(adapter, "proc-a")
    slot = utc(2025, 6, 2, 7)
    outcomes = {o.subscription_id: o for o in await sched.run_due(slot)}
    assert outcomes[sub_id].status == d.FAILED and "locked" in outcomes[sub_id].detail
    assert adapter.channels() == ["C2"]  # the other slot went ahead
    row = next(x for x in env.deliveries() if x.subscription_id == sub_id)
    assert (row.status, row.attempts, row.next_attempt_at) == (d.FAILED, 0, slot + timedelta(minutes=1))
    await sched.run_due(slot + timedelta(minutes=1))
    await sched.run_due(slot + timedelta(minutes=20))
    assert sorted(adapter.channels()) == ["C1", "C2"]
    assert [(x.status, x.attempts) for x in env.deliveries()] == [(d.SENT, 1), (d.SENT, 1)]


async def test_a_refused_send_whose_failure_cannot_be_recorded_is_recorded_later_and_retried(
        env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    """The platform refused and the database stayed locked past the record patience: the refusal is kept
    in memory and written on the next pass, before any `mark_interrupted` (ours or a peer's after the
    lease) can turn the row `unconfirmed`, so the digest that was never posted is still delivered once."""
    adapter = FakeAdapter(fail_times=1)
    env.subscribe()
    mark_failed = FailsAt(monkeypatch, "mark_failed", times=1_000)
    sched = env.scheduler(adapter, "proc-a", record_patience=0.2)
    slot = utc(2025, 6, 2, 7)
    [first] = await sched.run_due(slot)  # no exception: retried for 0.2 s, then kept for later
    assert first.status == d.FAILED and mark_failed.hit
    assert [(x.status, x.attempts) for x in env.deliveries()] == [(d.SENDING, 1)]
    assert await sched.run_due(slot + timedelta(seconds=30)) == []  # still locked: kept, nothing sent
    assert [p.status for p in sched.deliverer.pending] == [d.FAILED]
    # A peer, past the lease, finds the send still `sending` and marks it unconfirmed ...
    later = slot + d.DEFAULT_LEASE + timedelta(minutes=1)
    assert [x.status for x in d.mark_interrupted(env.store, later)] == [d.UNCONFIRMED]
    mark_failed.left = 0  # ... then the database accepts writes again.
    [retried] = await sched.run_due(later)
    assert retried.status == d.SENT and sched.deliverer.pending == []
    assert await sched.run_due(later + timedelta(minutes=30)) == []
    assert adapter.calls == 2 and adapter.channels() == ["C1"]
    [row] = env.deliveries()
    assert (row.status, row.attempts) == (d.SENT, 2)


async def test_a_post_that_cannot_be_recorded_is_recorded_later_and_never_resent(
        env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    adapter = FakeAdapter()
    sub_id = env.subscribe()
    mark_sent = FailsAt(monkeypatch, "mark_sent", times=1_000)
    sched = env.scheduler(adapter, "proc-a", record_patience=0.0)
    slot = utc(2025, 6, 2, 7)
    [first] = await sched.run_due(slot)
    assert first.status == d.SENT and mark_sent.hit == [sub_id]
    assert [x.status for x in env.deliveries()] == [d.SENDING]
    mark_sent.left = 0
    assert await sched.run_due(slot + timedelta(seconds=30)) == []
    [row] = env.deliveries()
    assert (row.status, row.message_ref) == (d.SENT, "msg-1")
    sub = env.store.get_subscription(sub_id)
    assert sub is not None and sub.last_digest_at == slot  # the "since the last digest" mark moved
    await sched.run_due(slot + timedelta(hours=1))
    assert adapter.channels() == ["C1"]


async def test_retries_stop_at_the_grace_deadline(env_factory: Callable[..., Env]) -> None:
    env = env_factory(grace_minutes=10)
    adapter = FakeAdapter(fail_times=100)
    env.subscribe()
    slot = utc(2025, 6, 2, 7)
    sched = env.scheduler(adapter, "proc-a")
    for minute in range(0, 40):
        await sched.run_due(slot + timedelta(minutes=minute))
    # Tries at +0, +1, +3, +7; the next (+15) would be past the 10-minute window, so it gives up.
    assert adapter.calls == 4 < MAX_ATTEMPTS and adapter.posts == []
    [row] = env.deliveries()
    assert (row.status, row.attempts, row.next_attempt_at) == (d.FAILED, 4, None)


# -- grace window ---------------------------------------------------------------------------------


async def test_a_slot_missed_while_down_is_sent_late_within_grace_else_skipped(
        env: Env, caplog: pytest.LogCaptureFixture) -> None:
    adapter = FakeAdapter()
    env.subscribe("C1", "08:00", "UTC")
    sched = env.scheduler(adapter, "proc-a")
    await sched.run_due(utc(2025, 6, 2, 9, 45))  # back up 1 h 45 min after the slot: grace is 2 h
    assert adapter.channels() == ["C1"]
    caplog.set_level(logging.WARNING, logger="bot.scheduler")
    await sched.run_due(utc(2025, 6, 3, 10, 30))  # 2 h 30 min late: too late to be useful
    await sched.run_due(utc(2025, 6, 3, 11))
    assert adapter.channels() == ["C1"]
    rows = env.deliveries()
    assert [(x.slot, x.status) for x in rows] == [(utc(2025, 6, 2, 8), d.SENT), (utc(2025, 6, 3, 8), d.SKIPPED)]
    assert "beyond the 120 min grace" in (rows[1].last_error or "")
    assert "skipped subscription" in caplog.text


async def test_after_a_long_outage_older_slots_are_skipped_and_only_the_newest_is_sent(env: Env) -> None:
    adapter = FakeAdapter()
    env.subscribe("C1", "08:00", "UTC")
    sched = env.scheduler(adapter, "proc-a")
    await sched.run_due(utc(2025, 6, 2, 8))
    await sched.run_due(utc(2025, 6, 5, 8, 30))  # down for three days
    assert adapter.channels() == ["C1", "C1"]
    assert [(x.slot.day, x.status) for x in env.deliveries()] == [
        (2, d.SENT), (3, d.SKIPPED), (4, d.SKIPPED), (5, d.SENT)]


# -- content: only new stories, grouped; empty days ------------------------------------------------


async def test_a_digest_has_only_stories_new_since_the_channels_last_digest(env: Env) -> None:
    adapter = FakeAdapter()
    env.subscribe("C1", "08:00", "UTC")
    sched = env.scheduler(adapter, "proc-a")
    day1, day2 = utc(2025, 6, 2, 8), utc(2025, 6, 3, 8)
    budget = story("budget", 5)
    env.add_story(budget, "Budget vote", "https://one.example/budget", day1 - timedelta(hours=2))
    await sched.run_due(day1)
    # Overnight: a new story from two outlets, and another outlet's copy of yesterday's budget story.
    env.add_story(story("housing"), "Housing bill", "https://one.example/housing", day1 + timedelta(hours=3))
    env.add_story(story("housing") + " Updated.", "Housing bill passes", "https://two.example/h",
                  day1 + timedelta(hours=4))
    env.add_story(budget + " Editor's note.", "Budget vote (late)", "https://two.example/budget",
                  day1 + timedelta(hours=5))
    env.add_story(story("transit"), "Too late for today", "https://one.example/t", day2 + timedelta(minutes=5))
    await sched.run_due(day2)
    first, second = (reply for _, reply in adapter.posts)
    assert isinstance(first, Digest) and isinstance(second, Digest)
    assert [s.title for s in first.stories] == ["Budget vote"]
    # Transit came after the cut-off. The budget story comes back, marked as an update: it has a new outlet.
    [budget_update, housing] = second.stories
    assert {link.url for link in housing.links} == {"https://one.example/housing", "https://two.example/h"}
    assert not housing.update and len(housing.outlets) == 2
    assert budget_update.update and budget_update.title == "Budget vote"
    assert budget_update.note and "two.example" in budget_update.note
    [row1, row2] = env.deliveries()
    assert len(row1.article_ids) == 1 and len(row2.article_ids) == 4


async def test_an_empty_day_says_so_by_default(env: Env) -> None:
    adapter = FakeAdapter()
    sub_id = env.subscribe("C1", "08:00", "UTC")
    await env.scheduler(adapter, "proc-a").run_due(utc(2025, 6, 2, 8))
    [(_, reply)] = adapter.posts
    assert isinstance(reply, Digest) and reply.stories == () and reply.empty_message
    assert env.deliveries()[0].status == d.SENT
    sub = env.store.get_subscription(sub_id)
    assert sub is not None and sub.last_digest_at == utc(2025, 6, 2, 8)


async def test_an_empty_day_stays_silent_when_configured(env_factory: Callable[..., Env]) -> None:
    env = env_factory(empty_digest="silent")
    adapter = FakeAdapter()
    sub_id = env.subscribe("C1", "08:00", "UTC")
    sched = env.scheduler(adapter, "proc-a")
    await sched.run_due(utc(2025, 6, 2, 8))
    await sched.run_due(utc(2025, 6, 2, 8, 30))
    assert adapter.posts == []
    [row] = env.deliveries()
    assert row.status == d.SKIPPED and "silent" in (row.last_error or "")
    sub = env.store.get_subscription(sub_id)
    assert sub is not None and sub.last_digest_at is None


async def test_slots_of_a_platform_this_process_does_not_serve_are_left_alone(env: Env) -> None:
    env.subscribe("D1", "08:00", "UTC", platform="discord")
    slack_only = env.scheduler(FakeAdapter("slack"), "slack-proc")
    assert await slack_only.run_due(utc(2025, 6, 2, 8)) == []
    assert env.deliveries() == []  # the Discord process will claim it
    discord = FakeAdapter("discord")
    await env.scheduler(discord, "discord-proc").run_due(utc(2025, 6, 2, 8))
    assert discord.channels() == ["D1"]


async def test_a_subscription_with_a_corrupt_schedule_does_not_block_the_others(
        env: Env, caplog: pytest.LogCaptureFixture) -> None:
    adapter = FakeAdapter()
    bad = env.subscribe("BAD", "08:00", "UTC")
    with env.store.session() as s:
        s.execute(update(SubscriptionRow).where(SubscriptionRow.id == bad).values(timezone="Nowhere/Land"))
    good = env.subscribe("C1", "08:00", "UTC")
    sched = env.scheduler(adapter, "proc-a")
    await sched.run_due(utc(2025, 6, 2, 8))
    assert adapter.channels() == ["C1"]
    report = sched.sync_subscriptions()
    assert report.added == (f"digest:{good}",) and report.invalid == (f"digest:{bad}",)
    await sched.run_due(utc(2025, 6, 3, 8))
    sched.sync_subscriptions()
    assert caplog.text.count("cannot be scheduled") == 1  # said once, not every tick


# -- APScheduler wiring: persistent jobs, runtime changes ------------------------------------------


async def test_sync_schedules_runtime_changes_in_the_persistent_job_store(env: Env) -> None:
    sched = env.scheduler(FakeAdapter(), "proc-a")
    sched.start(paused=True)
    try:
        assert "apscheduler_jobs" in inspect(env.store.engine).get_table_names()
        assert sched.jobs("digest:") == {}
        sub_id = env.subscribe("C1", "08:00", "Europe/London")  # added while the bot runs
        report = sched.sync_subscriptions()
        assert report.added == (f"digest:{sub_id}",)
        job = sched.jobs()[f"digest:{sub_id}"]
        sub = env.store.get_subscription(sub_id)
        assert sub is not None
        assert job.next_run_time == next_run(sub, datetime.now(UTC))
        assert sched.sync_subscriptions().changed is False  # idempotent

        env.store.add_subscription("slack", "C1", "17:30", "America/New_York")  # changed time and zone
        assert sched.sync_subscriptions().rescheduled == (f"digest:{sub_id}",)
        local = sched.jobs()[f"digest:{sub_id}"].next_run_time.astimezone(ZoneInfo("America/New_York"))
        assert (local.hour, local.minute) == (17, 30)

        env.store.remove_subscription("slack", "C1")
        assert sched.sync_subscriptions().removed == (f"digest:{sub_id}",)
        assert sched.jobs("digest:") == {}
    finally:
        sched.shutdown()


async def test_jobs_survive_a_restart_and_fire_the_running_scheduler(env: Env) -> None:
    sub_id = env.subscribe("C1", "08:00", "UTC")
    first = env.scheduler(FakeAdapter(), "proc-a")
    first.start(paused=True)
    first.shutdown()
    adapter = FakeAdapter()
    clock_now = utc(2025, 6, 2, 8, 0, 2)
    with env.store.engine.connect() as conn:  # persisted in the bot's own database
        assert conn.execute(text("SELECT id FROM apscheduler_jobs")).scalars().all() == [f"digest:{sub_id}"]
    second = env.scheduler(adapter, "proc-b", clock=lambda: clock_now)
    second.start(paused=True)
    try:
        assert second.sync_subscriptions().changed is False  # the job came back from the database
        with pytest.raises(RuntimeError, match="already running"):
            env.scheduler(FakeAdapter(), "proc-c").start(paused=True)
        await jobs_module.fire_digests(sub_id)  # what APScheduler calls at 08:00
        assert adapter.channels() == ["C1"]
    finally:
        second.shutdown()
    await jobs_module.fire_digests(sub_id)  # no scheduler running: logged, nothing happens
    assert adapter.channels() == ["C1"]


async def test_a_started_scheduler_runs_a_pass_at_once_to_catch_up_after_downtime(env: Env) -> None:
    class Notifying(FakeAdapter):
        def __init__(self) -> None:
            super().__init__()
            self.sent = asyncio.Event()

        async def send(self, channel_id: str, reply: Reply) -> str | None:
            ref = await super().send(channel_id, reply)
            self.sent.set()
            return ref

    adapter = Notifying()
    env.subscribe("C1", "08:00", "UTC")
    sched = env.scheduler(adapter, "proc-a", clock=lambda: utc(2025, 6, 2, 9, 30))  # restarted 90 min late
    sched.start()
    try:
        await asyncio.wait_for(adapter.sent.wait(), 30)  # fired by APScheduler itself, not by the test
    finally:
        sched.shutdown()
    assert adapter.channels() == ["C1"]


# -- feed polling ---------------------------------------------------------------------------------


async def test_feed_polling_backs_off_on_failures_and_resets_on_success(env_factory: Callable[..., Env]) -> None:
    url = "https://news.example/feed.xml"
    env = env_factory(feeds=[FeedConfig(url=url, name="Example", poll_minutes=30)])
    answers: list[LoadResult] = [
        LoadResult(source=url, articles=[], error="timed out after 10 s"),
        LoadResult(source=url, articles=[], error="HTTP 502"),
        LoadResult(source=url, articles=[Article(text=story("climate"), title="Climate", url=url + "#1")]),
    ]
    calls: list[str] = []

    def load(feed_url: str) -> list[LoadResult]:
        calls.append(feed_url)
        return [answers[len(calls) - 1]]

    sched = env.scheduler(FakeAdapter(), "proc-a", load=load)
    sched.start(paused=True)
    try:
        assert sched.jobs("feed:") == {}  # feeds are polled by the feed pass, from the feeds table
        assert [f.url for f in feed_rows.due_feeds(env.store, utc(2025, 6, 2, 9))] == [url]
    finally:
        sched.shutdown()
    t0 = utc(2025, 6, 2, 9)
    first = await sched.poll_feed(url, t0)
    assert first is not None and not first.ok and first.failures == 1
    assert await sched.poll_feed(url, t0 + timedelta(minutes=30)) is None  # backing off: 2 intervals
    second = await sched.poll_feed(url, t0 + timedelta(minutes=60))
    assert second is not None and second.failures == 2
    assert await sched.poll_feed(url, t0 + timedelta(minutes=150)) is None  # 4 intervals now
    third = await sched.poll_feed(url, t0 + timedelta(minutes=180))
    assert third is not None and third.ok and third.added == 1
    state = feed_rows.get_feed(env.store, url)
    assert state is not None and (state.failures, state.last_error) == (0, None)
    assert state.name == "Example" and env.store.count_articles() == 1
    assert len(calls) == 3

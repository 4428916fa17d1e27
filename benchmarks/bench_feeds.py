"""Feed polling at scale: 1,000 feeds across 100 tenants against local feed servers, on this machine's cores.

    python benchmarks/bench_feeds.py [--feeds 1000] [--tenants 100] [--hosts 25] [--items 10]
                                     [--interval-s 120] [--run-s 360] [--changed 0.1] [--warm]

What it does, all on 127.0.0.x (each address is its own "host": the poller never sends two requests to
one host at once, so fewer hosts is the harder case):
1. `--hosts` feed servers serve `--feeds` RSS feeds of `--items` items each, with ETags;
   `--tenants` tenants each own an equal share of them (sources rows, as `/feed add` makes them).
2. Cold pass: every feed is new, so every item is fetched, cleaned, deduplicated and stored.
3. Live run: every feed's interval is `--interval-s` (the real floor is `feed_min_poll_minutes`, 10 min;
   a shorter one here is a harder load), and the real feed pass runs every 15 s for `--run-s` seconds
   while each interval a `--changed` share of feeds publishes one new item (the rest answer 304).
   For each poll it records the lag: when the feed was polled minus when it was due. The poller keeps
   up if the lag stays under a pass period plus a pass's length, rather than growing.
`--warm` also pre-summarises new articles as the bot does (extractive three things, people, quotes).

Prints the figures; nothing is asserted (speed is not a test).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # the local feed server the tests use

from feed_server import FeedServer, story  # noqa: E402

from bot.articles.models import Article  # noqa: E402
from bot.scheduler.jobs import FEED_PASS  # noqa: E402
from bot.scheduler.polling import FeedPoller, PollOutcome  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.store import Store  # noqa: E402
from bot.store import feeds as feed_rows  # noqa: E402
from bot.store.feeds import CHAT  # noqa: E402


class TimedPoller(FeedPoller):
    """Records, for every poll, how late it ran against the feed's due time."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.lags: list[tuple[float, float]] = []  # (when, seconds late)

    def _poll(self, url: str, now: datetime) -> PollOutcome | None:
        state = feed_rows.get_feed(self.store, url)
        if state is not None and state.next_poll_at is not None:
            self.lags.append((time.monotonic(), (now - state.next_poll_at).total_seconds()))
        return super()._poll(url, now)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--feeds", type=int, default=1000)
    ap.add_argument("--tenants", type=int, default=100)
    ap.add_argument("--hosts", type=int, default=25)
    ap.add_argument("--items", type=int, default=10)
    ap.add_argument("--interval-s", type=int, default=120)
    ap.add_argument("--run-s", type=int, default=360)
    ap.add_argument("--changed", type=float, default=0.1, help="share of feeds with a new item per interval")
    ap.add_argument("--workers", type=int, default=8)
    ap.add_argument("--warm", action="store_true", help="pre-summarise new articles, as the bot does")
    args = ap.parse_args()
    logging.basicConfig(level=logging.ERROR)

    servers = [FeedServer(host=f"127.0.0.{n + 1}").start() for n in range(args.hosts)]
    hosts = [s.host for s in servers]
    settings = Settings(fetch_allow_hosts=hosts, feed_poll_workers=args.workers, feed_min_poll_minutes=1,
                        model="none")
    tmp = tempfile.TemporaryDirectory()
    store = Store(f"sqlite:///{tmp.name}/bench.db")
    revision = [0] * args.feeds

    def publish(n: int) -> None:
        server, path = servers[n % args.hosts], f"/feed{n}.xml"
        first = revision[n]
        items = [(f"Feed {n} item {k}", f"https://feed{n}.example/{k}", story(f"topic{n}", f"outlet{n}", k))
                 for k in range(first + args.items - 1, first - 1, -1)]
        server.serve_feed(path, f"Feed {n}", items, etag=f'"{n}-{first}"')

    urls = []
    for n in range(args.feeds):
        publish(n)
        urls.append(servers[n % args.hosts].url(f"/feed{n}.xml"))
    start = datetime.now(UTC)
    minutes = max(1, round(args.interval_s / 60))
    for n, url in enumerate(urls):
        feed_rows.add_source(store, f"discord:{n % args.tenants}", url, name=f"Feed {n}", poll_minutes=minutes,
                             origin=CHAT, next_poll_at=start)
    interval = timedelta(minutes=minutes)

    warm: Callable[[Article], object] | None = None
    if args.warm:
        from bot.briefing.service import BriefingService

        warm = BriefingService(store, settings, load_default_model=False).warm
    poller = TimedPoller(store, settings, warm=warm)
    clock = lambda: datetime.now(UTC)  # noqa: E731

    async def run() -> None:
        t0 = time.perf_counter()
        cold = await poller.run_due(clock(), clock=clock)
        cold_s = time.perf_counter() - t0
        stored = store.count_articles()
        print(f"cold pass: {len(cold)} feeds, {stored} articles stored in {cold_s:.1f} s "
              f"({len(cold) / cold_s:.1f} feeds/s, {stored / cold_s:.0f} articles/s); "
              f"failed {sum(not o.ok for o in cold)}; max in flight per host "
              f"{max(max(s.max_in_flight.values(), default=0) for s in servers)}")
        poller.lags.clear()
        for s in servers:
            s.requests.clear()
            s.not_modified = 0
        t_run = time.monotonic()
        next_publish = t_run + args.interval_s / 2
        passes: list[float] = []
        polled = 0
        step = int(1 / args.changed) if args.changed > 0 else 0
        offset = 0
        while time.monotonic() - t_run < args.run_s:
            now = time.monotonic()
            if step and now >= next_publish:  # a share of feeds gets one new item this interval
                for n in range(offset, args.feeds, step):
                    revision[n] += 1
                    publish(n)
                offset = (offset + 1) % step
                next_publish += args.interval_s
            p0 = time.perf_counter()
            polled += len(await poller.run_due(clock(), clock=clock))
            passes.append(time.perf_counter() - p0)
            await asyncio.sleep(max(0.0, FEED_PASS.total_seconds() - passes[-1]))
        elapsed = time.monotonic() - t_run
        lags = [lag for at, lag in poller.lags]
        late_half = [lag for at, lag in poller.lags if at - t_run > elapsed / 2]
        expected = args.feeds * elapsed / interval.total_seconds()
        not_modified = sum(s.not_modified for s in servers)
        print(f"live run: {elapsed:.0f} s, interval {interval.total_seconds():.0f} s, pass every "
              f"{FEED_PASS.total_seconds():.0f} s; {polled} polls ({polled / elapsed:.1f}/s; "
              f"~{expected:.0f} due), {not_modified} answered 304, articles now {store.count_articles()}")
        print(f"  pass length p50 {statistics.median(passes):.1f} s, max {max(passes):.1f} s")
        print(f"  lag (polled - due) p50 {percentile(lags, 0.5):.1f} s, p95 {percentile(lags, 0.95):.1f} s, "
              f"max {max(lags, default=0):.1f} s; second half p95 {percentile(late_half, 0.95):.1f} s, "
              f"max {max(late_half, default=0):.1f} s")
        print(f"  max requests in flight per host: {max(max(s.max_in_flight.values(), default=0) for s in servers)}")

    try:
        asyncio.run(run())
    finally:
        poller.close()
        store.close()
        for s in servers:
            s.close()
        tmp.cleanup()


if __name__ == "__main__":
    main()

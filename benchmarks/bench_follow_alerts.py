"""Follow alerts: how long after an article is stored does the follower get the DM, and what a pass costs.

    .venv/bin/python benchmarks/bench_follow_alerts.py                     # 3 latency trials, 1,000 follows
    .venv/bin/python benchmarks/bench_follow_alerts.py --trials 5 --follows 2000 --articles 100

1. Latency, as `briefbot run` does it: a real `DigestScheduler` is started (APScheduler, the follow-alert job
   at its default 30 s interval) with a recording DM sender; a user follows a figure; then, per trial, after
   a random wait an article quoting that figure is stored through a *separate* store (as `briefbot ingest`
   in another process would) and the time until the DM is handed to the sender is measured. The bound is
   the job interval plus one pass: 30 s + pass time, well inside the 2 minutes the issue asks for.
2. Pass cost: `--follows` follows (half figures, half topics, 2 per user) and `--articles` new articles
   quoting generated people; one pass scans and matches them all and DMs every follower concerned. Run
   twice: with people and quotes not yet extracted (as after `briefbot ingest`), and with them cached (as
   after a feed poll, which pre-extracts). Articles are generated from templates; nothing leaves the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import random
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.articles.models import Article  # noqa: E402
from bot.briefing.models import Reply  # noqa: E402
from bot.briefing.runner import AsyncBriefing  # noqa: E402
from bot.briefing.service import BriefingService  # noqa: E402
from bot.commands import Requester, parse_brief  # noqa: E402
from bot.follows import store as rows  # noqa: E402
from bot.scheduler import DigestScheduler  # noqa: E402
from bot.scheduler.follow_alerts import INTERVAL, FollowAlerter  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.store import Store  # noqa: E402

FIRST = "Maria Tom Anna Pedro Jana Omar Lena Ravi Sofia Karl Nadia Ivan Clara Hugo Mira Felix".split()
LAST = "Lopez Brandt Okafor Lindqvist Moreau Haddad Novak Tanaka Ferreira Kowalski Adeyemi Rossi".split()
TOPICS = "budget tariffs housing pensions railways fisheries broadband vaccines".split()
# Words and places drawn at random per article, so generated articles are different events (different
# stories), as a real feed's are, rather than one template the story clustering would rightly merge.
NOUNS = """harbour bridge tunnel orchard glacier lighthouse quarry vineyard canal airport museum stadium reservoir
    library factory refinery forest island valley festival mine prison barracks hospital school university
    market railway depot shipyard dam pipeline wind farm satellite laboratory archive cathedral theatre zoo""".split()
PLACES = """Lisbon Gdansk Tromso Bari Lyon Porto Leeds Graz Ghent Turku Cork Split Brno Malmo Kaunas Varna""".split()
DAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()


def person(n: int) -> str:
    return f"{FIRST[n % len(FIRST)]} {LAST[(n // len(FIRST)) % len(LAST)]}"


def article(n: int, speaker: str, salt: str = "") -> Article:
    rnd = random.Random(f"{n}{salt}")
    topic = TOPICS[n % len(TOPICS)]
    a, b, c, d = rnd.sample(NOUNS, 4)
    place, other = rnd.sample(PLACES, 2)
    day = rnd.choice(DAYS)
    last = speaker.split()[-1]
    text = (f"{speaker} visited the {a} in {place} on {day} to announce {rnd.randint(2, 900)} new jobs "
            f"linked to {topic}. \"The {b} will be open to everyone by {rnd.randint(2027, 2040)},\" {last} said. "
            f"Local officials in {other} asked for a second {c} and warned about the cost of the {d}, put at "
            f"{rnd.randint(10, 999)} million.")
    return Article(text=text, title=f"{speaker} opens {a} in {place}", url=f"https://bench.example/{n}{salt}",
                   source=rnd.choice(["Bench Wire", "Bench Post", "Bench Times"]),
                   published=datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=3 * n + len(salt)))


@dataclass
class Sender:
    """A platform's DM transport that records when each DM was handed over."""

    platform: str = "slack"
    sent: list[tuple[str, float]] = field(default_factory=list)
    event: asyncio.Event = field(default_factory=asyncio.Event)

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def send(self, channel_id: str, reply: Reply) -> str | None:
        return None

    async def send_direct(self, user_id: str, reply: Reply) -> str | None:
        self.sent.append((user_id, time.monotonic()))
        self.event.set()
        return None


async def latency(trials: int, workdir: Path) -> list[float]:
    url = f"sqlite:///{workdir / 'latency.db'}"
    store = Store(url)
    settings = Settings(database_url=url)
    service = BriefingService(store, settings, load_default_model=False)
    store.add_article(article(0, "Maria Lopez", "-seed"))  # so the follow resolves the name
    print(service.handle(parse_brief("follow figure Maria Lopez"), Requester("slack", "U1", "C1")))
    sender = Sender()
    scheduler = DigestScheduler(store, service, {"slack": sender}, settings)  # type: ignore[dict-item]
    scheduler.start()
    results = []
    try:
        for n in range(1, trials + 1):
            await asyncio.sleep(random.uniform(0, INTERVAL.total_seconds()))
            sender.event.clear()
            other = Store(url, run_migrations=False)  # another process's store, like `briefbot ingest`
            stored = time.monotonic()
            other.add_article(article(n, "Maria Lopez"))
            other.close()
            await asyncio.wait_for(sender.event.wait(), timeout=180)
            results.append(sender.sent[-1][1] - stored)
            print(f"trial {n}: DM {results[-1]:.1f} s after the article was stored")
        await asyncio.sleep(2)  # let the last pass record its send before stopping the scheduler
    finally:
        scheduler.shutdown()
        store.close()
    return results


async def pass_cost(follows: int, articles: int, workdir: Path) -> None:
    for cached in (False, True):
        url = f"sqlite:///{workdir / f'cost-{cached}.db'}"
        store = Store(url)
        service = BriefingService(store, Settings(database_url=url), load_default_model=False)
        t0 = datetime.now(UTC) - timedelta(minutes=5)
        users = max(follows // 2, 1)
        for u in range(users):
            rows.add_follow(store, "slack", f"U{u}", "figure", person(u), now=t0)
            rows.add_follow(store, "slack", f"U{u}", "topic", TOPICS[u % len(TOPICS)], now=t0)
        sender = Sender()
        briefing = AsyncBriefing(service, rate_limits=False)
        alerter = FollowAlerter(store, briefing, {"slack": sender}, "bench",  # type: ignore[dict-item]
                                alerts_per_hour=1000)
        rows.advance_watermark(store, 0, t0)
        stored = [store.add_article(article(n, person(n))) for n in range(articles)]
        if cached:  # a feed poll pre-extracts people and quotes (service.warm) before the pass
            for a in store.articles_by_ids([s.id for s in stored]):
                service.people_for(a)
                service.quotes_for(a)
        started = time.perf_counter()
        report = await alerter.run_pass(datetime.now(UTC))
        took = time.perf_counter() - started
        label = "people/quotes cached" if cached else "people/quotes extracted in the pass"
        print(f"pass over {articles} new articles, {follows} follows ({label}): {took:.2f} s "
              f"({took / max(articles, 1) * 1000:.0f} ms/article); {report.describe()}")
        briefing.close()
        store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=3)
    parser.add_argument("--follows", type=int, default=1000)
    parser.add_argument("--articles", type=int, default=50)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        asyncio.run(pass_cost(args.follows, args.articles, work))
        if args.trials:
            found = asyncio.run(latency(args.trials, work))
            print(f"store -> DM over {len(found)} trials: median {statistics.median(found):.1f} s, "
                  f"max {max(found):.1f} s (job interval {INTERVAL.total_seconds():.0f} s; bound: interval + one pass)")


if __name__ == "__main__":
    main()

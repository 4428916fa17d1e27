"""A burst of signed `/brief` slash commands through the real Slack HTTP path: ack and answer latency.

    .venv/bin/python benchmarks/bench_slack_load.py                 # 200 concurrent, cold then cached
    .venv/bin/python benchmarks/bench_slack_load.py --requests 500 --queue 64 --channels 20
    .venv/bin/python benchmarks/bench_slack_load.py --hostile 1000   # unsigned/malformed flood: statuses, log size

What runs: `SlackAdapter` (slack-bolt's aiohttp app, signature checks included) on 127.0.0.1 with the real
`AsyncBriefing` (bounded queue, worker threads) and `BriefingService` on a temp SQLite store seeded with the
bundled samples (`bot/samples/samples.jsonl`), extractive summaries (no model). The Web API and every
`response_url` are the test suite's `FakeSlack`, also on 127.0.0.1. Each request comes from its own user
(per-user and per-channel rate limits are raised so that only the bounded queue can refuse work).

Figures, per burst: ack latency (request sent -> HTTP 200 from the adapter; Slack's limit is 3 s) and
answer latency (request sent -> the answer reaching its response_url), plus how many requests got the
queue's "busy" notice instead of a briefing. The first burst runs on a cold summary cache, the second
with every summary cached. Each burst is bounded by --timeout; nothing leaves 127.0.0.1.

`--hostile N` instead sends N unsigned or malformed requests (bad timestamps, binary, bad JSON, bad
`payload`, bad percent-encoding, forged signatures, 200 KB bodies; the kinds in tests/fake_slack.py),
50 at a time, with the log at INFO in `briefbot`'s format, and prints the HTTP statuses, the bytes of log
they caused (per 1,000 requests; target <= 100 KB) and the rate they were refused at.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import io
import logging
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
from pydantic import SecretStr

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # the fake Slack the e2e tests use

from fake_slack import RESPONSE, TEAM_ID, TOKEN, FakeSlack, hostile_requests  # noqa: E402

from bot.articles.ingest import load_inputs  # noqa: E402
from bot.briefing.runner import BUSY, AsyncBriefing  # noqa: E402
from bot.briefing.service import BriefingService  # noqa: E402
from bot.platforms.slack.app import SlackAdapter  # noqa: E402
from bot.platforms.slack.transport import EVENTS_PATH  # noqa: E402
from bot.samples import SAMPLES  # noqa: E402
from bot.settings import Secrets, Settings  # noqa: E402
from bot.store import Store  # noqa: E402

SIGNING_SECRET = "bench-signing-secret"
NO_LIMIT = 1_000_000  # requests per minute: rate limits out of the way, the bounded queue is what is measured


@dataclass
class Burst:
    """One burst's raw measurements, in seconds (monotonic clock)."""

    sent: dict[str, float]
    acked: dict[str, float]
    ack_status: dict[str, int]
    answered: dict[str, float]
    busy: int
    rate_limited: int
    wall: float


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))
    return ordered[int(rank) - 1]


def signed_headers(body: str) -> dict[str, str]:
    stamp = str(int(time.time()))
    digest = hmac.new(SIGNING_SECRET.encode(), f"v0:{stamp}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"Content-Type": "application/x-www-form-urlencoded", "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": f"v0={digest}"}


def slash_body(fake: FakeSlack, name: str, user: str, channel: str) -> str:
    return urlencode({"token": "legacy", "team_id": TEAM_ID, "team_domain": "bench", "channel_id": channel,
                      "channel_name": "bench", "user_id": user, "user_name": user, "command": "/brief", "text": "",
                      "api_app_id": "A0BENCH01", "response_url": fake.response_url(name), "trigger_id": "1.2.3"})


async def burst(adapter: SlackAdapter, fake: FakeSlack, label: str, n: int, channels: int,
                timeout: float) -> Burst:
    """Send `n` signed /brief commands at once; wait (bounded) until every one has its answer."""
    url = f"http://127.0.0.1:{adapter.port}{EVENTS_PATH}"
    names = [f"{label}-{i}" for i in range(n)]
    sent: dict[str, float] = {}
    acked: dict[str, float] = {}
    status: dict[str, int] = {}

    async def one(http: aiohttp.ClientSession, i: int, name: str) -> None:
        body = slash_body(fake, name, f"U{label[:1].upper()}{i:06d}", f"C{i % channels:07d}")
        sent[name] = time.monotonic()
        async with http.post(url, data=body.encode(), headers=signed_headers(body)) as resp:
            await resp.read()
            status[name] = resp.status
        acked[name] = time.monotonic()

    started = time.monotonic()
    async with asyncio.timeout(timeout):
        connector = aiohttp.TCPConnector(limit=0)  # every request on its own connection, all at once
        async with aiohttp.ClientSession(connector=connector) as http:
            await asyncio.gather(*(one(http, i, name) for i, name in enumerate(names)))
        wanted = {name for name in names if status.get(name) == 200}
        while True:
            answered = {c.body["_name"]: c.at for c in fake.calls if c.method == RESPONSE and c.ok
                        and c.body.get("_name") in wanted}
            if len(answered) >= len(wanted):
                break
            await asyncio.sleep(0.02)
    wall = time.monotonic() - started
    texts = [str(c.body.get("text", "")) for c in fake.calls if c.method == RESPONSE and c.body.get("_name") in wanted]
    busy = sum(BUSY[:40] in t for t in texts)
    limited = sum("faster than I can brief" in t for t in texts)
    return Burst(sent, acked, status, answered, busy, limited, wall)


def report(label: str, b: Burst) -> None:
    acks = [b.acked[k] - b.sent[k] for k in b.acked]
    answers = [b.answered[k] - b.sent[k] for k in b.answered]
    failed = sum(1 for s in b.ack_status.values() if s != 200)
    print(f"{label}: {len(b.sent)} requests, {failed} not acked with 200, burst done in {b.wall:.2f} s")
    print(f"  ack latency     p50 {percentile(acks, 50) * 1000:7.0f} ms   p95 {percentile(acks, 95) * 1000:7.0f} ms"
          f"   p99 {percentile(acks, 99) * 1000:7.0f} ms   max {max(acks) * 1000:7.0f} ms")
    if answers:
        print(f"  answer latency  p50 {percentile(answers, 50) * 1000:7.0f} ms   p95 "
              f"{percentile(answers, 95) * 1000:7.0f} ms   max {max(answers) * 1000:7.0f} ms"
              f"   mean {statistics.fmean(answers) * 1000:.0f} ms")
    print(f"  answered {len(answers)}: {len(answers) - b.busy - b.rate_limited} briefings, {b.busy} 'busy' notices "
          f"from the bounded queue, {b.rate_limited} rate-limit notices")


async def hostile(adapter: SlackAdapter, n: int, timeout: float) -> None:
    """Send `n` hostile requests, 50 in flight; print statuses, log bytes and rate."""
    captured = io.StringIO()
    handler = logging.StreamHandler(captured)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))  # as `briefbot` logs
    root = logging.getLogger()
    for other in root.handlers:
        other.setLevel(logging.ERROR)  # the console keeps showing errors only
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    url = f"http://127.0.0.1:{adapter.port}{EVENTS_PATH}"
    statuses: Counter[int] = Counter()
    requests = list(hostile_requests(n))
    started = time.monotonic()
    async with asyncio.timeout(timeout), aiohttp.ClientSession() as http:
        gate = asyncio.Semaphore(50)

        async def one(body: bytes, headers: dict[str, str]) -> None:
            async with gate, http.post(url, data=body, headers=headers) as resp:
                await resp.read()
                statuses[resp.status] += 1

        await asyncio.gather(*(one(body, headers) for body, headers in requests))
    wall = time.monotonic() - started
    await adapter.close()  # flushes the count of refusals not logged one by one
    root.removeHandler(handler)
    size = len(captured.getvalue().encode())
    sent = sum(len(body) for body, _ in requests)
    print(f"{n} hostile requests ({sent / 1e6:.1f} MB of bodies) in {wall:.2f} s ({n / wall:.0f}/s); "
          f"statuses {dict(sorted(statuses.items()))}")
    print(f"  log: {size} bytes, {captured.getvalue().count(chr(10))} lines = {size * 1000 / n / 1024:.1f} KB "
          f"per 1,000 requests (target <= 100 KB); 'Traceback' in log: {'Traceback' in captured.getvalue()}")


async def run(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(database_url=f"sqlite:///{tmp}/bench.db", model="none",
                            model_queue_size=args.queue, http_port=0)
        store = Store(settings.database_url)
        for result in load_inputs([str(SAMPLES)], settings):
            for article in result.articles:
                store.add_article(article)
        service = BriefingService(store, settings, load_default_model=False)
        briefing = AsyncBriefing(service, workers=args.workers, user_per_minute=NO_LIMIT,
                                 channel_per_minute=NO_LIMIT)
        fake = FakeSlack()
        await fake.start()
        secrets = Secrets(slack_bot_token=SecretStr(TOKEN), slack_signing_secret=SecretStr(SIGNING_SECRET),
                          slack_api_url=fake.api_url)
        adapter = SlackAdapter(briefing, settings, secrets, host="127.0.0.1", port=0)
        await adapter.start()
        try:
            if args.hostile:
                await hostile(adapter, args.hostile, args.timeout)
                return
            print(f"{store.count_articles()} sample articles; queue bound {briefing.max_pending}, "
                  f"{args.workers} worker threads; {args.requests} concurrent /brief over {args.channels} channels")
            cold = await burst(adapter, fake, "cold", args.requests, args.channels, args.timeout)
            report("cold cache", cold)
            warm = await burst(adapter, fake, "warm", args.requests, args.channels, args.timeout)
            report("summaries cached", warm)
        finally:
            await adapter.close()
            await fake.close()
            briefing.close()
            store.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--requests", type=int, default=200, help="concurrent /brief commands per burst")
    ap.add_argument("--channels", type=int, default=200,
                    help="channels they come from (the adapter paces answers to ~1/s per channel)")
    ap.add_argument("--queue", type=int, default=Settings.model_fields["model_queue_size"].default,
                    help="bounded work queue size (BRIEFBOT_MODEL_QUEUE_SIZE; default %(default)s)")
    ap.add_argument("--workers", type=int, default=2, help="briefing worker threads (the bot uses 2)")
    ap.add_argument("--timeout", type=float, default=180.0, help="give up on a burst after this many seconds")
    ap.add_argument("--hostile", type=int, default=0, metavar="N",
                    help="send N unsigned/malformed requests instead and report statuses and log size")
    args = ap.parse_args()
    logging.basicConfig(level=logging.ERROR)
    asyncio.run(run(args))


if __name__ == "__main__":
    main()

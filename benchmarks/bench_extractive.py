"""Speed and memory of the extractive summarizer beside sumy LexRank (and Lead/TextRank), in one run.

    .venv/bin/python benchmarks/bench_extractive.py                 # articles of 400-600 words
    .venv/bin/python benchmarks/bench_extractive.py --words 0 0     # every article

Timing is interleaved (every article runs through every method in turn, order rotating, several rounds)
so that background load on a shared machine hits all methods alike; the first call of each method is a
warm-up and not counted. Peak RSS is measured per method in a fresh child process (ru_maxrss after
summarising every article), beside the RSS of the same process with only the imports done.
The speed target in issue 3: extractive median time per ~500-word article <= half of LexRank's.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from summarizers.evaluation.rouge import load_jsonl, resolve_methods

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
DEFAULT_FILES = (DATA / "cnndm_dev.jsonl", DATA / "bbc_politics_dev.jsonl")
METHODS = ("extractive", "lexrank", "textrank", "lead")


def pick_articles(files: Sequence[Path], lo: int, hi: int) -> list[dict[str, Any]]:
    """Records whose text has between `lo` and `hi` words (both 0: all records)."""
    out = []
    for f in files:
        for r in load_jsonl(f):
            words = len(r["text"].split())
            if (lo == hi == 0) or lo <= words <= hi:
                out.append(r)
    return out


def time_methods(records: Sequence[dict[str, Any]], names: Sequence[str], rounds: int) -> dict[str, list[float]]:
    methods = resolve_methods(names)
    for fn in methods.values():  # warm-up: lazy imports, caches
        fn(records[0]["text"], 3, title=records[0].get("title"))
    times: dict[str, list[float]] = {n: [] for n in names}
    for rnd in range(rounds):
        for k, record in enumerate(records):
            shift = (k + rnd) % len(names)
            for name in [*names[shift:], *names[:shift]]:
                t0 = time.perf_counter()
                methods[name](record["text"], 3, title=record.get("title"))
                times[name].append((time.perf_counter() - t0) * 1000.0)
    return times


def _max_rss_mb() -> float:
    """Peak resident memory of this process. On Linux read VmHWM, because ru_maxrss survives exec and
    would report the parent's peak; elsewhere fall back to ru_maxrss (bytes on macOS)."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    scale = 1024 * 1024 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / scale


def memory_child(name: str, files: Sequence[str], lo: int, hi: int) -> None:
    """Child-process mode: summarise every article with one method and report peak RSS as JSON."""
    records = pick_articles([Path(f) for f in files], lo, hi)
    base = _max_rss_mb()
    fn = resolve_methods([name])[name]
    for r in records:
        fn(r["text"], 3, title=r.get("title"))
    print(json.dumps({"method": name, "base_mb": base, "peak_mb": _max_rss_mb()}))


def measure_memory(name: str, files: Sequence[Path], lo: int, hi: int) -> dict[str, float]:
    cmd = [sys.executable, __file__, "--memory-child", name, "--words", str(lo), str(hi), *map(str, files)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    result: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return result


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path, default=list(DEFAULT_FILES))
    parser.add_argument("--words", nargs=2, type=int, default=(400, 600), metavar=("MIN", "MAX"))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--memory-child", metavar="METHOD", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    lo, hi = args.words
    if args.memory_child:
        memory_child(args.memory_child, [str(f) for f in args.files], lo, hi)
        return 0

    names = [n.strip() for n in args.methods.split(",") if n.strip()]
    records = pick_articles(args.files, lo, hi)
    if not records:
        print("no articles in that word range", file=sys.stderr)
        return 1
    words = statistics.median(len(r["text"].split()) for r in records)
    print(f"{len(records)} articles (median {words:.0f} words), {args.rounds} interleaved rounds, 3 sentences")
    times = time_methods(records, names, args.rounds)
    print(f"{'method':<12} {'ms median':>10} {'ms mean':>9} {'ms p95':>8} {'peak RSS MB':>12} {'(before method)':>15}")
    for name in names:
        ts = sorted(times[name])
        mem = measure_memory(name, args.files, lo, hi)
        print(
            f"{name:<12} {statistics.median(ts):>10.2f} {statistics.fmean(ts):>9.2f} "
            f"{ts[int(0.95 * (len(ts) - 1))]:>8.2f} {mem['peak_mb']:>12.1f} {mem['base_mb']:>15.1f}"
        )
    if "extractive" in times and "lexrank" in times:
        ratio = statistics.median(times["extractive"]) / statistics.median(times["lexrank"])
        verdict = "meets" if ratio <= 0.5 else "MISSES"
        print(f"extractive / lexrank median time: {ratio:.2f} ({verdict} the <= 0.50 target)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Ingest + extractive three-things for N articles, then digest build time from the summary cache.

Usage: python benchmarks/bench_pipeline.py [--articles 1000] [--digest 50]
Articles come from ../shared/data (never copied into the repo). Prints articles/s, peak RSS and digest times.
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
from pathlib import Path

from bot.articles.ingest import load_inputs
from bot.briefing.service import BriefingService
from bot.settings import Settings
from bot.store import Store

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def corpus(n: int, folder: Path) -> Path:
    """Write up to n shared-data articles as one JSONL file in a temp folder (not the repo)."""
    out = folder / "articles.jsonl"
    count = 0
    with out.open("w", encoding="utf-8") as fh:
        for name in ("polnear_attributions_dev.jsonl", "bbc_politics_dev.jsonl", "cnndm_dev.jsonl"):
            for line in (DATA / name).open(encoding="utf-8"):
                rec = json.loads(line)
                fh.write(json.dumps({"title": rec.get("title") or "", "text": rec["text"],
                                     "url": f"https://bench.example/{name}/{rec['id']}"}) + "\n")
                count += 1
                if count >= n:
                    return out
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--articles", type=int, default=1000)
    ap.add_argument("--digest", type=int, default=50)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(database_url=f"sqlite:///{tmp}/bench.db", model="none")
        store = Store(settings.database_url)
        service = BriefingService(store, settings, load_default_model=False)
        path = corpus(args.articles, Path(tmp))

        t0 = time.perf_counter()
        articles = [a for r in load_inputs([str(path)], settings) for a in r.articles]
        t_load = time.perf_counter() - t0
        outcomes = [store.add_article(a) for a in articles]
        t_store = time.perf_counter() - t0 - t_load
        stored = [a for a, o in zip(articles, outcomes, strict=True) if o.status != "duplicate"]
        t1 = time.perf_counter()
        for a in stored:
            service.three_things_for(a)
        t_sum = time.perf_counter() - t1
        total = time.perf_counter() - t0
        print(f"articles loaded+cleaned: {len(articles)} in {t_load:.1f} s")
        print(f"stored (dedupe checks):  {len(stored)} new in {t_store:.1f} s")
        print(f"extractive three-things: {len(stored)} in {t_sum:.1f} s ({len(stored) / t_sum:.1f} articles/s)")
        print(f"end to end:              {len(articles) / total:.1f} articles/s; peak RSS {peak_rss_mb():.0f} MB")

        recent = store.latest_articles(args.digest)
        for label in ("digest (cached summaries)", "digest again"):
            t = time.perf_counter()
            digest = service.digest(limit=args.digest, articles=recent)
            print(f"{label}: {len(digest.stories)} stories from {len(recent)} articles "
                  f"in {(time.perf_counter() - t) * 1000:.0f} ms")
        store.close()


if __name__ == "__main__":
    main()

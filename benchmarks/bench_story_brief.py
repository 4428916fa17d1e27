"""Story briefs on real multi-publisher coverage: time per story and what the disagreement detector reports.

    .venv/bin/python benchmarks/bench_story_brief.py [--limit N] [--show] [--data PATH]

Data: ../shared/data/polnear_attributions_dev.jsonl (US 2016-election news from 7 publishers; see
../shared/data/README.md). Articles of one date are grouped with the digest's own grouping
(`bot.articles.dedupe.group_stories`); groups with at least two publishers (one article each, at most
three) are briefed extractively. There are no disagreement labels here: `--show` prints every reported
disagreement (outlet and its words) for reading by hand, which is how the false-alarm share in the
README was counted. Figures: stories, articles, time per story (median, p90, max), disagreements
reported per story, points citing two or more outlets.
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.articles.dedupe import group_stories  # noqa: E402
from bot.articles.models import Article  # noqa: E402
from summarizers.methods.story_brief import brief_story  # noqa: E402
from summarizers.types import SourceArticle  # noqa: E402

DATA = Path("../shared/data/polnear_attributions_dev.jsonl")  # relative to the repository root
MAX_OUTLETS = 3
GROUPING = 0.2  # looser than the digest's, to find more same-day coverage of one campaign event


def stories(data: Path, limit: int) -> list[list[SourceArticle]]:
    by_date: dict[str, list[Article]] = defaultdict(list)
    with data.open(encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            by_date[row["date"][:10]].append(Article(row["text"], title=row["title"], source=row["publisher"],
                                                     url=f"https://{row['publisher']}.example/{row['id']}"))
    out: list[list[SourceArticle]] = []
    for date in sorted(by_date):
        for group in group_stories(by_date[date], threshold=GROUPING):
            seen: dict[str, Article] = {}
            for a in group:
                seen.setdefault(a.source or "", a)
            if len(seen) >= 2:
                out.append([SourceArticle(a.source or "", a.text, a.title, a.url)
                            for a in list(seen.values())[:MAX_OUTLETS]])
            if len(out) >= limit:
                return out
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, default=30, help="stories to brief")
    parser.add_argument("--show", action="store_true", help="print every reported disagreement")
    parser.add_argument("--data", type=Path, default=DATA)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    if not args.data.is_file():
        sys.exit(f"{args.data} is not present")
    found = stories(args.data, args.limit)
    warm = "The council met on Monday and approved three new parks for the city."
    brief_story([SourceArticle("warm-up", warm), SourceArticle("warm-up 2", warm)])  # loads spaCy and the ranker
    times, disagreements, multi, points = [], 0, 0, 0
    for arts in found:
        start = time.perf_counter()
        brief = brief_story(arts)
        times.append(time.perf_counter() - start)
        disagreements += len(brief.disagreements)
        points += len(brief.points)
        multi += sum(len(p.outlets) >= 2 for p in brief.points)
        if args.show:
            print(f"== {arts[0].title[:70]!r} ({', '.join(a.outlet for a in arts)})")
            for d in brief.disagreements:
                print(f"   {d.kind} {d.subject!r}: " + " | ".join(f"{c.outlet}: {c.text!r}" for c in d.claims))
    if not found:
        sys.exit("no multi-publisher stories found")
    times.sort()
    print(f"{len(found)} stories, {sum(map(len, found))} articles (2 cores shared, extractive)")
    print(f"time per story: median {statistics.median(times):.2f} s, p90 {times[int(0.9 * (len(times) - 1))]:.2f} s, "
          f"max {times[-1]:.2f} s")
    print(f"disagreements reported: {disagreements} ({disagreements / len(found):.2f} per story)")
    print(f"points citing 2+ outlets: {multi}/{points}")


if __name__ == "__main__":
    main()

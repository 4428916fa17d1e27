"""Evaluate story briefs on the self-written labelled multi-outlet stories.

    .venv/bin/python benchmarks/eval_story_brief.py [FILE ...] [--show-errors]

Default files: tests/fixtures/stories/labelled.json (the set the detector was developed on) and
tests/fixtures/stories/heldout.json (written before the detector was run on it; not tuned on).
Labels are described in tests/fixtures/stories/README.md.

Printed, per file and kind (number / claim):

* disagreement recall: labelled disagreements that a detected one of the same kind matches, i.e. it
  puts an outlet of one labelled side and an outlet of another labelled side on different sides;
* disagreement precision: detected disagreements that match a label (the rest are false alarms);
* wrong sides: matched detections that put two outlets of one labelled side on different sides;

and for the extractive brief:

* citation recall on agreements: for each labelled agreement, the share of its outlets that the point
  holding its words cites (0 when no point holds them);
* contradicting citations: points that cite an outlet on another labelled side of a disagreement the
  point states (should be 0);
* main event first: stories whose first point holds every `main` word;
* time per story (extractive, 2 cores shared; the first story includes loading spaCy and the ranker).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from summarizers.methods.story_brief import brief_story  # noqa: E402
from summarizers.types import Disagreement, SourceArticle, StoryThreeThings  # noqa: E402

DEFAULT_FILES = [ROOT / "tests/fixtures/stories/labelled.json", ROOT / "tests/fixtures/stories/heldout.json"]


def _articles(story: dict[str, Any]) -> list[SourceArticle]:
    return [SourceArticle(a["outlet"], a["text"], a["title"], a["url"],
                          datetime.fromisoformat(a["published"])) for a in story["articles"]]


def _side_of(detected: Disagreement) -> dict[str, str]:
    return {c.outlet: c.value for c in detected.claims}


def _matches(detected: Disagreement, label: dict[str, Any]) -> bool:
    if detected.kind != label["kind"]:
        return False
    side = _side_of(detected)
    groups = label["sides"]
    return any(
        x in side and y in side and side[x] != side[y]
        for i, a in enumerate(groups) for b in groups[i + 1:] for x in a for y in b
    )


def _wrong_sides(detected: Disagreement, label: dict[str, Any]) -> bool:
    side = _side_of(detected)
    return any(x in side and y in side and side[x] != side[y] for g in label["sides"] for x in g for y in g)


def _has_words(text: str, words: list[str]) -> bool:
    return all(w.lower() in text.lower() for w in words)


def evaluate(path: Path, show_errors: bool) -> None:
    stories = json.loads(path.read_text(encoding="utf-8"))["stories"]
    counts: dict[str, dict[str, int]] = {k: {"labels": 0, "found": 0, "detected": 0, "correct": 0, "wrong": 0}
                                         for k in ("number", "claim")}
    recall_sum, recall_n, contradicting, main_first, times = 0.0, 0, 0, 0, []
    for story in stories:
        arts = _articles(story)
        start = time.perf_counter()
        brief: StoryThreeThings = brief_story(arts)
        times.append(time.perf_counter() - start)
        labels = story["labels"]
        for label in labels["disagreements"]:
            counts[label["kind"]]["labels"] += 1
            if any(_matches(d, label) for d in brief.disagreements):
                counts[label["kind"]]["found"] += 1
            elif show_errors:
                print(f"  missed {label['kind']} {label['subject']!r} in {story['id']}")
        for d in brief.disagreements:
            counts[d.kind]["detected"] += 1
            matched = [label for label in labels["disagreements"] if _matches(d, label)]
            if matched:
                counts[d.kind]["correct"] += 1
                counts[d.kind]["wrong"] += any(_wrong_sides(d, m) for m in matched)
            elif show_errors:
                print(f"  false alarm in {story['id']}: {d.kind} {d.subject!r} "
                      f"{[(c.outlet, c.text) for c in d.claims]}")
        for agreement in labels["agreements"]:
            recall_n += 1
            point = next((p for p in brief.points if _has_words(p.text, agreement["words"])), None)
            share = len(set(point.outlets) & set(agreement["outlets"])) / len(agreement["outlets"]) if point else 0.0
            recall_sum += share
            if show_errors and share < 1:
                print(f"  agreement {agreement['words']} in {story['id']}: cited "
                      f"{list(point.outlets) if point else 'no point'}")
        for point in brief.points:
            for i in point.disagreements:
                for label in labels["disagreements"]:
                    if not _matches(brief.disagreements[i], label):
                        continue
                    own = [g for g in label["sides"] if set(point.outlets) & set(g)]
                    contradicting += len(own) > 1
        main_first += bool(brief.points) and _has_words(brief.points[0].text, labels["main"])
    print(f"{path.name}: {len(stories)} stories, {sum(len(s['articles']) for s in stories)} articles")
    for kind, c in counts.items():
        recall = c["found"] / c["labels"] if c["labels"] else float("nan")
        precision = c["correct"] / c["detected"] if c["detected"] else float("nan")
        print(f"  {kind} disagreements: recall {c['found']}/{c['labels']} ({recall:.0%}), "
              f"precision {c['correct']}/{c['detected']} ({precision:.0%}), wrong sides {c['wrong']}")
    print(f"  citation recall on agreements: {recall_sum / max(recall_n, 1):.0%} over {recall_n} facts")
    print(f"  points citing a contradicting outlet: {contradicting}")
    print(f"  main event first: {main_first}/{len(stories)}")
    warm = sorted(times[1:]) or times
    print(f"  time per story: median {warm[len(warm) // 2] * 1000:.0f} ms (first {times[0] * 1000:.0f} ms)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*", type=Path, default=DEFAULT_FILES)
    parser.add_argument("--show-errors", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    for path in args.files:
        evaluate(path, args.show_errors)


if __name__ == "__main__":
    main()

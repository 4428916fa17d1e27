"""Precision and recall of the point checks on the hand-labelled set (issue 12).

    .venv/bin/python benchmarks/eval_trust.py [--data benchmarks/data/trust_points.jsonl]
                                             [--shared ../shared/data] [--show-errors]

The labelled set holds two kinds of rows (one JSON object a line):

* ``{"kind": "article", "id", "title", "text"}`` -- a self-written short article (attribution traps);
* ``{"kind": "point", "id", "article", "point", "sources": [[start, end], ...], "label", "reason"}`` with
  ``label`` one of faithful / distorted / unsupported. ``article`` names an article row, or a record of
  a shared dev set as ``"cnndm_dev:<id>"`` / ``"bbc_politics_dev:<id>"``: its text is read at run time
  from ``--shared`` (publishers' text never enters the repository); such rows are skipped, and counted,
  when the shared data is absent.

A point is *flagged* when `summarizers.methods.verify.check_point` finds any issue. Positives are the
points that should not reach a reader as they are (distorted or unsupported). Printed: precision and
recall of flagging, per label, per check, and the points the checks got wrong.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from summarizers.methods.verify import check_point  # noqa: E402

DATA = ROOT / "benchmarks" / "data" / "trust_points.jsonl"
SHARED = ROOT.parent / "shared" / "data"


def load(path: Path, shared: Path) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]], int]:
    """(point rows, articles by id, points skipped for want of shared data)."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    articles = {r["id"]: r for r in rows if r["kind"] == "article"}
    points = [r for r in rows if r["kind"] == "point"]
    wanted = {p["article"] for p in points if ":" in p["article"]}
    skipped = 0
    for key in sorted(wanted):
        dataset, _, rid = key.partition(":")
        file = shared / f"{dataset}.jsonl"
        if not file.is_file():
            continue
        with file.open(encoding="utf-8") as fh:
            for line in fh:
                rec = json.loads(line)
                if f"{dataset}:{rec['id']}" in wanted:
                    articles[f"{dataset}:{rec['id']}"] = {"text": rec["text"], "title": rec.get("title")}
    kept = [p for p in points if p["article"] in articles]
    skipped = len(points) - len(kept)
    return kept, articles, skipped


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--shared", type=Path, default=SHARED, help="folder with the shared dev sets")
    parser.add_argument("--show-errors", action="store_true")
    args = parser.parse_args(argv)
    points, articles, skipped = load(args.data, args.shared)
    tp = fp = fn = tn = 0
    by_label: Counter[str] = Counter()
    flagged_by_label: Counter[str] = Counter()
    by_check: Counter[str] = Counter()
    check_correct: Counter[str] = Counter()
    errors: list[str] = []
    t0 = time.perf_counter()
    for p in points:
        article = articles[p["article"]]
        text = article["text"]
        sources = [text[s:e] for s, e in p["sources"]]
        issues = check_point(p["point"], sources, article=text, title=article.get("title"))
        positive = p["label"] != "faithful"
        flagged = bool(issues)
        by_label[p["label"]] += 1
        flagged_by_label[p["label"]] += flagged
        for check in {i.check for i in issues}:
            by_check[check] += 1
            check_correct[check] += positive
        if flagged and positive:
            tp += 1
        elif flagged:
            fp += 1
        elif positive:
            fn += 1
        else:
            tn += 1
        if flagged != positive:
            why = "; ".join(f"{i.check}: {i.detail}" for i in issues) or "no issue found"
            errors.append(f"  [{p['label']}] {p['id']}: {p['point']!r} -> {why} (label: {p['reason']})")
    elapsed = time.perf_counter() - t0
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    print(f"{args.data.name}: {len(points)} points ({skipped} skipped: shared data absent)")
    print(f"labels: {dict(by_label)}")
    print(f"flagged (distorted or unsupported): precision {precision:.1%} ({tp}/{tp + fp}), "
          f"recall {recall:.1%} ({tp}/{tp + fn}); faithful points flagged: {fp}/{fp + tn}")
    for label in sorted(by_label):
        print(f"  {label:<12} flagged {flagged_by_label[label]}/{by_label[label]}")
    for check in sorted(by_check):
        print(f"  check {check:<12} flagged {by_check[check]:>3}, of which not faithful {check_correct[check]}")
    print(f"time: {1000 * elapsed / max(1, len(points)):.0f} ms per point")
    if args.show_errors and errors:
        print("misjudged:")
        print("\n".join(errors))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

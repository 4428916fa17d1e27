"""Precision and recall of the point checks on the hand-labelled set (issue 12).

    .venv/bin/python benchmarks/eval_trust.py [--data benchmarks/data/trust_points.jsonl]
                                             [--shared ../shared/data] [--show-errors]
                                             [--model qwen2.5-coder-1.5b [--threads N]]

The labelled set holds two kinds of rows (one JSON object a line):

* ``{"kind": "article", "id", "title", "text"}`` -- a self-written short article (attribution traps);
* ``{"kind": "point", "id", "article", "point", "sources": [[start, end], ...], "label", "reason"}`` with
  ``label`` one of faithful / distorted / unsupported, and ``"split": "heldout"`` on the points labelled
  blind after the checks were written (the model's raw points on 13 unseen shared articles); the others
  are the development split the checks were tuned on, and figures are printed for each. ``article`` names an article row, or a record of
  a shared dev set as ``"cnndm_dev:<id>"`` / ``"bbc_politics_dev:<id>"``: its text is read at run time
  from ``--shared`` (publishers' text never enters the repository); such rows are skipped, and counted,
  when the shared data is absent.

A point is *flagged* when `summarizers.methods.verify.check_point` finds any issue. Positives are the
points that should not reach a reader as they are (distorted or unsupported). Printed: precision and
recall of flagging, per label, per check, and the points the checks got wrong.

With ``--model``, the model's second pass (`summarizers.methods.model_check`) is run over the same points
as three things would ask it: per article, up to three labelled points at a time stand as the model's own
bullets after the article prompt (title, lead and the points' source sentences, then other sentences
within the usual context budget), then the yes/no question. Printed beside the rules: the model pass alone, and the two combined
("either flags": what three things does, the model only seeing points the rules passed; "both flag": the
model overruling the rules' rejections).
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

from summarizers.methods.three_things import rewritable  # noqa: E402
from summarizers.methods.verify import check_point  # noqa: E402
from summarizers.segment import split_sentences  # noqa: E402

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


def scores(flags: list[bool], positives: list[bool]) -> str:
    """Precision and recall of `flags` against `positives`, one line."""
    tp = sum(f and p for f, p in zip(flags, positives, strict=True))
    fp = sum(f and not p for f, p in zip(flags, positives, strict=True))
    fn = sum(p and not f for f, p in zip(flags, positives, strict=True))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    return (f"precision {precision:.1%} ({tp}/{tp + fp}), recall {recall:.1%} ({tp}/{tp + fn}), "
            f"faithful points flagged {fp}/{positives.count(False)}")


def model_flags(points: list[dict[str, Any]], articles: dict[str, dict[str, Any]], spec: str,
                threads: int, timeout_s: float) -> tuple[list[bool | None], float]:
    """Per point: True when the model calls it not supported, None when it gave no usable verdict;
    and the seconds spent. Points are asked in groups of up to three per article, as three things asks."""
    from summarizers.methods import model_check
    from summarizers.methods import three_things as tt
    from summarizers.runtime.loader import RuntimeOptions, load_backend

    model = load_backend(spec, RuntimeOptions(threads=threads))
    flags: list[bool | None] = [None] * len(points)
    groups: dict[str, list[int]] = {}
    for i, p in enumerate(points):
        groups.setdefault(p["article"], []).append(i)
    t0 = time.perf_counter()
    for key, members in groups.items():
        article = articles[key]
        text = article["text"]
        spans = [span for i in members for span in points[i]["sources"]]
        shown = [s for s in split_sentences(text) if any(s.start < end and start < s.end for start, end in spans)]
        # One prompt per article (showing every labelled point's sources), so that llama.cpp reads the
        # article once and each group of three reuses it, as the check reuses the prompt that wrote them.
        prompt = tt.article_prompt(model, text, article.get("title"), show=shown)
        for start in range(0, len(members), tt.COUNT):
            batch = members[start : start + tt.COUNT]
            answer = "\n".join(f"- {points[i]['point']}" for i in batch)
            verdicts = model_check.ask(model, prompt, answer, [points[i]["point"] for i in batch],
                                       system=tt.SYSTEM, timeout_s=timeout_s)
            if verdicts.supported is not None:
                for i, ok in zip(batch, verdicts.supported, strict=True):
                    flags[i] = not ok
            print(f"  asked {len(batch)} points of {key}: {verdicts.answer!r} "
                  f"{verdicts.problem or ''}", file=sys.stderr, flush=True)
    return flags, time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--shared", type=Path, default=SHARED, help="folder with the shared dev sets")
    parser.add_argument("--show-errors", action="store_true")
    parser.add_argument("--model", help="also run the model's second pass with this model (e.g. qwen2.5-coder-1.5b)")
    parser.add_argument("--threads", type=int, default=0, help="CPU threads for the model (0: every core)")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per model question (a busy machine)")
    args = parser.parse_args(argv)
    points, articles, skipped = load(args.data, args.shared)
    tp = fp = fn = tn = 0
    by_label: Counter[str] = Counter()
    flagged_by_label: Counter[str] = Counter()
    by_check: Counter[str] = Counter()
    check_correct: Counter[str] = Counter()
    errors: list[str] = []
    rule_flags: list[bool] = []
    rejected = rejected_faithful = rejected_meta = 0  # flags not mended by restoring the attribution
    t0 = time.perf_counter()
    for p in points:
        article = articles[p["article"]]
        text = article["text"]
        sources = [text[s:e] for s, e in p["sources"]]
        issues = check_point(p["point"], sources, article=text, title=article.get("title"))
        positive = p["label"] != "faithful"
        flagged = bool(issues)
        rule_flags.append(flagged)
        if flagged and rewritable(issues) is None:
            rejected += 1
            rejected_faithful += not positive
            rejected_meta += not positive and any(i.check in {"meta", "fragment"} for i in issues)
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
    print(f"rejected (flagged, and not mended by restoring the attribution, 'According to X, ...'): {rejected}, "
          f"of which faithful {rejected_faithful} ({rejected_meta} of them no fact to know: 'The article "
          f"discusses ...', or not a sentence)")
    for split in sorted({p.get("split", "dev") for p in points}):
        members = [i for i, p in enumerate(points) if p.get("split", "dev") == split]
        print(f"  {split} split, {len(members)} points: "
              f"{scores([rule_flags[i] for i in members], [points[i]['label'] != 'faithful' for i in members])}")
    for label in sorted(by_label):
        print(f"  {label:<12} flagged {flagged_by_label[label]}/{by_label[label]}")
    for check in sorted(by_check):
        print(f"  check {check:<12} flagged {by_check[check]:>3}, of which not faithful {check_correct[check]}")
    print(f"time: {1000 * elapsed / max(1, len(points)):.0f} ms per point")
    if args.show_errors and errors:
        print("misjudged:")
        print("\n".join(errors))
    if args.model:
        report_model(points, articles, rule_flags, args)
    return 0


def report_model(points: list[dict[str, Any]], articles: dict[str, dict[str, Any]], rule_flags: list[bool],
                 args: argparse.Namespace) -> None:
    """The rules, the model pass alone, and the two combined, on the same points."""
    positives = [p["label"] != "faithful" for p in points]
    asked, seconds = model_flags(points, articles, args.model, args.threads, args.timeout)
    no_answer = asked.count(None)
    model_only = [bool(f) for f in asked]  # no usable verdict: not flagged (the points stand)
    answered = [i for i, a in enumerate(asked) if a is not None]
    either = [r or m for r, m in zip(rule_flags, model_only, strict=True)]
    both = [r and (m if a is not None else True) for r, m, a in zip(rule_flags, model_only, asked, strict=True)]
    print(f"model pass with {args.model}: {len(points)} points, {no_answer} without a usable verdict, "
          f"{seconds:.0f} s")
    print(f"  (a) rules alone:             {scores(rule_flags, positives)}")
    print(f"  (b) model pass alone:        {scores(model_only, positives)}")
    print(f"  (c) either flags (combined): {scores(either, positives)}")
    print(f"  (d) both flag (model vetoes): {scores(both, positives)}")
    if no_answer:
        truth = [positives[i] for i in answered]
        rules_here = scores([rule_flags[i] for i in answered], truth)
        model_here = scores([model_only[i] for i in answered], truth)
        print(f"  on the {len(answered)} points with a verdict: rules {rules_here}; model {model_here}")
    if args.show_errors:
        print("model misjudged:")
        for p, flag in zip(points, asked, strict=True):
            if flag is not None and flag != (p["label"] != "faithful"):
                print(f"  [{p['label']}] {p['id']}: {p['point']!r} -> model says "
                      f"{'not supported' if flag else 'supported'} (label: {p['reason']})")


if __name__ == "__main__":
    raise SystemExit(main())

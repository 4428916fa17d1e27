"""Fit the extractive ranker's weights and report honest (cross-validated) ROUGE beside the baselines.

    .venv/bin/python benchmarks/train_extractive.py --cv 5            # nested k-fold figures only
    .venv/bin/python benchmarks/train_extractive.py --cv 5 --write    # ...then refit on all and write
                                                                      # summarizers/methods/extractive_model.py

Data (never copied into the repository): by default ../shared/data/cnndm_dev.jsonl summarised to 3
sentences and ../shared/data/bbc_politics_dev.jsonl summarised to the reference's sentence count.

What is learned, and how:
1. Content weights: a pairwise logistic regression on feature differences (summary sentence minus
   non-summary sentence of the same article). Summary sentences are `reference_sentences` where the
   dataset has them (BBC), else a greedy ROUGE-1+2 oracle against the reference (CNN/DM highlights).
   Each dataset gets equal total weight so the bigger one does not drown the other.
2. The `Prior` (content weight and redundancy threshold at a small and a large budget, length term):
   a small grid searched to maximise ROUGE-1+2 relative to Lead on each training dataset, summed.
Cross-validation is nested: both steps are refitted inside every fold (folds by article, stratified
by dataset), and held-out articles are scored by the real `ExtractiveSummarizer` through
`summarizers.evaluation.rouge.evaluate`, in the same run as Lead, LexRank and TextRank.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from summarizers.evaluation.rouge import (
    Length,
    SummaryFn,
    evaluate,
    format_report,
    load_jsonl,
    resolve_methods,
    summary_count,
)
from summarizers.methods.extractive import (
    FEATURES,
    Analysis,
    ExtractiveSummarizer,
    Prior,
    RankerModel,
    analyze,
    select,
)
from summarizers.types import Sentence

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
DEFAULT_SETS = (f"{DATA / 'cnndm_dev.jsonl'}:3", f"{DATA / 'bbc_politics_dev.jsonl'}:reference")
MODEL_FILE = ROOT / "summarizers" / "extractive_model.py"

GRID = {
    "content_small": (1.0, 2.0, 3.0),
    "content_large": (100.0, 1000.0),
    "length": (0.0, -0.5),
    "redundancy_small": (0.25, 0.3, 0.35),
    "redundancy_large": (0.6, 1.1),
}


@dataclass
class Example:
    """One article, analysed once, with labels and token counts for fast ROUGE during the grid search."""

    dataset: str
    record: dict[str, Any]
    count: int
    analysis: Analysis
    labels: np.ndarray
    unigrams: list[Counter[str]] = field(default_factory=list)
    bigrams: list[Counter[tuple[str, str]]] = field(default_factory=list)
    ref_unigrams: Counter[str] = field(default_factory=Counter)
    ref_bigrams: Counter[tuple[str, str]] = field(default_factory=Counter)

    def rouge12(self, chosen: Sequence[int]) -> float:
        """ROUGE-1 F1 + ROUGE-2 F1 (percent) of the chosen sentences; bigrams across sentences ignored."""
        uni: Counter[str] = Counter()
        bi: Counter[tuple[str, str]] = Counter()
        for i in chosen:
            uni.update(self.unigrams[i])
            bi.update(self.bigrams[i])
        return 100.0 * (_f1(uni, self.ref_unigrams) + _f1(bi, self.ref_bigrams))


def _f1(pred: Counter[Any], ref: Counter[Any]) -> float:
    overlap = sum((pred & ref).values())
    if not overlap:
        return 0.0
    p, r = overlap / sum(pred.values()), overlap / sum(ref.values())
    return 2 * p * r / (p + r)


def build_examples(dataset: str, records: Sequence[dict[str, Any]], length: Length) -> list[Example]:
    from rouge_score import tokenizers

    tok = tokenizers.DefaultTokenizer(use_stemmer=True)
    out: list[Example] = []
    for record in records:
        analysis = analyze(record["text"], title=record.get("title"))
        if not analysis.sentences:
            continue
        ex = Example(dataset, record, summary_count(record, length), analysis, np.zeros(0))
        for s in analysis.sentences:
            toks = tok.tokenize(s.text)
            ex.unigrams.append(Counter(toks))
            ex.bigrams.append(Counter(zip(toks, toks[1:], strict=False)))
        ref = tok.tokenize(record["reference_summary"])
        ex.ref_unigrams, ex.ref_bigrams = Counter(ref), Counter(zip(ref, ref[1:], strict=False))
        ex.labels = _labels(ex)
        out.append(ex)
    return out


def _labels(ex: Example) -> np.ndarray:
    """1 for summary sentences: the given extractive reference, else a greedy ROUGE oracle."""
    sentences = ex.analysis.sentences
    refs = ex.record.get("reference_sentences")
    if isinstance(refs, list) and refs:
        wanted = {r.strip() for r in refs}
        return np.array([s.text in wanted for s in sentences], dtype=float)
    chosen: list[int] = []
    best = 0.0
    while len(chosen) < ex.count:
        gains = [(ex.rouge12([*chosen, i]), i) for i in range(len(sentences)) if i not in chosen]
        if not gains or max(gains)[0] <= best:
            break
        best, pick = max(gains)
        chosen.append(pick)
    labels = np.zeros(len(sentences))
    labels[chosen] = 1.0
    return labels


def fit_content(examples: Sequence[Example], c: float = 1.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairwise logistic regression (no intercept) on standardised feature differences."""
    from sklearn.linear_model import LogisticRegression

    stacked = np.vstack([e.analysis.features for e in examples])
    mean = stacked.mean(axis=0)
    scale = stacked.std(axis=0)
    scale[scale == 0] = 1.0
    per_set = Counter(e.dataset for e in examples)
    diffs: list[np.ndarray] = []
    weights: list[np.ndarray] = []
    for e in examples:
        z = (e.analysis.features - mean) / scale
        pos, neg = np.where(e.labels[:, None] - e.labels[None, :] > 0.5)
        if len(pos):
            diffs.append(z[pos] - z[neg])
            weights.append(np.full(len(pos), 1.0 / len(pos) / per_set[e.dataset]))
    x = np.vstack(diffs)
    w = np.concatenate(weights)
    w /= w.mean()
    model = LogisticRegression(C=c, max_iter=5000, fit_intercept=False)
    model.fit(np.vstack([x, -x]), np.r_[np.ones(len(x)), np.zeros(len(x))], sample_weight=np.r_[w, w])
    return mean, scale, model.coef_[0]


def budget_anchors(examples: Sequence[Example]) -> tuple[float, float]:
    """The smallest and largest median budget (count / sentences) among the datasets."""
    medians = sorted(
        statistics.median(min(e.count, len(e.labels)) / len(e.labels) for e in examples if e.dataset == d)
        for d in {e.dataset for e in examples}
    )
    small, large = medians[0], medians[-1]
    return small, max(large, small + 0.1)


def fit(examples: Sequence[Example]) -> RankerModel:
    """Content weights, then the prior by grid search on the same (training) examples."""
    mean, scale, weights = fit_content(examples)
    small, large = budget_anchors(examples)
    lead = {d: statistics.fmean(e.rouge12(range(e.count)) for e in examples if e.dataset == d)
            for d in {e.dataset for e in examples}}
    best: tuple[float, RankerModel] | None = None
    for values in itertools.product(*GRID.values()):
        prior = Prior(budget_small=small, budget_large=large, **dict(zip(GRID, values, strict=True)))
        model = RankerModel(mean, scale, weights, prior)
        totals: dict[str, list[float]] = {d: [] for d in lead}
        for e in examples:
            n = len(e.labels)
            chosen = select(model.scores(e.analysis, e.count), e.analysis.similarity, e.count,
                            model.redundancy(n, e.count))
            totals[e.dataset].append(e.rouge12(chosen))
        objective = sum(statistics.fmean(v) / lead[d] for d, v in totals.items())
        if best is None or objective > best[0]:
            best = (objective, model)
    assert best is not None
    return best[1]


class _FoldSummarizer:
    """Summarise each held-out article with the model that never saw it (keyed by article text)."""

    name = "extractive"

    def __init__(self, by_text: dict[str, ExtractiveSummarizer]) -> None:
        self.by_text = by_text

    def __call__(self, text: str, count: int = 3, *, title: str | None = None) -> list[Sentence]:
        return self.by_text[text](text, count, title=title)


def cross_validate(sets: dict[str, tuple[list[Example], Length]], k: int, seed: int) -> str:
    rng = np.random.default_rng(seed)
    folds: dict[int, int] = {}
    everything = [e for examples, _ in sets.values() for e in examples]
    for examples, _ in sets.values():
        order = rng.permutation(len(examples))
        for rank, idx in enumerate(order):
            folds[id(examples[idx])] = rank % k
    by_text: dict[str, ExtractiveSummarizer] = {}
    for fold in range(k):
        t0 = time.perf_counter()
        model = fit([e for e in everything if folds[id(e)] != fold])
        summarizer = ExtractiveSummarizer(model)
        for e in everything:
            if folds[id(e)] == fold:
                by_text[e.record["text"]] = summarizer
        print(f"fold {fold + 1}/{k} fitted in {time.perf_counter() - t0:.1f}s: {model.prior}", file=sys.stderr)
    out = []
    for name, (examples, length) in sets.items():
        methods: dict[str, SummaryFn] = {"extractive (cv)": _FoldSummarizer(by_text)}
        methods.update(resolve_methods(["lead", "lexrank", "textrank"]))
        report = evaluate([e.record for e in examples], methods, length=length, source=f"{name} [{k}-fold CV]")
        out.append(format_report(report))
    return "\n".join(out)


def write_model(model: RankerModel, trained_on: Sequence[str], note: str, path: Path = MODEL_FILE) -> None:
    def fmt(values: np.ndarray) -> str:
        return "(" + ", ".join(f"{v:.6g}" for v in values) + ",)"

    prior = {f: getattr(model.prior, f) for f in Prior.__dataclass_fields__}
    body = (
        '"""Weights of the extractive ranker (see summarizers/methods/extractive.py). Generated: do not edit by hand.\n\n'
        "Written by `benchmarks/train_extractive.py --write`: a pairwise logistic regression over FEATURES\n"
        "and a grid-searched Prior, fitted on the shared dev sets (numbers only; no text is stored).\n"
        f"{note}\n"
        '"""\n\n'
        f"FEATURES = {tuple(FEATURES)!r}\n"
        f"MEAN = {fmt(model.mean)}\n"
        f"SCALE = {fmt(model.scale)}\n"
        f"WEIGHTS = {fmt(model.weights)}\n"
        f"PRIOR = {prior!r}\n"
        "# Dataset files the weights were fitted on: ROUGE measured on these is in-sample.\n"
        f"TRAINED_ON = {tuple(trained_on)!r}\n"
    )
    path.write_text(body, encoding="utf-8")
    print(f"wrote {path}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", action="append", metavar="FILE:LENGTH",
                        help="dataset and summary length ('reference' or sentences); repeatable")
    parser.add_argument("--cv", type=int, default=5, help="folds for cross-validation (0 to skip)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--write", action="store_true", help="refit on all data and write the model module")
    args = parser.parse_args(argv)

    sets: dict[str, tuple[list[Example], Length]] = {}
    for spec in args.data or DEFAULT_SETS:
        path, _, length_text = spec.rpartition(":")
        length: Length = "reference" if length_text == "reference" else int(length_text)
        records = load_jsonl(path)
        sets[Path(path).name] = (build_examples(Path(path).name, records, length), length)
        print(f"{path}: {len(records)} records, length={length}", file=sys.stderr)
    note = ""
    if args.cv:
        table = cross_validate(sets, args.cv, args.seed)
        print(table)
        note = "Cross-validated ROUGE F1 (%) at the time of writing:\n\n" + table
    if args.write:
        write_model(fit([e for examples, _ in sets.values() for e in examples]), list(sets), note)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""ROUGE evaluation of summarizers on JSONL datasets, side by side in one run.

Why one run: ROUGE numbers are only comparable when every method sees the same records, the same
segmentation and the same summary length, and timings are only comparable on the same machine at the
same moment. `evaluate` therefore takes several methods at once and reports them in one table.

Records are JSON objects with `text` and `reference_summary` (optional `title`, and for extractive
references `reference_sentences`). Summary length is either a fixed number of sentences or
``"reference"``: as many sentences as the reference has (`reference_sentences` when present, otherwise
the reference summary split with our segmenter).

New methods plug in through `METHODS`: a name mapped to a zero-argument factory returning a callable
``(text, count, *, title) -> list of Sentence/Point/str or a str``; the factory runs once per evaluation,
so a model loads once.
"""

from __future__ import annotations

import json
import logging
import statistics
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Literal

from summarizers.methods.registry import EXTRACTIVE_METHODS, make_summarizer
from summarizers.segment import split_sentences

log = logging.getLogger(__name__)

Length = Literal["reference"] | int
SummaryFn = Callable[..., Any]
ROUGE_TYPES = ("rouge1", "rouge2", "rougeL")


# Methods evaluable without a model, from the one registry; callers may add entries (model-backed ones).
METHODS: dict[str, Callable[[], SummaryFn]] = {name: partial(make_summarizer, name) for name in EXTRACTIVE_METHODS}


class DatasetError(ValueError):
    """A dataset file that is missing or not in the expected JSONL shape."""


@dataclass(frozen=True, slots=True)
class MethodResult:
    """Mean ROUGE F1 (in percent) and time per article for one method."""

    name: str
    rouge1: float
    rouge2: float
    rougeL: float
    ms_median: float
    ms_mean: float
    articles: int
    failures: int = 0


@dataclass(frozen=True, slots=True)
class EvalReport:
    """Every method's result on the same records with the same length rule."""

    results: tuple[MethodResult, ...]
    records: int
    length: Length
    source: str | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    def by_name(self) -> dict[str, MethodResult]:
        return {r.name: r for r in self.results}


def load_jsonl(path: str | Path) -> list[dict[str, Any]]:
    """Read a JSONL dataset; raise `DatasetError` naming the file and line for anything unusable."""
    p = Path(path)
    if not p.is_file():
        raise DatasetError(f"{p}: no such file")
    records: list[dict[str, Any]] = []
    try:
        with p.open(encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise DatasetError(f"{p}:{lineno}: not valid JSON ({exc.msg})") from exc
                if not isinstance(obj, dict):
                    raise DatasetError(f"{p}:{lineno}: expected a JSON object per line")
                for key in ("text", "reference_summary"):
                    if not isinstance(obj.get(key), str):
                        raise DatasetError(f"{p}:{lineno}: missing string field {key!r}")
                records.append(obj)
    except UnicodeDecodeError as exc:
        raise DatasetError(f"{p}: not UTF-8 text") from exc
    except OSError as exc:
        raise DatasetError(f"{p}: cannot read ({exc.strerror})") from exc
    if not records:
        raise DatasetError(f"{p}: no records")
    return records


def summary_count(record: Mapping[str, Any], length: Length) -> int:
    """How many sentences to extract for `record` under the length rule."""
    if length == "reference":
        refs = record.get("reference_sentences")
        if isinstance(refs, list) and refs:
            return len(refs)
        return max(1, len(split_sentences(record["reference_summary"])))
    if isinstance(length, int) and not isinstance(length, bool) and length > 0:
        return length
    raise ValueError(f"length must be 'reference' or a positive int, not {length!r}")


def summary_text(output: Any) -> str:
    """Flatten what a method returned (a str, or items that are str or have `.text`) into one string."""
    if isinstance(output, str):
        return output
    if isinstance(output, Iterable):
        return "\n".join(item if isinstance(item, str) else str(item.text) for item in output)
    raise TypeError(f"cannot read a summary from {type(output).__name__}")


def resolve_methods(names: Iterable[str]) -> dict[str, SummaryFn]:
    """Instantiate registered methods by name; unknown names raise `KeyError` listing the known ones."""
    out: dict[str, SummaryFn] = {}
    for name in names:
        if name not in METHODS:
            raise KeyError(f"unknown method {name!r}; known: {', '.join(sorted(METHODS))}")
        out[name] = METHODS[name]()
    return out


def evaluate(
    records: Sequence[Mapping[str, Any]],
    methods: Mapping[str, SummaryFn],
    *,
    length: Length = "reference",
    source: str | None = None,
) -> EvalReport:
    """Score every method on every record with ROUGE-1/2/L F1 (stemmed) and time each call.

    A method that raises on one article scores zero there and is counted in `failures` rather than
    aborting the run, so one bad record cannot hide the other figures.
    """
    from rouge_score import rouge_scorer

    if not records:
        raise ValueError("no records to evaluate")
    if not methods:
        raise ValueError("no methods to evaluate")
    scorer = rouge_scorer.RougeScorer(list(ROUGE_TYPES), use_stemmer=True)
    counts = [summary_count(r, length) for r in records]
    results: list[MethodResult] = []
    for name, fn in methods.items():
        _warm_up(name, fn, records[0], counts[0])
        sums = dict.fromkeys(ROUGE_TYPES, 0.0)
        times: list[float] = []
        failures = 0
        for record, count in zip(records, counts, strict=True):
            t0 = time.perf_counter()
            try:
                output = fn(record["text"], count, title=record.get("title"))
                prediction = summary_text(output)
            except Exception:
                log.warning("%s failed on record %s", name, record.get("id", "?"), exc_info=True)
                failures += 1
                prediction = ""
            times.append((time.perf_counter() - t0) * 1000.0)
            scores = scorer.score(record["reference_summary"], prediction)
            for key in ROUGE_TYPES:
                sums[key] += scores[key].fmeasure
        n = len(records)
        results.append(
            MethodResult(
                name=name,
                rouge1=100.0 * sums["rouge1"] / n,
                rouge2=100.0 * sums["rouge2"] / n,
                rougeL=100.0 * sums["rougeL"] / n,
                ms_median=statistics.median(times),
                ms_mean=statistics.fmean(times),
                articles=n,
                failures=failures,
            )
        )
        log.info("evaluated %s on %d records", name, n)
    return EvalReport(
        results=tuple(results), records=len(records), length=length, source=source,
        notes=_in_sample_notes(methods, source),
    )


def _warm_up(name: str, fn: SummaryFn, record: Mapping[str, Any], count: int) -> None:
    """One untimed call, so lazy imports, model loading and caches do not count as time per article."""
    try:
        fn(record["text"], count, title=record.get("title"))
    except Exception:
        log.debug("warm-up call of %s failed; the timed run will report it", name, exc_info=True)


def _in_sample_notes(methods: Mapping[str, SummaryFn], source: str | None) -> tuple[str, ...]:
    """Warn when the shipped extractive weights were fitted on the very file being scored."""
    if "extractive" not in methods or not source:
        return ()
    from summarizers.methods.extractive_model import TRAINED_ON

    if Path(source).name not in TRAINED_ON:
        return ()
    return (
        "note: the extractive weights were fitted on this file, so its row is in-sample; "
        "cross-validated figures: benchmarks/train_extractive.py --cv 5",
    )


def format_report(report: EvalReport) -> str:
    """A fixed-width table: one row per method, ROUGE in percent, milliseconds per article."""
    length = "reference length (sentences)" if report.length == "reference" else f"{report.length} sentences"
    head = f"{report.source or 'dataset'}: {report.records} articles, summary length = {length}"
    lines = [
        head,
        f"{'method':<16} {'ROUGE-1':>8} {'ROUGE-2':>8} {'ROUGE-L':>8} {'ms median':>10} {'ms mean':>9}",
    ]
    for r in report.results:
        row = (
            f"{r.name:<16} {r.rouge1:>8.2f} {r.rouge2:>8.2f} {r.rougeL:>8.2f} "
            f"{r.ms_median:>10.2f} {r.ms_mean:>9.2f}"
        )
        if r.failures:
            row += f"  ({r.failures} failed)"
        lines.append(row)
    lines.extend(report.notes)
    return "\n".join(lines) + "\n"

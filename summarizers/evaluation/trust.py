"""Trust figures of a three-things run, printed by `briefbot eval --method three-things` beside ROUGE.

ROUGE says how much of a reference a summary covers, not whether it can be believed. Issue 12 asks for
the failures a reader would mind, counted on the same run:

* model points rejected (by check, the model's own second pass included) and rewritten (attribution
  restored);
* results that fell back to extractive points, by reason (timeout, error, every point rejected, copied);
* final points still stating a reported claim as fact ("attribution dropped": should be 0);
* final points labelled abstractive that copy their source sentence ("copies labelled abstractive": 0).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from summarizers.types import ThreeThings


@dataclass
class TrustStats:
    results: int = 0
    points: int = 0
    abstractive: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    rewritten: int = 0
    fallbacks: Counter[str] = field(default_factory=Counter)
    attribution_dropped: int = 0
    copies_labelled_abstractive: int = 0


def trust_stats(results: Iterable[ThreeThings]) -> TrustStats:
    """Count what the checks did and what still got through, over `results`."""
    from summarizers.methods.three_things import verbatim
    from summarizers.methods.verify import meaning_issues

    stats = TrustStats()
    for result in results:
        stats.results += 1
        stats.points += len(result.points)
        if result.fallback:
            stats.fallbacks[result.fallback] += 1
        for check in result.checks:
            if check.action == "rewritten":
                stats.rewritten += 1
            elif check.action == "rejected":  # "skipped": the model's check gave no verdict
                stats.rejected[check.check] += 1
        for point in result.points:
            if point.method != "abstractive":
                continue
            stats.abstractive += 1
            sources = [s.text for s in point.sources]
            if any(i.check == "attribution" for i in meaning_issues(point.text, sources)):
                stats.attribution_dropped += 1
            if verbatim(point.text, point.sources):
                stats.copies_labelled_abstractive += 1
    return stats


def format_trust(stats: TrustStats) -> str:
    """A few lines for the eval report."""
    rejected = ", ".join(f"{k} {v}" for k, v in stats.rejected.most_common()) or "none"
    fallbacks = ", ".join(f"{k} {v}" for k, v in stats.fallbacks.most_common()) or "none"
    return (
        f"three-things trust: {stats.results} results, {stats.points} points "
        f"({stats.abstractive} model-written)\n"
        f"  model points rejected by check: {rejected}; rewritten with their attribution: {stats.rewritten}\n"
        f"  fallbacks to extractive: {fallbacks}\n"
        f"  attribution dropped in final points: {stats.attribution_dropped}; "
        f"copies labelled abstractive: {stats.copies_labelled_abstractive}\n"
    )

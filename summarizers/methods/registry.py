"""The one summarizer registry: a method by name, ready to call as ``fn(text, count, *, title=None)``.

Every place that chooses a summary method by name -- `briefbot eval`, the ROUGE evaluation,
benchmarks -- asks here, so a method is added once. Model-backed methods ("three-things",
"abstractive") take the already loaded model (or None: three-things then serves its extractive points,
abstractive refuses); loading is the caller's business (`bot.briefing.summaries` with Settings).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from summarizers.runtime.base import ModelUnavailable, TextModel
from summarizers.types import ThreeThings

SummaryFn = Callable[..., Any]
EXTRACTIVE_METHODS = ("extractive", "lead", "lexrank", "textrank")
MODEL_METHODS = ("three-things", "abstractive")
NAMES = EXTRACTIVE_METHODS + MODEL_METHODS


def make_summarizer(name: str, model: TextModel | None = None, *, timeout_s: float | None = None,
                    max_new_tokens: int = 160, model_check: bool | None = None,
                    on_result: Callable[[ThreeThings], None] | None = None) -> SummaryFn:
    """The summarizer called `name`; raises KeyError naming the known methods for anything else.

    `on_result` sees each whole three-things result (checks, rejections, fallback reasons), which the
    summary-shaped return value (its points) drops: `briefbot eval` reports trust figures from it."""
    if name == "extractive":
        from summarizers.methods.extractive import ExtractiveSummarizer

        return ExtractiveSummarizer()
    if name in ("lead", "lexrank", "textrank"):
        from summarizers.methods import baselines

        if name == "lead":
            return baselines.LeadSummarizer()
        if name == "lexrank":
            return baselines.LexRankSummarizer()
        return baselines.TextRankSummarizer()
    if name == "three-things":
        from summarizers.methods.three_things import three_things

        checking = {} if model_check is None else {"model_check": model_check}

        def points(text: str, count: int, *, title: str | None = None) -> list[Any]:
            result = three_things(text, title=title, model=model, timeout_s=timeout_s,
                                  max_new_tokens=max_new_tokens, **checking)
            if on_result is not None:
                on_result(result)
            return list(result.points)

        return points
    if name == "abstractive":
        if model is None:
            raise ModelUnavailable("the abstractive method needs a model")
        loaded = model

        def summary(text: str, count: int, *, title: str | None = None) -> str:
            return loaded.summarize(text, title=title, sentences=count, timeout_s=timeout_s,
                                    max_new_tokens=max_new_tokens)

        return summary
    raise KeyError(f"unknown method {name!r}; known: {', '.join(NAMES)}")

"""`briefbot eval FILE.jsonl`: ROUGE of a summarizer beside Lead and LexRank, computed in the same run.

The baselines always run with the chosen method so the figures are comparable (same records, same
sentence split, same summary length, same machine load). Methods come from
`summarizers.evaluation.rouge.METHODS`, plus the model-backed "three-things" and "abstractive", which use the
configured model (see `model_methods`).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Mapping

from bot.briefing.summaries import SummaryModel, tty_notice
from bot.cli import CliError
from bot.cli.common import positive_int, settings
from bot.settings import Settings
from summarizers.evaluation.rouge import (
    METHODS,
    DatasetError,
    Length,
    SummaryFn,
    evaluate,
    format_report,
    load_jsonl,
)
from summarizers.evaluation.trust import format_trust, trust_stats
from summarizers.methods.registry import make_summarizer
from summarizers.types import ThreeThings

log = logging.getLogger(__name__)

BASELINES = ("lead", "lexrank")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "eval",
        help="ROUGE of a summarizer on a JSONL dataset, beside Lead and LexRank",
        description=(
            "Score a summarizer with ROUGE-1/2/L F1 (rouge-score, stemmed) on a JSONL file whose lines "
            "have 'text' and 'reference_summary' (optional 'title', 'reference_sentences'). Lead and "
            "LexRank run in the same pass; milliseconds per article are reported too."
        ),
    )
    parser.add_argument("file", metavar="FILE.jsonl", help="the dataset")
    parser.add_argument(
        "--method",
        default="extractive",
        metavar="NAME",
        help=f"one of: {', '.join(METHODS)}, three-things, abstractive, or all (default: extractive)",
    )
    parser.add_argument("--limit", type=positive_int, metavar="N", help="only the first N records")
    parser.add_argument(
        "--length",
        type=_length,
        default="reference",
        metavar="reference|N",
        help="sentences per summary: as many as the reference has (default), or N",
    )
    parser.set_defaults(func=run)


def _length(value: str) -> Length:
    return "reference" if value == "reference" else positive_int(value)


def model_methods(s: Settings, results: list[ThreeThings] | None = None) -> dict[str, Callable[[], SummaryFn]]:
    """Methods that use the configured model, loaded through the one Settings loader; "all" leaves them
    out (a model run takes minutes). Three-things results are appended to `results` (when given) for
    the trust figures."""
    loader = SummaryModel(s, on_load=lambda spec: tty_notice(f"loading model {spec} …"))

    def three() -> SummaryFn:
        model = loader.get()
        if model is None:
            log.warning("three-things: no model (%s); scoring its extractive fallback", loader.reason)
        return make_summarizer("three-things", model, timeout_s=s.model_timeout_s,
                               max_new_tokens=s.model_max_new_tokens, model_check=s.model_check,
                               on_result=results.append if results is not None else None)

    def abstractive() -> SummaryFn:
        model = loader.get()
        if model is None:
            raise CliError(f"abstractive: no model ({loader.reason})")
        return make_summarizer("abstractive", model, timeout_s=s.model_timeout_s,
                               max_new_tokens=s.model_max_new_tokens)

    return {"three-things": three, "abstractive": abstractive}


def method_names(method: str, known: Mapping[str, object] = METHODS) -> list[str]:
    """The chosen method (or all) followed by the baselines, each once, in that order."""
    if method == "all":
        chosen = list(METHODS)
    elif method in known:
        chosen = [method]
    else:
        raise CliError(f"unknown method {method!r}; choose one of: {', '.join(known)}, all")
    return list(dict.fromkeys([*chosen, *BASELINES]))


def run(args: argparse.Namespace) -> int:
    three_results: list[ThreeThings] = []
    known = {**METHODS, **model_methods(settings(), three_results)}
    names = method_names(args.method, known)
    try:
        records = load_jsonl(args.file)
    except DatasetError as exc:
        raise CliError(str(exc)) from exc
    if args.limit:
        records = records[: args.limit]
    try:
        methods = {name: known[name]() for name in names}
    except (ImportError, RuntimeError) as exc:
        raise CliError(f"cannot load a method: {exc}") from exc
    report = evaluate(records, methods, length=args.length, source=args.file)
    sys.stdout.write(format_report(report))
    if three_results:
        sys.stdout.write(format_trust(trust_stats(three_results[1:])))  # [0] is the untimed warm-up call
    return 0

"""`briefbot summarize FILE|-`: summarize one text, or a JSON-lines batch, from a file or stdin.

Methods: `extractive` (default; sentences copied with their offsets), `abstractive` (a model's summary)
and `three-things` (three grounded points with their source sentences). Text is cleaned of web
boilerplate first, so offsets in the JSON output index into the *cleaned* text, which the JSON then
carries as `indexed_text` (absent when cleaning changed nothing).

When the model named by --model / BRIEFBOT_MODEL / the config cannot be loaded, the command says so
once on stderr and serves extractive results with exit code 0: a missing model is a degraded mode, not
a failure. In --jsonl mode a bad line yields an `{"id", "error"}` line and the batch goes on.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from bot.articles.clean import clean_text
from bot.briefing.summaries import SummaryModel, tty_notice
from bot.cli import CliError
from bot.cli.common import out, positive_int, read_text_input, settings
from summarizers.methods.abstractive import AbstractiveModel
from summarizers.methods.extractive import summarize_extractive
from summarizers.methods.three_things import three_things
from summarizers.segment import split_sentences

log = logging.getLogger(__name__)

METHODS = ("extractive", "abstractive", "three-things")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "summarize",
        help="summarize a text file or stdin",
        description="Summarize a text file (or - for stdin). Offsets in JSON output index the cleaned text.",
    )
    parser.add_argument("input", metavar="FILE|-", help="a UTF-8 text file, or - to read stdin")
    parser.add_argument("--method", choices=METHODS, default="extractive", help="default: extractive")
    parser.add_argument(
        "--sentences",
        type=positive_int,
        default=3,
        metavar="N",
        help="summary length in sentences (extractive, abstractive; default 3)",
    )
    parser.add_argument("--title", help="the article's title (helps ranking and the model)")
    parser.add_argument(
        "--model",
        metavar="SPEC",
        help="model name, local directory or Hub id (default: BRIEFBOT_MODEL / config)",
    )
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print one JSON object")
    output.add_argument(
        "--jsonl",
        action="store_true",
        help='input lines are {"id","text"[,"title","sentences"]}; one JSON line out per line in',
    )
    parser.set_defaults(func=handle)


class Summarizer:
    """Runs one method over many texts, loading the model at most once and warning about it once."""

    def __init__(self, method: str, model_spec: str | None) -> None:
        self.method = method
        self._spec = model_spec
        s = settings()
        if method != "extractive" and s.summary_method == "extractive":
            s = s.model_copy(update={"summary_method": "three-things"})  # an explicit --method asks for a model
        self._loader = SummaryModel(s, model_spec, on_load=lambda spec: tty_notice(f"loading model {spec} …"),
                                    log_failures=False)
        self._tried = method == "extractive"
        self._warned = False
        self._timeout_s = s.model_timeout_s
        self._max_new_tokens = s.model_max_new_tokens
        self._model_check = s.model_check

    def model(self) -> AbstractiveModel | None:
        if self._tried:
            return None
        model = self._loader.get()
        if model is None and self._loader.reason and not self._warned:
            self._warned = True
            reason = self._loader.reason
            if "switched off" not in reason:
                reason = f"abstractive model unavailable ({reason})"
            sys.stderr.write(f"briefbot: {reason}; serving extractive summaries\n")
        if model is not None:
            tty_notice(f"writing with {model.name} on {model.backend} …")
        return model

    def run(self, text: str, *, title: str | None, sentences: int) -> dict[str, Any]:
        """The JSON-ready result for one cleaned, non-empty text."""
        if self.method == "three-things":
            result = three_things(
                text,
                title=title,
                model=self.model(),
                timeout_s=self._timeout_s,
                max_new_tokens=self._max_new_tokens,
                model_check=self._model_check,
            )
            self._loader.record()
            data = result.as_dict()
            return {"method": "three-things", "summary": [p.text for p in result.points], **data}
        if self.method == "abstractive" and (model := self.model()) is not None:
            try:
                summary = model.summarize(
                    text,
                    title=title,
                    sentences=sentences,
                    timeout_s=self._timeout_s,
                    max_new_tokens=self._max_new_tokens,
                )
            except Exception as exc:  # any model failure degrades to extractive; details in the log
                log.warning("model %s failed (%s); serving an extractive summary", model.name, exc)
                log.debug("model failure", exc_info=True)
            else:
                lines = [s.text for s in split_sentences(summary)][:sentences]
                if lines:
                    return {"method": "abstractive", "model": model.name, "summary": lines}
                log.warning("model %s returned an empty summary; serving an extractive one", model.name)
        chosen = summarize_extractive(text, sentences, title=title)
        self._loader.record()
        return {
            "method": "extractive",
            "summary": [s.text for s in chosen],
            "sentences": [s.as_dict() for s in chosen],
        }


def handle(args: argparse.Namespace) -> int:
    summarizer = Summarizer(args.method, args.model)
    if args.jsonl:
        return _handle_jsonl(_lines(args.input), summarizer, args.sentences)
    raw = read_text_input(args.input)
    text = clean_text(raw)
    if not text.strip():
        raise CliError(f"{_name(args.input)} is empty: nothing to summarize")
    if not split_sentences(text):
        raise CliError(f"{_name(args.input)} has no sentences to summarize")
    result = summarizer.run(text, title=args.title, sentences=args.sentences)
    if text != raw:
        result["indexed_text"] = text  # offsets index the cleaned text, so the JSON carries it
    if args.json:
        out(json.dumps(result, ensure_ascii=False))
        return 0
    for line in result["summary"]:
        out(line)
    if result.get("note"):
        out(f"Note: {result['note']}")
    return 0


def _handle_jsonl(lines: Iterable[str], summarizer: Summarizer, default_sentences: int) -> int:
    seen = 0
    for line in lines:
        if not line.strip():
            continue
        seen += 1
        out(json.dumps(_record(line, summarizer, default_sentences), ensure_ascii=False))
        sys.stdout.flush()  # stream: a consumer can act on each line as it comes
    if not seen:
        raise CliError("input is empty: no JSON lines to summarize")
    return 0


def _record(line: str, summarizer: Summarizer, default_sentences: int) -> dict[str, Any]:
    """One output line for one input line; problems become an `error` field, never an exception."""
    try:
        item = json.loads(line)
    except json.JSONDecodeError as exc:
        return {"id": None, "error": f"invalid JSON: {exc.msg} at column {exc.colno}"}
    if not isinstance(item, dict):
        return {"id": None, "error": "each line must be a JSON object"}
    record_id = item.get("id")
    if record_id is not None and not isinstance(record_id, str | int | float):
        return {"id": None, "error": "id must be a string or a number"}
    text, title, sentences = item.get("text"), item.get("title"), item.get("sentences", default_sentences)
    if not isinstance(text, str) or not text.strip():
        return {"id": record_id, "error": "missing or empty text"}
    if title is not None and not isinstance(title, str):
        return {"id": record_id, "error": "title must be a string"}
    if isinstance(sentences, bool) or not isinstance(sentences, int) or sentences < 1:
        return {"id": record_id, "error": "sentences must be a whole number of at least 1"}
    cleaned = clean_text(text)
    if not split_sentences(cleaned):
        return {"id": record_id, "error": "no sentences to summarize after cleaning"}
    try:
        result = summarizer.run(cleaned, title=title, sentences=sentences)
        if cleaned != text:
            result["indexed_text"] = cleaned  # offsets index the cleaned text, so the JSON carries it
        return {"id": record_id, **result}
    except Exception as exc:  # one bad article must not end the batch
        log.debug("summarize failed for %r", record_id, exc_info=True)
        return {"id": record_id, "error": f"{type(exc).__name__}: {exc}"}


def _name(source: str) -> str:
    return "stdin" if source == "-" else source


def _lines(source: str) -> Iterator[str]:
    if source == "-":
        yield from sys.stdin
        return
    try:
        with Path(source).open(encoding="utf-8", errors="replace") as handle:
            yield from handle
    except OSError as exc:
        raise CliError(f"cannot read {source}: {exc.strerror or exc}") from exc

"""`briefbot ask "QUESTION" [--articles PATH ...] [--json]`: ask about a public figure.

Options may also come first, as in every other command: `briefbot ask --articles a.txt "what did X say?"`.
`--articles` takes any number of paths, so argparse would swallow the question into them; `handle` takes
the last value back as the question when it is not an input (no such file, not a URL).

Understands "what did X say (about Y)?", "who is X?" and "what's the latest on X?". Answers come from
the given files/URLs, or from the newest stored articles when --articles is not given.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from bot.articles.ingest import load_inputs
from bot.articles.models import Article
from bot.briefing.figure_answers import answer_question
from bot.cli import EXIT_OK, EXIT_USAGE, CliError
from bot.cli.common import out, positive_int, settings, stored_articles
from bot.render.json import render_json
from bot.render.text import render_answer
from bot.text import masked_url

log = logging.getLogger(__name__)

STORED_WINDOW = 200  # newest stored articles searched when no --articles are given


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "ask",
        help="ask about a public figure: what they said, who they are, the latest",
        description='Ask "what did X say (about Y)?", "who is X?" or "what\'s the latest on X?".',
    )
    parser.add_argument("question", nargs="?", help="the question, in quotes")
    parser.add_argument("--articles", nargs="+", metavar="PATH",
                        help="answer from these files/directories/URLs instead of the stored articles")
    parser.add_argument("--limit", type=positive_int, default=5, metavar="N",
                        help="at most N quotes and N sentences (default 5)")
    parser.add_argument("--json", action="store_true", help="print the answer as JSON")
    parser.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    raw = args.question if args.question is not None else _question_after_articles(args)
    if raw is None:
        sys.stderr.write('briefbot ask: a question is required, e.g. briefbot ask --articles FILE "who is X?"\n')
        return EXIT_USAGE
    question = " ".join(raw.split())
    if not question:
        sys.stderr.write("briefbot ask: the question is empty\n")
        return EXIT_USAGE
    articles = _load(args.articles) if args.articles else stored_articles(limit=STORED_WINDOW)
    answer = answer_question(question, articles, limit=args.limit)
    out(render_json(answer) if args.json else render_answer(answer))
    return EXIT_OK


def _question_after_articles(args: argparse.Namespace) -> str | None:
    """`ask --articles A B "question"`: the question was read as the last path. Take it back, unless it
    names an input (then the question really is missing)."""
    paths: list[str] = args.articles or []
    if len(paths) < 2:
        return None
    last = paths[-1]
    if last == "-" or "://" in last or Path(last).exists():
        return None
    args.articles = paths[:-1]
    return last


def _load(paths: list[str]) -> list[Article]:
    """Articles from the given inputs; an input that fails is reported and skipped."""
    articles: list[Article] = []
    for result in load_inputs(paths, settings()):
        if result.error:
            sys.stderr.write(f"briefbot ask: skipped {masked_url(result.source)}: {result.error}\n")
            continue
        articles.extend(result.articles)
    if not articles:
        raise CliError("no article text found in the given inputs")
    return articles

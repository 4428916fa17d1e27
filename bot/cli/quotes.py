"""`briefbot quotes FILE [--json]`: the direct quotes in an article and who said them.

The text is cleaned of web boilerplate first (`bot.articles.clean.clean_text`), so `start`/`end` in the
JSON output index into the *cleaned* text, as they do for `briefbot summarize`.
"""

from __future__ import annotations

import argparse
import json
import logging

from bot.articles.clean import clean_text
from bot.cli import EXIT_OK, CliError
from bot.cli.common import out, read_text_input
from summarizers.people.quotes import extract_quotes
from summarizers.types import Quote

log = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "quotes",
        help="list the quotes in a text file and who said them",
        description="List direct quotes with their speakers. Offsets in --json output index the cleaned text.",
    )
    parser.add_argument("input", metavar="FILE|-", help="a UTF-8 text file, or - to read stdin")
    parser.add_argument("--json", action="store_true",
                        help='print a JSON list of {"speaker", "quote", "start", "end", "partial"}')
    parser.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    text = clean_text(read_text_input(args.input))
    if not text.strip():
        raise CliError(f"no article text in {'stdin' if args.input == '-' else args.input}")
    quotes = extract_quotes(text)
    if args.json:
        out(json.dumps([q.as_dict() for q in quotes], ensure_ascii=False, indent=2))
    elif not quotes:
        out("No quotes found.")
    else:
        out("\n".join(format_quote(q) for q in quotes))
    return EXIT_OK


def format_quote(quote: Quote) -> str:
    """`Speaker: “quote”`, with "(partial)" for words quoted inside a sentence."""
    mark = " (partial)" if quote.partial else ""
    return f"{quote.speaker or 'Unknown speaker'}: “{quote.quote}”{mark}"

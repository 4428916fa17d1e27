"""`briefbot digest`: three things to know about the newest stored (or given) stories."""

from __future__ import annotations

import argparse
import logging
import sys

from bot.articles.ingest import load_inputs
from bot.articles.models import Article
from bot.briefing.service import BriefingService
from bot.briefing.summaries import tty_notice, wants_model
from bot.cli import EXIT_OK, CliError
from bot.cli.common import open_store, out, positive_int, progress, settings
from bot.render.json import render_json
from bot.render.text import render
from bot.samples import SAMPLES
from bot.store import Store

log = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("digest", help="a digest of the newest stored (or given) articles")
    p.add_argument("--articles", nargs="+", metavar="PATH", help="brief these files/URLs instead of the store")
    p.add_argument("--limit", type=positive_int, default=None, help="number of stories (default from config)")
    p.add_argument("--format", choices=("text", "markdown", "json"), default="text")
    p.set_defaults(func=run)


def _load(paths: list[str]) -> list[Article]:
    articles: list[Article] = []
    for result in load_inputs(paths, settings()):
        if result.error:
            raise CliError(f"{result.source}: {result.error}")
        articles.extend(result.articles)
    if not articles:
        raise CliError("no article text found in the given inputs")
    return articles


def _ensure_samples(store: Store) -> None:
    """On a fresh database, store the bundled sample stories so the first digest shows something."""
    if store.count_articles():
        return
    sys.stderr.write("No stored articles yet: using the bundled sample stories (briefbot ingest adds your own).\n")
    for result in load_inputs([str(SAMPLES)], settings()):
        for article in result.articles:
            store.add_article(article)


def run(args: argparse.Namespace) -> int:
    s = settings()
    store = open_store(s)
    try:
        articles = None
        if args.articles:
            articles = _load(args.articles)
            for a in articles:
                store.add_article(a)
        else:
            _ensure_samples(store)
        service = BriefingService(store, s)
        if wants_model(s):  # a first load can take a while: say so on a terminal, nothing when piped
            tty_notice(f"loading the summary model {s.model} …")
            _ = service.model
        digest = service.digest(limit=args.limit, articles=articles,
                                progress=lambda groups: progress(groups, total=len(groups), desc="briefing"))
    finally:
        store.close()
    if args.format == "json":
        out(render_json(digest))
    else:
        out(render(digest, markdown=args.format == "markdown"))
    return EXIT_OK

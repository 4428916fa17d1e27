"""`briefbot digest`: three things to know about the newest stored (or given) stories."""

from __future__ import annotations

import argparse
import logging
import sys
from datetime import UTC, datetime

from bot.articles.models import Article
from bot.briefing.intake import intake
from bot.briefing.service import MAX_DIGEST_STORIES, BriefingService
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
    p.add_argument("--limit", type=story_limit, default=None,
                   help=f"number of stories, at most {MAX_DIGEST_STORIES} (default from config)")
    p.add_argument("--since", type=since_date, default=None, metavar="DATE",
                   help="only what is new since DATE (YYYY-MM-DD or ISO time, UTC unless it has an offset); "
                        "stories seen before come back as updates")
    p.add_argument("--format", choices=("text", "markdown", "json"), default="text")
    p.set_defaults(func=run)


def story_limit(value: str) -> int:
    """argparse type for --limit: a story count from 1 to MAX_DIGEST_STORIES."""
    number = positive_int(value)
    if number > MAX_DIGEST_STORIES:
        raise argparse.ArgumentTypeError(f"at most {MAX_DIGEST_STORIES} stories")
    return number


def since_date(value: str) -> datetime:
    """argparse type for --since: an ISO date or date-time; naive values are UTC."""
    try:
        when = datetime.fromisoformat(value.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date: {value!r} (use YYYY-MM-DD or YYYY-MM-DDTHH:MM)") from None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when


def _load(paths: list[str], store: Store) -> list[Article]:
    """Store the given inputs through the one intake; the articles to brief (stored copies for duplicates)."""
    articles: list[Article] = []
    for result in intake(paths, store, settings()):
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
    for result in intake([str(SAMPLES)], store, settings()):
        if result.error:
            log.warning("could not store the sample stories: %s", result.error)


def run(args: argparse.Namespace) -> int:
    if args.since is not None and args.articles:
        raise CliError("--since applies to stored stories; it cannot be combined with --articles")
    s = settings()
    store = open_store(s)
    try:
        articles = None
        if args.articles:
            articles = _load(args.articles, store)
        else:
            _ensure_samples(store)
        service = BriefingService(store, s)
        if wants_model(s):  # a first load can take a while: say so on a terminal, nothing when piped
            tty_notice(f"loading the summary model {s.model} …")
            _ = service.model
        if args.since is not None and articles is None:
            digest = service.new_since(args.since, limit=args.limit,
                                       heading=f"Three things to know since {args.since:%Y-%m-%d %H:%M} UTC")
        else:
            digest = service.digest(limit=args.limit, articles=articles,
                                    progress=lambda items: progress(items, total=len(items), desc="briefing"))
    finally:
        store.close()
    if args.format == "json":
        out(render_json(digest))
    else:
        out(render(digest, markdown=args.format == "markdown"))
    return EXIT_OK

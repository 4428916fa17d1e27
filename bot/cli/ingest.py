"""`briefbot ingest PATH|URL|FEED_URL ...`: store articles and say what happened to each."""

from __future__ import annotations

import argparse
import logging
import sys

from bot.briefing.intake import intake
from bot.cli import EXIT_FAILURE, EXIT_OK
from bot.cli.common import open_store, out, progress, settings
from bot.store import Store

log = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("ingest", help="store articles from files, feeds or URLs")
    p.add_argument("inputs", nargs="+", metavar="PATH|URL|FEED_URL", help="file, directory, '-' (stdin) or URL")
    p.set_defaults(func=run)


def ingest(inputs: list[str], store: Store) -> tuple[int, int, int]:
    """Load and store every input; print one line per article or failure. Returns (added, skipped, failed)."""
    added = skipped = failed = 0
    for result in progress(intake(inputs, store, settings()), total=len(inputs), desc="ingest"):
        if result.error:
            failed += 1
            sys.stderr.write(f"failed  {result.source}: {result.error}\n")
            continue
        for warning in result.warnings:
            sys.stderr.write(f"warning {result.source}: {warning}\n")
        if result.not_modified:
            out(f"unchanged {result.source} (not modified since last fetch)")
        for article, outcome in result.stored:
            if outcome.status == "duplicate":
                skipped += 1
                out(f"skipped {article.label} — duplicate: {outcome.reason}")
            else:
                added += 1
                extra = f" ({outcome.reason})" if outcome.reason else ""
                verb = "updated" if outcome.status == "updated" else "added  "
                out(f"{verb} #{outcome.id} {article.label} → story #{outcome.story_id}{extra}")
    return added, skipped, failed


def run(args: argparse.Namespace) -> int:
    store = open_store()
    try:
        added, skipped, failed = ingest(args.inputs, store)
    finally:
        store.close()
    out(f"{added} added, {skipped} skipped as duplicates, {failed} failed")
    return EXIT_FAILURE if failed else EXIT_OK

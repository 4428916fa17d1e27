"""`briefbot chat`: the terminal adapter over the stored articles (or the bundled samples)."""

from __future__ import annotations

import argparse
import asyncio
import sys

from bot.briefing.runner import AsyncBriefing
from bot.briefing.service import BriefingService
from bot.cli import EXIT_OK
from bot.cli.common import open_store, settings
from bot.cli.digest import _ensure_samples
from bot.platforms.console.app import ConsoleAdapter


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("chat", help="talk to the bot in the terminal (/brief, questions about figures)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    s = settings()
    store = open_store(s)
    _ensure_samples(store)
    briefing = AsyncBriefing(BriefingService(store, s), rate_limits=False)  # one local user, no shared channel
    adapter = ConsoleAdapter(briefing, sys.stdin, sys.stdout, interactive=sys.stdin.isatty())
    try:
        asyncio.run(adapter.run())
    finally:
        briefing.close()
        store.close()
    return EXIT_OK

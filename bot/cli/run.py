"""`briefbot run`: serve Discord and/or Slack (whichever have credentials) plus scheduled digests."""

from __future__ import annotations

import argparse
import asyncio

from bot.app import NoPlatformConfigured, serve
from bot.cli import EXIT_OK, CliError
from bot.cli.common import settings
from bot.settings import get_secrets


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("run", help="run the bot: platform adapters and the digest scheduler")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import logging

    logging.getLogger().setLevel(min(logging.getLogger().level, logging.INFO))
    try:
        asyncio.run(serve(settings(), get_secrets()))
    except NoPlatformConfigured as exc:
        raise CliError(str(exc)) from exc
    return EXIT_OK

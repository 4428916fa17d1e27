"""`briefbot chat`: the terminal adapter over the stored articles (or the bundled samples).

Follow alerts for the terminal's user are printed as they come: a follow-alert pass runs every 30 s
beside the prompt, as the scheduler's job does in `briefbot run`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys

from bot.briefing.runner import AsyncBriefing
from bot.briefing.service import BriefingService
from bot.cli import EXIT_OK
from bot.cli.common import open_store, settings
from bot.cli.digest import _ensure_samples
from bot.platforms.console.app import ConsoleAdapter
from bot.scheduler.follow_alerts import FollowAlerter, run_every
from bot.scheduler.jobs import default_instance_id


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("chat", help="talk to the bot in the terminal (/brief, questions about figures, follows)")
    p.set_defaults(func=run)


async def _chat(adapter: ConsoleAdapter, alerter: FollowAlerter) -> None:
    alerts = asyncio.create_task(run_every(alerter), name="follow-alerts")
    try:
        await adapter.run()
    finally:
        alerts.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await alerts


def run(args: argparse.Namespace) -> int:
    s = settings()
    store = open_store(s)
    _ensure_samples(store)
    service = BriefingService(store, s)
    briefing = AsyncBriefing(service, rate_limits=False)  # one local user, no shared channel
    adapter = ConsoleAdapter(briefing, sys.stdin, sys.stdout, interactive=sys.stdin.isatty())
    alerter = FollowAlerter(store, briefing, {adapter.platform: adapter}, default_instance_id())
    try:
        asyncio.run(_chat(adapter, alerter))
    finally:
        briefing.close()
        store.close()
    return EXIT_OK

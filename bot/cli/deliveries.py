"""`briefbot deliveries`: what happened to each scheduled digest slot (sent, retrying, skipped, ...).

The first place to look when a channel says "no digest this morning": the row says whether it was
skipped (and why), is waiting for a retry (and when), or could not be confirmed after a crash.
"""

from __future__ import annotations

import argparse
import logging
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.cli import EXIT_OK
from bot.cli.common import open_store, out
from bot.cli.tables import EMPTY, table, when
from bot.store import deliveries as rows
from bot.store.deliveries import Delivery

log = logging.getLogger(__name__)

MAX_DETAIL_CHARS = 80


def _limit(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("deliveries", help="status of scheduled digests, per subscription and slot")
    p.add_argument("--status", choices=rows.STATUSES, help="only rows in this status")
    p.add_argument("--limit", type=_limit, default=50, help="newest N slots (default 50)")
    p.set_defaults(func=run)


def _local(d: Delivery) -> str:
    try:
        return d.slot.astimezone(ZoneInfo(d.timezone)).strftime("%Y-%m-%d %H:%M")
    except (ZoneInfoNotFoundError, ValueError):
        return EMPTY


def _detail(d: Delivery) -> str:
    """What an operator needs next: when the retry is, what went wrong, or the posted message's id."""
    parts = []
    if d.next_attempt_at is not None:
        parts.append(f"retry {when(d.next_attempt_at)}")
    if d.last_error:
        parts.append(d.last_error)
    if d.status == rows.SENT and d.message_ref:
        parts.append(f"message {d.message_ref}")
    text = "; ".join(parts) or EMPTY
    return text if len(text) <= MAX_DETAIL_CHARS else text[: MAX_DETAIL_CHARS - 1] + "…"


def format_deliveries(items: list[Delivery]) -> str:
    body = [[when(d.slot), _local(d), d.platform, d.channel_id, d.status, str(d.attempts), when(d.sent_at),
             _detail(d)] for d in items]
    return table(["SLOT (UTC)", "LOCAL", "PLATFORM", "CHANNEL", "STATUS", "ATTEMPTS", "SENT (UTC)", "DETAIL"],
                 body)


def run(args: argparse.Namespace) -> int:
    store = open_store()
    try:
        items = rows.list_deliveries(store, args.limit, args.status)
    finally:
        store.close()
    if not items:
        out(f"No deliveries{f' with status {args.status}' if args.status else ''} yet.")
        return EXIT_OK
    out(format_deliveries(items))
    return EXIT_OK

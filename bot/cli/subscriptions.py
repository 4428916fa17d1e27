"""`briefbot subscriptions`: list, add and remove channels' daily digests (the operator's `/brief subscribe`).

A running bot picks changes up within its sync interval (30 s), without a restart.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Callable
from datetime import UTC, datetime

from bot.cli import EXIT_OK, CliError
from bot.cli.common import open_store, out
from bot.cli.tables import table, when
from bot.commands import CommandError, parse_channel, parse_time, parse_timezone
from bot.delivery import PLATFORMS, SCHEDULED_PLATFORMS
from bot.scheduler.slots import ScheduleError, next_run
from bot.store import Subscription

log = logging.getLogger(__name__)

def _argument(parse: Callable[[str], str]) -> Callable[[str], str]:
    """Reuse the chat commands' validation for CLI arguments; argparse turns the error into exit 2."""
    def check(text: str) -> str:
        try:
            return parse(text)
        except CommandError as exc:
            raise argparse.ArgumentTypeError(str(exc).replace("`", "'")) from exc
    check.__name__ = parse.__name__.removeprefix("parse_")  # argparse names the argument type in errors
    return check


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("subscriptions", help="list, add or remove channels' daily digests",
                       description="With no action, list subscriptions and when each next runs (UTC).")
    p.add_argument("--platform", choices=PLATFORMS, help="only this platform's subscriptions")
    p.set_defaults(func=list_command)
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    add = actions.add_parser("add", help="subscribe a channel (or change its time)")
    add.add_argument("platform", choices=SCHEDULED_PLATFORMS)
    add.add_argument("channel", type=_argument(parse_channel), help="channel id (or <#id>)")
    add.add_argument("time", type=_argument(parse_time), help="local time, 24-hour HH:MM")
    add.add_argument("timezone", type=_argument(parse_timezone), help="IANA zone such as Europe/London")
    add.add_argument("--workspace", help="Discord server / Slack workspace id (for `/brief list` there)")
    add.set_defaults(func=add_command)
    remove = actions.add_parser("remove", help="stop a channel's daily digest")
    remove.add_argument("platform", choices=PLATFORMS)  # also what `briefbot chat` set up
    remove.add_argument("channel", type=_argument(parse_channel), help="channel id (or <#id>)")
    remove.set_defaults(func=remove_command)


def _next(sub: Subscription, now: datetime) -> str:
    try:
        return when(next_run(sub, now))
    except ScheduleError:  # written by hand into the database: show it, and say it cannot run
        return "invalid"


def format_subscriptions(subs: list[Subscription], now: datetime) -> str:
    rows = [[str(s.id), s.platform, s.channel_id, s.time, s.timezone, _next(s, now), when(s.last_digest_at)]
            for s in subs]
    return table(["ID", "PLATFORM", "CHANNEL", "TIME", "TIMEZONE", "NEXT RUN (UTC)", "LAST DIGEST (UTC)"], rows)


def list_command(args: argparse.Namespace) -> int:
    store = open_store()
    try:
        subs = store.list_subscriptions(args.platform)
    finally:
        store.close()
    if not subs:
        out("No subscriptions." + ("" if args.platform else " Add one with `briefbot subscriptions add`."))
        return EXIT_OK
    out(format_subscriptions(subs, datetime.now(UTC)))
    return EXIT_OK


def add_command(args: argparse.Namespace) -> int:
    store = open_store()
    try:
        sub = store.add_subscription(args.platform, args.channel, args.time, args.timezone,
                                     workspace_id=args.workspace, created_by="cli")
    finally:
        store.close()
    out(f"{sub.platform} {sub.channel_id}: daily digest at {sub.time} {sub.timezone}; "
        f"next at {when(next_run(sub, datetime.now(UTC)))} UTC")
    return EXIT_OK


def remove_command(args: argparse.Namespace) -> int:
    store = open_store()
    try:
        removed = store.remove_subscription(args.platform, args.channel)
    finally:
        store.close()
    if not removed:
        raise CliError(f"{args.platform} channel {args.channel} has no subscription")
    out(f"{args.platform} {args.channel}: daily digest stopped.")
    return EXIT_OK

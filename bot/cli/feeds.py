"""`briefbot feeds`: every tenant's feeds with their health; add, remove and test them as the operator.

Without `--tenant`, `add` and `remove` act on global sources (every server and workspace sees them),
the same as feeds in the config file. A running bot picks changes up on its next feed pass (15 s).
"""

from __future__ import annotations

import argparse
import logging
from datetime import UTC

from bot.cli import EXIT_OK, CliError
from bot.cli.common import open_store, out, positive_int, settings
from bot.cli.tables import EMPTY, table, when
from bot.commands import CommandError, feed_url
from bot.sources.inspect import FeedProblem
from bot.sources.presets import PresetError, presets
from bot.sources.service import SourceLimit, SourcesService
from bot.store.feeds import OPERATOR, SourceState
from bot.store.scope import GLOBAL

log = logging.getLogger(__name__)

MAX_ERROR_CHARS = 60


def _url(text: str) -> str:
    try:
        return feed_url(text)
    except CommandError as exc:
        raise argparse.ArgumentTypeError(str(exc).replace("`", "'")) from exc


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("feeds", help="list, add, remove or test feeds (all tenants), with their health",
                       description="With no action, list every tenant's feeds and how each is doing.")
    p.add_argument("--tenant", help="only this tenant (global, console, discord:<server id>, slack:<team id>)")
    p.set_defaults(func=list_command)
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    add = actions.add_parser("add", help="add a feed (fetched and checked first) or a preset")
    add.add_argument("url", nargs="?", type=_url, help="feed address, or a page that links to its feed")
    add.add_argument("--name", help="display name (default: the feed's title)")
    add.add_argument("--preset", help="add a curated set instead (see `briefbot feeds presets`)")
    add.add_argument("--tenant", default=GLOBAL, help="whose feed (default: global, seen by every tenant)")
    add.add_argument("--every", type=positive_int, metavar="MINUTES",
                     help="polling interval (at least feed_min_poll_minutes)")
    add.set_defaults(func=add_command)
    remove = actions.add_parser("remove", help="remove a feed from a tenant")
    remove.add_argument("url", type=_url)
    remove.add_argument("--tenant", default=GLOBAL, help="whose feed (default: global)")
    remove.set_defaults(func=remove_command)
    test = actions.add_parser("test", help="fetch a feed now and show what it holds; stores nothing")
    test.add_argument("url", type=_url)
    test.set_defaults(func=test_command)
    listing = actions.add_parser("presets", help="list the curated starter sets")
    listing.set_defaults(func=presets_command)


def _state(source: SourceState) -> str:
    feed = source.feed
    if feed.paused_at is not None:
        return "paused"
    if feed.failures:
        return "failing"
    return "ok" if feed.last_success_at else "new"


def _error(text: str | None) -> str:
    if not text:
        return EMPTY
    line = " ".join(text.split())
    return line if len(line) <= MAX_ERROR_CHARS else line[: MAX_ERROR_CHARS - 1] + "…"


def format_sources(sources: list[SourceState]) -> str:
    rows = [[s.tenant, _state(s), str(s.feed.failures), str(s.items), when(s.feed.last_success_at),
             s.label, s.url, _error(s.feed.last_error)] for s in sources]
    return table(["TENANT", "STATE", "FAILS", "ITEMS", "LAST SUCCESS (UTC)", "NAME", "URL", "LAST ERROR"], rows)


def list_command(args: argparse.Namespace) -> int:
    store = open_store()
    try:
        sources = SourcesService(store, settings()).list(args.tenant)
    finally:
        store.close()
    if not sources:
        out("No feeds." + ("" if args.tenant else " Add one with `briefbot feeds add URL` or `--preset NAME`."))
        return EXIT_OK
    out(format_sources(sources))
    return EXIT_OK


def add_command(args: argparse.Namespace) -> int:
    if bool(args.url) == bool(args.preset):
        raise CliError("give a feed URL or --preset NAME (one of them)")
    store = open_store()
    try:
        service = SourcesService(store, settings())
        if args.preset:
            added = service.add_preset(args.tenant, args.preset, added_by="cli")
            for a in added:
                out(f"{'added' if a.new else 'already there'}: {a.name}  {a.url}")
            out(f"preset {args.preset}: {sum(a.new for a in added)} feeds added for {args.tenant}; "
                "they are checked on their first poll (`briefbot feeds` shows how each is doing)")
            return EXIT_OK
        done = service.add(args.tenant, args.url, name=args.name, added_by="cli", origin=OPERATOR,
                           poll_minutes=args.every)
    except (FeedProblem, SourceLimit, PresetError) as exc:
        raise CliError(str(exc)) from exc
    finally:
        store.close()
    verb = "added" if done.new else "already there, checked again"
    out(f"{verb}: {done.name}  {done.url} for {args.tenant} ({done.stored} new articles stored)")
    return EXIT_OK


def remove_command(args: argparse.Namespace) -> int:
    store = open_store()
    try:
        removed = SourcesService(store, settings()).remove(args.tenant, args.url)
    finally:
        store.close()
    if not removed:
        raise CliError(f"{args.tenant} has no feed {args.url}")
    out(f"removed {args.url} from {args.tenant}")
    return EXIT_OK


def test_command(args: argparse.Namespace) -> int:
    s = settings()
    store = open_store(s)
    try:
        preview = SourcesService(store, s).test(args.url)
    except FeedProblem as exc:
        raise CliError(str(exc)) from exc
    finally:
        store.close()
    out(f"{preview.name}: {preview.item_count} items" + (f" (feed found at {preview.url})" if preview.discovered else ""))
    for item in preview.newest:
        date = item.published.astimezone(UTC).strftime("%Y-%m-%d %H:%M") if item.published else EMPTY
        out(f"  {date}  {item.title}  {item.url or ''}".rstrip())
    for warning in preview.warnings[:5]:
        out(f"  note: {warning}")
    return EXIT_OK


def presets_command(args: argparse.Namespace) -> int:
    try:
        found = presets()
    except PresetError as exc:
        raise CliError(str(exc)) from exc
    for preset in found.values():
        out(f"{preset.name} ({preset.region}): {preset.description}")
        for feed in preset.feeds:
            out(f"  {feed.name}  {feed.url}")
    out("These addresses could not be checked when the list was made; `briefbot feeds test URL` checks one.")
    return EXIT_OK




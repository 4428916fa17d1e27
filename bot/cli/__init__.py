"""The `briefbot` command. Each subcommand lives in its own module with `register(subparsers)`.

Exit codes: 0 success, 2 usage error, 1 failure with a one-line reason on stderr.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

log = logging.getLogger(__name__)

# Subcommand modules, in the order `briefbot --help` lists them.
SUBCOMMANDS = (
    "ingest", "digest", "summarize", "quotes", "ask", "eval",
    "subscriptions", "deliveries", "feeds", "run", "chat", "doctor",
)

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2


class CliError(Exception):
    """A failure to report as one line on stderr with exit code 1."""


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser with every subcommand, or only `command`'s when it names one.

    Why only one: each subcommand module imports what it runs on (the store's SQLAlchemy and Alembic,
    the fetcher, the platforms), about 2 s on a 2-core machine that `briefbot summarize` would otherwise
    pay before its first line of work.
    """
    parser = argparse.ArgumentParser(prog="briefbot", description="Political news briefings you can trust.")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output (-vv for debug)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in (command,) if command in SUBCOMMANDS else SUBCOMMANDS:
        try:
            module = importlib.import_module(f"bot.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"bot.cli.{name}":
                continue  # subcommand not built yet
            raise
        module.register(sub)
    return parser


def requested_command(argv: Sequence[str]) -> str | None:
    """The subcommand `argv` names: its first word that is not an option (the only top-level option,
    -v, takes no value)."""
    return next((arg for arg in argv if not arg.startswith("-")), None)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(requested_command(argv))
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code or 0)
    level = logging.WARNING - 10 * min(args.verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return int(args.func(args) or 0)
    except CliError as exc:
        print(f"briefbot: {exc}", file=sys.stderr)  # noqa: T201 - the CLI's own error line
        return EXIT_FAILURE
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # last resort: one line for the user, the trace in the log
        log.debug("unhandled error", exc_info=True)
        print(f"briefbot: {type(exc).__name__}: {exc}", file=sys.stderr)  # noqa: T201
        return EXIT_FAILURE

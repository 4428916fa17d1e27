"""What several subcommands share: settings, the store, the service, output helpers."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from bot.articles.loaders import LoadError, decode_text
from bot.articles.models import Article
from bot.cli import CliError
from bot.settings import Settings, get_settings
from bot.text import masked_url

if TYPE_CHECKING:
    from bot.store import Store

log = logging.getLogger(__name__)

T = TypeVar("T")


def settings() -> Settings:
    try:
        return get_settings()
    except ValueError as exc:  # bad config file: one clear line, not a validation dump
        raise CliError(f"configuration error: {exc}") from exc


def open_store(s: Settings | None = None) -> Store:
    """Open (and migrate) the configured database, with a clear error if it cannot be reached."""
    from bot.store import Store  # SQLAlchemy and Alembic: only for the subcommands that use the database
    from bot.stories.embedding import embedder

    s = s or settings()
    try:
        return Store(s.database_url, embed=embedder(s.story_embeddings))
    except Exception as exc:
        log.debug("cannot open store", exc_info=True)
        raise CliError(f"cannot open database {masked_url(s.database_url)}: {type(exc).__name__}: {exc}") from exc


def stored_articles(limit: int = 200) -> list[Article]:
    store = open_store()
    try:
        return store.latest_articles(limit)
    finally:
        store.close()


def progress(items: Iterable[T], *, total: int | None = None, desc: str = "") -> Iterator[T]:
    """A progress bar on a TTY (stderr), silent otherwise so pipes and logs stay clean."""
    if not sys.stderr.isatty():
        yield from items
        return
    from tqdm import tqdm

    yield from tqdm(items, total=total, desc=desc, file=sys.stderr, leave=False)


def positive_int(value: str) -> int:
    """argparse type for counts such as --limit and --sentences."""
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {value!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


def read_text_input(source: str) -> str:
    """A text file's contents, or stdin for "-"; a file over the configured size limit is refused
    rather than half-read, and a directory or unreadable path is a one-line error.

    Bytes are decoded by `decode_text`, the check `ingest` uses: binary input (`/bin/ls`) and invalid
    UTF-8 are refused with the same reason there and here, never summarised as junk.
    """
    if source == "-":
        raw = sys.stdin.buffer.read() if hasattr(sys.stdin, "buffer") else sys.stdin.read().encode("utf-8")
        return _decoded(raw, "stdin")
    path = Path(source)
    limit = settings().max_article_bytes
    try:
        if path.is_dir():
            raise CliError(f"{source} is a directory; give one text file")
        if path.stat().st_size > limit:
            raise CliError(f"{source} is larger than max_article_bytes ({limit:,} bytes)")
        return _decoded(path.read_bytes(), source)
    except OSError as exc:
        raise CliError(f"cannot read {source}: {exc.strerror or exc}") from exc


def _decoded(data: bytes, source: str) -> str:
    try:
        return decode_text(data)
    except LoadError as exc:
        log.info("refused %s: %s", source, exc)
        raise CliError(f"{source}: {exc}") from exc


def out(text: str) -> None:
    sys.stdout.write(text if text.endswith("\n") else text + "\n")

"""Plain aligned tables for listing commands: readable in a terminal, and `cut`/`awk`-able in scripts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

EMPTY = "-"


def when(value: datetime | None) -> str:
    """A UTC instant as `YYYY-MM-DD HH:MM`, or `-`."""
    return value.strftime("%Y-%m-%d %H:%M") if value is not None else EMPTY


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Columns padded to their widest cell; the last column is left ragged so long text is not padded."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    lines = []
    for cells in (headers, *rows):
        padded = [c.ljust(w) for c, w in zip(cells[:-1], widths[:-1], strict=True)]
        lines.append("  ".join([*padded, cells[-1]]).rstrip())
    return "\n".join(lines) + "\n"

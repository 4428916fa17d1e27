"""The article record that flows from loaders to the store and on to the briefing core."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime

_WS = re.compile(r"\s+")


def content_hash(text: str) -> str:
    """Hash the whitespace- and case-normalised text, so re-fetches of the same story match."""
    norm = _WS.sub(" ", text).strip().lower()
    return hashlib.sha256(norm.encode("utf-8")).hexdigest()


@dataclass(slots=True)
class Article:
    """A cleaned story. `text` is already free of site chrome; offsets in summaries point into it."""

    text: str
    title: str = ""
    url: str | None = None
    source: str | None = None
    published: datetime | None = None
    id: int | None = None
    extra: dict[str, object] = field(default_factory=dict)
    # Set by the store: the story this article was placed in and when it was stored.
    story_id: int | None = None
    added_at: datetime | None = None

    @property
    def content_hash(self) -> str:
        return content_hash(self.text)

    @property
    def label(self) -> str:
        """A short human name for messages: the title, else the URL, else the text's start."""
        if self.title:
            return self.title
        if self.url:
            return self.url
        return self.text[:60].strip() + ("…" if len(self.text) > 60 else "")

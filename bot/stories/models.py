"""The typed story and the per-channel view of it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from bot.articles.models import Article


def outlet_of(article: Article) -> str:
    """The outlet an article comes from: its source name, else its web host without `www.`, else "unknown"."""
    if article.source:
        return article.source.strip()
    if article.url:
        host = (urlsplit(article.url).hostname or "").removeprefix("www.")
        if host:
            return host
    return "unknown"


@dataclass(frozen=True, slots=True)
class Story:
    """One event and every stored article that reports it, oldest first.

    `first_seen`/`last_seen` are when the story's articles were stored (what "new since the last digest"
    is measured against); the event's own dates are the articles' `published`.
    """

    id: int
    title: str
    articles: tuple[Article, ...]
    first_seen: datetime
    last_seen: datetime

    @property
    def outlets(self) -> tuple[str, ...]:
        """Distinct outlets, in the order they first reported the story."""
        seen: dict[str, None] = {}
        for a in self.articles:
            seen.setdefault(outlet_of(a), None)
        return tuple(seen)

    @property
    def article_ids(self) -> tuple[int, ...]:
        return tuple(a.id for a in self.articles if a.id is not None)

    @property
    def published(self) -> datetime | None:
        dates = [a.published for a in self.articles if a.published is not None]
        return max(dates) if dates else None


@dataclass(frozen=True, slots=True)
class ChannelStory:
    """A story as one channel should see it in its next digest.

    `new` are the articles the channel has not been shown; `update` is True when an earlier digest of the
    channel already had this story, so only what is new since then should be told.
    """

    story: Story
    new: tuple[Article, ...]
    update: bool = False

    @property
    def new_outlets(self) -> tuple[str, ...]:
        """Outlets that joined the story since the channel last saw it (for an update's note)."""
        if not self.update:
            return ()
        new_ids = {a.id for a in self.new}
        before = {outlet_of(a) for a in self.story.articles if a.id not in new_ids}
        out: dict[str, None] = {}
        for a in self.new:
            if (o := outlet_of(a)) not in before:
                out.setdefault(o, None)
        return tuple(out)

"""Does a stored article concern a follower? A followed figure quoted in it, or a followed topic in it.

Figures are matched with the alias rules of `/brief who` (`summarizers.people.names.match_name`): the
follow stores the canonical name ("Angela Merkel"), and an article that calls her "Merkel" or
"the former chancellor" matches when its quote extractor attributes a quote to her. A name that is
ambiguous in the article (two Trumps) does not match: an alert must not put words in the wrong mouth.
Topics match when every word of the topic appears in the title or text (the crude stems of the figure
Q&A, so "tariff" finds "tariffs").
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.articles.models import Article
from bot.briefing.figure_answers import mentions_topic, query_words
from bot.follows.store import FIGURE, TOPIC, Follow, Match
from bot.text import truncate
from summarizers.people.names import match_name
from summarizers.types import Person, Quote

log = logging.getLogger(__name__)

MAX_QUOTE_CHARS = 300


def story_key(article: Article) -> str:
    """The story an article belongs to, as alerts key it ("one alert per follower and story"): the typed
    story the store placed it in (an article not placed in one stands for itself)."""
    return f"story:{article.story_id}" if article.story_id is not None else f"article:{article.id}"


@dataclass(frozen=True, slots=True)
class Reason:
    """Why an article matched one follow: the follow, and for a figure the quote that matched."""

    kind: str
    name: str
    article_id: int
    quote: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "name": self.name, "article_id": self.article_id, "quote": self.quote}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Reason:
        return cls(str(data.get("kind", "")), str(data.get("name", "")), int(data.get("article_id", 0)),
                   data.get("quote"))


def topic_matches(topic: str, article: Article) -> bool:
    """Every word of the topic is in the article's title or text."""
    words = query_words(topic)
    text = f"{article.title}\n{article.text}"
    return bool(words) and all(mentions_topic(text, [w]) for w in words)


def quote_by(name: str, people: Sequence[Person], quotes: Sequence[Quote]) -> Quote | None:
    """The first (full, else partial) quote in the article by the person `name` refers to, if any."""
    person = match_name(name, people).person
    if person is None:
        return None
    said = [q for q in quotes if q.speaker and match_name(q.speaker, people).person == person]
    said.sort(key=lambda q: (q.partial, q.start))
    return said[0] if said else None


def match_article(article: Article, stored_at: datetime, follows: Sequence[Follow],
                  people_for: Callable[[Article], list[Person]],
                  quotes_for: Callable[[Article], list[Quote]]) -> list[Match]:
    """One `Match` per follower the article concerns (several follows of one user become one match with
    several reasons). Follows made after the article was stored do not count: following is about news
    from now on. People and quotes are extracted only when some figure follow could use them."""
    assert article.id is not None, "only stored articles can match"
    relevant = [f for f in follows if f.created_at <= stored_at]
    reasons: dict[tuple[str, str], list[Reason]] = {}
    people: list[Person] | None = None
    quotes: list[Quote] | None = None
    for follow in relevant:
        if follow.kind == TOPIC:
            if topic_matches(follow.name, article):
                reasons.setdefault((follow.platform, follow.user_id), []).append(
                    Reason(TOPIC, follow.name, article.id))
            continue
        if follow.kind != FIGURE:
            continue
        if people is None:
            people, quotes = people_for(article), quotes_for(article)
        quote = quote_by(follow.name, people, quotes or [])
        if quote is not None:
            text = truncate(" ".join(quote.quote.split()), MAX_QUOTE_CHARS)
            reasons.setdefault((follow.platform, follow.user_id), []).append(
                Reason(FIGURE, follow.name, article.id, text))
    key = story_key(article)
    return [Match(platform, user, key, article.id, tuple(r.as_dict() for r in found))
            for (platform, user), found in reasons.items()]

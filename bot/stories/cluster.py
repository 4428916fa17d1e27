"""Placing an article in the story it reports, incrementally: no re-clustering of what is stored.

Each story keeps a compact signature: the summed weights of its articles' top terms and the range of
its articles' event dates. A new article is compared only with stories that share one of its rarest
terms and whose dates are within `WINDOW` of its own, by TF-IDF cosine (IDF over stories, so names and
numbers particular to one event count most and "minister" or "vote" count little). It joins the best
story if the similarity reaches a threshold that rises with the gap in days, else it starts a new story:
a same-day rewrite by another outlet joins on shared names, numbers and rare words; the same figure doing
something else on another day has to look much more alike to join.
"""

from __future__ import annotations

import heapq
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.articles.dedupe import canonical_url
from bot.articles.models import Article
from bot.stories.features import ArticleFeatures, article_features

log = logging.getLogger(__name__)

WINDOW = timedelta(days=3)  # an article never joins a story whose dates are further away than this
THRESHOLD = 0.30  # cosine at which a same-day article joins a story
GAP_PENALTY = 0.12  # added to the threshold per day between the article and the story's dates
SIGNATURE_TERMS = 80  # terms kept per story signature (by summed weight)
QUERY_TERMS = 12  # an article's rarest-weighted terms used to look up candidate stories
MAX_CANDIDATES = 40  # candidate stories scored per placement, most shared query terms first
COMMON_SHARE = 0.05  # in a large index, terms in more than this share of stories do not find candidates


@dataclass(slots=True)
class StorySignature:
    """What a story is about, compactly: summed term weights (top `SIGNATURE_TERMS`), article count, dates."""

    story_id: int
    terms: dict[str, float] = field(default_factory=dict)
    count: int = 0
    first: datetime | None = None
    last: datetime | None = None

    def add(self, features: ArticleFeatures) -> None:
        for term, weight in features.terms.items():
            self.terms[term] = self.terms.get(term, 0.0) + weight
        if len(self.terms) > SIGNATURE_TERMS:
            self.terms = dict(heapq.nlargest(SIGNATURE_TERMS, self.terms.items(), key=lambda kv: kv[1]))
        self.count += 1
        if features.when is not None:
            self.first = features.when if self.first is None else min(self.first, features.when)
            self.last = features.when if self.last is None else max(self.last, features.when)

    def as_dict(self) -> dict[str, Any]:
        return {"terms": {t: round(w, 3) for t, w in self.terms.items()}, "count": self.count}

    @classmethod
    def from_dict(cls, story_id: int, data: dict[str, Any], first: datetime | None,
                  last: datetime | None) -> StorySignature:
        terms = data.get("terms") if isinstance(data, dict) else None
        return cls(story_id, {str(k): float(v) for k, v in (terms or {}).items()}, int(data.get("count", 0) or 0),
                   first, last)

    def gap_days(self, when: datetime | None) -> float:
        """Days between `when` and the story's date range (0 inside it or when a date is unknown)."""
        if when is None or self.first is None or self.last is None:
            return 0.0
        if when < self.first:
            return (self.first - when).total_seconds() / 86400
        if when > self.last:
            return (when - self.last).total_seconds() / 86400
        return 0.0


@dataclass(frozen=True, slots=True)
class Placement:
    """Where an article goes: an existing story (`story_id`) with its similarity, or a new story (None)."""

    story_id: int | None
    score: float = 0.0


class StoryIndex:
    """Story signatures in memory with an inverted index from term to stories. Not thread-safe: the
    store serialises placements."""

    def __init__(self, *, threshold: float = THRESHOLD, gap_penalty: float = GAP_PENALTY,
                 window: timedelta = WINDOW) -> None:
        self.threshold = threshold
        self.gap_penalty = gap_penalty
        self.window = window
        self._stories: dict[int, StorySignature] = {}
        self._postings: dict[str, set[int]] = {}

    def __len__(self) -> int:
        return len(self._stories)

    def __contains__(self, story_id: object) -> bool:
        return story_id in self._stories

    def signature(self, story_id: int) -> StorySignature | None:
        return self._stories.get(story_id)

    def idf(self, term: str) -> float:
        df = len(self._postings.get(term, ()))
        return math.log((len(self._stories) + 1) / (df + 1)) + 1.0

    def put(self, signature: StorySignature) -> None:
        """Add or replace a story's signature (after loading it, or after recomputing it)."""
        self.drop(signature.story_id)
        self._stories[signature.story_id] = signature
        for term in signature.terms:
            self._postings.setdefault(term, set()).add(signature.story_id)

    def drop(self, story_id: int) -> None:
        old = self._stories.pop(story_id, None)
        if old is None:
            return
        for term in old.terms:
            ids = self._postings.get(term)
            if ids is not None:
                ids.discard(story_id)
                if not ids:
                    del self._postings[term]

    def add(self, story_id: int, features: ArticleFeatures) -> StorySignature:
        """Record that an article with these features joined (or started) `story_id`."""
        sig = self._stories.get(story_id)
        if sig is None:
            sig = StorySignature(story_id)
        else:
            self.drop(story_id)
        sig.add(features)
        self.put(sig)
        return sig

    def place(self, features: ArticleFeatures) -> Placement:
        """The story this article reports, or `Placement(None)` when it starts a new one."""
        if not features.terms or not self._stories:
            return Placement(None)
        weighted = {t: w * self.idf(t) for t, w in features.terms.items()}
        norm = math.sqrt(sum(v * v for v in weighted.values()))
        if norm == 0:
            return Placement(None)
        common = len(self._stories) * COMMON_SHARE if len(self._stories) > 1000 else math.inf
        hits: dict[int, int] = {}
        for term, _ in heapq.nlargest(QUERY_TERMS, weighted.items(), key=lambda kv: kv[1]):
            ids = self._postings.get(term)
            if not ids or len(ids) > common:
                continue
            for sid in ids:
                hits[sid] = hits.get(sid, 0) + 1
        best = Placement(None)
        best_margin = 0.0
        for sid in heapq.nlargest(MAX_CANDIDATES, hits, key=lambda k: (hits[k], k)):
            sig = self._stories[sid]
            gap = sig.gap_days(features.when)
            if gap > self.window.total_seconds() / 86400:
                continue
            if features.anchors and not any(t in sig.terms for t in features.anchors):
                continue
            score = self._cosine(weighted, norm, sig)
            margin = score - (self.threshold + self.gap_penalty * gap)
            if margin >= 0 and (best.story_id is None or margin > best_margin):
                best, best_margin = Placement(sid, score), margin
        return best

    def _cosine(self, weighted: dict[str, float], norm: float, sig: StorySignature) -> float:
        dot = 0.0
        sq = 0.0
        for term, w in sig.terms.items():
            v = w * self.idf(term)
            sq += v * v
            a = weighted.get(term)
            if a is not None:
                dot += a * v
        return dot / (norm * math.sqrt(sq)) if sq else 0.0


def _identity_keys(article: Article) -> set[str]:
    keys = {f"hash:{article.content_hash}"}
    if article.url:
        keys.add(f"url:{canonical_url(article.url)}")
    return keys


def cluster_articles(articles: Sequence[Article], index: StoryIndex | None = None) -> list[list[int]]:
    """Cluster articles from scratch by placing them one by one in date order (the same placement the
    store does); returns groups of indexes into `articles`, in order of each group's first article."""
    index = index or StoryIndex()
    epoch = datetime.min.replace(tzinfo=UTC)
    order = sorted(range(len(articles)), key=lambda i: (articles[i].published or epoch, i))
    group_of: dict[int, int] = {}
    by_key: dict[str, int] = {}  # same page or same text: one article, so always one story
    for i in order:
        keys = _identity_keys(articles[i])
        known = next((by_key[k] for k in keys if k in by_key), None)
        features = article_features(articles[i])
        if known is not None:
            story = known
        else:
            placed = index.place(features)
            story = placed.story_id if placed.story_id is not None else i
        index.add(story, features)
        group_of[i] = story
        for k in keys:
            by_key.setdefault(k, story)
    groups: dict[int, list[int]] = {}
    for i in range(len(articles)):
        groups.setdefault(group_of[i], []).append(i)
    log.debug("clustered %d articles into %d stories", len(articles), len(groups))
    return sorted(groups.values(), key=lambda g: g[0])

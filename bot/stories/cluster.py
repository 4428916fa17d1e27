"""Placing an article in the story it reports, incrementally: no re-clustering of what is stored.

Each story keeps a compact signature: the summed weights of its articles' top terms and the range of
its articles' event dates. A new article is compared only with stories that share one of its rarest
terms and whose dates are within `WINDOW` of its own, by TF-IDF cosine (IDF over stories, so names and
numbers particular to one event count most and "minister" or "vote" count little). It joins the best
story if the similarity reaches a threshold that rises with the gap in days, else it starts a new story:
a same-day rewrite by another outlet joins on shared names, numbers and rare words; the same figure doing
something else on another day has to look much more alike to join.

Sentence embeddings (bot.stories.embedding) are a second signal. When the article and the story both
have one, the hand-set bar above gives way to a small learned combiner (`LEARNED_WEIGHTS`): a logistic
regression on the lexical cosine, the gap in days from the story's first article, a different-named-day
flag, the embedding cosine (article vs story mean) on its own and again within a day of the story's
first article (`NEAR_DAYS`), and how many names and numbers the two share and what share of the article's
anchors the story holds. Fitted by benchmarks/fit_story_combiner.py on teacher-forced candidates from
benchmarks/data/stories_labelled.jsonl and measured there by cross-validation over events (96 events: pairs
kept together 77.0% with the hand-set rule -> 89.4%, stories merging two events 5.9% -> 5.7%, summed over
six fold splits; the README has the blind held-out figures, worse still). What it learned: within a day,
meaning decides (the next-morning rewrite that shares few words joins); beyond a day almost nothing joins, because the labelled set has no rewrite more than a day after its event's
first article while every distractor later than that is another event. A candidate still has to share
an anchor (a name, a number, a headline word) and lie within `WINDOW`. Without a vector on either side
the lexical rule decides alone.
"""

from __future__ import annotations

import base64
import heapq
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from bot.articles.dedupe import canonical_url
from bot.articles.models import Article
from bot.stories.embedding import embed_articles
from bot.stories.features import FEATURES_VERSION, ArticleFeatures, article_features
from summarizers.embeddings import DIM, MODEL_NAME

log = logging.getLogger(__name__)

WINDOW = timedelta(days=3)  # an article never joins a story whose dates are further away than this
THRESHOLD = 0.18  # cosine at which a same-day article joins a story (tuned on benchmarks/eval_stories.py)
GAP_PENALTY = 0.20  # added to the threshold per day between the article and the story's dates
DAY_CONFLICT = 0.2  # added to the threshold when the article and the story name different event days
SMALL_INDEX, SMALL_INDEX_EXTRA = 10, 0.05  # below 10 stories the threshold rises, up to +0.05 when empty
SIGNATURE_TERMS = 80  # terms kept per story signature (by summed weight)
QUERY_TERMS = 12  # an article's rarest-weighted terms used to look up candidate stories
MAX_CANDIDATES = 40  # candidate stories scored per placement, most shared query terms first
COMMON_SHARE = 0.05  # in a large index, terms in more than this share of stories do not find candidates
NEAR_DAYS = 1.0  # "within a day of the story's first article", a feature of the learned rule
# The learned admission rule (logit >= 0 joins): `python benchmarks/fit_story_combiner.py --variant
# all` refits it (L2 1.0 on standardised features, 317 teacher-forced candidate rows, 109 positive, from all
# 96 events of benchmarks/data/stories_labelled.jsonl) and prints its cross-validated figures. "names"
# weighs against joining once the cosine is counted: a distractor is the same people doing something else.
LEARNED_WEIGHTS = {"cos": 6.973, "gap": -0.468, "other_day": -1.588, "emb": 5.784, "emb_near": 6.976,
                   "near": 2.024, "names": -1.118, "numbers": 0.908, "anchor_share": 0.860}
LEARNED_BIAS = -9.056


@dataclass(slots=True)
class StorySignature:
    """What a story is about, compactly: summed term weights (top `SIGNATURE_TERMS`), article count, dates."""

    story_id: int
    terms: dict[str, float] = field(default_factory=dict)
    count: int = 0
    first: datetime | None = None
    last: datetime | None = None
    days: set[str] = field(default_factory=set)
    embedding: np.ndarray | None = None  # sum of the articles' unit embeddings (None: none had one)
    embedded: int = 0  # how many articles the sum holds

    def add(self, features: ArticleFeatures, embedding: np.ndarray | None = None) -> None:
        if embedding is not None:
            vec = np.asarray(embedding, dtype=np.float32)
            self.embedding = vec.copy() if self.embedding is None else self.embedding + vec
            self.embedded += 1
        for term, weight in features.terms.items():
            self.terms[term] = self.terms.get(term, 0.0) + weight
        if len(self.terms) > SIGNATURE_TERMS:
            self.terms = dict(heapq.nlargest(SIGNATURE_TERMS, self.terms.items(), key=lambda kv: kv[1]))
        self.count += 1
        self.days |= features.days
        if features.when is not None:
            self.first = features.when if self.first is None else min(self.first, features.when)
            self.last = features.when if self.last is None else max(self.last, features.when)

    def copy(self) -> StorySignature:
        return StorySignature(self.story_id, dict(self.terms), self.count, self.first, self.last, set(self.days),
                              None if self.embedding is None else self.embedding.copy(), self.embedded)

    def similarity(self, embedding: np.ndarray | None) -> float | None:
        """Cosine of a unit embedding with the story's mean embedding; None when either is missing."""
        if embedding is None or self.embedding is None:
            return None
        length = float(np.linalg.norm(self.embedding))
        return float(np.dot(self.embedding, embedding)) / length if length else None

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"terms": {t: round(w, 3) for t, w in self.terms.items()}, "count": self.count,
                                "days": sorted(self.days), "version": FEATURES_VERSION}
        if self.embedding is not None:
            # base64 of float32: a third of the JSON of a list of numbers, and decoded without parsing 384 floats
            data["embedding"] = {"model": MODEL_NAME, "n": self.embedded,
                                 "sum": base64.b64encode(self.embedding.astype("<f4").tobytes()).decode("ascii")}
        return data

    @classmethod
    def from_dict(cls, story_id: int, data: dict[str, Any], first: datetime | None,
                  last: datetime | None) -> StorySignature:
        terms = data.get("terms") if isinstance(data, dict) else None
        sig = cls(story_id, {str(k): float(v) for k, v in (terms or {}).items()}, int(data.get("count", 0) or 0),
                  first, last, {str(d) for d in data.get("days") or ()})
        emb = data.get("embedding") if isinstance(data, dict) else None
        if isinstance(emb, dict) and emb.get("model") == MODEL_NAME and isinstance(emb.get("sum"), str):
            try:
                vec = np.frombuffer(base64.b64decode(emb["sum"], validate=True), dtype="<f4").astype(np.float32)
            except ValueError:
                vec = np.zeros(0, dtype=np.float32)
            if vec.shape == (DIM,):
                sig.embedding, sig.embedded = vec, int(emb.get("n", 1) or 1)
            else:
                log.warning("story %d: ignoring a malformed stored embedding", story_id)
        return sig

    def gap_days(self, when: datetime | None) -> float:
        """Days between `when` and the story's first article (0 when a date is unknown). Counted from the
        first, not the latest, article: a story is an event, and each rewrite that joins a day later
        must not move the event along with it, or the next day's follow-up (nine hours after the third
        outlet's rewrite, a day and a half after the event) would pay the penalty of nine hours."""
        if when is None or self.first is None:
            return 0.0
        return abs((when - self.first).total_seconds()) / 86400


@dataclass(frozen=True, slots=True)
class Placement:
    """Where an article goes: an existing story (`story_id`) with its similarity, or a new story (None)."""

    story_id: int | None
    score: float = 0.0


@dataclass(frozen=True, slots=True)
class Candidate:
    """A story an article could join: its lexical cosine, the gap in days from the story's first article,
    whether the texts name different days, and the cosine the rule asks for on the same day."""

    signature: StorySignature
    score: float
    gap: float
    other_day: bool
    needed: float


class StoryIndex:
    """Story signatures in memory with an inverted index from term to stories. Not thread-safe: the
    store serialises placements."""

    def __init__(self, *, threshold: float = THRESHOLD, gap_penalty: float = GAP_PENALTY,
                 window: timedelta = WINDOW, day_conflict: float = DAY_CONFLICT) -> None:
        self.threshold = threshold
        self.day_conflict = day_conflict
        self.gap_penalty = gap_penalty
        self.window = window
        self._stories: dict[int, StorySignature] = {}
        self._postings: dict[str, set[int]] = {}
        self._idf: dict[str, float] = {}  # memo, cleared as the index grows (IDF drifts slowly)
        self._idf_size = 0
        self._norms: dict[int, float] = {}  # each signature's IDF-weighted length, under the memoised IDF

    def __len__(self) -> int:
        return len(self._stories)

    def __contains__(self, story_id: object) -> bool:
        return story_id in self._stories

    def signature(self, story_id: int) -> StorySignature | None:
        return self._stories.get(story_id)

    def idf(self, term: str) -> float:
        value = self._idf.get(term)
        if value is None:
            df = len(self._postings.get(term, ()))
            value = self._idf[term] = math.log((len(self._stories) + 1) / (df + 1)) + 1.0
        return value

    def _refresh_idf(self) -> None:
        """Forget memoised IDF once the index has grown by 2% since last time (exact while it is small)."""
        n = len(self._stories)
        if abs(n - self._idf_size) > self._idf_size // 50:
            self._idf.clear()
            self._norms.clear()
            self._idf_size = n

    def put(self, signature: StorySignature) -> None:
        """Add or replace a story's signature (after loading it, or after recomputing it)."""
        self.drop(signature.story_id)
        self._stories[signature.story_id] = signature
        for term in signature.terms:
            self._postings.setdefault(term, set()).add(signature.story_id)

    def drop(self, story_id: int) -> None:
        old = self._stories.pop(story_id, None)
        self._norms.pop(story_id, None)
        if old is None:
            return
        for term in old.terms:
            ids = self._postings.get(term)
            if ids is not None:
                ids.discard(story_id)
                if not ids:
                    del self._postings[term]

    def add(self, story_id: int, features: ArticleFeatures, embedding: np.ndarray | None = None) -> StorySignature:
        """Record that an article with these features (and embedding) joined (or started) `story_id`."""
        sig = self._stories.get(story_id)
        if sig is None:
            sig = StorySignature(story_id)
        else:
            self.drop(story_id)
        sig.add(features, embedding)
        self.put(sig)
        return sig

    def place(self, features: ArticleFeatures, embedding: np.ndarray | None = None) -> Placement:
        """The story this article reports, or `Placement(None)` when it starts a new one. With the
        article's unit `embedding` and a story's mean vector, the learned rule decides for that story;
        without, the lexical rule (the cosine reaches `threshold` plus the gap penalty)."""
        best = Placement(None)
        best_key = 0.0
        for cand in self.candidates(features):
            sim = cand.signature.similarity(embedding)
            if sim is None:
                margin = cand.score - cand.needed - self.gap_penalty * cand.gap
                # ranked with learned candidates at the learned rule's exchange rate of cosine to logit
                admitted, key = margin >= 0, LEARNED_WEIGHTS["cos"] * margin
            else:
                key = learned_logit(admission_features(features, cand, sim))
                admitted = key >= 0
            if admitted and (best.story_id is None or key > best_key):
                best, best_key = Placement(cand.signature.story_id, cand.score), key
        return best

    def candidates(self, features: ArticleFeatures) -> list[Candidate]:
        """The stories an article could join, each with its lexical score: those that share one of its
        rarest terms, lie within `window` of it and share an anchor (a name, a number, a headline word)."""
        if not features.terms or not self._stories:
            return []
        self._refresh_idf()
        weighted = {t: w * self.idf(t) for t, w in features.terms.items()}
        norm = math.sqrt(sum(v * v for v in weighted.values()))
        if norm == 0:
            return []
        common = len(self._stories) * COMMON_SHARE if len(self._stories) > 1000 else math.inf
        hits: dict[int, int] = {}
        for term, _ in heapq.nlargest(QUERY_TERMS, weighted.items(), key=lambda kv: kv[1]):
            ids = self._postings.get(term)
            if not ids or len(ids) > common:
                continue
            for sid in ids:
                hits[sid] = hits.get(sid, 0) + 1
        # With few stories stored, IDF cannot tell a generic word ("Senate", "vote") from a telling one,
        # so a young index asks for more similarity, fading out by SMALL_INDEX stories.
        young = SMALL_INDEX_EXTRA * max(0.0, 1.0 - len(self._stories) / SMALL_INDEX)
        out = []
        for sid in heapq.nlargest(MAX_CANDIDATES, hits, key=lambda k: (hits[k], k)):
            sig = self._stories[sid]
            gap = sig.gap_days(features.when)
            if gap > self.window.total_seconds() / 86400:
                continue
            if features.anchors and not any(t in sig.terms for t in features.anchors):
                continue
            needed = self.threshold + young
            other_day = bool(features.days and sig.days and not features.days & sig.days)
            if other_day:
                needed += self.day_conflict  # the text says it happened on another day
            out.append(Candidate(sig, self._cosine(weighted, norm, sig), gap, other_day, needed))
        return out

    def _cosine(self, weighted: dict[str, float], norm: float, sig: StorySignature) -> float:
        length = self._norms.get(sig.story_id)
        if length is None:
            idf = self.idf
            length = self._norms[sig.story_id] = math.sqrt(sum((w * idf(t)) ** 2 for t, w in sig.terms.items()))
        if not length:
            return 0.0
        terms = sig.terms
        dot = sum(a * terms[t] * self.idf(t) for t, a in weighted.items() if t in terms)
        return dot / (norm * length)


def admission_features(features: ArticleFeatures, cand: Candidate, similarity: float) -> dict[str, float]:
    """What the learned rule weighs for one candidate story, given the embedding cosine to it."""
    near = float(cand.gap <= NEAR_DAYS)
    terms = cand.signature.terms
    names = sum(1 for t in features.terms if t.startswith("e:") and t in terms)
    numbers = sum(1 for t in features.terms if t.startswith("n:") and t in terms)
    anchors = features.anchors
    return {"cos": cand.score, "gap": cand.gap, "other_day": float(cand.other_day), "emb": similarity,
            "emb_near": similarity * near * float(not cand.other_day), "near": near,
            "names": math.log1p(names), "numbers": math.log1p(numbers),
            "anchor_share": sum(1 for t in anchors if t in terms) / len(anchors) if anchors else 0.0}


def learned_logit(row: dict[str, float]) -> float:
    """Log-odds that the candidate is the article's event under `LEARNED_WEIGHTS` (joins from 0)."""
    return LEARNED_BIAS + sum(w * row[name] for name, w in LEARNED_WEIGHTS.items())


def _identity_keys(article: Article) -> set[str]:
    keys = {f"hash:{article.content_hash}"}
    if article.url:
        keys.add(f"url:{canonical_url(article.url)}")
    return keys


def cluster_articles(articles: Sequence[Article], index: StoryIndex | None = None, *,
                     embeddings: Sequence[np.ndarray | None] | None = None, embed: bool = True) -> list[list[int]]:
    """Cluster articles from scratch by placing them one by one in date order (the same placement the
    store does); returns groups of indexes into `articles`, in order of each group's first article.

    `embeddings` (one per article, None for none) are used as given, e.g. those stored with the articles;
    without them they are computed here when `embed` is true and the model is installed (about 0.1 s an
    article on one core: see the README), else placement is lexical only."""
    index = index if index is not None else StoryIndex()
    if embeddings is None:
        embeddings = embed_articles(articles) if embed else [None] * len(articles)
    if len(embeddings) != len(articles):
        raise ValueError(f"{len(embeddings)} embeddings for {len(articles)} articles")
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
            placed = index.place(features, embeddings[i])
            story = placed.story_id if placed.story_id is not None else i
        index.add(story, features, embeddings[i])
        group_of[i] = story
        for k in keys:
            by_key.setdefault(k, story)
    groups: dict[int, list[int]] = {}
    for i in range(len(articles)):
        groups.setdefault(group_of[i], []).append(i)
    log.debug("clustered %d articles into %d stories", len(articles), len(groups))
    return sorted(groups.values(), key=lambda g: g[0])

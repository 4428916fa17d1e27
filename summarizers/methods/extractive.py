"""Extractive summarization: a lead prior plus a small learned content score, then redundancy removal.

Why this shape: on news the lead is very hard to beat (journalists front-load the facts), yet it fails
in recognisable ways — a quote-only line, a teaser question, a sentence repeating the first one — while
pure centrality rankers (LexRank/TextRank) ignore position entirely. So each sentence gets a handful of
cheap content features (length, TF-IDF centrality as centroid cosine and a LexRank-style eigenvector
score, word-overlap degree, overlap with the title and with the first sentence, quote and first-person
markers, caption/fragment markers) and a pairwise logistic regression fitted on the shared dev data turns
them into one content score. The final score is ``-index + w(budget) * content + length term``: the
content weight grows with the share of the article the summary may keep (`Prior`), so 3 sentences of 30
stay close to the lead while half an article follows content. Selection walks the ranking and skips a
sentence too similar to one already chosen.

The weights live in `summarizers/methods/extractive_model.py`, written by `benchmarks/train_extractive.py`, which
also reports k-fold cross-validated ROUGE (folds by article) so the published figures are honest.
Everything is numpy over a per-document vocabulary: no model download, about 1-2 ms per article.
"""

from __future__ import annotations

import logging
import math
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

import numpy as np

from summarizers.segment import OPENING_QUOTES, split_sentences, tokenize_words
from summarizers.types import Sentence

log = logging.getLogger(__name__)


class SentenceSummarizer(Protocol):
    """What every sentence-selecting summarizer here offers (extractive and the baselines)."""

    name: str

    def __call__(self, text: str, count: int = 3, *, title: str | None = None) -> list[Sentence]: ...


# Function words carry no topic; leaving them out keeps similarities about content.
STOP_WORDS = frozenset(
    """a about above after again against all almost also although always am among an and another any are
    around as at be because been before being below between both but by can cannot could did do does doing
    done down during each either else even ever every few for from further get gets got had has have having
    he her here hers herself him himself his how however i if in into is it its itself just last least
    less let like made make many may me might more most much must my myself neither never no nor not now of
    off often on once one only or other others our ours ourselves out over own per perhaps rather really
    said same say says she should since so some still such than that the their theirs them themselves then
    there these they this those though through thus to too two under until up upon us very via was we well
    were what whatever when where whether which while who whom whose why will with within without would yet
    you your yours yourself yourselves mr mrs ms dr""".split()
)
FIRST_PERSON = frozenset("i me my mine we us our ours i'm i’m we're we’re i've i’ve we've we’ve".split())
DANGLING_OPENERS = frozenset("but and or so he she it they this that these those his her their its".split())
TERMINAL = frozenset(".!?…\"”’')")

# Content features; where a sentence sits is handled by the position prior in `RankerModel.scores`.
FEATURES: tuple[str, ...] = (
    "paragraph_start",
    "log_words",
    "short",  # fewer than 8 words
    "long",  # more than 40 words
    "centroid",  # TF-IDF cosine with the whole document
    "lexrank",  # stationary probability on the cosine graph, times n
    "overlap_degree",  # TextRank-style word-overlap degree, normalised by the maximum
    "title",  # share of the title's content words in the sentence
    "first_similarity",  # cosine with the first sentence (1 for the first itself)
    "quote",
    "quote_start",
    "digit",
    "question",
    "content_share",  # content words / words
    "shared_words",  # share of content words that occur in another sentence
    "no_terminal",  # no final punctuation: headline, caption or fragment
    "first_person",
    "dangling_opener",  # starts with a pronoun or conjunction that needs the previous sentence
    "capitalised",  # share of capitalised words after the first: named entities
)
# A line without final punctuation and shorter than this is a headline or boilerplate, not a sentence a
# summary should quote; it is ranked after every real sentence. (Longer unpunctuated lines are usually
# photo captions, which summarise well, so the learned weights decide about those.)
FRAGMENT_WORDS = 12
FRAGMENT_OFFSET = 1e6
# Beyond this many sentences the quadratic similarity matrix stops being cheap; later ones are not ranked.
MAX_SENTENCES = 600


@lru_cache(maxsize=100_000)
def stem_word(word: str) -> str:
    """Lower-case and strip possessives and plural -s: a light, fast stand-in for stemming."""
    w = word.lower().replace("’", "'")
    if w.endswith("'s"):
        w = w[:-2]
    if len(w) > 4 and w.endswith("ies"):
        return w[:-3] + "y"
    if len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
        return w[:-1]
    return w


@dataclass(frozen=True, slots=True)
class Analysis:
    """Sentences of one document with their content features (rows follow `sentences`, columns
    `FEATURES`), the TF-IDF cosine similarity between sentences (for redundancy checks), and which
    sentences are fragments: short lines without final punctuation (headlines, bylines, boilerplate)."""

    sentences: list[Sentence]
    features: np.ndarray
    similarity: np.ndarray
    fragments: np.ndarray


_PARAGRAPH_GAP = re.compile(r"\n[^\S\n]*\n")
_QUOTE = re.compile("[\"“”«»]")
_DIGIT = re.compile(r"\d")


def analyze(text: str, *, title: str | None = None) -> Analysis:
    """Split `text` and compute every sentence's features; the same code serves ranking and training.

    Only the first `MAX_SENTENCES` sentences are analysed, which keeps memory bounded on huge inputs.
    """
    sentences = split_sentences(text)
    if len(sentences) > MAX_SENTENCES:
        log.debug("ranking the first %d of %d sentences", MAX_SENTENCES, len(sentences))
        sentences = sentences[:MAX_SENTENCES]
    n = len(sentences)
    if n == 0:
        return Analysis([], np.zeros((0, len(FEATURES))), np.zeros((0, 0)), np.zeros(0, dtype=bool))
    words = [tokenize_words(s.text) for s in sentences]
    content = [[stem_word(w) for w in ws if w.lower() not in STOP_WORDS and not w.isdigit()] for ws in words]

    vocab: dict[str, int] = {}
    rows: list[int] = []
    cols: list[int] = []
    for i, terms in enumerate(content):
        for term in terms:
            rows.append(i)
            cols.append(vocab.setdefault(term, len(vocab)))
    width = max(len(vocab), 1)
    flat = np.asarray(rows, dtype=np.int64) * width + np.asarray(cols, dtype=np.int64)
    tf = np.bincount(flat, minlength=n * width).astype(np.float32).reshape(n, width)
    binary = (tf > 0).astype(np.float32)
    df = binary.sum(axis=0)
    tfidf = tf * (np.log((n + 1) / (df + 1)) + 1.0).astype(np.float32)
    norms = np.sqrt((tfidf * tfidf).sum(axis=1))
    norms[norms == 0] = 1.0
    # Only words found in two or more sentences contribute to dot products between sentences; keeping
    # the matrix products that small keeps them cheap and single-threaded in BLAS.
    common = df > 1
    similarity = (tfidf[:, common] @ tfidf[:, common].T).astype(np.float64) / np.outer(norms, norms)
    np.fill_diagonal(similarity, 0.0)

    doc = tfidf.sum(axis=0)
    centroid = (tfidf * doc).sum(axis=1) / (norms * (np.sqrt((doc * doc).sum()) or 1.0))
    lexrank = _stationary(similarity) * n
    distinct = binary.sum(axis=1)
    overlap = binary[:, common] @ binary[:, common].T
    np.fill_diagonal(overlap, distinct)
    log_len = np.log(distinct + 1.0)
    degree = (overlap / (log_len[:, None] + log_len[None, :] + 1e-9)).sum(axis=1)
    degree = degree / (degree.max() or 1.0)
    shared = binary[:, common].sum(axis=1) / np.maximum(distinct, 1.0)

    title_terms = {stem_word(w) for w in tokenize_words(title or "") if w.lower() not in STOP_WORDS}
    paragraph_starts = _paragraph_starts(text, sentences)

    feats = np.zeros((n, len(FEATURES)))
    for i, (sentence, ws, terms) in enumerate(zip(sentences, words, content, strict=True)):
        n_words = len(ws)
        lowered = [w.lower() for w in ws]
        caps = sum(1 for w in ws[1:] if w[:1].isupper())
        body = sentence.text
        feats[i] = (
            float(paragraph_starts[i]),
            math.log(n_words + 1),
            float(n_words < 8),
            float(n_words > 40),
            centroid[i],
            lexrank[i],
            degree[i],
            len(title_terms.intersection(terms)) / len(title_terms) if title_terms else 0.0,
            1.0 if i == 0 else similarity[0, i],
            float(_QUOTE.search(body) is not None),
            float(body[0] in OPENING_QUOTES),
            float(_DIGIT.search(body) is not None),
            float(body.endswith("?")),
            len(terms) / max(n_words, 1),
            shared[i],
            float(body[-1] not in TERMINAL),
            float(any(w in FIRST_PERSON for w in lowered)),
            float(bool(lowered) and lowered[0] in DANGLING_OPENERS),
            caps / max(n_words - 1, 1),
        )
    word_counts = np.array([len(ws) for ws in words])
    fragments = (feats[:, FEATURES.index("no_terminal")] > 0) & (word_counts < FRAGMENT_WORDS)
    return Analysis(sentences, feats, similarity, fragments)


def _stationary(similarity: np.ndarray, damping: float = 0.85, iterations: int = 30) -> np.ndarray:
    """Continuous LexRank: PageRank over the cosine-similarity graph (isolated sentences jump uniformly)."""
    n = similarity.shape[0]
    row_sums = similarity.sum(axis=1)
    safe = np.where(row_sums == 0, 1.0, row_sums)
    transition = np.where(row_sums[:, None] > 0, similarity / safe[:, None], 1.0 / n)
    p = np.full(n, 1.0 / n)
    for _ in range(iterations):
        nxt = (1.0 - damping) / n + damping * (transition.T @ p)
        if np.abs(nxt - p).sum() < 1e-6:
            return nxt
        p = nxt
    return p


def _paragraph_starts(text: str, sentences: Sequence[Sentence]) -> list[bool]:
    """Whether each sentence opens a paragraph (first sentence, or a blank line before it)."""
    out: list[bool] = []
    prev_end = 0
    for i, s in enumerate(sentences):
        out.append(i == 0 or _PARAGRAPH_GAP.search(text, prev_end, s.start) is not None)
        prev_end = s.end
    return out


@dataclass(frozen=True, slots=True)
class Prior:
    """How position, content and length trade off, as a function of the budget `count / n`.

    A short summary of a news article (3 of 30 sentences) should stay close to the lead; a long one
    (half the article) should follow content. So the content weight and the redundancy threshold are
    interpolated between a "small" and a "large" budget anchor (log-linearly for the weight).
    """

    budget_small: float
    budget_large: float
    content_small: float
    content_large: float
    length: float
    redundancy_small: float
    redundancy_large: float

    def _t(self, budget: float) -> float:
        span = self.budget_large - self.budget_small
        return float(np.clip((budget - self.budget_small) / span, -0.5, 1.5))

    def content_weight(self, budget: float) -> float:
        lo, hi = math.log(self.content_small), math.log(self.content_large)
        return math.exp(lo + (hi - lo) * self._t(budget))

    def redundancy(self, budget: float) -> float:
        return self.redundancy_small + (self.redundancy_large - self.redundancy_small) * self._t(budget)


@dataclass(frozen=True, slots=True)
class RankerModel:
    """The learned part of the ranker: standardised features times weights, plus the `Prior`."""

    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    prior: Prior

    def content(self, features: np.ndarray) -> np.ndarray:
        """How summary-worthy each sentence reads, ignoring where it sits."""
        return ((features - self.mean) / self.scale) @ self.weights

    def scores(self, analysis: Analysis, count: int) -> np.ndarray:
        """Final score: -index (the lead prior) + budget-dependent content weight + length term;
        fragments are offset by `FRAGMENT_OFFSET` so they rank last."""
        n = len(analysis.sentences)
        budget = min(count, n) / n
        log_words = analysis.features[:, FEATURES.index("log_words")]
        scores = (
            -np.arange(n, dtype=float)
            + self.prior.content_weight(budget) * self.content(analysis.features)
            + self.prior.length * log_words
        )
        # Fragments go below every real sentence, keeping their relative order among themselves.
        return np.where(analysis.fragments, scores - FRAGMENT_OFFSET, scores)

    def redundancy(self, n: int, count: int) -> float:
        return self.prior.redundancy(min(count, n) / n)


@lru_cache(maxsize=1)
def load_ranker() -> RankerModel:
    """The shipped weights (read once per process); refuse them if fitted for another feature list."""
    from summarizers.methods import extractive_model as m

    if tuple(m.FEATURES) != FEATURES:
        raise RuntimeError("summarizers/methods/extractive_model.py does not match FEATURES; rerun train_extractive")
    return RankerModel(
        mean=np.asarray(m.MEAN, dtype=float),
        scale=np.asarray(m.SCALE, dtype=float),
        weights=np.asarray(m.WEIGHTS, dtype=float),
        prior=Prior(**m.PRIOR),
    )


class ExtractiveSummarizer:
    """Rank sentences with the lead prior plus the learned content score; choose the best `count`,
    skipping near-repeats."""

    name = "extractive"

    def __init__(self, model: RankerModel | None = None) -> None:
        self.model = model or load_ranker()

    def rank(self, text: str, *, title: str | None = None, count: int = 3) -> list[tuple[Sentence, float]]:
        """All analysed sentences with scores, best first (ties keep document order).

        `count` is the summary size the ranking is for: small summaries lean on position, large on content.
        """
        analysis = analyze(text, title=title)
        if not analysis.sentences:
            return []
        scores = self.model.scores(analysis, max(count, 1))
        order = np.argsort(-scores, kind="stable")
        return [(analysis.sentences[i], float(scores[i])) for i in order]

    def __call__(self, text: str, count: int = 3, *, title: str | None = None) -> list[Sentence]:
        """The best `count` sentences in document order."""
        if count <= 0:
            return []
        analysis = analyze(text, title=title)
        n = len(analysis.sentences)
        if n == 0:
            return []
        scores = self.model.scores(analysis, count)
        chosen = select(scores, analysis.similarity, count, self.model.redundancy(n, count))
        return [analysis.sentences[i] for i in sorted(chosen)]


def select(scores: np.ndarray, similarity: np.ndarray, count: int, redundancy: float) -> list[int]:
    """Greedy pick by score; a sentence whose cosine with a chosen one exceeds `redundancy` is skipped
    unless nothing else is left to fill `count`."""
    order = [int(i) for i in np.argsort(-scores, kind="stable")]
    chosen: list[int] = []
    skipped: list[int] = []
    for i in order:
        if len(chosen) >= count:
            break
        if chosen and similarity[i, chosen].max() > redundancy:
            skipped.append(i)
        else:
            chosen.append(i)
    chosen.extend(skipped[: max(0, count - len(chosen))])
    return chosen


_shared: ExtractiveSummarizer | None = None
_shared_lock = threading.Lock()


def summarize_extractive(text: str, count: int = 3, title: str | None = None) -> list[Sentence]:
    """Module-level convenience over one shared `ExtractiveSummarizer` (weights loaded once)."""
    global _shared
    if _shared is None:
        with _shared_lock:
            if _shared is None:
                _shared = ExtractiveSummarizer()
    return _shared(text, count, title=title)

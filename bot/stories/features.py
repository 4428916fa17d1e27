"""What an article says, reduced to what tells one event from another: weighted words, names, numbers, a date.

Rewrites of one event by different outlets share few word sequences but the same people, places,
figures and rare words; the same person doing something else on another day shares the names but not
the action words or the numbers, and not the date. So the features are a bag of stemmed content words
(title words count double), named-entity phrases and numbers, each weighted up, plus the event date.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from bot.articles.models import Article
from summarizers.methods.extractive import STOP_WORDS, stem_word

# Bumped whenever the terms an article yields change (stemming, names, figures): stored story signatures
# of another version are rebuilt from their articles, so old and new terms never meet in one cosine.
FEATURES_VERSION = 2
MAX_TEXT_CHARS = 6_000  # the top of an article says what happened; the rest adds background, not identity
ENTITY_WEIGHT = 2.0
NUMBER_WEIGHT = 1.5
TITLE_WEIGHT = 1.0  # added to a word's weight when it is also in the headline

_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*"
                   r"|\d[\d,.]*(?:\s?(?:%|(?:per\s?cent|bn|billion|tn|trillion|m|million|k)\b))?", re.UNICODE)
# One figure, however an outlet writes it: "1.1 billion" = "1.1bn", "12 per cent" = "12%", "twelve" = "12".
_SCALE = {"billion": "bn", "bn": "bn", "trillion": "tn", "tn": "tn", "million": "m", "m": "m", "k": "k",
          "%": "%", "percent": "%", "per cent": "%"}
_NUMBER_WORDS = {w: str(n) for n, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty".split()) if n >= 3}
_NUMBER_WORDS.update({"thirty": "30", "forty": "40", "fifty": "50", "sixty": "60", "seventy": "70",
                      "eighty": "80", "ninety": "90", "hundred": "100"})
_ENTITY = re.compile(r"\b(?:[A-Z][\w’'-]+|[A-Z]\.)(?:\s+(?:of\s+|the\s+|de\s+)?[A-Z][\w’'-]+)*")
# Words every political story uses: they say nothing about which event this is.
NEWS_WORDS = frozenset({
    "said", "say", "says", "told", "tell", "according", "mr", "mrs", "ms", "dr", "year", "years", "week",
    "weeks", "day", "days", "today", "yesterday", "tomorrow", "monday", "tuesday", "wednesday", "thursday",
    "friday", "saturday", "sunday", "time", "people", "new", "also", "would", "could", "one", "two", "like",
    "just", "added", "including", "news", "report", "reported", "statement", "comment", "comments",
})
ENTITY_STOP = frozenset({"the", "a", "an", "but", "and", "in", "on", "at", "it", "he", "she", "they", "we", "i",
                         "this", "that", "his", "her", "their", "mr", "mrs", "ms", "dr", "sir", "however"})
_DAY_NAMES = frozenset(w for w in NEWS_WORDS if w.endswith("day") and len(w) > 5)


@dataclass(frozen=True, slots=True)
class ArticleFeatures:
    """An article's weighted terms (`w:` words, `e:` names, `n:` numbers), its event date, and its
    anchors: headline words, names and numbers of two or more digits. An article joins a story only if
    they share an anchor, so a story told with the same boilerplate about another subject stays apart."""

    terms: dict[str, float]
    when: datetime | None
    anchors: frozenset[str] = frozenset()
    days: frozenset[str] = frozenset()  # ISO dates the text says things happened ("on Tuesday")


def _number(token: str) -> str | None:
    """A figure in one canonical form ("1,200" -> "1200", "1.1 billion" -> "1.1bn"); None for a year,
    which every story of that year shares, and for text without digits."""
    m = re.match(r"(\d[\d,.]*?)[.,]?(?:\s?(%|per\s?cent|bn|billion|tn|trillion|m|million|k))?$", token)
    if m is None:
        return None
    digits, scale = m.group(1).replace(",", ""), m.group(2)
    if not scale and len(digits) == 4 and digits.isdigit() and digits.startswith(("19", "20")):
        return None
    if scale:
        digits += _SCALE[re.sub(r"\s+", " ", scale.lower())]
    return digits


def _starts_sentence(text: str, at: int) -> bool:
    i = at - 1
    while i >= 0 and text[i] in " \t\"“‘'(":
        i -= 1
    return i < 0 or text[i] in ".!?\n:"


_SUFFIXES = ("ings", "ing", "ments", "ment", "ed")
# Phrases outlets use for one another when telling the same political news: "stands down" meets
# "resigned" (after stemming), "Scotland Yard" and "the Met" meet "Metropolitan Police".
_PHRASES = ((re.compile(r"\b(?:step|stepp|stand|stood)\w*\s+down\b", re.I), "resigns"),
            (re.compile(r"\bScotland Yard\b|\bthe Met\b(?! Office)"), "Metropolitan Police"))


@lru_cache(maxsize=65_536)
def _stem(word: str) -> str:
    """`stem_word` plus -ing/-ed/-ment and a final -e or doubled consonant off, so an outlet's "admitting",
    "ruled", "retirement" meets another's "admit", "rule", "retire" (only in clustering: the
    summarisers keep their lighter stemming)."""
    w = stem_word(word)
    if w in _COMMON_CAPS:
        return w  # stop words stay recognisable ("there", "before", "since")
    for suffix in _SUFFIXES:
        if w.endswith(suffix) and len(w) - len(suffix) >= 3:
            w = w[: -len(suffix)]
            break
    if len(w) > 3 and w.endswith("e"):
        w = w[:-1]
    if len(w) > 3 and w[-1] == w[-2] and w[-1] not in "aeiouls":
        w = w[:-1]
    if w in _COMMON_CAPS:
        return stem_word(word)  # "Sayeed" is not "say", a news word that would drop the name
    return w


def _entities(text: str) -> list[str]:
    """Capitalised phrases, minus sentence-initial single words that the text never capitalises
    elsewhere ("The", "Asked whether ...", "Former leader ..."): at the start of a sentence a capital
    says nothing, and such words would count double as names that one outlet happened to open with."""
    found = []
    matches = list(_ENTITY.finditer(text))
    mid_caps = {w for m in matches if len(m.group(0).split()) > 1 or not _starts_sentence(text, m.start())
                for w in m.group(0).split()}
    for m in matches:
        phrase = m.group(0)
        words = phrase.split()
        if len(words) == 1:
            w = words[0].lower().rstrip(".")
            if w in _COMMON_CAPS:
                continue
            if words[0] not in mid_caps and _starts_sentence(text, m.start()):
                continue
        while words and words[0].lower() in ENTITY_STOP:
            words = words[1:]
        stems = [_stem(w) for w in words]
        if 0 < len(stems) <= 2:
            found.append(" ".join(stems))
        # "Mid-Bedfordshire MP Jonathan Sayeed" and "Jonathan Sayeed, the MP for ..." must share a name:
        # a long capitalised run counts as its word pairs ("Palace of Westminster": no "of" pairs).
        if len(stems) > 2:
            found.extend(f"{a} {b}" for a, b in zip(stems, stems[1:], strict=False)
                         if a not in _CONNECTORS and b not in _CONNECTORS)
    return found


_CONNECTORS = frozenset({"of", "the", "de"})
_COMMON_CAPS = STOP_WORDS | NEWS_WORDS | ENTITY_STOP


_WEEKDAY = re.compile(r"\b(next\s+|last\s+)?(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b")
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MAX_DAYS_BACK = 6


def event_days(text: str, when: datetime | None) -> frozenset[str]:
    """The dates weekday mentions point at, counted back from the article's date: "arrested on Tuesday"
    in a Wednesday paper is the day before. Rewrites of one event name the same day; the same figure's
    next move names another. "next Friday" is skipped; an unknown article date gives no days."""
    if when is None:
        return frozenset()
    days = set()
    for m in _WEEKDAY.finditer(text):
        if m.group(1) and m.group(1).lower().startswith("next"):
            continue
        back = (when.weekday() - _WEEKDAYS.index(m.group(2).lower())) % 7
        if m.group(1):  # "last Tuesday": at least a day back
            back = back or 7
        if back <= MAX_DAYS_BACK:
            days.add((when - timedelta(days=back)).date().isoformat())
    return frozenset(days)


def article_features(article: Article, *, when: datetime | None = None) -> ArticleFeatures:
    """Features of one article; `when` overrides the event date (default: published)."""
    text = article.text[:MAX_TEXT_CHARS]
    title = article.title or ""
    for pattern, same in _PHRASES:
        text, title = pattern.sub(same, text), pattern.sub(same, title)
    counts: Counter[str] = Counter()
    for source in (title, text):
        for token in _WORD.findall(source):
            if token[0].isdigit() or token.lower() in _NUMBER_WORDS:
                num = _number(_NUMBER_WORDS.get(token.lower(), token))
                if num:
                    counts["n:" + num] += 1
                continue
            w = _stem(token)
            if len(w) < 3 or w in STOP_WORDS or w in NEWS_WORDS:
                continue
            counts["w:" + w] += 1
    for phrase in _entities(title) + _entities(text):
        if phrase not in _DAY_NAMES:
            counts["e:" + phrase] += 1
    title_words = {"w:" + _stem(t) for t in _WORD.findall(title)}
    terms: dict[str, float] = {}
    for term, n in counts.items():
        weight = 1.0 + math.log(n)
        if term.startswith("e:"):
            weight *= ENTITY_WEIGHT
        elif term.startswith("n:"):
            weight *= NUMBER_WEIGHT
        elif term in title_words:
            weight += TITLE_WEIGHT
        terms[term] = weight
    anchors = frozenset(t for t in terms if t.startswith("e:") or t in title_words
                        or (t.startswith("n:") and sum(c.isdigit() for c in t) >= 2))
    when = when if when is not None else article.published
    return ArticleFeatures(terms, when, anchors, event_days(f"{title}\n{text}", when))

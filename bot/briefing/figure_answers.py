"""Answer "what did X say (about Y)?", "who is X?" and "what's the latest on X?" from stored articles.

The answer is built only from the articles: quotes that the quote extractor attributes to the figure
and sentences that mention them, each with the article's link, newest article first. When the name is
unknown, ambiguous ("Trump" with Donald and Melania Trump both named) or misspelled with no clear
match, the answer says so and offers the closest names instead of guessing.

Cost control: a cheap lexical filter (query words, or capitalised words within a small edit distance
for misspellings) picks candidate articles before any spaCy work; at most `max_articles` of them, the
newest, are analysed. `quotes_for` and `people_for` let the caller cache per-article extraction.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

from rapidfuzz import fuzz, process

from bot.articles.models import Article
from bot.briefing.models import FigureAnswer, Link, MentionItem, QuoteItem
from summarizers.people.names import (
    TITLE_WORDS,
    Roster,
    build_roster,
    find_people,
    fold,
    match_name,
    name_tokens,
    sentences,
)
from summarizers.people.questions import Question, parse_question
from summarizers.people.quotes import extract_quotes
from summarizers.types import Person, Quote, Sentence

log = logging.getLogger(__name__)
T = TypeVar("T")

HELP = ("I can answer questions like “what did Elon Musk say?”, “what did Trump say about the border?”, "
        "“who is Shawn Fain?” or “what's the latest on Kamala Harris?”.")
MAX_ARTICLES = 60  # newest candidate articles analysed per question
PER_ARTICLE_MENTIONS = 2
FUZZY_WORD_SCORE = 80
_STOPWORDS = frozenset(
    """the a an of on in to and or for with about from by at is are was were be been what who did does
    say said new latest news mr mrs ms dr""".split()
)
_CAPITALISED = re.compile(r"\b[A-Z][\w'’-]{2,}")
_WORD = re.compile(r"[\w'’-]+")


@dataclass(slots=True)
class _Analysis:
    """One article with its people and (when the figure may be in it) its quotes."""

    article: Article
    people: list[Person]
    quotes: list[Quote] | None = None


def answer_question(
    question: str,
    articles: Sequence[Article],
    *,
    quotes_for: Callable[[Article], list[Quote]] | None = None,
    people_for: Callable[[Article], list[Person]] | None = None,
    limit: int = 5,
    max_articles: int = MAX_ARTICLES,
) -> FigureAnswer:
    """Answer a question about a public figure (or a topic) from `articles`; never raises on bad input.

    `quotes_for` defaults to `extract_quotes(article.text)`, `people_for` to `find_people(article.text)`;
    pass cached versions to avoid re-extracting. `limit` caps quotes and mentions separately.
    """
    limit = max(1, limit)
    parsed = parse_question(question or "")
    if parsed is None:
        return FigureAnswer(question, None, "latest", message=HELP)
    query = parsed.name or parsed.topic or ""
    if not articles:
        return FigureAnswer(question, None, parsed.intent,
                            message="I have no articles yet, so I cannot answer that.")
    candidates = _candidates(query, articles)[:max_articles]
    if not candidates:
        return _nothing_known(question, parsed)
    get_people = people_for or (lambda a: find_people(a.text))
    get_quotes = quotes_for or (lambda a: extract_quotes(a.text))
    analyses = []
    for article in candidates:
        people = _safe(get_people, article)
        analysis = _Analysis(article, people)
        if parsed.name and _may_mention(parsed.name, people):
            analysis.quotes = _safe(get_quotes, article)  # now, while the article's parse is cached
        analyses.append(analysis)
    roster = build_roster(a.people for a in analyses)
    match = match_name(query, roster.people, roster.counts)
    if match.person is None:
        if match.ambiguous:
            return FigureAnswer(question, None, parsed.intent, suggestions=match.candidates,
                                message=f"Several people called “{query}” appear in my articles. "
                                        "Which one do you mean?")
        if parsed.name is None:
            return _topic_answer(question, parsed, candidates, limit)
        if match.candidates:
            return FigureAnswer(question, None, parsed.intent, suggestions=match.candidates,
                                message=f"I don't know anyone called “{parsed.name}” in my articles.")
        return _nothing_known(question, parsed)
    figure = match.person.name
    for analysis in analyses:
        if analysis.quotes is None and _people_named(figure, analysis.people, roster):
            analysis.quotes = _safe(get_quotes, analysis.article)
    return _figure_answer(question, parsed, figure, roster, analyses, limit)


def _safe(extract: Callable[[Article], list[T]], article: Article) -> list[T]:
    """One unreadable article must not sink the answer: log it and go on without it."""
    try:
        return extract(article)
    except Exception:  # a parser failure on one article
        log.warning("could not analyse article %r", article.label, exc_info=True)
        return []


def _nothing_known(question: str, parsed: Question) -> FigureAnswer:
    if parsed.name:
        message = f"I have no articles that mention {parsed.name}."
    else:
        message = f"I have no articles about {parsed.topic}."
    return FigureAnswer(question, None, parsed.intent, message=message)


# -- picking articles ---------------------------------------------------------------------------


def query_words(query: str) -> list[str]:
    """The words of a query worth searching for: folded, without stop words and titles."""
    words = [fold(w).strip("'’.") for w in _WORD.findall(query)]
    return [w for w in words if len(w) >= 2 and w not in _STOPWORDS and w not in TITLE_WORDS] or [
        fold(w) for w in _WORD.findall(query)
    ]


def _candidates(query: str, articles: Sequence[Article]) -> list[Article]:
    """Articles that contain a query word, or a capitalised word close to one (misspellings), newest
    first (undated last, then in the given order)."""
    words = query_words(query)
    if not words:
        return []
    texts = {id(a): fold(f"{a.title}\n{a.text}") for a in articles}
    hits = [a for a in articles if any(_has_word(texts[id(a)], w) for w in words)]
    if not hits:
        vocabulary: dict[str, list[Article]] = {}
        for a in articles:
            for word in set(_CAPITALISED.findall(a.text)):
                vocabulary.setdefault(fold(word), []).append(a)
        close: set[int] = set()
        for w in words:
            if len(w) < 4:
                continue
            for choice, _, _ in process.extract(w, list(vocabulary), scorer=fuzz.ratio,
                                                score_cutoff=FUZZY_WORD_SCORE, limit=5):
                close.update(id(a) for a in vocabulary[choice])
        hits = [a for a in articles if id(a) in close]
    order = {id(a): i for i, a in enumerate(articles)}
    return sorted(hits, key=lambda a: (-_timestamp(a.published), order[id(a)]))


def _has_word(text: str, word: str) -> bool:
    return re.search(r"(?<![\w])" + re.escape(word) + r"(?![\w])", text) is not None


def _timestamp(published: datetime | None) -> float:
    if published is None:
        return float("-inf")
    return (published if published.tzinfo else published.replace(tzinfo=UTC)).timestamp()


def _may_mention(name: str, people: Sequence[Person]) -> bool:
    """Could `name` be one of these people? (Cheap check before extracting an article's quotes.)"""
    words = set(query_words(name))
    for p in people:
        tokens = {fold(w) for w in name_tokens(p.name)} | {fold(a) for a in p.aliases}
        if words & tokens or any(fuzz.ratio(w, t) >= FUZZY_WORD_SCORE for w in words for t in tokens):
            return True
    return False


def _people_named(figure: str, people: Sequence[Person], roster: Roster) -> list[Person]:
    return [p for p in people if roster.merged_name(p.name) == figure]


# -- building the answer ------------------------------------------------------------------------


def _link(article: Article) -> Link:
    return Link(title=article.label, url=article.url, source=article.source, published=article.published)


def _figure_answer(question: str, parsed: Question, figure: str, roster: Roster,
                   analyses: Sequence[_Analysis], limit: int) -> FigureAnswer:
    topic_words = _topic_words(parsed.topic, roster)
    quotes: list[tuple[tuple[float, int, int], QuoteItem]] = []
    mentions: list[tuple[tuple[float, ...], MentionItem]] = []
    seen_quotes: set[str] = set()
    seen_sentences: set[str] = set()
    off_topic: list[tuple[int, int, MentionItem]] = []
    for rank, analysis in enumerate(analyses):  # analyses are newest first
        article, people = analysis.article, _people_named(figure, analysis.people, roster)
        if not people:
            continue
        sents = sentences(article.text)
        for q in analysis.quotes or []:
            if roster.merged_name(q.speaker) != figure or _norm(q.quote) in seen_quotes:
                continue
            context = _sentence_around(sents, q.start, q.end, article.text)
            if topic_words and not mentions_topic(f"{q.quote} {context}", topic_words):
                continue
            seen_quotes.add(_norm(q.quote))
            short = q.partial and len(q.quote.split()) <= 3
            quotes.append(((rank, int(q.partial) + int(short), q.start),
                           QuoteItem(figure, q.quote, q.partial, _link(article))))
        spans = sorted(span for p in people for span in p.mentions)
        roles = [a for p in people for a in p.aliases if not set(a.split()) <= set(p.name.split())]
        scored = []
        for position, sent in enumerate(sents):
            if not any(s < sent.end and sent.start < e for s, e in spans):
                continue
            if _norm(sent.text) in seen_sentences:
                continue
            if topic_words and not mentions_topic(sent.text, topic_words):
                off_topic.append((rank, position, MentionItem(" ".join(sent.text.split()), _link(article))))
                continue
            score = _mention_score(sent, spans, roles, topic_words, parsed.intent, article.text)
            scored.append((score, position, sent))
        scored.sort(key=lambda t: (-t[0], t[1]))
        for score, position, sent in scored[:PER_ARTICLE_MENTIONS]:
            seen_sentences.add(_norm(sent.text))
            descriptive = 0 if parsed.intent == "who" and score >= _DESCRIPTIVE else 1
            order: tuple[float, ...] = (
                (descriptive, rank, -score, position) if parsed.intent == "who" else (rank, -score, position))
            mentions.append((order, MentionItem(" ".join(sent.text.split()), _link(article))))
    quotes.sort(key=lambda t: t[0])
    mentions.sort(key=lambda t: t[0])
    if not mentions:  # nothing on the topic: say what there is about the figure, newest first
        mentions = [((r, p), item) for r, p, item in sorted(off_topic, key=lambda t: (t[0], t[1]))]
    quote_items = tuple(q for _, q in quotes[:limit]) if parsed.intent != "who" else ()
    if parsed.intent == "latest":
        quote_items = quote_items[:2]
    mention_items = tuple(m for _, m in mentions[:limit])
    message = None
    if parsed.intent == "said" and not quote_items:
        about = f" about {parsed.topic}" if parsed.topic else ""
        message = f"I found no quotes from {figure}{about} in my articles."
        if mention_items:
            message += " Here is what they say about them."
    elif not quote_items and not mention_items:
        message = f"I have no articles that mention {figure}."
    return FigureAnswer(question, figure, parsed.intent, quotes=quote_items, mentions=mention_items,
                        message=message)


_DESCRIPTIVE = 4.0  # a sentence scoring this much introduces the person (role, appositive, "is a")


def _mention_score(sent: Sentence, spans: Sequence[tuple[int, int]], roles: Sequence[str],
                   topic_words: Sequence[str], intent: str, text: str) -> float:
    """How useful a sentence is about the figure: mentioned early and as subject, introduced with a
    role or appositive ("who is" questions), on the asked topic; headlines and fragments score low."""
    body = sent.text
    score = 1.0
    inside = [s for s, e in spans if sent.start <= s < sent.end]
    if inside and inside[0] - sent.start < 25:
        score += 1.0
    folded = fold(body)
    if any(fold(role) in folded for role in roles):
        score += 3.0
    if inside and re.match(r"[\w.'’ -]{0,40}?(?:,\s+(?:a|an|the|who)\b|\s+(?:is|was)\s+(?:a|an|the)\b)",
                           text[inside[0]:sent.end]):
        score += 2.0
    if topic_words and mentions_topic(body, topic_words):
        score += 3.0
    if not re.search(r"[.!?\"”’)]$", body.strip()):
        score -= 2.0  # a headline or caption
    if len(body) < 40 or len(body) > 400:
        score -= 1.0
    if intent == "who" and ("“" in body or '"' in body):
        score -= 0.5
    return score


def _topic_words(topic: str | None, roster: Roster) -> list[str]:
    """Words that show a quote or sentence is about the topic; a person topic adds their names."""
    if not topic:
        return []
    words = [w for w in query_words(topic) if len(w) >= 2]
    person = match_name(topic, roster.people, roster.counts).person
    if person is not None:
        words += [fold(a) for a in {person.name, *person.aliases}]
    return words


def mentions_topic(text: str, words: Sequence[str]) -> bool:
    """Whether `text` has any of the words (or a word starting with its crude stem)."""
    folded = fold(text)
    return any(re.search(r"(?<![\w])" + re.escape(_stem(w)), folded) for w in words)


def _stem(word: str) -> str:
    """A crude prefix so "immigration" also finds "immigrants" and "tariffs" finds "tariff"."""
    return word[: max(4, len(word) - 3)] if len(word) > 6 else word.rstrip("s") if len(word) > 3 else word


def _sentence_around(sents: Sequence[Sentence], start: int, end: int, text: str) -> str:
    """The sentences a quote spans plus its attribution (`…,” Musk told Trump.`), for topic matching."""
    around = [s for s in sents if s.start <= end + 2 and start - 2 <= s.end]
    return " ".join(s.text for s in around) if around else text[max(0, start - 80):end + 80]


def _norm(text: str) -> str:
    return " ".join(_WORD.findall(fold(text)))


def _topic_answer(question: str, parsed: Question, articles: Sequence[Article], limit: int) -> FigureAnswer:
    """"What's the latest on the border?": the newest sentences on the topic, one or two per article."""
    words = query_words(parsed.topic or "")
    mentions: list[MentionItem] = []
    seen: set[str] = set()
    for article in articles:  # newest first
        hits = [s for s in sentences(article.text) if mentions_topic(s.text, words)]
        hits.sort(key=lambda s: -sum(mentions_topic(s.text, [w]) for w in words))
        for sent in hits[:PER_ARTICLE_MENTIONS]:
            key = _norm(sent.text)
            if key not in seen:
                seen.add(key)
                mentions.append(MentionItem(" ".join(sent.text.split()), _link(article)))
        if len(mentions) >= limit:
            break
    if not mentions:
        return _nothing_known(question, parsed)
    return FigureAnswer(question, None, "latest", mentions=tuple(mentions[:limit]))

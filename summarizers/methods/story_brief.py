"""A story brief: three things to know about one event, written from several outlets' articles together.

A reader of a story told by three outlets should get the facts they share, see who reports each one,
and learn where they differ, instead of one outlet's version presented as the story. So:

* every point cites each outlet whose own text supports it (`Citation`: the article and the sentences,
  with offsets into that article, as `Point.sources` for one article). An outlet is cited only when its
  sentences cover the point's content words (`three_things.align`, MIN_SUPPORT), contain every name
  and number the point states, and do not negate it or change its time (`verify.check_point`; a
  model's point must also keep roles and hedges), so an outlet giving a different figure or the
  opposite claim is never cited for it;
* extractive path (no model): each article's usable sentences are ranked by the extractive ranker;
  a sentence scores by its rank in its article, plus LEAD_WEIGHT for an article's first sentence,
  plus AGREEMENT_WEIGHT for the share of other outlets that report the same fact (a sentence sharing
  most of its content words). The main event, which every outlet leads with, comes first; a fact already cited for a point is not picked again from
  another outlet;
* abstractive path: the model reads the best sentences of all outlets, each labelled with its outlet,
  and writes three bullets; a bullet no outlet supports, or that repeats a point, is replaced by the
  next extractive fact; a model failure falls back to the extractive brief, as in `three_things`;
* where outlets disagree on a number or a claim (`summarizers.methods.disagreements`), the brief lists
  who says what, points that state a disputed matter refer to it, and outlets on another side of it
  are not cited for that point.

A story of one article is briefed exactly as `three_things` briefs the article, with its one outlet cited.
Pure: text in, `StoryThreeThings` out; nothing here knows about storage or platforms.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from summarizers.methods.abstractive import AbstractiveModel, GenerationTimeout
from summarizers.methods.disagreements import SourceText, find_disagreements
from summarizers.methods.three_things import (
    align,
    bullets_written,
    content_words,
    headline,
    overlapping_points,
    parse_bullets,
    three_things,
    usable_sentences,
)
from summarizers.methods.verify import check_point
from summarizers.segment import split_sentences
from summarizers.types import (
    Citation,
    Disagreement,
    Sentence,
    SourceArticle,
    StoryLink,
    StoryPoint,
    StoryThreeThings,
)

log = logging.getLogger(__name__)

COUNT = 3
SYSTEM = "Use only facts stated in the reports."
INSTRUCTION = (
    "Write exactly three short bullet points, one line each, stating the three most important facts "
    'these reports give about the story. Start each line with "- ".'
)
CONTEXT_TOKENS = 450  # a little more than one article's: several outlets, yet small models lose the thread
SAME_FACT = 0.5  # share of the shorter sentence's content words two outlets' sentences must share
MIN_SHARED_WORDS = 3
AGREEMENT_WEIGHT = 1.0  # added for every other outlet reporting a fact, as a share of the others
LEAD_WEIGHT = 0.5  # added for an article's first usable sentence: news leads with the main event
MIN_SUPPORT = 0.5  # share of a point's content words an outlet's sentences must contain to be cited
MAX_DISAGREEMENTS = 5
CHECKED_SENTENCES = 15  # best-ranked sentences per article searched for disagreements
# For an extractive point (one outlet's own words), what stops another outlet's sentences from counting
# as support: a missing name or number, or the opposite or a changed time. Wording differences the
# other checks see between two outlets' paraphrases (who is the subject, a hedge, an attribution) do not.
BLOCKING_CHECKS = frozenset({"support", "grounding", "negation", "tense"})
# A model's point must also keep who did what and the source's hedges. An outlet that attributes the
# fact ("officials said") still reports it: the point is not rewritten per outlet (three_things does
# that for one article), so attribution alone does not stop a citation.
MODEL_BLOCKING_CHECKS = BLOCKING_CHECKS | {"roles", "qualifier"}
STATES_CLAIM = 0.5  # share of a disputed claim's content words a point must hold to be about it

_OUTLET_LABEL = re.compile(r"^\s*\[[^\]\n]{1,80}\]\s*[:-]?\s*")


@dataclass(frozen=True, slots=True)
class _Candidate:
    article: int
    outlet: str
    sentence: Sentence
    words: frozenset[str]
    rank: int


@dataclass(slots=True)
class _Fact:
    candidate: _Candidate
    score: float
    matches: dict[int, Sentence]  # article -> its sentence reporting the same fact


def brief_story(
    articles: Sequence[SourceArticle],
    model: AbstractiveModel | None = None,
    *,
    timeout_s: float | None = None,
    max_new_tokens: int = 160,
) -> StoryThreeThings:
    """Three points about the story told by `articles`, each citing the outlets that support it,
    with every link and the outlets' disagreements. Fewer points, with a `note`, when the articles hold
    fewer distinct facts."""
    links = tuple(
        StoryLink(outlet_name(a, i), a.title, a.url, a.published) for i, a in enumerate(articles)
    )
    usable = [i for i, a in enumerate(articles) if a.text.strip()]
    if not usable:
        return StoryThreeThings((), links, note="No usable facts in these articles.")
    if len(usable) == 1:
        return _single(articles[usable[0]], usable[0], links, model, timeout_s, max_new_tokens)
    sentences = {i: split_sentences(articles[i].text) for i in usable}
    ranked = {i: _candidates(articles[i], i, links[i].outlet) for i in usable}
    candidates = [c for i in usable for c in ranked[i]]
    facts = _facts(candidates)
    # The facts worth a brief are among each article's best sentences; parsing only those keeps a long
    # article from costing seconds and a side remark from raising a false "outlets differ".
    checked = [SourceText(links[i].outlet, i, sorted((c.sentence for c in ranked[i][:CHECKED_SENTENCES]),
                                                      key=lambda s: s.start)) for i in usable]
    disagreements = tuple(find_disagreements(checked)[:MAX_DISAGREEMENTS])
    fallback: str | None = None
    model_name: str | None = None
    if model is None or not facts:
        points = _extractive(facts, [], sentences, links, disagreements)
    else:
        try:
            prompt = _prompt(model, articles[usable[0]], facts, len({links[i].outlet for i in usable}))
            raw = model.generate([prompt], max_new_tokens=max_new_tokens, timeout_s=timeout_s, system=SYSTEM,
                                 stop_when=bullets_written(COUNT))[0]
        except GenerationTimeout as exc:
            log.warning("story brief: %s; using extractive points", exc)
            fallback = "timeout"
            points = _extractive(facts, [], sentences, links, disagreements)
        except Exception as exc:  # a briefing must survive any model failure; the trace goes to the log
            log.warning("story brief: model %s failed (%s); using extractive points", model.name, exc,
                        exc_info=True)
            fallback = "error"
            points = _extractive(facts, [], sentences, links, disagreements)
        else:
            points = _grounded(parse_bullets(raw)[:COUNT], facts, sentences, links, disagreements)
            if any(p.method == "abstractive" for p in points):
                model_name = model.name
    return StoryThreeThings(tuple(points), links, disagreements, _note(len(points)), model_name, fallback)


def outlet_name(article: SourceArticle, index: int) -> str:
    """The outlet's name; else its link's host; else "Source N", so every citation names someone."""
    if article.outlet.strip():
        return article.outlet.strip()
    host = urlsplit(article.url or "").hostname or ""
    return host.removeprefix("www.") or f"Source {index + 1}"


def _single(article: SourceArticle, index: int, links: tuple[StoryLink, ...], model: AbstractiveModel | None,
            timeout_s: float | None, max_new_tokens: int) -> StoryThreeThings:
    """One article: today's three things, each point citing its one outlet."""
    tt = three_things(article.text, title=article.title or None, model=model, timeout_s=timeout_s,
                      max_new_tokens=max_new_tokens)
    outlet = links[index].outlet
    points = tuple(StoryPoint(p.text, (Citation(outlet, index, p.sources),), p.method) for p in tt.points)
    return StoryThreeThings(points, links, (), tt.note, tt.model, tt.fallback)


# -- extractive ------------------------------------------------------------------------------------


def _candidates(article: SourceArticle, index: int, outlet: str) -> list[_Candidate]:
    """Usable sentences of one article, best first (the rule `three_things` applies to one article)."""
    title = article.title or headline(article.text)
    return [_Candidate(index, outlet, s, content_words(s.text), rank)
            for rank, s in enumerate(usable_sentences(article.text, title))]


def same_fact(a: frozenset[str], b: frozenset[str]) -> float:
    """How much two sentences (as content words) report the same fact: shared words over the shorter
    one's, 0 when they share fewer than MIN_SHARED_WORDS."""
    shared = len(a & b)
    if shared < MIN_SHARED_WORDS:
        return 0.0
    return shared / min(len(a), len(b))


def _facts(candidates: Sequence[_Candidate]) -> list[_Fact]:
    """Every candidate as a fact, scored by its rank in its article and by how many other outlets
    report it too; best first."""
    outlets = {c.outlet for c in candidates}
    others = max(1, len(outlets) - 1)
    facts: list[_Fact] = []
    leads = {min((c for c in candidates if c.article == a), key=lambda c: c.sentence.start).sentence
             for a in {c.article for c in candidates}}
    for c in candidates:
        best: dict[str, tuple[float, _Candidate]] = {}
        for d in candidates:
            if d.outlet == c.outlet:
                continue
            sim = same_fact(c.words, d.words)
            if sim >= SAME_FACT and sim > best.get(d.outlet, (0.0, d))[0]:
                best[d.outlet] = (sim, d)
        agreeing = len(best)
        score = (1.0 / (1.0 + 0.5 * c.rank) + AGREEMENT_WEIGHT * agreeing / others
                 + (LEAD_WEIGHT if c.sentence in leads else 0.0))
        facts.append(_Fact(c, score, {d.article: d.sentence for _sim, d in best.values()}))
    facts.sort(key=lambda f: (-f.score, f.candidate.article, f.candidate.sentence.start))
    return facts


def _extractive(facts: Sequence[_Fact], points: list[StoryPoint], sentences: dict[int, list[Sentence]],
                links: Sequence[StoryLink], disagreements: Sequence[Disagreement]) -> list[StoryPoint]:
    while len(points) < COUNT and (point := _next_fact(facts, points, sentences, links, disagreements)):
        points.append(point)
    return points


def _next_fact(facts: Sequence[_Fact], points: Sequence[StoryPoint], sentences: dict[int, list[Sentence]],
               links: Sequence[StoryLink], disagreements: Sequence[Disagreement]) -> StoryPoint | None:
    """The best fact no point cites (in any outlet's words) and no point repeats, as a point."""
    used = {(c.article, s) for p in points for c in p.citations for s in c.sentences}
    taken = [content_words(p.text) for p in points]
    for fact in facts:
        c = fact.candidate
        if (c.article, c.sentence) in used or any(overlapping_points(c.words, t) for t in taken):
            continue
        primary = Citation(c.outlet, c.article, (c.sentence,))
        return _point(c.sentence.text, primary, sentences, links, disagreements, "extractive")
    return None


# -- citations and disagreements ---------------------------------------------------------------------


def _point(text: str, primary: Citation | None, sentences: dict[int, list[Sentence]],
           links: Sequence[StoryLink], disagreements: Sequence[Disagreement], method: str) -> StoryPoint | None:
    """A point with every outlet that supports `text` (the `primary` citation first), the disagreements
    it touches, and no citation of an outlet that contradicts it. None when nobody supports it."""
    citations = [primary] if primary is not None else []
    for article, article_sentences in sentences.items():
        if primary is not None and article == primary.article:
            continue
        cited = _support(text, article_sentences, method)
        if cited:
            citations.append(Citation(links[article].outlet, article, cited))
    if not citations:
        return None
    cited_sentences = {(c.article, s) for c in citations for s in c.sentences}
    words = content_words(text)
    touched = tuple(
        i for i, d in enumerate(disagreements)
        if any((claim.article, claim.sentence) in cited_sentences and _states(words, claim.text)
               for claim in d.claims)
    )
    for i in touched:
        citations = _one_side(citations, disagreements[i])
    return StoryPoint(text, tuple(citations), method, touched)


def _states(point_words: frozenset[str], claim_text: str) -> bool:
    """Whether a point says what a disputed claim says (most of the claim's words), not merely cites a
    sentence that also holds it ("Marsh declared an emergency after floods killed 12")."""
    claim = content_words(claim_text)
    return bool(claim) and len(claim & point_words) / len(claim) >= STATES_CLAIM


def _support(text: str, article_sentences: Sequence[Sentence], method: str) -> tuple[Sentence, ...]:
    """The sentences of one article that support `text`, or () when they do not: too few of its words,
    a name or number they lack, or a changed meaning (`verify.check_point`, BLOCKING_CHECKS)."""
    sources, support = align(text, article_sentences)
    if not sources or support < MIN_SUPPORT:
        return ()
    issues = check_point(text, [s.text for s in sources])
    blocking = BLOCKING_CHECKS if method == "extractive" else MODEL_BLOCKING_CHECKS
    if any(i.check in blocking for i in issues):
        return ()
    return sources


def _one_side(citations: Sequence[Citation], disagreement: Disagreement) -> list[Citation]:
    """Citations of outlets that take the first citation's side of `disagreement` (or take none)."""
    value_of: dict[int, str] = {}
    for claim in disagreement.claims:
        value_of.setdefault(claim.article, claim.value)
    cited_values = [value_of[c.article] for c in citations if c.article in value_of]
    if not cited_values:
        return list(citations)
    side = cited_values[0]
    kept = [c for c in citations if value_of.get(c.article, side) == side]
    for c in citations:
        if c not in kept:
            log.debug("story brief: not citing %s for a point it disagrees with", c.outlet)
    return kept


def _note(found: int) -> str | None:
    if found >= COUNT:
        return None
    if found == 0:
        return "No usable facts in these articles."
    return f"Only {found} distinct fact{'s' if found > 1 else ''} in these articles."


# -- abstractive -----------------------------------------------------------------------------------


def _prompt(model: AbstractiveModel, lead: SourceArticle, facts: Sequence[_Fact], outlets: int) -> str:
    """The best sentences of every outlet, best first, each labelled with its outlet, within
    CONTEXT_TOKENS; chat models also get the instruction, seq2seq models the plain sentences."""
    chosen: list[_Candidate] = []
    used = 0
    for fact in facts:
        c = fact.candidate
        cost = model.count_tokens(c.sentence.text) + 6
        if chosen and used + cost > CONTEXT_TOKENS:
            continue
        chosen.append(c)
        used += cost
    title = (lead.title or headline(lead.text) or "").strip()
    if model.kind == "seq2seq":
        body = " ".join(c.sentence.text for c in chosen)
        return f"{title}. {body}" if title else body
    reports = "\n".join(f"[{c.outlet}] {c.sentence.text}" for c in chosen)
    head = f"Title: {title}\n\n" if title else ""
    return f"{head}Reports from {outlets} outlets about one story:\n{reports}\n\n{INSTRUCTION}"


def _grounded(bullets: Sequence[str], facts: Sequence[_Fact], sentences: dict[int, list[Sentence]],
              links: Sequence[StoryLink], disagreements: Sequence[Disagreement]) -> list[StoryPoint]:
    points: list[StoryPoint] = []
    for raw in bullets:
        bullet = _OUTLET_LABEL.sub("", raw, count=1).strip()
        point = _point(bullet, None, sentences, links, disagreements, "abstractive") if bullet else None
        if point is None:
            reason = "no outlet's text supports it"
        elif any(overlapping_points(content_words(bullet), content_words(p.text)) for p in points):
            reason = "repeats an earlier point"
        else:
            points.append(point)
            continue
        log.info("story brief: rejected model point %r (%s); using an extractive fact", bullet, reason)
        if (replacement := _next_fact(facts, points, sentences, links, disagreements)) is not None:
            points.append(replacement)
    return _extractive(facts, points, sentences, links, disagreements)

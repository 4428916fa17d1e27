"""Where outlets telling one story disagree: on a number, or on whether something happened.

A story brief must not pick one outlet's figure and state it as fact when another outlet gives a
different one ("at least 12 killed" / "15 died"), nor let "X resigned" stand when another outlet says
"X will resign". This module finds such pairs so the brief can say who says what.

Both checks are deliberately narrow (a false "outlets differ" on an agreed fact misleads as much as a
missed one), and both read the shared spaCy parse (`summarizers.nlp`):

* numbers: every figure (digits, "£2.3bn", "fifteen", "61 percent"; dates, times and ordinals are
  skipped) gets a *measure*: what it counts. That is the noun it modifies ("40 homes"), or for
  generic nouns and bare numbers the predicate ("12 people were killed", "50 were injured"), with the
  casualty words folded together (killed/died/dead/death toll), and for percentages the thing they
  measure ("turnout was 61 percent", "a 5 percent increase"). Two outlets disagree when they give the
  same measure in related sentences (they share most content words besides the figure) and no value of one
  appears among the other's values for that measure. Values compare numerically (grounding's
  `number_mentions`), so "£2.3bn" and "£2.3 billion", "twenty thousand" and "20,000" agree.
* claims: a clause's verb lemma (with its particle: "call off"), its agent and its theme (name words,
  or the noun; the passive's subject is its theme, so "police arrested Dray" and "Dray was not
  arrested" are one act) give the claim; its polarity (a `neg` child) and status ("done": past or perfect;
  "planned": will/would/shall/going to/set to; "possible": may/might/could/should) give its reading.
  Two outlets contradict each other when they report the same act (same verb, a shared agent or theme,
  no participant named differently) and one negates what the other affirms, or one says it is done and the other that it
  is still to come; a hedged claim ("possible") contradicts nothing. Speech and thinking verbs ("said",
  "meant") are not claims. A share, an amount and a count never compare ("90% of delegates",
  "2,383 delegates"). Pronoun subjects are skipped: resolving them
  across sentences is guesswork.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from summarizers.methods.grounding import IGNORED_IN_NAMES, fold_word, number_mentions
from summarizers.methods.three_things import content_words
from summarizers.nlp import get_nlp
from summarizers.types import Claim, Disagreement, Sentence

log = logging.getLogger(__name__)

# Casualty and similar words folded onto one measure, so "killed", "died" and "dead" compare.
MEASURE_CLASSES: dict[str, str] = {
    **dict.fromkeys("kill die dead death fatality toll life".split(), "dead"),
    **dict.fromkeys("injure wound hurt injury injured wounded".split(), "injured"),
    **dict.fromkeys("arrest detain".split(), "arrested"),
    **dict.fromkeys("evacuate displace".split(), "evacuated"),
    **dict.fromkeys("miss missing".split(), "missing"),
}
# Nouns that say "how many of something" but not what happened to them: the predicate decides.
GENERIC_NOUNS = frozenset("people person resident civilian child adult man woman victim other".split())
UNIT_NOUNS = frozenset("percent %".split())
SKIPPED_ENTITIES = frozenset({"DATE", "TIME", "ORDINAL"})
# Saying and thinking verbs report someone's words or mind, not an event; their objects are not claims.
SPEECH_LEMMAS = frozenset(
    """say tell add write tweet reply continue explain insist shout declare recall note argue warn joke
    laugh quip post report announce claim confirm deny state mean think believe suggest hope want feel
    know seem appear""".split()
)
QUALIFIERS = frozenset("at least most more than over nearly almost about around some up to roughly".split())
PLANNED_AUX = frozenset({"will", "would", "shall", "'ll", "wo"})
POSSIBLE_AUX = frozenset({"may", "might", "could", "can", "should", "must", "ought"})
PLANNING_VERBS = frozenset({"plan", "expect", "set", "due", "intend", "go", "schedule", "prepare"})
MIN_SHARED_WORDS = 2  # content words (besides the figures) two sentences share to be about one fact
RELATED_SHARE = 0.4  # ... and this share of the shorter sentence's content words
MAX_PHRASE_TOKENS = 12


@dataclass(frozen=True, slots=True)
class SourceText:
    """One article as the detector needs it: the outlet, its index in the story and its sentences."""

    outlet: str
    article: int
    sentences: Sequence[Sentence]


@dataclass(frozen=True, slots=True)
class _Figure:
    outlet: str
    article: int
    measure: str
    value: float
    phrase: str
    sentence: Sentence
    words: frozenset[str]


@dataclass(frozen=True, slots=True)
class _Statement:
    outlet: str
    article: int
    agent: frozenset[str]  # who does it: the active subject or the passive's "by" phrase
    theme: frozenset[str]  # what it is done to: the object or the passive subject
    subject_text: str
    verb: str
    negated: bool
    status: str
    phrase: str
    sentence: Sentence


def find_disagreements(sources: Sequence[SourceText]) -> list[Disagreement]:
    """Numbers and claims on which at least two different outlets disagree, numbers first."""
    if len({s.outlet for s in sources}) < 2:
        return []
    nlp = get_nlp()
    figures: list[_Figure] = []
    statements: list[_Statement] = []
    # Outlets can only disagree in sentences about the same fact, so only sentences with a related one
    # in another outlet are parsed (spaCy is nearly all of the cost).
    words = {(source.article, sentence): content_words(sentence.text)
             for source in sources for sentence in source.sentences}
    pairs = [
        (source, sentence) for source in sources for sentence in source.sentences
        if any(_related(words[(source.article, sentence)], words[(other.article, s)])
               for other in sources if other.outlet != source.outlet for s in other.sentences)
    ]
    for (source, sentence), doc in zip(pairs, nlp.pipe(s.text for _, s in pairs), strict=True):
        figures += _figures(doc, source, sentence)
        statements += _statements(doc, source, sentence)
    return _number_disagreements(figures) + _claim_disagreements(statements)


# -- numbers -----------------------------------------------------------------------------------------


def _figures(doc: Any, source: SourceText, sentence: Sentence) -> list[_Figure]:
    out: list[_Figure] = []
    text = sentence.text
    cursor = 0
    words = content_words(text)
    for surface, value, _scale in number_mentions(text):
        start = text.find(surface, cursor)
        if start < 0 or value is None:
            continue
        cursor = start + len(surface)
        span = doc.char_span(start, cursor, alignment_mode="expand")
        if span is None or any(t.ent_type_ in SKIPPED_ENTITIES for t in span):
            continue
        anchor = next((t for t in span if not (span.start <= t.head.i < span.end)), span[-1])
        measure, marks = _measure(anchor, span)
        if measure is None:
            continue
        measure += _unit(surface)
        out.append(_Figure(source.outlet, source.article, measure, value, _phrase(doc, span, marks),
                           sentence, words))
    return out


def _measure(anchor: Any, span: Any) -> tuple[str | None, list[Any]]:
    """What the figure at `anchor` counts, and the tokens that say so (for the quoted phrase)."""
    noun = anchor.head if anchor.dep_ in ("nummod", "quantmod", "compound") and anchor.head.i >= span.end else anchor
    if noun.i >= span.end and noun.lemma_.lower() in UNIT_NOUNS | {"percent"} or noun.text == "%":
        noun = noun.head if noun.dep_ in ("compound", "amod", "nmod") else noun
    if noun is anchor or noun.lemma_.lower() in UNIT_NOUNS:
        # "Turnout was 61 percent": the subject of the copula is what the percentage measures.
        head = noun.head
        if noun.dep_ in ("attr", "acomp") and head.lemma_ == "be":
            subj = next((c for c in head.children if c.dep_ in ("nsubj", "nsubjpass")), None)
            if subj is not None:
                return _fold_measure(subj.lemma_), [subj, head]
        of = next((c for c in noun.children if c.dep_ == "prep" and c.lower_ == "of"), None)
        target = next((c for c in of.children if c.dep_ == "pobj"), None) if of is not None else None
        if target is not None:
            return _fold_measure(target.lemma_), [target]
    lemma = noun.lemma_.lower()
    if noun is not anchor and lemma not in GENERIC_NOUNS:
        folded = _fold_measure(lemma)
        return folded, [noun]
    predicate = _predicate(noun)
    if predicate is not None:
        return _fold_measure(predicate.lemma_), [noun, predicate]
    if noun is not anchor:
        return _fold_measure(lemma), [noun]
    return None, []


def _predicate(token: Any) -> Any | None:
    """The verb or adjective the figure's noun belongs to ("people were killed", "killing 8 people")."""
    for child in token.children:  # "8 dead"
        if child.pos_ == "ADJ" and child.lemma_.lower() in MEASURE_CLASSES:
            return child
    current = token
    for _ in range(3):
        if current.dep_ in ("ROOT",) and current.pos_ not in ("VERB", "ADJ"):
            return None
        current = current.head
        if current.pos_ in ("VERB", "ADJ") and current.lemma_.lower() not in SPEECH_LEMMAS:
            return current
        if current.head is current:
            break
    return None


def _unit(surface: str) -> str:
    """" (%)" for a share, " (money)" for an amount: "90% of delegates" and "2,383 delegates" differ in
    kind, not value."""
    lower = surface.lower()
    if "%" in lower or "cent" in lower:
        return " (%)"
    if surface[:1] in "$£€":
        return " (money)"
    return ""


def _fold_measure(lemma: str) -> str:
    lemma = lemma.lower()
    return MEASURE_CLASSES.get(lemma, lemma)


def _phrase(doc: Any, span: Any, marks: Sequence[Any]) -> str:
    """The outlet's own words for the figure: qualifier, number and what it counts."""
    start = span.start
    while start > 0 and doc[start - 1].lower_ in QUALIFIERS:
        start -= 1
    end = span.end
    for mark in marks:
        if abs(mark.i - span.start) <= MAX_PHRASE_TOKENS // 2:
            start, end = min(start, mark.i), max(end, mark.i + 1)
    # Keep a leading determiner or currency sign that belongs to the figure.
    return doc[start:end].text.strip(" ,;")


def _number_disagreements(figures: Sequence[_Figure]) -> list[Disagreement]:
    by_measure: dict[str, list[_Figure]] = {}
    for f in figures:
        by_measure.setdefault(f.measure, []).append(f)
    out: list[Disagreement] = []
    for measure, found in by_measure.items():
        values: dict[str, set[float]] = {}
        for f in found:
            values.setdefault(f.outlet, set()).add(f.value)
        if len(values) < 2:
            continue
        chosen: dict[str, _Figure] = {}
        for a in found:
            for b in found:
                if a.outlet >= b.outlet or _close(a.value, b.value):
                    continue
                if values[a.outlet] & values[b.outlet] or not _related(a.words, b.words):
                    continue
                chosen.setdefault(a.outlet, a)
                chosen.setdefault(b.outlet, b)
        if not chosen:
            continue
        # Outlets that give one of the disputed values for this measure in a related sentence join in.
        for f in found:
            if f.outlet not in chosen and any(_related(f.words, c.words) for c in chosen.values()):
                chosen[f.outlet] = f
        claims = tuple(Claim(f.outlet, f.article, f.phrase, _format_value(f.value), f.sentence)
                       for f in sorted(chosen.values(), key=lambda f: f.article))
        if len({c.value for c in claims}) >= 2:
            log.debug("outlets disagree on %s: %s", measure, [(c.outlet, c.value) for c in claims])
            out.append(Disagreement("number", measure.split(" (")[0], claims))
    return out


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


def _related(a: frozenset[str], b: frozenset[str]) -> bool:
    """Whether two sentences report the same fact apart from their figures: they share at least
    MIN_SHARED_WORDS content words besides numbers, and RELATED_SHARE of the shorter one's."""
    a, b = _wordy(a), _wordy(b)
    shared = len(a & b)
    return shared >= MIN_SHARED_WORDS and shared >= RELATED_SHARE * min(len(a), len(b))


def _wordy(words: frozenset[str]) -> frozenset[str]:
    return frozenset(w for w in words if not any(ch.isdigit() for ch in w))


def _format_value(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


# -- claims ------------------------------------------------------------------------------------------


def _statements(doc: Any, source: SourceText, sentence: Sentence) -> list[_Statement]:
    out: list[_Statement] = []
    for verb in doc:
        if verb.pos_ not in ("VERB", "AUX") or verb.lemma_.lower() in SPEECH_LEMMAS | {"be", "have", "do"}:
            continue
        subject = _subject(verb)
        if subject is None or subject.pos_ == "PRON":
            continue
        passive = subject.dep_ == "nsubjpass"
        by = next((c for c in verb.children if c.dep_ == "agent"), None)
        by_object = next((c for c in by.children if c.dep_ == "pobj"), None) if by is not None else None
        obj = next((c for c in verb.children if c.dep_ in ("dobj", "attr")), None)
        agent = by_object if passive else subject
        theme = subject if passive else obj
        # "Police arrested Dray" and "Dray was not arrested" are about the same act on the same person.
        particle = next((c.lower_ for c in verb.children if c.dep_ == "prt"), "")
        negated = any(c.dep_ == "neg" for c in verb.children) or any(
            c.dep_ == "neg" for c in verb.head.children if verb.dep_ == "xcomp"
        )
        lemma = f"{verb.lemma_.lower()} {particle}".strip()
        shown = theme if theme is not None and agent is None else subject
        out.append(_Statement(source.outlet, source.article, _participant(agent), _participant(theme),
                              shown.text, lemma, negated, _status(verb), _clause_phrase(doc, subject, verb),
                              sentence))
    return out


def _participant(token: Any | None) -> frozenset[str]:
    """A participant as its name words ("Clara Voss" -> {clara, voss}, titles dropped) or its noun."""
    if token is None or token.pos_ == "PRON":
        return frozenset()
    names = frozenset(
        fold_word(t.text) for t in token.subtree
        if t.pos_ == "PROPN" and fold_word(t.text) not in IGNORED_IN_NAMES
    )
    return names or frozenset({token.lemma_.lower()})


def _same_act(a: _Statement, b: _Statement) -> bool:
    """Same verb, done by the same agent or to the same theme, and no participant named differently."""
    if a.verb != b.verb:
        return False
    agents = bool(a.agent and b.agent)
    themes = bool(a.theme and b.theme)
    if (agents and not a.agent & b.agent) or (themes and not a.theme & b.theme):
        return False
    return agents or themes


def _subject(verb: Any) -> Any | None:
    subj = next((c for c in verb.children if c.dep_ in ("nsubj", "nsubjpass")), None)
    if subj is None and verb.dep_ in ("xcomp", "conj"):  # "X is expected to resign", "X came and resigned"
        subj = next((c for c in verb.head.children if c.dep_ in ("nsubj", "nsubjpass")), None)
    return subj


def _status(verb: Any) -> str:
    """"done", "planned", "possible" or "present" for the clause headed by `verb`."""
    auxes = [c.lower_ for c in verb.children if c.dep_ in ("aux", "auxpass")]
    if verb.dep_ == "xcomp":
        governor = verb.head
        if governor.lemma_.lower() in PLANNING_VERBS or any(a in PLANNED_AUX for a in
                                                            (c.lower_ for c in governor.children)):
            return "planned"
        auxes += [c.lower_ for c in governor.children if c.dep_ == "aux"]
        verb = governor
    if any(a in PLANNED_AUX for a in auxes):
        return "planned"
    if any(a in POSSIBLE_AUX for a in auxes):
        return "possible"
    if any(a in ("is", "are", "am", "'s", "'re") for a in auxes):
        return "present"  # "is sworn in on December 1": news present is often the schedule, not the past
    if verb.tag_ in ("VBD", "VBN") or any(a in ("has", "have", "had", "did", "was", "were") for a in auxes):
        return "done"
    return "present"


def _clause_phrase(doc: Any, subject: Any, verb: Any) -> str:
    """Subject, verb and what follows it up to the clause's end, at most MAX_PHRASE_TOKENS tokens."""
    tokens = sorted({*subject.subtree, verb, *(c for c in verb.children
                                              if c.dep_ in ("aux", "auxpass", "neg", "prt", "dobj", "xcomp"))},
                    key=lambda t: t.i)
    start, end = tokens[0].i, tokens[-1].i + 1
    for child in verb.children:
        if child.dep_ in ("dobj", "xcomp", "attr"):
            whole = max(t.i for t in child.subtree) + 1
            end = max(end, whole if whole - start <= MAX_PHRASE_TOKENS else child.i + 1)
    if end - start > MAX_PHRASE_TOKENS:  # a long subject: keep its head words and the verb group
        start = max(start, subject.i - 3)
    return doc[start:end].text.strip(" ,;")


def _reading(s: _Statement) -> str:
    prefix = {"done": "", "planned": "will ", "possible": "may ", "present": ""}[s.status]
    return f"{prefix}{'not ' if s.negated else ''}{s.verb}".strip()


def _contradict(a: _Statement, b: _Statement) -> bool:
    if "possible" in (a.status, b.status):  # "should pay", "may resign": a hedge contradicts nothing
        return False
    if a.negated != b.negated:
        neg, pos = (a, b) if a.negated else (b, a)
        # "did not sign" and "will sign" can both be true; everything else with opposite polarity cannot.
        return not (neg.status == "done" and pos.status in ("planned", "possible"))
    return not a.negated and {a.status, b.status} == {"done", "planned"}


def _claim_disagreements(statements: Sequence[_Statement]) -> list[Disagreement]:
    out: list[Disagreement] = []
    used: set[int] = set()
    for i, a in enumerate(statements):
        if i in used:
            continue
        group = [a]
        for j, b in enumerate(statements):
            if j <= i or j in used or b.outlet == a.outlet or not _same_act(a, b):
                continue
            if _contradict(a, b):
                group.append(b)
                used.add(j)
        if len(group) < 2:
            continue
        used.add(i)
        # Outlets that agree with either side join it.
        for j, c in enumerate(statements):
            if j in used or not _same_act(a, c) or c.outlet in {g.outlet for g in group}:
                continue
            if any(_reading(c) == _reading(g) for g in group):
                group.append(c)
                used.add(j)
        claims = tuple(Claim(s.outlet, s.article, s.phrase, _reading(s), s.sentence)
                       for s in sorted(group, key=lambda s: s.article))
        subject = f"{a.subject_text} {a.verb}".strip()
        log.debug("outlets contradict each other on %s: %s", subject, [(c.outlet, c.value) for c in claims])
        out.append(Disagreement("claim", subject, claims))
    return out

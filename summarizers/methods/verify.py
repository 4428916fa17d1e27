"""Meaning check: does a model-written point say what its cited sentences say, not just name the same things?

The grounding check (`summarizers.methods.grounding`) proves only that a point's names and numbers occur
in its sources. The review behind issue 12 found every distorted point passing it: "Campbell sent an
e-mail" (the source: *by mistake*), "Manchester will handle the crowds" (a hotelier *hopes* it can),
"Washington believes ..." (*according to a secret briefing document*). This module aligns the point with
the best-matching source sentence on a spaCy parse and reports what changed:

* ``attribution`` -- the source reports someone's claim ("said", "hopes", "according to", a memo, a
  study) and the point states it as a bare fact (three_things rewrites it with the source, or rejects),
  or the point puts in quotation marks what its source tells in its own voice;
* ``negation`` -- the point drops or adds a "not"/"never"/"denied" on the verb it shares with the source;
* ``qualifier`` -- the source hedges the shared verb ("may", "could", "plans to", "by mistake",
  "allegedly", "expected to") and the point states it flat;
* ``roles`` -- the point swaps who did what to whom (subject and object of the shared verb), makes the one
  acted upon the actor ("Tony Blair accused Mr Blair's government"), makes someone their own relative, or
  puts another of a family for the one its source names ("Frank Jordan" for "Louis Jordan"), has one
  person say what its source has another say, changes a pronoun in a copy ("they" for "he"), tells an
  effect as a purpose ("was written to guarantee" where the source says it "has guaranteed"), or aims the
  verb at someone the source names in another role ("criticised Tony Blair" for a union leader who spoke
  of him);
* ``grounding`` -- (here) the point gives a rank ("the first to", "the only") that no source gives;
* ``tense`` -- the point says something will happen that the source says happened, or the reverse;
* ``date`` -- the point joins a month and a year that its sources give apart ("June 1908" from "last June"
  and "between 1908 and 1915"): two facts merged into one;
* ``garbled`` -- the same five words twice, or one named person doing something "with each other";
* ``meta`` -- the point speaks of the article ("The article discusses ..."), not of the news;
* ``action`` -- the point's main verb (or one news copy swaps for it: "resigned" for "quit") is in none
  of its sources nor the headline.

Deterministic on purpose: the same input always gets the same verdict, tests can pin behaviour, and its
precision and recall are measured on the labelled set (benchmarks/eval_trust.py), not assumed.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any

from summarizers.methods.attribution import (
    CLAIM_NOUNS,
    READERS_LETTER,
    REPORTING_VERBS,
    STANCE_VERBS,
    Attribution,
    attribution_of,
    attributions_of,
    cue_lemma,
    has_attribution,
    letters_page,
    says,
)
from summarizers.methods.extractive import STOP_WORDS, stem_word
from summarizers.methods.grounding import IGNORED_IN_NAMES, unsupported_terms
from summarizers.nlp import parse
from summarizers.people.quotes import quote_speaker
from summarizers.segment import DOUBLE_OPENERS, DOUBLE_QUOTES, split_sentences, tokenize_words

log = logging.getLogger(__name__)

NEGATIONS = frozenset({"not", "n't", "never", "no", "none", "nobody", "nothing", "neither", "nor", "without"})
NEGATING_VERBS = frozenset({"deny", "refuse", "fail", "reject", "decline", "dismiss"})
# Words that make a statement uncertain, planned, wished or accidental.
MODAL_HEDGES = frozenset({"may", "might", "could", "can", "would", "should", "must"})
ADVERB_HEDGES = frozenset(
    """possibly probably likely perhaps allegedly reportedly apparently mistakenly accidentally
    inadvertently wrongly unintentionally potentially reputedly supposedly seemingly""".split()
)
# Verbs that put the verb under them into the future, a wish or a plan ("plans to cut", "hopes to win").
GOVERNING_HEDGES = frozenset(
    """plan intend propose consider expect hope want seek aim threaten try attempt offer promise vow
    pledge aspire wish prepare seem appear help""".split()
)
# Adjectives that hedge the thing they name ("a *purported* recruitment video", "the *alleged* bribe").
NOUN_HEDGES = frozenset({"purported", "alleged", "suspected", "apparent", "supposed", "presumed"})
PHRASE_HEDGES = ("by mistake", "by accident", "in error", "set to", "due to", "on track to", "is to", "are to")
ALL_HEDGES = MODAL_HEDGES | ADVERB_HEDGES | GOVERNING_HEDGES | NOUN_HEDGES | {
    "mistake", "accident", "error", "set", "reported", "likely", "unlikely"}
MIN_SUPPORT = 0.5  # share of a point's content words its source sentences must contain
HEADLINE_SHARE = 0.8  # share of a point's content words a headline must hold for the point to restate it


@dataclass(frozen=True, slots=True)
class Issue:
    """One way a point departs from its source: the check's name and a reason a reader can follow."""

    check: str
    detail: str
    attribution: Attribution | None = None

    def as_dict(self) -> dict[str, str]:
        return {"check": self.check, "reason": self.detail}


def content_words(text: str) -> frozenset[str]:
    """Normalised content words: what two texts must share to say the same thing."""
    return frozenset(stem_word(w) for w in tokenize_words(text) if w.lower() not in STOP_WORDS)


def check_point(point: str, sources: Sequence[str], *, article: str = "", title: str | None = None) -> list[Issue]:
    """Every reason to distrust `point` as a summary of `sources`, cheapest check first.

    ``support``: too few of its words are in its sources; ``fragment``: it has no verb, so it states no
    fact ("Musk's reinstatement of banned accounts"); ``grounding``: it names a person, place,
    organisation, number or date that neither its sources, the title, nor (for the rest of a partly
    cited name) the article holds, or describes a person in words the article never uses; then the
    meaning checks of `meaning_issues`. An empty list means
    the point is kept. The caller decides what an ``attribution`` issue costs (three_things rewrites).
    """
    target = content_words(point)
    if not sources or not target:
        return [Issue("support", "no source sentence supports it")]
    covered = target & content_words(" ".join([*sources, title or ""]))
    share = len(covered) / len(target)
    if share < MIN_SUPPORT:
        return [Issue("support", f"only {share:.0%} of its words are in its sources")]
    if _states_nothing(parse(point), sources) and not (title and content_words(title) >= target):
        return [Issue("fragment", "not a sentence: it names a topic but states no fact")]
    bad = unsupported_terms(point, sources, context=article, title=title)
    if bad:
        return [Issue("grounding", f"names what its sources do not: {', '.join(bad)}")]
    if (role := _added_role(parse(point), [*sources, article, title or ""])) is not None:
        return [Issue("grounding", f"gives a role nothing in the article gives: '{role}'")]
    # Each sentence of a point is a claim of its own: a second sentence's "he called" does not attribute the
    # first ("According to the Post, officials looked into ..." told as "Officials looked into ... . He called").
    parts = [s.text for s in split_sentences(point)]
    issues = _unique([i for part in parts for i in meaning_issues(part, sources, title=title)]) if len(parts) > 1 \
        else meaning_issues(point, sources, title=title)
    issues = [_named_quotation(i, sources, article) for i in issues]
    if letters_page(article) and not has_attribution(point) and not _restates_headline(parse(point), title) \
            and all(i.check != "attribution" for i in issues):
        issues.insert(0, Issue("attribution", "states as fact what a reader's letter says", READERS_LETTER))
    return issues


QUOTATION_AS_FACT = "states as fact what a quotation in its source says"


def _named_quotation(issue: Issue, sources: Sequence[str], article: str) -> Issue:
    """A quotation told as fact, with the speaker the quote attributor finds for it in the article: the
    point can be restated as theirs instead of thrown away."""
    if issue.detail != QUOTATION_AS_FACT or not article:
        return issue
    for source in sources:
        at = article.find(source)
        if at >= 0 and (speaker := quote_speaker(article, at, at + len(source))) is not None:
            return Issue("attribution", f"states as fact what {speaker} said", Attribution(speaker, "said", "say"))
    return issue


def _states_nothing(pdoc: Any, sources: Sequence[str]) -> bool:
    """No verb in the point (the headline copied is spared by the caller: "Labour targets 'hardcore
    truants'" states its news in headline words the tagger reads as nouns). The small tagger misreads a
    short point ("Robert Kilroy-Silk quit UKIP." as one noun phrase) that it reads right in a longer
    sentence, so a word the sources use as their main verb ("has quit the UK Independence Party") counts
    as one."""
    if any(t.pos_ in {"VERB", "AUX"} for t in pdoc):
        return False
    words = {t.lower_ for t in pdoc if t.is_alpha}
    return not any(t.pos_ == "VERB" and t.dep_ in {"ROOT", "conj"} and t.lower_ in words
                   or _finite(t) and _inflected(t, words) for source in sources for t in parse(source))


def _finite(verb: Any) -> bool:
    """A verb with a tense of its own ("flared", "has waded"), wherever the parser hung it; not a
    participle used as an adjective ("banned accounts")."""
    return verb.pos_ == "VERB" and (verb.tag_ in {"VBD", "VBZ", "VBP"} or any(c.dep_ == "aux" for c in verb.children))


def _inflected(verb: Any, words: set[str]) -> bool:
    """Whether `words` hold `verb` in another tense or person: the headline's "Clinton Wades into the
    debate" (which the tagger reads as two names) for the lead's "has waded", "flares" for "flared"; not a
    noun made from it ("reinstatement" for "reinstated")."""
    lemma = str(verb.lemma_).lower()
    return any(lemma + ending in words for ending in ("", "s", "es", "d", "ed", "ing")) or (
        lemma.endswith("e") and lemma[:-1] + "ing" in words)


def _content(doc: Any) -> set[str]:
    return {stem_word(t.lower_) for t in doc if t.is_alpha and t.lower_ not in STOP_WORDS}


def _lemma(tok: Any) -> str:
    return stem_word(tok.lower_) if tok.lemma_ in {"", "-PRON-"} else stem_word(str(tok.lemma_).lower())


def _verbs(doc: Any) -> list[Any]:
    return [t for t in doc if t.pos_ == "VERB" or (t.pos_ == "AUX" and t.dep_ in {"ROOT", "ccomp", "conj"})]


def _negated(verb: Any) -> bool:
    """`verb` carries a negation, or is governed by a negating verb ("denied sending")."""
    # "coordinate ... *without* the media aware" negates the media's knowing, not the coordinating
    if any(c.dep_ == "neg" or (c.lower_ in NEGATIONS and not (c.lower_ == "without" and c.dep_ == "prep"))
           for c in verb.children):
        return True
    head = verb.head
    return head is not verb and head.lemma_.lower() in NEGATING_VERBS and verb.dep_ in {"xcomp", "ccomp", "pcomp"}


def _but_affirms(verb: Any, pdoc: Any) -> bool:
    """The source's negation falls on a first complement and "but" affirms a second one, which the point
    states: "it isn't a relic ... but a talisman" -> "It is a talisman"."""
    words = {t.lower_ for t in pdoc}

    def but_then(head: Any) -> bool:  # "but" and a conjunct the point states, hung on `head`
        return any(d.lower_ == "but" for d in head.children) and any(
            c.dep_ == "conj" and c.pos_ != "VERB" and c.lower_ in words for c in head.children)

    negated = [c for c in verb.children if c.dep_ in {"attr", "dobj", "acomp"} and c.lower_ not in words]
    return bool(negated) and (but_then(verb) or any(but_then(c) for c in negated))


def _hedges(verb: Any, sentence: Any) -> list[str]:
    """The hedges on `verb`: modal auxiliaries, hedging adverbs, "by mistake", a governing "plans to"."""
    found: list[str] = []
    for c in verb.children:
        if c.dep_ == "aux" and c.lower_ in MODAL_HEDGES:
            found.append(c.lower_)
        elif c.lower_ in ADVERB_HEDGES:
            found.append(c.lower_)
        elif c.dep_ == "prep":
            phrase = " ".join(t.lower_ for t in c.subtree)
            found.extend(p for p in PHRASE_HEDGES if phrase == p)
    head, steps = verb, 0
    while (head.dep_ in {"xcomp", "ccomp", "conj", "acomp", "oprd"} or _as_if(head)) and head.head is not head \
            and steps < 3:
        head, steps = head.head, steps + 1
        if head.lemma_.lower() == "help" and any(c.lower_ == "to" for c in head.children):
            continue  # "sponsored breakfasts *to help* win over": a purpose already, not a share of a result
        if head.lemma_.lower() in GOVERNING_HEDGES or (head.lower_ in {"likely", "unlikely"}):
            found.append(head.lower_)
        elif head.lower_ == "set" and any(c.dep_ == "auxpass" for c in head.children):  # "is set to rise"
            found.append("set to")
        found.extend(c.lower_ for c in head.children if c.dep_ == "aux" and c.lower_ in MODAL_HEDGES)
    return found


_CONDITIONS = frozenset({"if", "unless"})
_POINT_CONDITIONS = _CONDITIONS | {"provided", "assuming", "whether", "should", "would", "could", "might"}


def _dropped_condition(pdoc: Any, sdoc: Any) -> tuple[str, str] | None:
    """("if", "wins") when the source makes something hang on a condition ("if Rubio wins Florida ..., the
    nominee will be decided at the convention") and the point keeps the condition's verb without any
    word that makes it one: a possibility told as what happens."""
    lemmas = {_lemma(t) for t in _verbs(pdoc)}
    if any(t.lower_ in _POINT_CONDITIONS for t in pdoc):
        return None
    for tok in sdoc:
        marks = [c for c in tok.children if c.dep_ == "mark" and c.lower_ in _CONDITIONS]
        if tok.dep_ == "advcl" and marks and tok.pos_ in {"VERB", "AUX"} and _lemma(tok) in lemmas:
            return str(marks[0].text), str(tok.text)
    return None


_ASKING = frozenset({"ask", "wonder", "question", "query"})


def _asked_as_said(pdoc: Any, sdoc: Any) -> tuple[str, str] | None:
    """("said", "asked") when the point has someone say the words its source only puts as a question
    ("Scarborough asked Clinton *if* Trump benefits from a double standard" -> "Clinton said Trump benefits
    from a double standard"): a question told as an answer, often given to the one who was asked. Matched
    on the words (four after the "if" and after the speech verb), which the small parser reads either way."""
    if any(t.lower_ in {"if", "whether"} or str(t.lemma_).lower() in _ASKING for t in pdoc):
        return None
    words = [t.lower_ for t in sdoc]
    questions: dict[tuple[str, ...], str] = {}
    for tok in sdoc:
        if str(tok.lemma_).lower() in _ASKING:
            for k in range(tok.i + 1, min(tok.i + 6, len(sdoc))):
                if words[k] in {"if", "whether"}:
                    questions[tuple(words[k + 1 : k + 5])] = str(tok.text)
                    break
    if not questions:
        return None
    ours = [t.lower_ for t in pdoc]
    for tok in pdoc:
        if cue_lemma(tok) in REPORTING_VERBS and tok.pos_ == "VERB":
            after = ours[tok.i + 1 :]
            after = after[1:] if after[:1] == ["that"] else after
            if (asked := questions.get(tuple(after[:4]))) is not None:
                return str(tok.text), asked
    return None


def _as_if(verb: Any) -> bool:
    """A clause hung on its verb by "as if" / "as though" ("it would seem as if his plan is ...")."""
    marks = {c.lower_ for c in verb.children if c.dep_ == "mark"}
    return verb.dep_ == "advcl" and "as" in marks and bool(marks & {"if", "though"})


def _hedged_thing(pdoc: Any, sdoc: Any) -> tuple[str, str] | None:
    """A thing the source hedges ("a *purported* new recruitment video") that the point names plainly."""
    nouns = {t.lemma_.lower() for t in pdoc if t.pos_ in {"NOUN", "PROPN"}}
    for tok in sdoc:
        if tok.dep_ == "amod" and tok.lower_ in NOUN_HEDGES and tok.head.lemma_.lower() in nouns:
            return str(tok.text), str(tok.head.text)
    return None


def _point_hedged(doc: Any, source: str = "") -> bool:
    """Whether the point keeps some hedge. A modal counts only as a modal: "on 5 May" hedges nothing; an
    "is to" copied with its source ("his plan is to compete", under "it would seem as if") is no hedge of
    the point's own."""
    text, copied = doc.text.lower(), source.lower()
    return any((t.lower_ in ALL_HEDGES or t.lemma_.lower() in ALL_HEDGES)
               and not (t.lower_ in MODAL_HEDGES and t.tag_ != "MD") for t in doc) or any(
        p in text and not (p in {"is to", "are to"} and p in copied) for p in PHRASE_HEDGES
    )


def _other_target(pv: Any, sv: Any) -> tuple[str, str] | None:
    """The same doer acting on someone else the source names in another role: "Brown has criticised Tony
    Blair" where the source has Brown criticise "a union leader who said conflict between himself and Tony
    Blair was harming ..."."""
    ours = [c for c in pv.children if c.dep_ == "dobj" and c.pos_ == "PROPN"]
    theirs = [c for c in sv.children if c.dep_ == "dobj" and c.pos_ in {"PROPN", "NOUN"}]
    if not ours or not theirs:
        return None
    a = _phrase_words(ours[0])
    b = {t.lower_ for t in theirs[0].subtree if t.dep_ not in {"relcl", "acl"} and t.head == theirs[0]} | {
        theirs[0].lower_}
    elsewhere = {t.lower_ for t in sv.doc}
    return (ours[0].text, theirs[0].text) if a and not a & b and a <= elsewhere else None


_PRONOUNS = frozenset("he she they it we i you who someone".split())


def _passive(verb: Any) -> bool:
    return any(c.dep_ in {"auxpass", "nsubjpass"} for c in verb.children)


def _by_phrase_words(doc: Any) -> set[str]:
    """Words of every "by ..." phrase of `doc`, wherever the parser hung it (a passive's doer hung on its
    object: "promised energy savings *by the Liberal Democrats*")."""
    return {w.lower_ for t in doc if t.lower_ == "by" for w in t.subtree}


def _role_heads(verb: Any) -> tuple[set[str], set[str]]:
    """(agent, others) head words of `verb`: the doer, and the done-to (object, passive subject, "to X",
    "against X"), with the passive undone ("was hit by X": X is the agent)."""
    agent: set[str] = set()
    others: set[str] = set()
    for c in verb.children:
        if c.dep_ == "nsubj" and c.tag_ in {"WP", "WDT"} and verb.dep_ == "relcl":
            agent |= _antecedent_words(verb.head)
        elif c.dep_ == "nsubj":
            agent |= _phrase_words(c)
        elif c.dep_ in {"dobj", "nsubjpass", "dative", "iobj"} and c.pos_ != "ADP":
            others |= _phrase_words(c)
        elif c.dep_ == "agent":
            for g in c.children:
                if g.dep_ == "pobj":
                    agent |= _phrase_words(g)
        elif c.dep_ in {"prep", "dative"} and c.lower_ in {"to", "against", "with", "for", "on", "at"}:
            for g in c.children:
                if g.dep_ == "pobj":
                    others |= _phrase_words(g)
    return agent, others


def _owners_of_others(verb: Any) -> set[str]:
    """Names owning what `verb` is done to: "He accused *Mr Blair's* government" -> {blair}. Whoever "he"
    is, he is not Mr Blair (a speaker does not name himself so), so a point saying "Tony Blair accused
    Mr Blair's government" has the wrong man acting."""
    owners: set[str] = set()
    for c in verb.children:
        if c.dep_ in {"dobj", "nsubjpass", "dative", "iobj"}:
            owners |= {w for g in c.children if g.dep_ == "poss" and g.pos_ == "PROPN" for w in _phrase_words(g)}
    return owners


def _has_subject(verb: Any) -> bool:
    return any(c.dep_ in {"nsubj", "agent"} for c in verb.children)


def _antecedent_words(noun: Any) -> set[str]:
    """Who a relative clause's "who"/"which" is: its noun, and the subject that noun describes when it
    is a predicate ("Wright has been confirmed as the man who will present McCoy ...": the presenter is
    Wright, so a point saying McCoy presents Wright swaps the roles)."""
    words = _phrase_words(noun)
    governor = noun.head.head if noun.dep_ == "pobj" and noun.head.lower_ == "as" else noun.head
    if noun.dep_ == "attr" or governor is not noun.head:
        for c in governor.children:
            if c.dep_ in {"nsubj", "nsubjpass"}:
                words |= _phrase_words(c)
    return words


def _phrase_words(tok: Any) -> set[str]:
    """The head and its compound/name parts: "Jurgen Klopp" -> {jurgen, klopp}."""
    parts = [tok, *(c for c in tok.children if c.dep_ in {"compound", "flat"})]
    return {stem_word(t.lower_) for t in parts if t.is_alpha and t.lower_ not in STOP_WORDS and t.pos_ != "PRON"}


def _future(verb: Any) -> bool:
    """"will"/"shall" on the verb, or "going to" right before it ("is going to win"; not "is going into
    hyperdrive to stand up", nor the "said" a "going" hangs from)."""
    head = verb.head
    return any(c.lower_ in {"will", "'ll", "shall"} for c in verb.children) or (
        head.lower_ == "going" and verb.dep_ == "xcomp" and head.i + 1 < len(verb.doc)
        and verb.doc[head.i + 1].lower_ == "to")


def _past(verb: Any) -> bool:
    return verb.tag_ == "VBD" or any(c.tag_ == "VBD" and c.dep_ in {"aux", "auxpass"} for c in verb.children)


def best_sentence(point_doc: Any, sources: Sequence[str]) -> tuple[Any, float] | None:
    """The parsed source sentence sharing most of the point's content words, and that share."""
    target = _content(point_doc)
    if not target or not sources:
        return None
    best: tuple[Any, float] | None = None
    for text in sources:
        doc = parse(text)
        share = len(_content(doc) & target) / len(target)
        if best is None or share > best[1]:
            best = (doc, share)
    return best


def meaning_issues(point: str, sources: Sequence[str], *, title: str | None = None) -> list[Issue]:
    """How `point` departs from what its source sentences say (empty: no departure found). The `title`
    counts as a source for the point's action only: a headline says what happened, in its own verb."""
    pdoc = parse(point)
    found = best_sentence(pdoc, sources)
    if found is None:
        return []
    sdoc, _share = found
    issues: list[Issue] = []
    covering = _attribution_covering(pdoc, sources)
    attribution = covering[0] if covering else None
    attributed = has_attribution(point, pdoc, inner=covering[1] if covering else frozenset()) or (
        # An unnamed source's cue the point keeps as written ("Mr Howard *is expected* to tell ..."):
        # there is no one to name, and the point says what the source says.
        attribution is not None and not attribution.named
        and attribution.cue.lower() in {t.lower_ for t in pdoc})

    # Attribution: the best source reports a claim and the point drops whose it is.
    if not attributed and not _restates_headline(pdoc, title):
        if attribution is not None:
            issues.append(Issue(
                "attribution",
                f"states as fact what {attribution.source} {attribution.cue}",
                attribution,
            ))
        elif (_opens_quotation(sdoc.text) or _closes_quotation(sdoc.text)) and not any(
                q in point for q in DOUBLE_OPENERS):
            # A quotation whose speaker the article named a sentence or more before ('"... with their
            # lives."' after 'Oxfam's Barbara Stocking said'), or the last sentence of one ('... continues
            # to bolster that assertion."'): the point made someone's words a fact.
            issues.append(Issue("attribution", QUOTATION_AS_FACT))
    if (speaker := _first_person(pdoc)) is not None and not _narrated(speaker, sdoc.text):
        issues.append(Issue("attribution", f"says '{speaker}' without saying who is speaking"))
    if (run := _quoted_narration(point, sources)) is not None:
        issues.append(Issue("attribution", f"quotes as someone's words what its source says itself: '{run}'"))

    source_attribution = attribution_of(sdoc.text, sdoc)
    if (speakers := _other_speaker(pdoc, source_attribution)) is not None:
        issues.append(Issue("roles", f"has {speakers[0]} say what {speakers[1]} said"))
    if (swap := _swapped_pronoun(pdoc, sdoc) or _swapped_name(pdoc, sdoc)) is not None:
        issues.append(Issue("roles", f"says '{swap[0]}' where its source says '{swap[1]}'"))
    if (rank := _added_rank(pdoc, sources)) is not None:
        issues.append(Issue("grounding", f"names what its sources do not: {rank}"))
    if (purpose := _effect_as_purpose(pdoc, sources)) is not None:
        issues.append(Issue("roles", f"makes '{purpose}' a purpose where its source says it happened"))

    # Each source verb meets the point's verb of the same lemma, the k-th with the k-th ("went ... will go"
    # copied is two pairs, not both with "go"); extra ones in the source meet the point's last.
    point_verbs: dict[str, list[Any]] = {}
    for v in _verbs(pdoc):
        point_verbs.setdefault(_lemma(v), []).append(v)
    seen: dict[str, int] = {}
    pairs = []
    for v in _verbs(sdoc):
        if (same := point_verbs.get(lemma := _lemma(v))) is not None:
            k = seen[lemma] = seen.get(lemma, -1) + 1
            pairs.append((same[min(k, len(same) - 1)], v))
    hedged_point = _point_hedged(pdoc, sdoc.text)
    point_negated = any(t.dep_ == "neg" or t.lower_ in NEGATIONS for t in pdoc)
    source_negated = any(t.dep_ == "neg" or t.lower_ in NEGATIONS or t.lemma_.lower() in NEGATING_VERBS for t in sdoc)
    for pv, sv in pairs:
        if _negated(sv) and not _negated(pv) and not point_negated and not _but_affirms(sv, pdoc):
            issues.append(Issue("negation", f"drops the negation of '{sv.text}'"))
        elif _negated(pv) and not _negated(sv) and not source_negated:
            issues.append(Issue("negation", f"adds a negation to '{pv.text}'"))
        hedges = _hedges(sv, sdoc)
        if source_attribution is not None or any(says(t) for t in sv.ancestors):
            hedges = [h for h in hedges if h != "would"]  # reported speech: "said it would" is not a hedge
        if hedges and any(v is not sv and _lemma(v) == _lemma(sv) and not _hedges(v, sdoc) for v in _verbs(sdoc)):
            hedges = []  # the source also says it plainly ("being called Sam" ... "could be called Sam")
        if hedges and not hedged_point:
            issues.append(Issue("qualifier", f"drops '{hedges[0]}' from '{sv.text}'"))
        p_agent, p_patient = _role_heads(pv)
        s_agent, s_patient = _role_heads(sv)
        if p_agent and s_agent and (p_agent & s_patient) and (s_agent & p_patient) and not (p_agent & s_agent):
            issues.append(Issue("roles", f"swaps who does what: '{pv.text}' has its subject and object reversed"))
        elif p_agent and not s_agent and _passive(sv) and not _passive(pv) and not p_agent & _PRONOUNS \
                and s_patient & {t.lower_ for t in pdoc} and not p_agent & _by_phrase_words(sdoc):
            # "Ebeling has been held up as living proof" (by no one named) -> "Bill Clinton has been holding
            # up Ebeling": the point names a doer its source does not.
            issues.append(Issue("roles", f"gives '{pv.text}' a doer its source does not name"))
        elif p_agent & _owners_of_others(sv) and _has_subject(sv) and not (p_agent & s_agent):
            issues.append(Issue("roles", f"makes the one '{sv.text}' is aimed at the one who does it"))
        elif p_agent & s_agent and (target := _other_target(pv, sv)) is not None:
            issues.append(Issue("roles", f"has '{pv.text}' aimed at {target[0]}; its source: {target[1]}"))
        if _future(pv) and _past(sv) and not _future(sv):
            issues.append(Issue("tense", f"says '{pv.text}' will happen; the source says it did"))
        elif _past(pv) and _future(sv) and not hedged_point:
            issues.append(Issue("tense", f"says '{pv.text}' happened; the source says it will"))
    if not hedged_point and (hedged := _hedged_thing(pdoc, sdoc)) is not None:
        issues.append(Issue("qualifier", f"drops '{hedged[0]}' from '{hedged[1]}'"))
    if (condition := _dropped_condition(pdoc, sdoc)) is not None:
        issues.append(Issue("qualifier", f"drops the condition '{condition[0]}' from '{condition[1]}'"))
    if (asked := _asked_as_said(pdoc, sdoc)) is not None:
        issues.append(Issue("roles", f"has '{asked[0]}' state what its source only asks about ('{asked[1]}')"))
    if point_negated and not source_negated and not pairs:
        issues.append(Issue("negation", "adds a negation its source does not have"))
    silent = _declined_to_speak(pdoc, sdoc)
    if silent is not None:
        issues.append(Issue("negation", f"says '{silent[0]}' where the source says '{silent[1]}'"))
    composed = _composed_date(pdoc.text, sources)
    if composed is not None:
        issues.append(Issue("date", f"'{composed}' joins a month and a year its sources give apart"))
    if (relative := _own_relative(pdoc)) is not None:
        issues.append(Issue("roles", f"makes {relative[0]} their own {relative[1]}"))
    if (kin := _other_family_member(point, [*sources, title] if title else sources)) is not None:
        issues.append(Issue("roles", f"names {kin[0]} where its source has {kin[1]}"))
    if (garble := _garbled(pdoc)) is not None:
        issues.append(Issue("garbled", garble))
    if _about_the_article(pdoc):
        issues.append(Issue("meta", "speaks of the article, not of the news it tells"))
    elif (action := _unsupported_action(pdoc, [*sources, title] if title else sources)) is not None:
        issues.append(Issue("action", f"its sources never say '{action}'"))
    return _unique(issues)


# A quotation in a headline: a quote mark opening a word and one closing it ("Voters 'don't trust politicians'").
_HEADLINE_QUOTE = re.compile(r"(?:^|\s)['‘\"“][^'‘’\"“”]+['’\"”](?=\W|$)")


def _restates_headline(pdoc: Any, title: str | None) -> bool:
    """Whether the point restates the headline ("Howard unveiled Tory asylum plans." for "Howard unveils
    Tory asylum plans"): the headline is the article's own voice, so what it states plainly needs no
    speaker, even where the body reports it with a cue. Not when the headline quotes someone the point
    does not ("UK firms 'embracing e-commerce'") or names a speaker itself."""
    if not title:
        return False
    words = content_words(pdoc.text)
    if not words or len(words & content_words(title)) < HEADLINE_SHARE * len(words):
        return False
    if _HEADLINE_QUOTE.search(title) and not any(q in pdoc.text for q in "'‘\"“"):
        return False
    return attribution_of(title) is None


_KIN = frozenset(
    "father mother son daughter wife husband brother sister uncle aunt nephew niece cousin parent grandfather "
    "grandmother grandson granddaughter widow partner".split()
)


def _own_relative(pdoc: Any) -> tuple[str, str] | None:
    """(name, kin) when the point sets a person beside their own relative: "Azmat Begg, Azmat Begg's
    father, Azmat, said" (the source: "Mr Begg's father, Azmat, said"), a small model resolving "Mr
    Begg" to the wrong Begg. No one is their own father, so this is always a slip of roles; relatives
    share a family name, so the given name decides."""
    for kin in pdoc:
        if kin.lower_ not in _KIN:
            continue
        owners = [c for c in kin.children if c.dep_ == "poss" and c.pos_ == "PROPN"]
        named = [c for c in kin.children if c.dep_ == "appos" and c.pos_ == "PROPN"]
        if kin.dep_ == "appos" and kin.head.pos_ == "PROPN":
            named.append(kin.head)
        for owner in owners:  # by given name: "Mary Smith's father, John Smith" shares only the family name
            given = _phrase_words(owner) - {stem_word(owner.lower_)}
            if given and any(given <= _phrase_words(n) for n in named):
                return " ".join(t.text for t in owner.subtree if t.dep_ != "case"), kin.text
    return None


_FULL_NAME = re.compile(r"(?<![\w-])([A-Z][a-z]+) ([A-Z][a-z]{2,})\b")


def _other_family_member(point: str, sources: Sequence[str]) -> tuple[str, str] | None:
    """("Frank Jordan", "Louis Jordan") when the point names a person its sources never name but they
    name another of that family: a small model taking the father quoted in the story for the son it is
    about. Titles ("Mr Jordan", "President Obama") are not given names."""
    text = " ".join(sources)
    words = {w.lower() for w in tokenize_words(text)}
    for m in _FULL_NAME.finditer(point):
        given, family = m.group(1), m.group(2)
        if given.lower() in IGNORED_IN_NAMES or given.lower() in words or m.group(0) in text:
            continue
        for other in _FULL_NAME.finditer(text):
            first = other.group(1).lower()  # "Although Assange" opens a sentence; it names no one
            if other.group(2) == family and other.group(1) != given and first not in IGNORED_IN_NAMES | STOP_WORDS:
                return m.group(0), other.group(0)
    return None


_META_SUBJECTS = frozenset({"article", "piece", "text", "passage"})
_META_VERBS = frozenset("discuss describe mention explore highlight focus cover detail title outline examine "
                        "present provide contain".split())


def _about_the_article(pdoc: Any) -> bool:
    """"The article discusses plans to ...": true of the page, and no thing to know; a small model
    writes it when it has nothing better. Its subject is the article itself ("the article", "this text")
    and its verb one that tells what a text does ("discusses", "mentions", "is titled")."""
    root = next((t for t in pdoc if t.dep_ == "ROOT"), None)
    return root is not None and str(root.lemma_).lower() in _META_VERBS and any(
        c.dep_ in {"nsubj", "nsubjpass"} and c.lower_ in _META_SUBJECTS
        and any(d.lower_ in {"the", "this"} for d in c.children)
        for c in root.children)


def _person_words(phrase: str) -> frozenset[str]:
    """The name words of a speaker phrase that names a person ("former astronaut John Grunsfeld" ->
    {"john", "grunsfeld"}); empty for a role, a party or a pronoun ("the minister", "Labour", "he")."""
    doc = parse(phrase)
    if not any(t.ent_type_ == "PERSON" for t in doc):
        return frozenset()
    return frozenset(t.lower_ for t in doc if t.pos_ == "PROPN" and t.lower_ not in IGNORED_IN_NAMES)


def _other_speaker(pdoc: Any, source: Attribution | None) -> tuple[str, str] | None:
    """The point has one person say what its source has another say ("Ellen Stofan said it's an exciting
    time" where the article gives those words to John Grunsfeld): both named, no name word in common."""
    if source is None or not source.named:
        return None
    point = attribution_of(pdoc.text, pdoc)
    if point is None or not point.named:
        return None
    ours, theirs = _person_words(point.source), _person_words(source.source)
    return (point.source, source.source) if ours and theirs and not ours & theirs else None


# Personal pronouns by whom they point at: a point that puts one group's word where its source has
# another's, in the same words around it, has changed who did it ("as *they* labelled" for "as *he*").
_PRONOUN_GROUPS = {w: n for n, group in enumerate(("he him his himself", "she her hers herself",
                                                   "they them their theirs themselves", "it its itself"))
                   for w in group.split()}


def _swapped_pronoun(pdoc: Any, sdoc: Any) -> tuple[str, str] | None:
    """A personal pronoun of the point that stands where its source has one of another person or number,
    with at least three same words on each side (a copy with one word changed, not a paraphrase)."""
    ours, theirs = [t.lower_ for t in pdoc], [t.lower_ for t in sdoc]
    blocks = SequenceMatcher(None, ours, theirs, autojunk=False).get_opcodes()
    for k, (op, i1, i2, j1, j2) in enumerate(blocks):
        if op != "replace" or i2 - i1 != 1 or j2 - j1 != 1 or not 0 < k < len(blocks) - 1:
            continue
        a, b = ours[i1], theirs[j1]
        if (a in _PRONOUN_GROUPS and b in _PRONOUN_GROUPS and _PRONOUN_GROUPS[a] != _PRONOUN_GROUPS[b]
                and all(blocks[n][0] == "equal" and blocks[n][2] - blocks[n][1] >= 3 for n in (k - 1, k + 1))):
            return pdoc[i1].text, sdoc[j1].text
    return None


def _swapped_name(pdoc: Any, sdoc: Any) -> tuple[str, str] | None:
    """A person the point names where its source names another, the words after it copied (at least
    four): "Julian Assange lives in Russia, where he was granted asylum" for "(Snowden lives in Russia,
    where ...", a small model lending one person's facts to another named in the next sentence. Both
    sides of the swap are names and nothing else, and neither name is on the other side at all."""
    ours, theirs = [t.lower_ for t in pdoc], [t.lower_ for t in sdoc]
    blocks = SequenceMatcher(None, ours, theirs, autojunk=False).get_opcodes()
    for k, (op, i1, i2, j1, j2) in enumerate(blocks):
        if op != "replace" or k + 1 >= len(blocks) or blocks[k + 1][0] != "equal" or \
                blocks[k + 1][2] - blocks[k + 1][1] < 4:
            continue
        mine, other = _name_only(pdoc[i1:i2]), _name_only(sdoc[j1:j2])
        if mine and other and any(t.ent_type_ == "PERSON" for t in pdoc[i1:i2]) and \
                not mine & set(theirs) and not other & set(ours):
            return pdoc[i1:i2].text, sdoc[j1:j2].text.strip("(\"' ")
    return None


def _name_only(span: Any) -> set[str]:
    """The name words of `span` when it holds a proper name and nothing but (titles and punctuation
    aside), else an empty set."""
    words = [t for t in span if t.is_alpha and t.lower_ not in IGNORED_IN_NAMES]
    return {t.lower_ for t in words} if words and all(t.pos_ == "PROPN" for t in words) else set()


def _narrated(word: str, source: str) -> bool:
    """Whether `source` says `word` outside quotation marks: the writer's own voice (a sketch's "our daily
    lives"), which a point may copy, not someone's words copied without their name."""
    words, quoted = _words_quoted(source)
    return any(w == word.lower() and not q for w, q in zip(words, quoted, strict=True))


_RANKS = frozenset({"first", "only", "last", "sole", "first-ever"})
# A later place ranks only before a superlative ("the *second* best thing"): "a second referendum" is another.
_PLACES = frozenset({"second", "third", "fourth", "fifth"})


def _word_parts(texts: Sequence[str]) -> set[str]:
    """The lower-case words of `texts`, a hyphenated one as its parts ("first-ever" -> "first", "ever")."""
    return {part for text in texts for w in tokenize_words(text) for part in w.lower().split("-")}


def _added_rank(pdoc: Any, sources: Sequence[str]) -> str | None:
    """A rank the point gives ("Pixie Geldof is *the first* to wear a septum ring") that no source gives:
    a claim of its own, whatever else the point copies."""
    words = _word_parts(sources)
    for tok in pdoc:
        ranked = tok.lower_ in _RANKS or (tok.lower_ in _PLACES and tok.i + 1 < len(pdoc) and (
            pdoc[tok.i + 1].tag_ == "JJS" or pdoc[tok.i + 1].lower_ in {"most", "least"}))
        if ranked and tok.pos_ == "ADJ" and tok.lower_ not in words:
            return str(tok.text)
    return None


def _added_role(pdoc: Any, texts: Sequence[str]) -> str | None:
    """A description the point puts beside a name ("Roger Stone, *a former Trump advisor*, said") with a
    word the article never uses ("Trump's longtime confidant"): a fact about the person of its own. The
    article's words are gathered only for a point that has such a description: most have none."""
    words: set[str] | None = None
    for tok in pdoc:
        if tok.dep_ != "appos" or tok.head.ent_type_ != "PERSON" or tok.pos_ == "PROPN":
            continue
        if words is None:
            words = {stem_word(part) for part in _word_parts(texts)}
        phrase = [t for t in tok.subtree if t.pos_ in {"NOUN", "ADJ"}]
        if any(stem_word(t.lower_) not in words for t in phrase):
            return " ".join(t.text for t in tok.subtree)
    return None


def _effect_as_purpose(pdoc: Any, sources: Sequence[str]) -> str | None:
    """A verb the point puts as the purpose of another ("It was written *to guarantee* ...") that its
    sources say happened ("... has guaranteed that ..."), never as an aim: an effect told as an intent."""
    for tok in pdoc:
        if tok.pos_ != "VERB" or tok.dep_ not in {"xcomp", "advcl"} or not any(
                c.dep_ == "aux" and c.lower_ == "to" for c in tok.children):
            continue
        if tok.dep_ == "xcomp" and not any(c.dep_ == "auxpass" for c in tok.head.children):
            continue  # "plans to resign", "wants to go": the head's own complement, not a purpose
        lemma = str(tok.lemma_).lower()
        done = aimed = False
        for text in sources:
            for t in parse(text):
                if str(t.lemma_).lower() == lemma and t.pos_ == "VERB":
                    aimed |= any(c.dep_ == "aux" and c.lower_ == "to" for c in t.children)
                    done |= t.tag_ in {"VBD", "VBZ", "VBP"} or (t.tag_ == "VBN" and any(
                        c.dep_ == "aux" for c in t.children))
        if done and not aimed:
            return str(tok.text)
    return None


_QUOTE_OR_WORD = re.compile(f"[{''.join(DOUBLE_QUOTES)}]" r"|[^\W_]+(?:['’-][^\W_]+)*")
QUOTED_RUN = 8  # words in a row that make a quotation of the source's own narration, not a shared phrase


def _quoted_after(mark: str, quoted: bool) -> bool:
    """Whether the words after a double quotation mark stand inside a quotation: a curly mark says which
    way it turns, a straight one opens or closes by turns, as a reader takes it."""
    return mark == "“" or (mark == '"' and not quoted)


def _words_quoted(text: str) -> tuple[list[str], list[bool]]:
    """The words of `text`, each with whether it stands inside quotation marks."""
    words: list[str] = []
    inside: list[bool] = []
    quoted = False
    for m in _QUOTE_OR_WORD.finditer(text):
        mark = m.group(0)
        if mark in DOUBLE_QUOTES:
            quoted = _quoted_after(mark, quoted)
            continue
        words.append(mark.lower())
        inside.append(quoted)
    return words, inside


def _quoted_narration(point: str, sources: Sequence[str]) -> str | None:
    """A run of QUOTED_RUN words the point puts inside quotation marks that its source tells in its own
    voice: a quotation run on into the narration after it ('"I've dealt with this six months ago. The
    book, by ... Robert Peston ..., said ..."') gives someone words they never said."""
    if not any(q in point for q in DOUBLE_QUOTES):
        return None
    ours, our_quoted = _words_quoted(point)
    for source in sources:
        theirs, their_quoted = _words_quoted(source)
        for i, j, size in SequenceMatcher(None, ours, theirs, autojunk=False).get_matching_blocks():
            run = 0
            for k in range(size):
                run = run + 1 if our_quoted[i + k] and not their_quoted[j + k] else 0
                if run == QUOTED_RUN:
                    return " ".join(ours[i + k + 1 - run : i + k + 1]) + " ..."
    return None


def _opens_quotation(sentence: str) -> bool:
    """Whether `sentence` opens with a quotation: a mark fast against its first word. A mark before a line
    break closes the paragraph above, and the sentence splitter leaves it on the next one."""
    text = _typewriter_quotes(sentence.lstrip())
    return text.startswith(DOUBLE_OPENERS) and len(text) > 1 and not text[1].isspace()


def _closes_quotation(sentence: str) -> bool:
    """Whether `sentence` ends a quotation it did not open: the last sentence of someone's words."""
    text = _typewriter_quotes(sentence.rstrip())
    if text.endswith("”"):
        return "“" not in text
    return text.endswith('"') and text.count('"') % 2 == 1


def _typewriter_quotes(text: str) -> str:
    """Two apostrophes or backticks as the one double mark they stand for (wire copy's ''No wall is
    going to fix that.'')."""
    return text.replace("``", '"').replace("''", '"')


REPEAT_WORDS = 5  # a run of this many words said twice in one short point is a generation slip


def _garbled(pdoc: Any) -> str | None:
    """A point the small model garbled while rewording: one named person doing something "with each other"
    (the source's second person dropped: "Tony Blair arrived within seconds of each other"), or the same
    run of words twice ("The committee's inquiry into X is part of the committee's inquiry into X")."""
    words = [t.lower_ for t in pdoc if t.is_alpha or t.like_num]
    runs = [tuple(words[i : i + REPEAT_WORDS]) for i in range(len(words) - REPEAT_WORDS + 1)]
    if len(set(runs)) < len(runs):
        repeated = next(r for i, r in enumerate(runs) if r in runs[i + 1 :])
        return f"says '{' '.join(repeated)}' twice"
    for tok in pdoc:
        if tok.lower_ == "each" and tok.i + 1 < len(pdoc) and pdoc[tok.i + 1].lower_ == "other":
            verb = next((a for a in tok.ancestors if a.pos_ in {"VERB", "AUX"}), None)
            subjects = [c for c in verb.children if c.dep_ in {"nsubj", "nsubjpass"}] if verb is not None else []
            if subjects and all(s.tag_ == "NNP" and not any(c.dep_ == "conj" for c in s.children)
                                for s in subjects):
                return f"says one ({subjects[0].text}) did something with 'each other'"
    return None


# Verbs too general to carry the claim; reporting verbs are the attribution check's business.
_LIGHT_VERBS = frozenset("be have do make get take give go come become remain seem include use".split())


# Verbs news copy puts for one another without changing the fact: a point may say "resigned" where its
# source says "quit". Swaps a sub-editor makes, not a thesaurus: "attack" for "criticise" stays out, and so
# does any verb with a second common sense ("pass" for "die": a bill passes), each verb in one group only.
_SAME_ACTION = {verb: group for group in map(frozenset, map(str.split, (
    "resign quit", "win secure clinch", "ban outlaw prohibit", "arrest detain", "begin start launch",
    "scrap abolish", "sack fire dismiss", "cut reduce", "raise increase boost", "unveil announce",
    "buy purchase acquire", "criticise criticize slam"))) for verb in group}
# Phrasal verbs that say one of those single verbs: "passed away" is "died", "stepped down" "resigned",
# "lashed out at" "attacked".
_PHRASAL_ACTION = {("pass", "away"): "die", ("step", "down"): "resign", ("lash", "out"): "attack"}


def _unsupported_action(pdoc: Any, sources: Sequence[str]) -> str | None:
    """The point's main verb when no source sentence uses it (or a word of its stem): the point says
    something happened that its sources do not ("confirmed" where they say "declined to comment")."""
    words = {w.lower() for text in sources for w in tokenize_words(text)}
    lemmas: set[str] | None = None
    for tok in pdoc:
        if tok.dep_ not in {"ROOT", "conj"} or tok.pos_ != "VERB" or (tok.dep_ == "conj" and tok.head.dep_ != "ROOT"):
            continue
        lemma = str(tok.lemma_).lower()
        if lemma in _LIGHT_VERBS or cue_lemma(tok) in REPORTING_VERBS | STANCE_VERBS:
            continue
        if lemma == "know" and any(c.dep_ == "auxpass" for c in tok.children):
            continue  # "was known for his satire": what someone was, not something that happened
        if _finding(tok):
            continue  # "The poll showed that fewer than half ...": the clause is the news, checked as such
        stem = lemma[: max(4, min(len(lemma), 5))]
        if any(w.startswith(stem) or w == tok.lower_ for w in words):
            continue
        if lemmas is None:  # an irregular form shares no stem: "seeking" where the source says "sought"
            docs = [parse(text) for text in sources]
            lemmas = {str(t.lemma_).lower() for doc in docs for t in doc} | {
                _PHRASAL_ACTION[key] for doc in docs for t in doc
                if t.dep_ == "prt" and (key := (str(t.head.lemma_).lower(), t.lower_)) in _PHRASAL_ACTION}
        if not _SAME_ACTION.get(lemma, frozenset({lemma})) & lemmas:
            return str(tok.text)
    return None


_FINDING_VERBS = frozenset({"show", "find", "indicate"})


def _finding(verb: Any) -> bool:
    """A poll, study or report that "showed" or "found" a clause: the verb names what the findings are,
    not an event, so a source that states the findings without it ("fewer than half ... in a new poll
    support Clinton") supports the point; whose finding it is stays the attribution check's business."""
    clause = any(c.dep_ == "ccomp" or any(g.dep_ == "mark" for g in c.children) for c in verb.children)
    return str(verb.lemma_).lower() in _FINDING_VERBS and clause and any(
        c.dep_ == "nsubj" and str(c.lemma_).lower() in CLAIM_NOUNS for c in verb.children)


_FIRST_PERSON = frozenset({"i", "we", "me", "us", "my", "our", "ours", "myself", "ourselves"})


def _first_person(pdoc: Any) -> str | None:
    """A first-person word outside quotation marks in a point no one says: a summary speaks of people, so
    "we'll simply not allow any tricks" is someone's words copied without their name ("according to
    British rules" in the same point attributes nothing). With a speaker ("Jowell said we ...") it is
    reported speech."""
    if any(says(t) for t in pdoc):
        return None
    quoted = False
    for tok in pdoc:
        if tok.text in DOUBLE_QUOTES:
            quoted = _quoted_after(tok.text, quoted)
            continue
        if not quoted and tok.lower_ in _FIRST_PERSON and tok.pos_ == "PRON":
            return str(tok.text)
    return None


_MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
_MONTH_YEAR = re.compile(rf"\b({_MONTHS})\s+(?:\d{{1,2}},?\s+)?((?:19|20)\d\d)\b")


def _composed_date(point: str, sources: Sequence[str]) -> str | None:
    """A "June 1908" in the point whose sources never put that month with that year: each part is
    grounded ("last June", "between 1908 and 1915"), the date is not -- two facts merged into one."""
    text = " ".join(sources)
    for m in _MONTH_YEAR.finditer(point):
        month, year = m.group(1), m.group(2)
        if not re.search(rf"\b{month}\b[^.;]{{0,12}}\b{year}\b|\b{year}\b[^.;]{{0,4}}\b{month}\b", text):
            return m.group(0)
    return None


def _declined_to_speak(pdoc: Any, sdoc: Any) -> tuple[str, str] | None:
    """(the point's cue, the source's) when the point has someone confirm, say or announce something and
    every cue in its source is refused: "declined to comment", "would not confirm", "refused to say". A
    no-comment turned into a confirmation keeps every name and passes all the word checks."""
    spoken = [t for t in pdoc if t.pos_ == "VERB" and cue_lemma(t) in REPORTING_VERBS and not _negated(t)]
    cues = [t for t in sdoc if t.pos_ == "VERB" and (cue_lemma(t) in REPORTING_VERBS or t.lemma_ == "comment")]
    if not spoken or not cues or not all(_negated(t) for t in cues):
        return None
    refused = {cue_lemma(t) for t in cues}
    if any(t.pos_ == "VERB" and _negated(t) and cue_lemma(t) in refused for t in pdoc):
        return None  # the point keeps the refusal: "Reid said he would not say whether ..."
    refusal = cues[0].head if cues[0].head.lemma_.lower() in NEGATING_VERBS else cues[0]
    return str(spoken[0].text), " ".join(t.text for t in refusal.subtree if t.i <= cues[0].i)


def _attribution_covering(pdoc: Any, sources: Sequence[str]) -> tuple[Attribution, frozenset[str]] | None:
    """The attribution of a source sentence whose reported content holds most of the point's words, with
    the cue lemmas inside that content (the claim's own "promised", not the source's "claims")."""
    target = _content(pdoc)
    if not target:
        return None
    best: tuple[float, Attribution, frozenset[str]] | None = None
    for text in sources:
        for attribution in attributions_of(text, parse(text)):
            claim = parse(text[attribution.content_start : attribution.content_end])
            share = len(_content(claim) & target) / len(target)
            if share >= 0.5 and (best is None or share > best[0]):
                # The claim's own cues, unless the point names the source: "Tom Jones hopes ..." keeps his
                # "I just hope ...", "Blair promised ..." drops "a new book claims".
                named = _source_words(attribution.source) & {t.lower_ for t in pdoc}
                inner = frozenset() if named else frozenset(cue_lemma(t) for t in claim) - {attribution.cue_lemma}
                best = (share, attribution, inner)
    return (best[1], best[2]) if best else None


def _source_words(source: str) -> set[str]:
    """The words that say who a source is: its names ("Hotel owner *Tom Jones*"), else its head noun ("a
    new *book* about the chancellor")."""
    doc = parse(source)
    names = {t.lower_ for t in doc if t.pos_ == "PROPN"}
    return names or {t.lower_ for t in doc if t.dep_ == "ROOT"}


def _unique(issues: list[Issue]) -> list[Issue]:
    seen: set[tuple[str, str]] = set()
    out = []
    for issue in issues:
        if (issue.check, issue.detail) not in seen:
            seen.add((issue.check, issue.detail))
            out.append(issue)
    return out

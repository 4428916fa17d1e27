"""Who claims it: find the attribution of a reported claim in a source sentence, and keep it in a point.

A summary that turns "a Blackpool hotelier said he hopes Manchester can handle the crowds" into
"Manchester will handle the crowds" keeps every name and still misleads: the claim has become a fact.
This module is deterministic (spaCy parse plus word lists) so that its behaviour can be tested and
measured on the labelled set in benchmarks/data/trust_points.jsonl:

* `attribution_of(sentence)` finds the cue ("said", "hopes", "according to", "a report", "alleged")
  and the source ("a Blackpool hotelier", "a secret briefing document") of a sentence's reported claim;
* `has_attribution(point)` says whether a point itself attributes what it states;
* `attribute(point, attribution)` rewrites a bare point so the claim is the source's again
  ("According to a secret briefing document, ...", "A Blackpool hotelier hopes ...").
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from summarizers.nlp import parse
from summarizers.segment import DOUBLE_CLOSERS, DOUBLE_OPENERS, DOUBLE_QUOTES

log = logging.getLogger(__name__)

# Verbs whose clause is someone's claim, hope, belief or allegation rather than a reported fact.
REPORTING_VERBS = frozenset(
    """say tell claim allege believe hope think argue insist warn state suggest report estimate predict
    expect fear deny accuse write announce assert contend maintain reckon suspect admit acknowledge
    concede add explain note reveal complain promise pledge vow threaten urge predict speculate
    testify confirm describe call mention declare""".split()
)
# Verbs that mark a wish or opinion: the rewrite keeps them ("hopes"), never turns them into "said".
STANCE_VERBS = frozenset("hope believe think fear expect suspect reckon want wish doubt".split())
# Nouns that carry a claim: "a leaked memo shows", "the report found", "allegations that".
CLAIM_NOUNS = frozenset(
    """report memo memorandum document briefing study survey poll research researcher analysis
    allegation claim statement interview leak letter email e-mail dossier paper review inquiry
    investigation finding estimate forecast comment remark pledge promise vow""".split()
)
# Cues a point may use to keep a claim attributed.
POINT_CUES = frozenset(REPORTING_VERBS | STANCE_VERBS | CLAIM_NOUNS | {"accord", "reportedly", "allegedly"})
# Sources that do not say who they are ("someone": the unnamed accuser of "X has been accused of ...").
PRONOUN_SOURCES = frozenset("he she they it i we you this that who someone".split())
_OPEN, _CLOSE, _MARKS = ("".join(marks) for marks in (DOUBLE_OPENERS, DOUBLE_CLOSERS, DOUBLE_QUOTES))
_QUOTE = re.compile(f"[{_MARKS}]")
_QUOTED = re.compile(f"[{_OPEN}][^{_MARKS}]*[{_CLOSE}]")
_CHARGES = frozenset({"accuse", "allege"})  # "X was accused of ...": the charge is a claim, not a fact
# A sentence that ends ", a new book about the chancellor claims.": the small tagger can read the cue as
# a noun ("chancellor claims"), so the shape itself attributes the sentence before the comma.
_TRAILING_CUES = ("claims", "says", "said", "reports", "suggests", "argues", "alleges", "insists", "warns", "states")
_TRAILING_CUE = re.compile(r",\s+(?P<source>(?:the|a|an|his|her|their|its)\s[^,]{1,80}?)\s+"
                           rf"(?P<cue>{'|'.join(_TRAILING_CUES)})\s*[.!]?[\"”']?\s*$", re.IGNORECASE)
_ADVERB_CUES = frozenset({"reportedly", "allegedly", "purportedly", "supposedly"})
_SUBJECT_DEPS = frozenset({"nsubj", "nsubjpass"})


@dataclass(frozen=True, slots=True)
class Attribution:
    """The source and cue of a sentence's reported claim, and the claim's character span in it."""

    source: str
    cue: str  # the cue as written: "said", "hopes", "according to"
    cue_lemma: str
    content_start: int = 0
    content_end: int = 0
    stance: str | None = None  # a wish or opinion verb inside the claim ("hope"), kept by a rewrite

    @property
    def named(self) -> bool:
        """Whether the source says who it is (not "he", "they", "it")."""
        return self.source.lower() not in PRONOUN_SOURCES


_IRREGULAR = {"said": "say", "says": "say", "told": "tell", "thought": "think", "wrote": "write",
              "written": "write", "found": "find"}
_KNOWN = REPORTING_VERBS | STANCE_VERBS | {"find", "show", "suggest"}


def cue_lemma(tok: Any) -> str:
    """The lemma of a cue word, robust to the small model's slips ("hoped" -> "hop")."""
    return _known_lemma(tok.lower_) or str(tok.lemma_).lower()


def _known_lemma(word: str) -> str | None:
    """The cue verb a lower-case word is a form of ("claims" -> "claim", "said" -> "say"), if any."""
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    for cut, add in (("", ""), ("s", ""), ("es", ""), ("ed", ""), ("d", ""), ("ing", ""), ("ing", "e"), ("ies", "y"),
                     ("ied", "y")):
        if word.endswith(cut) and (stem := word[: len(word) - len(cut)] + add) in _KNOWN:
            return stem
    return None


def _subtree_text(tok: Any) -> str:
    toks = list(tok.subtree)
    return tok.doc[toks[0].i : toks[-1].i + 1].text


def _source_phrase(tok: Any) -> str:
    """The subject phrase without relative clauses or comma-set appositives ("Smith, who ..." -> "Smith")."""
    excluded = {t.i for c in tok.children if c.dep_ in {"relcl", "acl"} for t in c.subtree}
    toks = [t for t in tok.subtree if t.i not in excluded and t.dep_ != "punct"]
    if not toks:
        return str(tok.text)
    text = str(tok.doc[toks[0].i : toks[-1].i + 1].text).split(",")[0].strip() or str(tok.text)
    first = tok.doc[toks[0].i]
    if first.pos_ != "PROPN" and first.text != "I" and not first.text.isupper():
        text = text[:1].lower() + text[1:]
    return text


def _speaker(cue: Any, subject: Any) -> str:
    """Who speaks through `cue`: its subject, or for a passive cue the agent ("was accused *by the
    Tories*"); a passive subject is what is spoken of ("Blunkett has been accused of ..."), so without an
    agent the speaker is "someone"."""
    if subject.dep_ != "nsubjpass":
        return _source_phrase(subject)
    agents = [o for c in cue.children if c.dep_ == "agent" for o in c.children if o.dep_ == "pobj"]
    return _source_phrase(agents[0]) if agents else "someone"


def _depth(tok: Any) -> int:
    return sum(1 for _ in tok.ancestors)


def attribution_of(sentence: str, doc: Any = None) -> Attribution | None:
    """The attribution of the claim `sentence` reports, or None when it states it as plain fact.

    With several cues ("X said he hoped ..."), the source is the outermost named speaker and a stance
    verb inside ("hoped") is kept as `stance`, so a rewrite says "X hopes", not "X said".
    """
    found = attributions_of(sentence, doc)
    return found[0] if found else None


def attributions_of(sentence: str, doc: Any = None) -> list[Attribution]:
    """Every claim `sentence` attributes, the outermost (`attribution_of`) first: a sentence that runs
    two together ("the Tories believe the prime minister is playing the fear card ... And they believe
    Tony Blair is using the issue ...") attributes each of them."""
    doc = doc if doc is not None else parse(sentence)
    for tok in doc:
        # "according to X, ..." (also "according to a leaked memo")
        if tok.lower_ == "according" and tok.i + 1 < len(doc) and doc[tok.i + 1].lower_ == "to":
            objs = [c for c in doc[tok.i + 1].children if c.dep_ == "pobj"]
            if objs:
                return [Attribution(_source_phrase(objs[0]), "according to", "accord", 0, len(sentence))]
    if (m := _TRAILING_CUE.search(sentence)) is not None:  # the outermost: "..., a book claims."
        cue = m.group("cue")
        return [Attribution(m.group("source"), cue, _known_lemma(cue.lower()) or cue.lower(), 0, m.start())]
    quoted = bool(_QUOTE.search(sentence))
    found: list[tuple[Any, str, int, int]] = []
    for tok in doc:
        lemma = cue_lemma(tok)
        if tok.pos_ not in {"VERB", "AUX"} or lemma not in REPORTING_VERBS | STANCE_VERBS:
            continue
        clause = [c for c in tok.children if c.dep_ in {"ccomp", "xcomp", "parataxis"} and not _apart(c, tok)]
        if not clause and lemma in _CHARGES:  # "(was) accused of hiding the cost": the charge is the claim
            # ... also where the parser hangs it on the accused ("accused his party's leaders of a breach")
            heads = [tok, *(c for c in tok.children if c.dep_ == "dobj")]
            clause = [c for h in heads for c in h.children if c.dep_ == "prep" and c.lower_ == "of"][:1]
        # A parenthetical cue ("the man who, some pundits believe, was responsible", "the deal, officials
        # said, will be signed") hangs off the claim it attributes: the whole sentence is the claim.
        # ... but not the "as" of a comparison hung on a noun or adjective ("as much stimulus as many had hoped").
        parenthetical = not clause and (tok.dep_ == "parataxis" or (  # "As the Tory leader declared, ..."
            tok.dep_ == "advcl" and tok.head.pos_ in {"VERB", "AUX"}
            and any(c.dep_ == "mark" and c.lower_ == "as" for c in tok.children)))
        # A quotation in the sentence makes a bare speech verb its cue ('"...," she said'); a stance verb
        # there is no speech ("makes baby boomers think of ... "American Pie"").
        if not clause and not parenthetical and not (quoted and lemma in REPORTING_VERBS - STANCE_VERBS):
            continue
        if lemma in {"call", "describe", "add", "note", "explain"} and not quoted:
            continue
        subjects = [c for c in tok.children if c.dep_ in _SUBJECT_DEPS]
        if not subjects or (lemma == "say" and subjects[0].lower_ in {"that", "this"} and subjects[0].i == 0):
            continue  # "That said, Ferrari are stronger": a turn of phrase, nobody speaking
        if clause:
            toks = list(clause[0].subtree)
            start, end = toks[0].idx, toks[-1].idx + len(toks[-1].text)
        else:
            start, end = 0, len(sentence)
        found.append((tok, _speaker(tok, subjects[0]), start, end))
    if found:
        named = [f for f in found if f[1].lower() not in PRONOUN_SOURCES] or found
        outer = min(named, key=lambda f: _depth(f[0]))
        stance = next((cue_lemma(f[0]) for f in found if cue_lemma(f[0]) in STANCE_VERBS), None)
        ordered = [outer, *(f for f in found if f is not outer)]
        return [Attribution(source, verb.text, cue_lemma(verb), start, end, stance=stance if n == 0 else None)
                for n, (verb, source, start, end) in enumerate(ordered)]
    for tok in doc:
        # "a leaked memo shows / says / found ...", "the study found": the noun is the source.
        if tok.lemma_.lower() in CLAIM_NOUNS and tok.dep_ in _SUBJECT_DEPS and tok.head.pos_ in {"VERB", "AUX"}:
            if any(c.dep_ in {"ccomp", "xcomp"} for c in tok.head.children):
                return [Attribution(_source_phrase(tok), tok.head.text, cue_lemma(tok.head), 0, len(sentence))]
    return []


def _apart(clause: Any, cue: Any) -> bool:
    """Whether a semicolon, or a colon after the clause, stands between a clause and the cue the parser
    hung it on: "Lawmaker urges retaliation; Member of House panel says ..." and "Millennials have reached
    a consensus: ... they say ..." are two statements, the first no one's claim ("He said: ..." is one)."""
    words = [t.i for t in clause.subtree if not t.is_punct]  # the parser may give it the mark after it
    if not words:
        return False
    if words[-1] < cue.i:
        return any(t.text in {";", ":"} for t in cue.doc[words[-1] + 1 : cue.i])
    return any(t.text == ";" for t in cue.doc[cue.i + 1 : words[0]])


def has_attribution(point: str, doc: Any = None, *, inner: frozenset[str] = frozenset()) -> bool:
    """Whether `point` itself says whose claim it states: a reporting or stance verb with a subject ("X
    said", "officials hope"), "according to", "reportedly", a claim noun ("the memo", "a study"), or a
    quotation that is most of the point. A cue word in another role does not count: "failing to
    report fraud" reports nothing, "Spain's state of health" states nothing, and three quoted words
    inside a sentence ("a world that was "divided"") leave the rest of it a bare claim. Cue verbs in
    `inner` do not count: they belong to the claim a source attributes ("Blair *promised* Brown he would
    stand down, a new book claims": the point that keeps "promised" still drops the book)."""
    doc = doc if doc is not None else parse(point)
    quoted = sum(len(m.group(0)) for m in _QUOTED.finditer(point))
    if quoted >= len(point.strip()) / 2:
        return True
    for t in doc:
        if t.lower_ in _ADVERB_CUES or (t.lower_ == "according" and t.i + 1 < len(doc) and doc[t.i + 1].lower_ == "to"):
            return True
        if t.pos_ == "NOUN" and (t.lower_ in CLAIM_NOUNS or str(t.lemma_).lower() in CLAIM_NOUNS) and _as_source(t):
            return True
        if says(t, POINT_CUES) and cue_lemma(t) not in inner:
            return True
    return False


def _as_source(noun: Any) -> bool:
    """Whether a claim noun is the source of what the point says ("the memo *shows*", "*in* a report",
    "comments *suggesting*", "the report's findings"), not a thing it tells about ("the report was
    completed before ...": Prescott's claim about the report)."""
    if any(c.dep_ in {"acl", "relcl"} and c.pos_ == "VERB" for c in noun.children):
        return True
    if noun.dep_ == "pobj":
        return noun.head.lower_ in {"in", "to", "by", "from", "under"}
    return noun.dep_ not in {"nsubjpass", "dobj", "attr", "appos"}  # "the report was completed": a topic


def says(tok: Any, cues: frozenset[str] = REPORTING_VERBS) -> bool:
    """Whether `tok` is a cue verb with a subject ("Jowell *said*", "officials *hope*"): someone named as
    speaking, not a cue word in another role ("failing to *report* fraud"). A passive subject counts
    only for a reporting verb with a reported clause ("he is said to be ...", "it was reported that
    ..."), or for a charge ("he was *accused* of ..."): "new initiatives were *announced*" tells what
    happened, and "the number is *expected* to quadruple" keeps the forecast but drops whose it is."""
    if tok.pos_ not in {"VERB", "AUX"} or cue_lemma(tok) not in cues:
        return False
    clause = (any(c.dep_ in {"ccomp", "xcomp"} for c in tok.children) and cue_lemma(tok) not in STANCE_VERBS
              or cue_lemma(tok) in _CHARGES)
    return any((c.dep_ == "nsubj" and c.tag_ not in {"WP", "WDT"}) or (c.dep_ == "nsubjpass" and clause)
               for c in tok.children)  # "those *who wanted* them" is no one's claim


def _lower_first(text: str, doc: Any) -> str:
    """Lower-case the point's first letter unless it starts a name or "I"."""
    first = doc[0] if len(doc) else None
    if first is None or first.pos_ == "PROPN" or first.text == "I" or first.text.isupper():
        return text
    return text[:1].lower() + text[1:]


def _third_person(lemma: str) -> str:
    return lemma + ("es" if lemma.endswith(("sh", "ch", "ss", "x")) else "s")


# A letters page says so on a line of its own near the top ("LETTERS.", "To the Editor:").
_LETTERS = re.compile(r"^\s*(?:letters|letters to the editor|to the editor:?)\.?\s*$", re.IGNORECASE | re.MULTILINE)
READERS_LETTER = Attribution("a reader's letter", "says", "say")


def letters_page(article: str) -> bool:
    """Whether `article` is readers' letters: every sentence in it is a reader's view, though it reads as
    plain statement ("She spoke from the bottom of her heart.")."""
    return _LETTERS.search(article[:1500]) is not None


def attribute(point: str, attribution: Attribution) -> str:
    """`point` restated as `attribution.source`'s claim; a stance ("hopes", "believes") is kept as such."""
    doc = parse(point)
    body = _lower_first(point.strip(), doc)
    source = attribution.source.strip()
    if attribution.stance:
        return f"{source[:1].upper()}{source[1:]} {_third_person(attribution.stance)} {body}"
    return f"According to {source}, {body}"

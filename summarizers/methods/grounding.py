"""Grounding check: a generated point may only name people, organisations, places and numbers that its
source sentences contain.

Small language models summarize fluently and invent just as fluently; the invented parts that mislead
readers most are names and figures ("Musk pledged $90 million", "Obama joined the call"). This check is
deliberately lexical and one-sided: it cannot prove a point true, but it catches a point that mentions
something its sources never mention, which is the failure that matters for attributed briefings.

What is checked in the point:

* named entities from the shared spaCy pipeline (PERSON, ORG, GPE, NORP, LOC, FAC, EVENT), plus proper
  nouns the small NER model missed: every significant word of the name must occur in the sources
  (titles like "President" or "Gov." are ignored, so "President Biden" is supported by "Biden");
* numbers: digits ("7.1", "45,000,000", "8th", "1/2"), scale words ("45 million" == "45,000,000"),
  written numbers ("twenty-five", "three hundred"), percentages ("10%" == "10 percent"); compared by value;
* dates: month and weekday names (their day numbers are checked as numbers).

Normalisation keeps honest paraphrases: case, possessives ("Musk's"), dotted acronyms ("U.S." == "US"),
a few country aliases ("United States"), abbreviations by initials ("NYC" == "New York City"), and
inflections of the same stem ("Democrats"/"Democratic").

False rejections cost a briefing its best facts (issue 12: "Jurgen Klopp" rejected because the source
sentence says "Klopp"; "Labour" named only in the title), so a name is also supported when the sources
hold part of it and the whole article (`context`) holds the rest, or when the title holds it.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Iterable, Sequence

from summarizers.nlp import parse
from summarizers.people.quotes import pronoun_referents
from summarizers.segment import DOUBLE_OPENERS, DOUBLE_QUOTES

log = logging.getLogger(__name__)

NAME_LABELS = frozenset({"PERSON", "ORG", "GPE", "NORP", "LOC", "FAC", "EVENT"})
PLACE_LABELS = frozenset({"GPE", "LOC"})  # a story's setting, named once near its start
# Words inside a name that carry no identity: a point may add or drop them freely.
IGNORED_IN_NAMES = frozenset(
    """the of and for a an in on at to de del da von van la le
    president vice former late mr mrs ms dr sir prof gov governor sen senator rep representative
    secretary minister prime chancellor ceo chief judge justice gen general rev pope king queen prince
    princess lord lady st saint jr sr""".split()
)
ALIASES: dict[str, tuple[str, ...]] = {
    "us": ("united states", "america", "usa"),
    "usa": ("united states", "america", "us"),
    "united states": ("us", "usa", "america"),
    "america": ("united states", "us", "usa"),
    "uk": ("united kingdom", "britain"),
    "united kingdom": ("uk", "britain"),
    "britain": ("uk", "united kingdom"),
    "eu": ("european union",),
    "european union": ("eu",),
    "un": ("united nations",),
    "united nations": ("un",),
}
# Inflections accepted between two words sharing a stem of 5+ letters (Democrat/Democrats/Democratic).
_SUFFIXES = frozenset(
    {"", "s", "es", "e", "n", "ns", "an", "ans", "ian", "ians", "ic", "ics", "i", "is", "ese", "ish", "ional"}
)
MONTHS = {
    "jan": "january",
    "feb": "february",
    "mar": "march",
    "apr": "april",
    "jun": "june",
    "jul": "july",
    "aug": "august",
    "sep": "september",
    "sept": "september",
    "oct": "october",
    "nov": "november",
    "dec": "december",
}
MONTH_NAMES = frozenset(MONTHS.values()) | {"may"}
WEEKDAYS = frozenset({"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"})

UNITS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    "dozen": 12,
}
SCALES = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12}
_ABBREVIATED_SCALES = {"k": 1e3, "m": 1e6, "bn": 1e9}

_NUMBER = re.compile(
    r"""(?<![\w.,/])[$£€]?
    (?P<int>\d{1,3}(?:,\d{3})+|\d+)(?:\.(?P<frac>\d+))?(?:/(?P<den>\d+))?(?:st|nd|rd|th)?
    (?P<pct>\s?(?:%|percent\b|per\s+cent\b))?
    (?:\s*(?P<scale>thousand|million|billion|trillion)s?\b|(?P<abbr>bn|m|k)\b)?""",
    re.IGNORECASE | re.VERBOSE,
)
_WORD = re.compile(r"[A-Za-z0-9]+(?:[.'’&-][A-Za-z0-9]+)*\.?(?:['’]s?)?")
_NUMBER_WORD = re.compile(r"[A-Za-z]+(?:-[A-Za-z]+)*")


def fold_word(word: str) -> str:
    """Lower-case, no possessive, no dots: "Musk's" -> "musk", "U.S." -> "us"."""
    w = word.lower().replace("’", "'")
    w = re.sub(r"'s?$", "", w)
    return w.replace(".", "").strip("'-")


def words_of(text: str) -> set[str]:
    """The normalised words of `text`, with hyphenated words also split into their parts."""
    out: set[str] = set()
    for raw in _WORD.findall(text):
        w = fold_word(raw)
        if not w:
            continue
        out.add(w)
        if "-" in w:
            out.update(p for p in w.split("-") if p)
    return out


def _same_word(a: str, b: str) -> bool:
    if a == b:
        return True
    if a.rstrip("s") == b.rstrip("s") and len(a.rstrip("s")) >= 3:
        return True
    prefix = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        prefix += 1
    return prefix >= 5 and a[prefix:] in _SUFFIXES and b[prefix:] in _SUFFIXES


def _word_supported(word: str, source_words: set[str]) -> bool:
    return word in source_words or any(_same_word(word, s) for s in source_words)


_CAPITALISED_RUN = re.compile(r"[A-Z][\w'’-]*(?:\s+(?:(?:of|and|the|for|de)\s+)?[A-Z][\w'’-]*)+")


def initialisms(text: str) -> set[str]:
    """The initials of each run of capitalised words: "New York City" -> "nyc", "Bank of England" -> "boe"."""
    out: set[str] = set()
    for m in _CAPITALISED_RUN.finditer(text):
        words = [w for w in m.group(0).split() if w[:1].isupper()]
        for i in range(len(words)):
            for j in range(i + 2, len(words) + 1):
                out.add("".join(w[0] for w in words[i:j]).lower())
    return out


def name_supported(name: str, source_words: set[str], source_initials: set[str] | None = None) -> bool:
    """Whether every significant word of `name` (or of a known alias of it, or its initials) occurs in
    the sources."""
    tokens = [fold_word(t) for t in _WORD.findall(name)]
    tokens = [p for t in tokens for p in t.split("-") if p]
    significant = [t for t in tokens if t not in IGNORED_IN_NAMES]
    if not significant:
        return True
    if all(_word_supported(t, source_words) for t in significant):
        return True
    phrase = " ".join(significant)
    if any(all(w in source_words for w in alias.split()) for alias in ALIASES.get(phrase, ())):
        return True
    if len(significant) == 1 and 2 <= len(phrase) <= 6 and source_initials and phrase in source_initials:
        return True  # "NYC" in the point, "New York City" in the sources
    capitalised = [w for w in name.split() if w[:1].isupper()]
    return len(capitalised) >= 2 and "".join(w[0] for w in capitalised).lower() in source_words


def number_mentions(text: str) -> list[tuple[str, float | None, str | None]]:
    """(surface, value, scale_word) for each number in `text`.

    `value` is None for a bare scale word ("millions of people"): there is no figure to compare, only
    the order of magnitude, reported as `scale_word`. A lone "one" is skipped: it is usually a pronoun.
    """
    found: list[tuple[int, str, float | None, str | None]] = []
    masked = list(text)
    for m in _NUMBER.finditer(text):
        found.append((m.start(), m.group(0).strip(), _digits_value(m), None))
        masked[m.start() : m.end()] = " " * (m.end() - m.start())
    rest = "".join(masked)
    run: list[tuple[int, int, str]] = []
    for m in _NUMBER_WORD.finditer(rest):
        parts = m.group(0).lower().split("-")
        if all(p in UNITS or p in SCALES or p.rstrip("s") in SCALES or p == "hundred" for p in parts):
            if run and rest[run[-1][1] : m.start()].strip() not in ("", "and"):
                found.extend(_word_run(text, run))
                run = []
            run.append((m.start(), m.end(), m.group(0).lower()))
        elif run and parts == ["and"] and run[-1][2] in ("hundred", *SCALES):
            continue  # "three hundred and twelve" is one number
        elif run:
            found.extend(_word_run(text, run))
            run = []
    if run:
        found.extend(_word_run(text, run))
    return [(s, v, sc) for _, s, v, sc in sorted(found, key=lambda f: f[0])]


def _digits_value(m: re.Match[str]) -> float:
    value = float(m.group("int").replace(",", ""))
    if m.group("frac"):
        value += float("0." + m.group("frac"))
    if m.group("den") and float(m.group("den")):
        value /= float(m.group("den"))
    if m.group("scale"):
        value *= SCALES[m.group("scale").lower()]
    elif m.group("abbr"):
        value *= _ABBREVIATED_SCALES[m.group("abbr").lower()]
    return value


def _word_run(text: str, run: list[tuple[int, int, str]]) -> list[tuple[int, str, float | None, str | None]]:
    """Value of a run of number words ("three hundred", "twenty-five million")."""
    words = [p for _, _, w in run for p in w.split("-")]
    surface = text[run[0][0] : run[-1][1]]
    if words == ["one"]:
        return []
    if all(w.rstrip("s") in SCALES for w in words):
        return [(run[0][0], surface, None, words[-1].rstrip("s"))]
    total, current = 0.0, 0.0
    for w in words:
        if w in UNITS:
            current += UNITS[w]
        elif w == "hundred":
            current = max(current, 1.0) * 100
        else:
            total += max(current, 1.0) * SCALES[w.rstrip("s")]
            current = 0.0
    return [(run[0][0], surface, total + current, None)]


def _number_supported(
    value: float | None, scale: str | None, source_values: list[float], source_words: set[str]
) -> bool:
    if value is None:
        return scale is not None and any(w.rstrip("s") == scale for w in source_words)
    return any(math.isclose(value, v, rel_tol=1e-9, abs_tol=1e-9) for v in source_values)


def _calendar_word(word: str) -> str | None:
    w = fold_word(word)
    w = MONTHS.get(w, w)
    return w if w in MONTH_NAMES or w in WEEKDAYS else None


def unsupported_terms(
    point: str, sources: Sequence[str], *, context: str = "", title: str | None = None
) -> list[str]:
    """Names, numbers and dates in `point` that none of `sources` mentions, in order of appearance.

    `context` (the whole article) and `title` widen what counts for names: a name is supported when
    the title holds it, or when the sources hold part of it ("Klopp") and the article the rest
    ("Jurgen Klopp"). Numbers and dates must be in the sources or the title. An empty list means
    the point passes the grounding check.
    """
    source_text = "\n".join([*sources, title or ""])
    source_words = words_of(source_text)
    source_initials = initialisms(source_text)
    context_words = words_of(context) if context else set()
    source_calendar = {c for w in _WORD.findall(source_text) if (c := _calendar_word(w))}
    source_values = [v for _, v, _ in number_mentions(source_text) if v is not None]
    terms: list[str] = []

    antecedents: set[str] | None = None

    def supported(name: str, person: bool = False) -> bool:
        nonlocal antecedents
        if name_supported(name, source_words, source_initials):
            return True
        significant = [w for w in words_of(name) if w not in IGNORED_IN_NAMES and "-" not in w]
        if bool(context_words) and any(_word_supported(w, source_words) for w in significant) and all(
            _word_supported(w, context_words | source_words) for w in significant
        ):
            return True
        if not person or not context or not significant:
            return False
        if antecedents is None:
            antecedents = _pronoun_antecedents(sources, context) | _role_holders(sources, context)
        if all(_word_supported(w, antecedents) for w in significant):
            return True
        return all(_word_supported(w, _resolved_pronouns(sources, context)) for w in significant)

    for surface, value, scale in number_mentions(point):
        if not _number_supported(value, scale, source_values, source_words):
            terms.append(surface)

    setting: set[str] | None = None  # the words around the sources, gathered only for a point naming a place
    doc = parse(point)
    in_entity: set[int] = set()
    for ent in doc.ents:
        in_entity.update(range(ent.start, ent.end))
        if ent.label_ in PLACE_LABELS:
            setting = _setting(sources, context) if setting is None else setting
            if _word_supported_all(ent.text, setting):
                continue
        if ent.label_ in NAME_LABELS and not supported(ent.text, person=ent.label_ == "PERSON"):
            terms.append(ent.text)
    for tok in doc:
        calendar = _calendar_word(tok.text) if tok.text[:1].isupper() else None
        if calendar is not None:
            if calendar not in source_calendar:
                terms.append(tok.text)
            continue
        # Proper nouns the small NER model did not tag; a capitalised first word is too often not a name.
        if (
            tok.pos_ == "PROPN"
            and tok.i not in in_entity
            and not tok.is_sent_start
            and tok.text[:1].isupper()
            and fold_word(tok.text) not in IGNORED_IN_NAMES
            and not _word_supported(fold_word(tok.text), source_words)
            and not supported(doc[tok.i : tok.i + 2].text if tok.i + 1 < len(doc) else tok.text)
        ):
            terms.append(tok.text)
    return _unique(terms)


_PERSONAL = re.compile(r"\b(?:he|she|him|his|her)\b", re.IGNORECASE)
_QUOTED_FIRST_PERSON = re.compile(f"[{''.join(DOUBLE_OPENERS)}][^{''.join(DOUBLE_QUOTES)}]*" r"\b(?:I|me|my)\b")
_LINES = re.compile(r"\n+")
HEADLINE_WORDS = 10  # a line this short opens an item of a digest page (its headline)
ANTECEDENT_CHARS = 300  # how far back in the article a source's "he"/"she" is looked up
SPEAKER_CHARS = 600  # ... and the speaker of a quote in the first person, often introduced a paragraph before


_ROLES = ("president", "prime minister", "chancellor", "foreign secretary", "home secretary", "minister",
          "secretary", "governor", "senator", "general", "judge", "king", "queen", "pope", "mayor")
_ROLE_IN_SOURCE = re.compile(rf"\bthe (?:[\w-]+ )?({'|'.join(_ROLES)})\b")


def _role_holders(sources: Sequence[str], context: str) -> set[str]:
    """Names the article gives a role that a source refers to by that role alone: "the Pakistani
    president" in a source, "President Musharraf of Pakistan" in the lead, so a point may say
    "Gen Musharraf". Every holder of that title in the article counts (a light coreference)."""
    found: set[str] = set()
    for role in {m.group(1) for source in sources for m in _ROLE_IN_SOURCE.finditer(source)}:
        for m in re.finditer(rf"\b{role}\s+((?:[A-Z][\w'-]+\s?){{1,3}})", context, re.IGNORECASE):
            if m.group(0)[:1].isupper():  # "President Musharraf", not "the president said"
                found |= words_of(m.group(1))
    return found


def _pronoun_antecedents(sources: Sequence[str], context: str) -> set[str]:
    """Words of the text just before each source sentence that leans on "he"/"she" or quotes someone
    saying "I": a point that writes "Lawrence said ..." for a source's "He said ...", or "Morris believes
    ..." for a bare quote "I think ...", names the person the article named just before (a light
    coreference: the nearest mentions, not a resolver)."""
    found: set[str] = set()
    for source in sources:
        m = _PERSONAL.search(source)
        reach = ANTECEDENT_CHARS
        if m is None and (m := _QUOTED_FIRST_PERSON.search(source)) is not None:
            reach = SPEAKER_CHARS
        at = context.find(source) if m else -1
        if m is None or at < 0:
            continue
        found |= words_of(context[max(0, at - reach) : at + m.start()])
    return found


def _setting(sources: Sequence[str], context: str) -> set[str]:
    """Words of the text just before each source sentence, back to the nearest headline: where its story
    is set. A digest page's item names its country in its own headline and first line ("Spain struggles
    to form a government. Spain braced for weeks of uncertainty ...") and not again in the sentence a
    point cites, so a point may say "Spain's ruling party" for a source's "the ruling party"; the place of
    another item, above that item's headline, stays unsupported."""
    found: set[str] = set()
    for source in sources:
        at = context.find(source)
        if at <= 0:
            continue
        for paragraph in reversed(_LINES.split(context[max(0, at - ANTECEDENT_CHARS) : at])):
            found |= words_of(paragraph)
            if 0 < len(paragraph.split()) <= HEADLINE_WORDS:
                break
    return found


def _word_supported_all(name: str, words: set[str]) -> bool:
    """Whether every significant word of `name` is among `words` (a place named in the story's setting)."""
    significant = [w for w in words_of(name) if w not in IGNORED_IN_NAMES]
    return bool(significant) and all(_word_supported(w, words) for w in significant)


def _resolved_pronouns(sources: Sequence[str], context: str) -> set[str]:
    """Words of the people the sources' he/she refer to, by the quote attributor's resolver (a parse of
    the whole article, so asked last, only for a person no nearer evidence supports)."""
    found: set[str] = set()
    for source in sources:
        at = context.find(source) if _PERSONAL.search(source) else -1
        if at >= 0:
            found |= {w for name in pronoun_referents(context, at, at + len(source)) for w in words_of(name)}
    return found


def _unique(items: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for item in items:
        key = item.lower()
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out

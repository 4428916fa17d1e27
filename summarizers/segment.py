"""Sentence segmentation for news text, with character offsets into the original string.

Every later stage (ranking, grounding, quotes) points back into the article by offsets, so the splitter
never rewrites text: it only decides where sentences start and end. It is a small rule-based scanner
(regex + word lists) rather than spaCy or Punkt because it runs on every article of every digest, must
not need downloaded data, and news text has a narrow set of traps worth handling explicitly:

* abbreviations and titles (``Mr.``, ``Gov.``, ``Sen.``, ``Jan. 5``, ``No. 10``) never end a sentence,
  while ``U.S.``/``Inc.``/initials end one only when a typical sentence opener follows
  (``the U.S. The ...`` splits, ``the U.S. Senate`` and ``Donald J. Trump`` do not);
* numbers (``$45.5 million``) are safe because a boundary needs whitespace after the punctuation;
* quotes: ``...?" she asked`` and ``"Wow!" Trump said`` continue the sentence, ``months. "We`` starts one;
* ellipses end a sentence only when a capitalised word follows;
* a blank line always ends a sentence, and a line without final punctuation (a headline, a bullet) ends
  one when the next line starts like a new sentence.
"""

from __future__ import annotations

import logging
import re

from summarizers.types import Sentence

log = logging.getLogger(__name__)

OPENING_QUOTES = "\"'“‘«"  # any mark that may open a quotation, the single ones too ('Yes,' he said)
# The double marks that quote words in a point or a source: the checks look for these alone, because a
# single mark is also an apostrophe ("Blair's"). As tuples, so `in` compares whole tokens.
DOUBLE_OPENERS = ('"', "“")
DOUBLE_CLOSERS = ('"', "”")
DOUBLE_QUOTES = ('"', "“", "”")
CLOSERS = "\"'”’»)]"
# Titles that precede a name: a period after them is never the end of a sentence.
TITLES = frozenset(
    """mr mrs ms messrs mme dr prof gov sen rep reps sens gen lt col capt cmdr cdr adm maj sgt cpl pvt
    brig rev hon pres supt det insp atty amb fr gens supt""".split()
)
# Abbreviations that stay inside a sentence when a number follows (``Jan. 5``, ``No. 10``).
BEFORE_NUMBER = frozenset(
    "jan feb mar apr jun jul aug sep sept oct nov dec no nos vol fig figs pp p art sec ch op para".split()
)
# Abbreviations that can also end a sentence: split only when a sentence opener follows.
AMBIGUOUS = frozenset(
    """inc ltd co corp plc llc jr sr bros etc vs v approx dept est esq st mt ft ave blvd rd univ assn
    cf al""".split()
)
# Words that typically open a sentence; after an ambiguous abbreviation they signal a boundary.
STARTERS = frozenset(
    """the a an he she it they we i you this that these those there here his her its their our my your
    but and or so yet in on at for with as after before when while if although though however
    meanwhile still also now then last earlier later according some many most other others one two
    three mr mrs ms dr what who why how where which not no yes by from under since during despite
    both each every all neither nor such more less only even just instead officials police critics
    supporters democrats republicans president asked speaking""".split()
)
SPEECH_VERBS = (
    "said|says|asked|asks|told|tells|added|adds|wrote|writes|tweeted|replied|replies|continued|explained|"
    "insisted|shouted|declared|recalled|noted|argued|warned|joked|laughed|quipped|posted"
)

# A whole run of terminal punctuation (never starting inside one, and possessive, so a long run of dots
# cannot make the scan quadratic), its closing quotes/brackets, then whitespace or the end.
_CANDIDATE = re.compile(r"(?<![.!?…])[.!?…]++[" + re.escape(CLOSERS) + r"]*+(?=\s|$)")
_BLANK_LINE = re.compile(r"\n[^\S\n]*\n\s*")
_NEWLINE = re.compile(r"\n")
_SPEECH_AFTER = re.compile(
    r"(?:[A-Z][\w’'.\-]*\s+){1,3}(?:" + SPEECH_VERBS + r")\b"
)
_INITIALS = re.compile(r"^(?:[A-Za-z]\.)+[A-Za-z]$")
_WORD = re.compile(r"[\w’'-]+")
_TOKEN = re.compile(r"\w+(?:[’'.-]\w+)*")
_BULLET = re.compile(r"[-*•–—]\s")
# A line ending like this continues on the next line even when that one starts with a capital.
_CONTINUES = re.compile(
    r"(?:[,;:(\-–—]|\b(?:the|a|an|of|to|and|or|but|in|on|at|for|with|by|from|that|as|is|was|are|were|"
    r"said|says|his|her|their|its|our|mr|mrs|ms|dr))$",
    re.IGNORECASE,
)


def split_sentences(text: str) -> list[Sentence]:
    """Split `text` into sentences whose offsets slice `text` exactly (``text[s.start:s.end] == s.text``).

    Returns an empty list for blank input. Pieces without any letter or digit (a stray quote mark on
    its own line) are folded into the following sentence rather than returned alone.
    """
    if not isinstance(text, str):
        raise TypeError(f"split_sentences expects str, got {type(text).__name__}")
    cuts: set[int] = set()
    for m in _BLANK_LINE.finditer(text):
        cuts.add(m.start())
    for m in _CANDIDATE.finditer(text):
        if _is_boundary(text, m.start(), m.end()):
            cuts.add(m.end())
    for m in _NEWLINE.finditer(text):
        if _newline_is_boundary(text, m.start()):
            cuts.add(m.start())
    return _spans(text, sorted(cuts))


def _spans(text: str, cuts: list[int]) -> list[Sentence]:
    """Turn cut positions into stripped sentences, merging punctuation-only fragments forward."""
    out: list[Sentence] = []
    pending_start: int | None = None
    prev = 0
    for cut in [*cuts, len(text)]:
        if cut <= prev:
            continue
        start, end = _strip(text, prev, cut)
        prev = cut
        if start >= end:
            continue
        if pending_start is not None:
            start, pending_start = pending_start, None
        if not any(ch.isalnum() for ch in text[start:end]):
            pending_start = start
            continue
        out.append(Sentence(text[start:end], start, end))
    if pending_start is not None:  # trailing junk: attach to the last sentence if there is one
        start, end = _strip(text, pending_start, len(text))
        if out:
            last = out.pop()
            out.append(Sentence(text[last.start:end], last.start, end))
        elif start < end:
            out.append(Sentence(text[start:end], start, end))
    return out


def _strip(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _token_before(text: str, pos: int) -> str:
    """The whitespace-delimited token ending at `pos`, without leading quotes or brackets."""
    start = pos
    while start > 0 and not text[start - 1].isspace():
        start -= 1
    return text[start:pos].lstrip(OPENING_QUOTES + "([")


def _next_text(text: str, pos: int) -> str:
    """Up to 80 characters of what follows `pos`, after whitespace."""
    while pos < len(text) and text[pos].isspace():
        pos += 1
    return text[pos : pos + 80]


def _is_boundary(text: str, start: int, end: int) -> bool:
    """Decide whether the terminal punctuation `text[start:end]` (plus closers) ends a sentence."""
    nxt = _next_text(text, end)
    if not nxt:
        return True
    first = nxt[0]
    if first.islower() or first in ",;:":
        return False  # `...?" she asked`, `e.g. something`, `10 a.m. on Friday`
    match = text[start:end]
    punct = match.rstrip(CLOSERS)
    closed = len(punct) < len(match)
    if "!" in punct or "?" in punct:
        # `"Wow!" Trump said.`: the quote is part of the attribution sentence.
        return not (closed and _SPEECH_AFTER.match(nxt))
    if punct != ".":
        return True  # an ellipsis followed by a capitalised word
    if closed:
        return True  # `... said "no." He`
    word = _token_before(text, start)
    lower = word.lower()
    if lower in TITLES:
        return False
    next_word_m = _WORD.match(nxt)
    next_word = next_word_m.group(0).lower() if next_word_m else ""
    if lower in BEFORE_NUMBER and first.isdigit():
        return False
    if lower in AMBIGUOUS or _INITIALS.match(word) or (len(word) == 1 and word.isalpha()):
        return first in OPENING_QUOTES or next_word in STARTERS
    return True


def _newline_is_boundary(text: str, pos: int) -> bool:
    """A line break ends a sentence when the line has no final punctuation and the next starts anew.

    Lines that end in terminal punctuation are decided by `_is_boundary`; blank lines are always cuts.
    """
    line_start = text.rfind("\n", 0, pos) + 1
    line = text[line_start:pos].rstrip()
    if not line or line.rstrip(CLOSERS)[-1:] in (".", "!", "?", "…"):
        return False
    nxt = _next_text(text, pos + 1)
    if not nxt:
        return False
    if _BULLET.match(nxt):
        return True
    if _CONTINUES.search(line[-24:]):
        return False
    first = nxt[0]
    return first.isupper() or first.isdigit() or first in OPENING_QUOTES or _BULLET.match(line) is not None


def tokenize_words(text: str) -> list[str]:
    """Word tokens of `text` (letters/digits with inner apostrophes, hyphens and dots kept together).

    One tokenizer for every summarizer here, so rankers and baselines compare the same words.
    """
    return _TOKEN.findall(text)

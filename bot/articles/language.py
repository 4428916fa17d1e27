"""A cheap "is this English?" check: briefbot's summarizers, NER and quote rules are English-only,
so non-English (or mis-decoded) text is refused with a clear reason rather than briefed badly."""

from __future__ import annotations

import re

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_FUNCTION_WORDS = frozenset(
    "the of and to a in is that for on it with as was he she his her at by from be this have are not "
    "but they said has had an or will would who which their its we been were more after about than".split()
)
SAMPLE_CHARS = 4000
MIN_WORDS = 12          # shorter texts carry too little signal to judge
MIN_FUNCTION_SHARE = 0.12  # English news prose is ~35-45% function words; French/Spanish/German < 5%
MIN_LATIN_SHARE = 0.7


def looks_english(text: str) -> bool:
    sample = text[:SAMPLE_CHARS]
    words = _WORD.findall(sample)
    if len(words) < MIN_WORDS:
        chars = [c for c in sample if c.isalpha()]
        return not chars or sum(c.isascii() for c in chars) / len(chars) >= MIN_LATIN_SHARE
    letters = "".join(words)
    if sum(c.isascii() for c in letters) / len(letters) < MIN_LATIN_SHARE:
        return False
    share = sum(w.lower() in _FUNCTION_WORDS for w in words) / len(words)
    return share >= MIN_FUNCTION_SHARE

"""Which sentences of a long page tell its story's events, the most retold first.

A page saved from the web often holds several reports of one story pasted together (live coverage, a
collage of outlets, an essay with news under it). The extractive ranker leans on position, which on
such a page means the opening essay and the first lines of arbitrary stretches; the model then writes
its three points from background ("Musk has increasingly used X as a microphone ...") and the events
that every report on the page repeats (the late start, the border, the assassination attempt) never
reach it.

An event sentence here is one whose main verb is in the simple past and whose subject names what the
headline names ("Musk blamed ...", "Trump claimed ...", "The conversation started ..."), with no other
year and no "last year": a thing the story's people did, not background, not a quotation. Among
those, the sentences whose words the rest of the page repeats most are the story's main events; a
sentence repeating a chosen one is skipped so that the prompt carries several events, not one told
four times.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

from summarizers.methods.extractive import stem_word
from summarizers.methods.verify import content_words
from summarizers.nlp import parse
from summarizers.segment import OPENING_QUOTES, tokenize_words

_YEAR = re.compile(r"\b(?:19|20)\d\d\b")
_BACKGROUND = re.compile(r"\blast (?:year|month)\b|\b(?:years|months) ago\b|\bin the past\b", re.IGNORECASE)
SAME_EVENT_WORDS = 3  # shared words (beyond the headline's) that make two event sentences one event
MIN_SHARED = 2  # words a sentence must share with another for that one to count as retelling it
SUBJECT_WINDOW = 8  # words at the start of a sentence where its subject is looked for before parsing
MAX_PARSED = 120  # sentences parsed at most (~5 ms each on one core), in the order given


def reports_event(sentence: str, headline_words: frozenset[str], headline_years: frozenset[str]) -> bool:
    """Whether `sentence` says that someone or something the headline names did something (past tense),
    in the story's own time."""
    text = sentence.lstrip()
    if text.startswith(tuple(OPENING_QUOTES)) or _BACKGROUND.search(text):
        return False
    if set(_YEAR.findall(text)) - headline_years:
        return False
    doc = parse(text)
    root = next((t for t in doc if t.dep_ == "ROOT"), None)
    if root is None or root.tag_ != "VBD":
        return False
    subject = {stem_word(w.lower_) for c in root.children if c.dep_ in {"nsubj", "nsubjpass"} for w in c.subtree}
    return bool(subject & headline_words)


def event_sentences(texts: Sequence[str], words: Sequence[frozenset[str]], title: str) -> list[int]:
    """Indexes into `texts` of the event sentences, the most retold first, one per event.

    `texts` come best-ranked first, so that on a very long page the parse budget goes to those; `words`
    are the sentences' content words (as `summarizers.methods.verify.content_words` gives them)."""
    title_words = content_words(title)
    if not title_words:
        return []
    years = frozenset(_YEAR.findall(title))
    df = Counter(w for ws in words for w in ws)
    idf = {w: math.log(len(words) / n) for w, n in df.items()}
    scored = []
    parsed = 0
    for i, text in enumerate(texts):
        opening = {stem_word(w) for w in tokenize_words(text)[:SUBJECT_WINDOW]}
        if not opening & title_words:
            continue  # the cheap test first: a subject the headline names comes early in the sentence
        parsed += 1
        if parsed > MAX_PARSED:
            break  # a live blog of a thousand sentences: the first (best-ranked) ones are enough
        if not reports_event(text, title_words, years):
            continue
        own = words[i] - title_words
        # fsum: exactly rounded whatever the order of the sets' words, which changes with the string hash
        # seed; a plain sum made two retellings of one event tie or not from one process to the next.
        retold = math.fsum(idf[w] for j, other in enumerate(words)
                           if j != i and len(own & other) >= MIN_SHARED for w in own & other)
        scored.append((retold, i, own))
    chosen: list[tuple[int, frozenset[str]]] = []
    for _retold, i, own in sorted(scored, key=lambda s: (-s[0], s[1])):
        if all(len(own & other) < SAME_EVENT_WORDS for _, other in chosen):
            chosen.append((i, own))
    return [i for i, _ in chosen]

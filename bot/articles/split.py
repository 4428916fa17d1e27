"""Split an aggregated page (several stories pasted or scraped together) into separate stories.

Live blogs, "what we know" round-ups and copy-pasted reading lists hold several stories. Summarising
them as one article blends facts and speakers across stories, so we cut where the text clearly starts
a new story, and only there:

* a **headline**: a one-line paragraph of 4-20 words that names someone (a capitalised word after the
  first), has no sentence punctuation, and is followed by a **lede**, i.e. body text that does not
  continue the previous thought ("But ...", "He ...", "Musk, meanwhile, ..." continue it: that makes the
  line a subhead of the running story, not a new one);
* a **dateline** ("WASHINGTON (AP) — ..."), which wire copy only puts at the top of a story.

A cut is kept only if both sides hold a real story (`MIN_STORY_WORDS`), so an article with a couple of
subheads stays whole. Input is cleaned text (paragraphs separated by blank lines, see `clean.clean_text`).
"""

from __future__ import annotations

import logging
import re

from bot.articles.clean import ends_sentence, is_caption, word_count

log = logging.getLogger(__name__)

MIN_STORY_WORDS = 80
_HEADLINE_WORDS = (5, 14)
_HEADLINE_CHARS = 120

_SENTENCE_INSIDE = re.compile(r"[.!?][\"'”’)]*\s+[A-Z\"“‘]")
_CAPITALISED = re.compile(r"^[A-Z][\w'’.-]*$")
_OPENING_QUOTE = re.compile(r"^[\"“‘'«]")
# Quote marks (not apostrophes inside words or after a plural "s"): headlines here are never quotes.
_QUOTE_MARK = re.compile(r"[\"“”«»]|(?:^|\s)['’‘]|(?<![sS\s])['’](?=\s|$)")
# Statement end: like `ends_sentence` but a colon or semicolon announces more of the same text.
_ENDS_STATEMENT = re.compile(r"[.!?…][\"'”’)\]]*$")
# Headlines do not end on a function word; wrapped sentence fragments ("... said that") do.
_FUNCTION_WORDS = frozenset(
    "a an the of to in on at for with by from and or but nor that which who whom whose said says as is are was "
    "were be been being has have had his her their its our my your this these those than then if when while into "
    "onto about after before another".split()
)
# Words that open a paragraph continuing the previous one: connectives, pronouns, demonstratives.
_CONTINUATION = re.compile(
    r"^(?:but|and|or|so|yet|still|also|then|meanwhile|however|instead|indeed|moreover|nevertheless|nonetheless"
    r"|of\s+course|in\s+(?:fact|addition|contrast|turn|short)|at\s+the\s+same\s+time|even\s+so|after\s+all"
    r"|that\s+said|by\s+contrast|for\s+(?:example|instance|his|her|their|its)\s+part|on\s+the\s+other\s+hand"
    r"|he|she|it|they|we|i|you|his|her|its|their|our|my|this|that|these|those|there|here|such|both|neither"
    r"|the\s+(?:former|latter|two|same))\b",
    re.IGNORECASE,
)
# Subheads that explain the running story rather than start a new one.
_EXPLAINER = re.compile(
    r"^(?:what|why|how|who|when|where|which|the\s+(?:bigger|big)\s+picture|the\s+background|background"
    r"|key\s+(?:facts|points|takeaways)|in\s+(?:brief|short|numbers)|by\s+the\s+numbers|next\s+steps)\b",
    re.IGNORECASE,
)
_CONTINUATION_AFTER_SUBJECT = re.compile(
    r"^[^,]{1,40},\s+(?:meanwhile|however|though|too|in\s+turn|for\s+(?:his|her|their|its)\s+part|by\s+contrast)\b",
    re.IGNORECASE,
)
_AGENCY_TAG = r"\((?:AP|Reuters|AFP|UPI|CNN|Bloomberg|dpa)\)"
_PLACE_WORD = r"[A-Z][A-Z.'’-]+"
# "WASHINGTON —", "KYIV, Ukraine —", "LONDON, Aug 12 (Reuters) -". Longer all-caps runs ("QUESTIONABLE MEDICAL
# CLAIMS —") are section lead-ins, so three or more words count only with an agency tag.
_DATELINE = re.compile(
    rf"^(?:{_PLACE_WORD}(?:\s{_PLACE_WORD})?(?:,\s+[A-Z][\w.]+(?:\s+[A-Z][\w.]+)?(?:\s+\d{{1,2}})?)?\s*(?:{_AGENCY_TAG})?"
    rf"|{_PLACE_WORD}(?:\s{_PLACE_WORD}){{2,3}}(?:,\s+[A-Z][\w.]+)?\s*{_AGENCY_TAG})"
    r"\s*(?:[—–]|--?)\s+\S"
)


def is_headline(para: str, *, require_name: bool = True) -> bool:
    """A one-line, headline-shaped paragraph: short, unpunctuated, naming someone or something.

    Each rule below rejects a shape that scraped text produces and headlines do not: wrapped sentence
    fragments, image captions, quotes, all-caps section labels, lines that continue a thought, and
    explanatory subheads ("What the plan includes", "Why businesses objected"). `require_name=False` is
    for the first line of a text, where a sentence-case title ("Senate approves stopgap bill") is common.
    """
    if "\n" in para or len(para) > _HEADLINE_CHARS:
        return False
    words = para.split()
    if not _HEADLINE_WORDS[0] <= len(words) <= _HEADLINE_WORDS[1]:
        return False
    if not (para[0].isupper() or para[0].isdigit()) or para.isupper() or _QUOTE_MARK.search(para):
        return False
    stripped = para.rstrip(" '’\"”")
    if ends_sentence(stripped) or stripped.endswith((",", "-", "–", "—", ")", "(")):
        return False
    if _SENTENCE_INSIDE.search(para) or words[-1].lower() in _FUNCTION_WORDS:
        return False
    if _continues(para) or _EXPLAINER.match(para) or is_caption(para) or "pictured" in para.lower():
        return False
    return not require_name or any(_CAPITALISED.match(w.strip(",:;'’\"“”()")) for w in words[1:])


def _is_body(para: str) -> bool:
    return ends_sentence(para) and word_count(para) >= 8


def _is_lede(para: str) -> bool:
    """Body text that can open a story: starts like a sentence and does not lean on what came before."""
    return _is_body(para) and (para[0].isupper() or para[0].isdigit() or bool(_OPENING_QUOTE.match(para))) \
        and not _continues(para)


def _continues(para: str) -> bool:
    """True if the paragraph reads as a continuation of what came before, not the start of a story."""
    return bool(_CONTINUATION.match(para) or _CONTINUATION_AFTER_SUBJECT.match(para))


def _is_dateline(para: str) -> bool:
    return bool(_DATELINE.match(para)) and _is_body(para)


def _same_line(a: str, b: str) -> bool:
    return re.sub(r"\W+", " ", a).strip().lower() == re.sub(r"\W+", " ", b).strip().lower()


def _boundaries(paras: list[str]) -> list[tuple[int, bool]]:
    """Indices where a new story begins, with whether that index is a headline (True) or a dateline lede."""
    cuts: list[tuple[int, bool]] = []
    for i in range(1, len(paras)):
        prev = paras[i - 1]
        para = paras[i]
        nxt = paras[i + 1] if i + 1 < len(paras) else ""
        if is_headline(para) and _ENDS_STATEMENT.search(prev) and nxt and _is_lede(nxt):
            cuts.append((i, True))
        elif _is_dateline(para) and not (cuts and cuts[-1][0] == i - 1):
            # A headline right above the dateline is this story's title.
            cuts.append((i - 1, True) if i > 1 and is_headline(prev) else (i, False))
    return cuts


def split_stories(text: str, title: str = "") -> list[tuple[str, str]]:
    """Split cleaned text into [(title, text)]: one element unless it clearly holds several stories.

    The first story gets `title` (or, if none is given, a leading headline line); a headline repeated as
    the first paragraph is removed from the text. Blank input gives an empty list.
    """
    paras = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    if not paras:
        return []
    first_title = title.strip()
    if first_title and _same_line(paras[0], first_title):
        paras = paras[1:]
    elif not first_title and len(paras) > 1 and is_headline(paras[0], require_name=False) and _is_body(paras[1]):
        first_title, paras = paras[0], paras[1:]
    if not paras:
        return [(first_title, "")]

    segments: list[tuple[str, list[str]]] = [(first_title, [])]
    cuts = dict(_boundaries(paras))
    for i, para in enumerate(paras):
        if i in cuts:
            segments.append((para, []) if cuts[i] else ("", [para]))
        else:
            segments[-1][1].append(para)

    # Merge stories too short to stand alone back into the story before them (their "headline" was a subhead).
    merged: list[tuple[str, list[str]]] = []
    for seg_title, body in segments:
        if merged and sum(word_count(p) for p in body) < MIN_STORY_WORDS:
            prev_body = merged[-1][1]
            prev_body.extend(([seg_title] if seg_title else []) + body)
        else:
            merged.append((seg_title, list(body)))
    if len(merged) > 1 and sum(word_count(p) for p in merged[0][1]) < MIN_STORY_WORDS:
        # A short opening (a teaser paragraph) belongs to the first real story.
        (t0, b0), (t1, b1) = merged[0], merged[1]
        merged[:2] = [(t0 or t1, b0 + ([t1] if t0 and t1 else []) + b1)]
    stories = [(t, "\n\n".join(b)) for t, b in merged]
    if len(stories) > 1:
        log.info("split text into %d stories: %s", len(stories), "; ".join(t or "(untitled)" for t, _ in stories))
    return stories

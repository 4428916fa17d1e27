"""Direct quotes and who said them.

A news quote is attributed by a speech cue next to it (`“…,” Trump said.`, `said UAW President Shawn
Fain.`, `Trump told Musk: “…”`, `according to Microsoft`), by a pronoun (`“…,” he said.`), by continuing
the previous quote (`“…,” he said. “…”`, or a quote that runs over several paragraphs), or, for words
quoted inside a sentence (`calling it “incredibly moving”`), by the verb the quoted words belong to.

The steps:

1. Quote marks are paired per paragraph (curly, straight, guillemets, and single quotes outside double
   ones); offsets point at the quoted words, not the marks.
2. The text after the closing mark up to the end of its sentence, and before the opening mark back to
   the start of its sentence, are searched for a speech cue; the cue's grammatical subject (spaCy's
   dependency parse, climbing through participles such as "telling Musk:") is the speaker. Words inside
   quotes never count as speakers, so “Both Trump and Musk …,” Shawn Fain said is Fain's.
3. The subject becomes a person through `figures.find_people` (full canonical name for "Musk" or "the
   Tesla CEO"); a he/she pronoun resolves to the nearest preceding person whose gender (estimated from
   this text's honorifics, gendered role nouns and subject pronouns, not possessives; then a common
   given name) fits, preferring sentence subjects and earlier quote speakers; sentences wholly inside
   quote marks do not count towards the look-back, so a long quote does not hide its speaker from the
   next "he added".
4. Quotes embedded in a sentence are `partial`; their speaker is the subject of the speech verb they
   hang from, or the sentence's subject, or None. Scare quotes of one to three words with no cue are
   partial too.
"""

from __future__ import annotations

import bisect
import logging
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from summarizers.people.first_names import gender_of
from summarizers.people.names import TITLE_WORDS, find_people, name_tokens, parse, sentences
from summarizers.types import Person, Quote

log = logging.getLogger(__name__)

# Lemmas of verbs that introduce or attribute speech.
SPEECH_VERBS = frozenset(
    """say tell add ask write post tweet retweet state argue claim note warn urge explain insist declare
    announce reply respond answer recall acknowledge admit complain suggest contend continue conclude remark
    observe predict promise vow joke quip boast caution concede confirm deny emphasize emphasise stress
    testify retort shout yell exclaim mutter whisper assert maintain allege charge counter lament scoff
    chide blast slam cite tout pledge proclaim recount describe call repeat reiterate read laugh mock interject
    deride dismiss praise thank plead demand threaten brag gush concur agree disagree question wonder
    echo remember press interrupt chime quote elaborate muse opine reason surmise marvel react report""".split()
)
# Surface forms the tagger sometimes mislabels as nouns or adjectives.
_SPEECH_FORMS = frozenset(
    """said says told tells added wrote tweeted posted asked stated noted explained replied argued warned
    insisted declared continued recalled quipped joked""".split()
)
# Verbs that attribute speech with "back": "shot back", "fired back", "hit back", "pushed back".
_BACK_VERBS = frozenset({"shoot", "fire", "hit", "push", "snap", "strike", "write", "talk"})
_NAME_LIKE_POS = frozenset({"PROPN", "PRON", "DET", "NOUN", "ADJ", "NUM", "PUNCT", "PART"})
_SUBJECT_DEPS = frozenset({"nsubj", "nsubjpass", "csubj"})
# Clauses through which a cue inherits its subject ("…, telling Musk: “…”" -> "Trump tried …").
_CLIMB_DEPS = frozenset({"advcl", "xcomp", "conj", "pcomp", "prep", "acl", "dep", "npadvmod"})
_MALE = frozenset({"he", "him", "his", "himself"})
_FEMALE = frozenset({"she", "her", "hers", "herself"})
_FEMALE_NOUNS = frozenset("wife mother daughter sister queen actress widow girlfriend grandmother".split())
_MALE_NOUNS = frozenset("husband father son brother king actor widower boyfriend grandfather".split())
# Pronouns that corefer with a clause subject (possessives excluded: see `_Attributor._genders`).
_BINDING_PRONOUNS = {"he": "m", "himself": "m", "she": "f", "herself": "f"}
# "-man" role nouns used for women too ("Trump spokesman Hope Hicks"): no gender evidence.
_GENERIC_MAN = frozenset({"chairman", "spokesman", "anchorman", "freshman", "ombudsman"})
_RELATIVE = frozenset({"who", "that", "which"})
_SPEAKER_LABELS = frozenset({"ORG", "GPE", "NORP"})
# Entity labels of words that are never a speaker's name (dates, numbers, amounts).
_NOT_NAME_LABELS = frozenset({"DATE", "TIME", "CARDINAL", "ORDINAL", "MONEY", "PERCENT", "QUANTITY"})
_LOOKBACK_SENTENCES = 6
# Nouns that announce the quoted paragraph after them (`X issued a statement …` / `“…”`).
_STATEMENT_NOUNS = frozenset("statement remark speech interview letter email tweet post message word".split())  # lemmas
_SPEAKER, _MAIN_SUBJECT, _OTHER_SUBJECT, _OTHER_MENTION = 0, 1, 2, 3  # pronoun antecedent ranks
_SCARE_WORDS = 3
# A quote opening with one of these and nothing else continues the previous speaker (`But “…”`).
_LEAD_WORDS = frozenset({"but", "and", "so", "yet", "still", "also"})

_PARAGRAPH = re.compile(r"\n[^\S\n]*\n")
_OPEN_SINGLE = re.compile(r"(?:(?<=^)|(?<=[\s(\[—–-]))[‘'](?=[A-Za-z0-9])")
_CLOSE_SINGLE = re.compile(r"(?<=\S)[’'](?=[\s.,;:!?)\]—–-]|$)")
_DASH_ATTRIBUTION = re.compile(r"\s*[―—–-]{1,2}\s*")
_DASH_SIGNATURE = re.compile(
    r"[^\S\n]*[―—–-]{1,2}[^\S\n]*(?P<name>(?:[A-Z][\w.'’-]*[^\S\n]*){1,4}?)(?:,[^\n]{1,80})?[.\s]*")
_WORDS = re.compile(r"[\w’'-]+")
_TEXT_CUES = r"(?:said|says|told|tells|added|adds|asked|asks|wrote|writes|tweeted|posted|replied|explained|noted)"
_TEXT_NAME = r"(?:[A-Z][\w.'’-]*[^\S\n]+){0,3}[A-Z][\w.'’-]*"
_TEXT_AFTER = re.compile(
    rf"[\s,]*(?:(?P<who>{_TEXT_NAME}|he|she)[^\S\n]+{_TEXT_CUES}\b|{_TEXT_CUES}[^\S\n]+(?P<who2>{_TEXT_NAME}))")
_TEXT_BEFORE = re.compile(rf"(?P<who>{_TEXT_NAME}|\b[Hh]e|\b[Ss]he)[^\S\n]+{_TEXT_CUES}\s*[,:]?\s*$")
_NAME_WORDS = re.compile(r"(?:[A-Z][\w’'.-]*[^\S\n]?){1,5}")


_Found = tuple[str | None, int | None, bool]  # (speaker, cue offset, whether a cue was found)


@dataclass(frozen=True, slots=True)
class QuoteSpan:
    """Paired quote marks: `open`/`close` index the marks (close is the paragraph end when the quote
    is left open, as multi-paragraph quotes are); `start`/`end` bound the quoted words."""

    open: int
    close: int
    start: int
    end: int
    closed: bool


def extract_quotes(text: str, *, doc: Any = None, people: Sequence[Person] | None = None) -> list[Quote]:
    """Direct and partial quotes in `text` with their speakers, in text order.

    `doc` and `people` may be passed when the caller already has them (the text is parsed once either
    way: `figures.parse` caches the spaCy document). Without them the attribution is the one the point
    checks ask about (`pronoun_referents`, `quote_speaker`), run once per text.
    """
    if not isinstance(text, str):
        raise TypeError(f"extract_quotes expects str, got {type(text).__name__}")
    spans = find_quote_spans(text)
    if not spans:
        return []
    if doc is None and people is None:
        return list(_analysed(text)[1])
    doc = doc if doc is not None else parse(text)
    people = people if people is not None else find_people(text, doc)
    return _Attributor(text, doc, people, spans).run()


def pronoun_referents(text: str, start: int, end: int) -> set[str]:
    """The people that the he/she pronouns in `text[start:end]` refer to, resolved as quote speakers
    are. The point checks ask it when a point names someone its source sentence only calls "he" ("But he
    pledged that Africa ..." four sentences after "Mr Blair told ..."): the nearest-words window of the
    grounding check cannot reach that far, the resolver's subject chain can."""
    attributor, _quotes = _analysed(text)
    return {name for t in attributor.doc if start <= t.idx < end and t.lower_ in ("he", "she")
            if (name := attributor.resolve_pronoun(t))}


def quote_speaker(text: str, start: int, end: int) -> str | None:
    """The speaker of the direct quotation that `text[start:end]` belongs to, if the attributor found one:
    a point that copies a quoted sentence without its speaker can then be given back its speaker ("According
    to Barbara Stocking, ...") instead of being thrown away."""
    _attributor, quotes = _analysed(text)
    return next((q.speaker for q in quotes if q.speaker and not q.partial and q.start < end and start < q.end), None)


@lru_cache(maxsize=8)
def _analysed(text: str) -> tuple[_Attributor, tuple[Quote, ...]]:
    """An attributor that has run over `text` (its quote speakers feed the pronoun look-back), and the
    quotes it found; cached because a briefing checks several points against one article."""
    doc = parse(text)
    attributor = _Attributor(text, doc, find_people(text, doc), find_quote_spans(text))
    return attributor, tuple(attributor.run())


def find_quote_spans(text: str) -> list[QuoteSpan]:
    """Pair the quote marks of `text` paragraph by paragraph (see the module docstring)."""
    spans: list[QuoteSpan] = []
    start = 0
    for m in [*_PARAGRAPH.finditer(text), None]:
        end = m.start() if m else len(text)
        doubles = _double_spans(text, start, end)
        spans.extend(doubles)
        spans.extend(_single_spans(text, start, end, doubles))
        start = m.end() if m else len(text)
    return sorted((s for s in spans if _has_words(text, s)), key=lambda s: s.open)


def _double_spans(text: str, start: int, end: int) -> list[QuoteSpan]:
    out: list[QuoteSpan] = []
    opened: int | None = None
    for i in range(start, end):
        ch = text[i]
        if ch in "“«":
            if opened is not None:  # a new opening mark before a close: the previous one was left open
                out.append(_span(text, opened, i, closed=False))
            opened = i
        elif ch in "”»":
            if opened is not None:
                out.append(_span(text, opened, i, closed=True))
                opened = None
        elif ch == '"':
            if opened is None:
                opened = i
            else:
                out.append(_span(text, opened, i, closed=True))
                opened = None
    if opened is not None:
        out.append(_span(text, opened, end, closed=False))
    return out


def _single_spans(text: str, start: int, end: int, doubles: Sequence[QuoteSpan]) -> list[QuoteSpan]:
    """Single-quoted words outside double quotes ('incredibly moving'); apostrophes are not closers."""
    out: list[QuoteSpan] = []
    pos = start
    while True:
        m = _OPEN_SINGLE.search(text, pos, end)
        if m is None:
            return out
        pos = m.end()
        if any(d.open <= m.start() <= d.close for d in doubles):
            continue
        close = _CLOSE_SINGLE.search(text, m.end(), min(end, m.end() + 200))
        if close is None or "\n" in text[m.end():close.start()]:
            continue
        out.append(_span(text, m.start(), close.start(), closed=True))
        pos = close.end()


def _span(text: str, opened: int, close: int, *, closed: bool) -> QuoteSpan:
    start, end = opened + 1, close
    while start < end and text[start].isspace():
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] == ","):
        end -= 1
    return QuoteSpan(opened, close, start, end, closed)


def _has_words(text: str, span: QuoteSpan) -> bool:
    return any(ch.isalpha() for ch in text[span.start:span.end])


@dataclass(slots=True)
class _Done:
    """A quote already attributed, kept for continuations and pronoun resolution."""

    span: QuoteSpan
    speaker: str | None
    partial: bool
    after_end: int  # end of the region searched for an attribution (stops at the next quote)
    cue_pos: int | None
    sentence_end: int  # end of the sentence holding the closing mark and its attribution
    cued: bool = False  # a partial quote with its own cue right after it (`… “most people …,” she said`)


class _Attributor:
    """Attribution state for one text: mention lookup, sentences, genders, earlier speakers."""

    def __init__(self, text: str, doc: Any, people: Sequence[Person], spans: list[QuoteSpan]) -> None:
        self.text, self.doc, self.spans = text, doc, spans
        self.mentions = sorted((s, e, p.name) for p in people for s, e in p.mentions)
        self.mention_starts = [m[0] for m in self.mentions]
        self.quote_opens = [s.open for s in spans]
        self.sentences = sentences(text)
        self.sentence_starts = [s.start for s in self.sentences]
        self.paragraph_starts = [0] + [m.end() for m in _PARAGRAPH.finditer(text)]
        self.speakers: dict[int, list[tuple[int, str]]] = {}
        self.pronouns: dict[int, str | None] = {}
        self.quoted_only: dict[int, bool] = {}
        # Speakers that are organisations or places ("the U.S.", "the Illinois Board of Elections"):
        # quotes may be theirs, but a he/she never refers to them.
        self.organisations: set[str] = set()
        self.genders = self._genders(people)

    # -- lookups ----------------------------------------------------------------------------------

    def person_at(self, pos: int) -> str | None:
        i = bisect.bisect_right(self.mention_starts, pos) - 1
        if i >= 0 and self.mentions[i][0] <= pos < self.mentions[i][1]:
            return self.mentions[i][2]
        return None

    def in_quote(self, pos: int) -> bool:
        """Is `pos` between a pair of quote marks (marks included)? Spans never nest."""
        i = bisect.bisect_right(self.quote_opens, pos) - 1
        return i >= 0 and self.spans[i].open <= pos <= self.spans[i].close

    def sentence_index(self, pos: int) -> int:
        return max(0, bisect.bisect_right(self.sentence_starts, pos) - 1)

    def sentence_bounds(self, pos: int) -> tuple[int, int]:
        if not self.sentences:
            return 0, len(self.text)
        s = self.sentences[self.sentence_index(pos)]
        return (s.start, s.end) if s.start <= pos < s.end else (pos, pos)

    def paragraph_bounds(self, pos: int) -> tuple[int, int]:
        i = bisect.bisect_right(self.paragraph_starts, pos) - 1
        start = self.paragraph_starts[max(i, 0)]
        m = _PARAGRAPH.search(self.text, pos)
        return start, (m.start() if m else len(self.text))

    def tokens(self, start: int, end: int) -> list[Any]:
        """Tokens starting in `[start, end)` that are not inside quote marks."""
        if end <= start:
            return []
        span = self.doc.char_span(start, end, alignment_mode="expand")
        if span is None:
            return []
        return [t for t in span if start <= t.idx < end and not self.in_quote(t.idx) and not t.is_space]

    # -- the main loop ----------------------------------------------------------------------------

    def run(self) -> list[Quote]:
        out: list[Quote] = []
        prev: _Done | None = None
        for index, span in enumerate(self.spans):
            nxt = self.spans[index + 1] if index + 1 < len(self.spans) else None
            done = self._attribute(span, prev, nxt)
            end = span.end
            if done.partial:  # `calling it “incredibly moving.”`: the period belongs to the sentence
                while end > span.start + 1 and self.text[end - 1] in ".,;:":
                    end -= 1
            out.append(Quote(done.speaker, self.text[span.start:end], span.start, end, done.partial))
            if not done.partial:
                if done.speaker and done.cue_pos is not None:
                    self.speakers.setdefault(self.sentence_index(done.cue_pos), []).append(
                        (done.cue_pos, done.speaker))
                prev = done
            elif done.cued:  # `… because “most people …,” she said. “We have no context …”`
                prev = done
        return out

    def _attribute(self, span: QuoteSpan, prev: _Done | None, nxt: QuoteSpan | None) -> _Done:
        para_start, para_end = self.paragraph_bounds(span.open)
        # The attribution may sit in what the splitter made the next sentence (`…!” US Senator Jeff
        # Sessions said`), so the region runs to the end of the sentence that follows the mark.
        follow = span.close + 1
        while follow < para_end and self.text[follow].isspace():
            follow += 1
        sentence_end = min(para_end, self._sentence_end(follow))
        after_end = min(sentence_end, nxt.open if nxt else len(self.text))
        after_start = min(span.close + 1, after_end)
        before_start = max(self.sentence_bounds(span.open)[0], para_start)
        if prev is not None and prev.span.close >= para_start:
            before_start = max(before_start, prev.span.close + 1)
        before = self.text[before_start:span.open].strip()
        lead_in = ""
        if not before and span.open == para_start and para_start > 0:
            tail = self.text[:para_start].rstrip()
            if tail.endswith(":"):  # "…, as Joel Pollak observed:" then a quoted paragraph
                before_start = self.sentence_bounds(len(tail) - 1)[0]
                lead_in = tail[before_start:].strip()
        words = len(_WORDS.findall(self.text[span.start:span.end]))
        content = self.text[span.start:span.end]

        before_toks = self.tokens(before_start, span.open)
        # `“…,” she elaborated, “no one …”`: the second part of an interrupted quote, whatever the verb.
        # Also `“…,” he said, but “when it comes …”` and `“…,” adding, “…”` (a participle after the
        # previous quote carries on its speaker's sentence).
        last_word = before.rstrip(" ,").rsplit(maxsplit=1)[-1].casefold() if before.strip(" ,") else ""
        joined = before.endswith(",") or (last_word in _LEAD_WORDS and "," in before)
        interrupted = prev is not None and joined and (
            (prev.cue_pos is not None and prev.span.close < prev.cue_pos < span.open)
            or (not prev.partial and prev.span.close >= para_start and self._only_participle(before_toks)))
        full = interrupted or self._is_full(before, content, words, before_toks)
        if not before and span.open == para_start and para_start > 0 and lead_in:
            before = lead_in  # attribute from the colon lead-in of the previous paragraph
        if full:
            line_end = self.text.find("\n", span.close)
            dash_end = min(para_end, nxt.open if nxt else len(self.text),
                           line_end if line_end != -1 else len(self.text))
            # The attribution after the quote wins over one before it; within each side, the parse
            # first, then the plain-text pattern (for quote marks glued to words: `,”Clinton said`).
            # A cue without a person on one side ("the company said", or a participle opening the
            # next sentence) gives way to a speaker found on the other.
            after_lead = _attribution_lead(self.tokens(after_start, after_end))
            # `“… in a political campaign.” Ohio Gov. John Kasich said he would have fired …`: after a
            # finished sentence, a cue with a clause of its own reports something new.
            reports_new = content[-1:] in ".!?" and any(
                self._is_cue(t) and any(c.dep_ == "ccomp" and not self.in_quote(c.idx) for c in t.children)
                and any(c.dep_ in _SUBJECT_DEPS and c.i < t.i for c in t.children)  # not `said Bob …`
                for t in after_lead)
            no_speaker: _Found = (None, None, False)
            speaker, cue_pos, found = _first_speaker(
                lambda: self._dash_speaker(after_start, dash_end),
                lambda: no_speaker if reports_new else self._after_speaker(after_lead),
                lambda: no_speaker if reports_new else self._text_speaker(
                    _TEXT_AFTER.match(self.text, after_start, after_end)),
                lambda: self._cue_speaker(before_toks, last=True),
                lambda: self._text_speaker(_TEXT_BEFORE.search(self.text, before_start, span.open)),
                lambda: self._colon_speaker(before, before_toks),
            )
            if speaker is None and interrupted and prev is not None:  # the cue named no one else
                speaker, cue_pos, found = prev.speaker, prev.cue_pos, prev.speaker is not None
            if not found and span.closed and not self.text[span.close + 1:para_end].strip(" .,\u00a0"):
                # `"…"` / `- Hillary Clinton.`: a paragraph of just a dash and a name signs the quote.
                speaker, cue_pos, found = self._dash_paragraph_speaker(para_end)
            if not found and words <= _SCARE_WORDS:
                full = False  # a scare-quoted title or phrase standing alone
            elif not found and prev is not None and self._continues(prev, span, para_start):
                return _Done(span, prev.speaker, False, after_end, prev.cue_pos, sentence_end)
            elif not found and span.open == para_start and para_start > 0:
                speaker, cue_pos = self._previous_paragraph_speaker(para_start)
                return _Done(span, speaker, False, after_end, cue_pos, sentence_end)
            elif not found and not before and span.open > para_start and not self.in_quote(span.open - 1):
                # `Sam Lau, the party's spokesman, said in a statement. “There are no …”`: the
                # sentence right before announces the quote, as a paragraph before one can.
                speaker, cue_pos = self._previous_paragraph_speaker(span.open)
                return _Done(span, speaker, False, after_end, cue_pos, sentence_end)
            else:
                return _Done(span, speaker, False, after_end, cue_pos, sentence_end)
        direct = self._cue_right_after(span, after_start, after_end)
        speaker, cue_pos, _ = direct if direct is not None else self._embedded_speaker(span)
        return _Done(span, speaker, True, after_end, cue_pos, sentence_end, cued=direct is not None)

    def _only_participle(self, toks: list[Any]) -> bool:
        """Is this lead-in nothing but a speech participle and commas (`, adding,`)?"""
        words = [t for t in toks if not t.is_punct]
        return len(words) == 1 and words[0].tag_ == "VBG" and self._is_cue(words[0])

    def _previous_paragraph_speaker(self, para_start: int) -> tuple[str | None, int | None]:
        """A quoted paragraph (or sentence) with no cue of its own, after a paragraph (sentence) that
        announces it without a colon (`The DNC issued a statement apologizing …` / `“On behalf of …”`):
        the speaker is the person subject of the last sentence before `para_start` when that sentence
        holds a speech cue or a statement noun, else unknown."""
        tail = self.text[:para_start].rstrip()
        if not tail:
            return None, None
        start, _ = self.sentence_bounds(len(tail) - 1)
        toks = self.tokens(start, len(tail))
        if not any(self._is_cue(t) or t.lemma_.casefold() in _STATEMENT_NOUNS for t in toks):
            return None, None
        for tok in toks:
            if tok.dep_ in _SUBJECT_DEPS and tok.head.dep_ == "ROOT" and not _possessive(tok):
                speaker = self._speaker_from_token(tok)
                return (speaker, tok.idx) if speaker else (None, None)
        return None, None

    def _sentence_end(self, pos: int) -> int:
        start, end = self.sentence_bounds(pos)
        return end if start <= pos < end else pos

    def _is_full(self, before: str, content: str, words: int, before_toks: list[Any]) -> bool:
        """A full quote stands as its own clause (`“…,” X said`, `X said: “…”`, `as he put it, “…”`);
        otherwise the quoted words are part of a sentence (`calling it “incredibly moving”`)."""
        if not before or before[-1] in ":—–―-":
            return True
        if before.rstrip(",").casefold() in _LEAD_WORDS and content[:1].isupper():
            return True  # `…,” he said. But “Donald Trump’s candidacy is strengthened …”`
        if not before.endswith(","):  # `…, writing “Allow me …”`
            return bool(before_toks) and self._is_cue(before_toks[-1]) and content[:1].isupper()
        recent = [t for t in before_toks if not t.is_punct][-4:]
        return content[:1].isupper() or any(self._is_cue(t) for t in recent)

    def _continues(self, prev: _Done, span: QuoteSpan, para_start: int) -> bool:
        """Does this unattributed quote continue the previous one (same speaker)?"""
        if prev.partial and not prev.cued:
            return False
        gap = self.text[prev.after_end:span.open]
        if prev.span.close >= para_start:  # same paragraph: nothing but the attribution in between
            between = self.text[prev.sentence_end:span.open].strip().rstrip(",").casefold()
            return not any(ch.isalpha() for ch in gap) or not between or between in _LEAD_WORDS
        prev_para_end = self.paragraph_bounds(prev.span.open)[1]
        starts_paragraph = not self.text[para_start:span.open].strip()
        return starts_paragraph and prev_para_end >= para_start - 4

    # -- cues -------------------------------------------------------------------------------------

    def _dash_speaker(self, start: int, end: int) -> tuple[str | None, int | None, bool]:
        """`“…” ― Jane Doe`: a dash and a name right after the quote (the name's words when the NER
        did not tag it)."""
        m = _DASH_ATTRIBUTION.match(self.text, start, end)
        if not m or m.end() >= end:
            return None, None, False
        name = self.person_at(m.end())
        if name is None:
            words = _NAME_WORDS.match(self.text, m.end(), end)
            name = words.group(0).strip() if words else None
        return (name, m.end(), True) if name else (None, None, False)

    def _dash_paragraph_speaker(self, para_end: int) -> _Found:
        """The speaker named by a next paragraph that is only a dash and a name (`- Clinton.`)."""
        m = _PARAGRAPH.match(self.text, para_end)
        if m is None:
            return None, None, False
        end = self.paragraph_bounds(m.end())[1]
        sign = _DASH_SIGNATURE.fullmatch(self.text, m.end(), end)
        if sign is None:
            return None, None, False
        at = sign.start("name")
        name = next((n for s, e, n in self._mentions_in(at, sign.end("name"))), None)  # "President Obama"
        name = name or " ".join(name_tokens(sign.group("name").strip(" ."))) or None
        return name, at, name is not None

    def _after_speaker(self, lead: list[Any]) -> tuple[str | None, int | None, bool]:
        """The attribution after a closing mark: a speech cue, or any verb right after a name or
        pronoun (`,” Hannity pressed.`, `,” Trump answered.`)."""
        speaker, cue_pos, found = self._cue_speaker(lead, last=False)
        if found:
            return speaker, cue_pos, found
        for tok in lead[:6]:
            if self.person_at(tok.idx):  # names the tagger took for verbs ("Trump shot back")
                continue
            if tok.pos_ == "VERB" and tok.tag_ != "VBG":
                subject = self._subject_of(tok)
                if subject is not None and subject.i < tok.i and (
                        subject.pos_ in ("PROPN", "PRON") or self.person_at(subject.idx)):
                    name = self._speaker_from_token(subject)
                    return name, tok.idx, name is not None
                if subject is None:  # `,” Trump barked` parsed with "Trump" as a compound
                    name = self._nearest_name([t for t in lead if t.i < tok.i], reverse=True)
                    return name, tok.idx, name is not None
                return None, None, False
            if tok.text != "," and tok.pos_ not in ("PROPN", "PRON", "DET", "NOUN", "ADJ", "PUNCT"):
                return None, None, False
        return None, None, False

    def _text_speaker(self, m: re.Match[str] | None) -> tuple[str | None, int | None, bool]:
        """`,”Clinton said.` / `Ryan said,“Look…`: the tokenizer glues words to quote marks written
        without a space, so the plain-text pattern `NAME said` / `said NAME` is the fallback."""
        if m is None:
            return None, None, False
        start, end = m.span("who") if m.group("who") else m.span("who2")
        word = self.text[start:end]
        if word.casefold() in ("he", "she"):
            span = self.doc.char_span(start, end, alignment_mode="expand")
            name = self.resolve_pronoun(span[0]) if span is not None and len(span) else None
        else:
            inside = [n for s, e, n in self._mentions_in(start, end) if e <= end]
            name = inside[-1] if inside else None
        return (name, start, True) if name else (None, None, False)

    def _colon_speaker(self, before: str, before_toks: list[Any]) -> tuple[str | None, int | None, bool]:
        """`17-year-old Jared Potts echoed:` then a quote: a lead-in ending in a colon is an attribution;
        its main subject is the speaker (`Clinton: “…”` when it is just a name)."""
        if len(before_toks) < 2:
            return None, None, False
        if before.endswith(","):
            return self._statement_speaker(before_toks)
        if not before.endswith(":"):
            return None, None, False
        name = self.person_at(before_toks[-2].idx)
        label = False
        if name:  # `Clinton:`, `Pollsters agree - Carl Bialik:`: a name label right before the colon
            i = len(before_toks) - 2
            while i > 0 and self.person_at(before_toks[i - 1].idx) == name:
                i -= 1
            label = True
            if i == 0 or before_toks[i - 1].is_punct or before_toks[i - 1].pos_ == "SPACE":
                return name, before_toks[-2].idx, True
        for tok in reversed(before_toks):
            verb = tok.head  # the lead-in's main verb (the parser may hang it under the quote)
            main = verb.dep_ == "ROOT" or self.in_quote(verb.head.idx)
            if tok.dep_ in _SUBJECT_DEPS and main and not self.in_quote(tok.idx):
                speaker = self._speaker_from_token(tok)
                if speaker:
                    return speaker, tok.idx, True
        if label:  # `… doesn't surprise Republican pollster Daron Shaw:`: the person the colon follows
            return name, before_toks[-2].idx, True
        return None, None, False

    def _statement_speaker(self, before_toks: list[Any]) -> tuple[str | None, int | None, bool]:
        """`Trump issued a statement, “…”` / `When Trump used the words, “…”`: a lead-in that ends in a
        statement noun and a comma announces the quote; the subject of the verb the noun hangs from
        is the speaker."""
        words = [t for t in before_toks if not t.is_punct]
        if not words or words[-1].lemma_.casefold() not in _STATEMENT_NOUNS or words[-1].pos_ != "NOUN":
            return None, None, False
        subject = self._subject_of(words[-1].head)
        speaker = self._speaker_from_token(subject) if subject is not None else None
        return (speaker, subject.idx, True) if speaker and subject is not None else (None, None, False)

    def _cue_speaker(self, toks: list[Any], *, last: bool) -> tuple[str | None, int | None, bool]:
        """Find a speech cue among `toks` (the first, or the last when `last`) and its speaker."""
        order = reversed(toks) if last else iter(toks)
        for tok in order:
            if self._is_cue(tok):
                speaker = self._cue_subject(tok, toks)
                return speaker, tok.idx, True
        return None, None, False

    def _is_cue(self, tok: Any) -> bool:
        if tok.lower_ == "according":
            nxt = self._next_word(tok)
            return nxt is not None and nxt.lower_ == "to"
        if tok.lemma_.casefold() == "put" and any(c.lower_ == "it" for c in tok.children):
            return True  # "as he put it, “…”"
        if tok.lower_ in _SPEECH_FORMS:
            return True
        if tok.lemma_.casefold() in _BACK_VERBS and any(c.lower_ == "back" and c.dep_ in ("prt", "advmod") for c in tok.children):
            return True  # "Hillary shot back, “…”", "fired back"
        return tok.lemma_.casefold() in SPEECH_VERBS and tok.pos_ in ("VERB", "AUX")

    def _cue_subject(self, cue: Any, region: list[Any]) -> str | None:
        """The speaker of a cue: its own subject; else (a participle such as "telling Musk:") the
        subject of the clause it hangs from, or the nearest subject name before it; else the nearest
        name next to it (`“…,” said Jasmine Enberg`)."""
        if cue.lower_ == "according":
            to = self._next_word(cue) or cue
            objects = [c for c in to.children if c.dep_ == "pobj"]
            if objects:
                return self._speaker_from_token(objects[0])
            return self._nearest_name([t for t in region if t.i > to.i], reverse=False)
        own = self._subject_of(cue)
        if own is not None:
            return self._speaker_from_token(own)
        before = [t for t in region if t.i < cue.i]
        if cue.tag_ == "VBG" and cue.i > 0:  # "footage of Hillary Clinton asking, “…”"
            name = self.person_at(self.doc[cue.i - 1].idx)
            if name and not self.in_quote(self.doc[cue.i - 1].idx):
                return name
        verb = cue
        for _ in range(4):
            if verb.dep_ not in _CLIMB_DEPS or verb.head is verb:
                break
            verb = verb.head
            if self.in_quote(verb.idx):
                break
            name = self.person_at(verb.idx)
            if name and not self.in_quote(verb.idx):  # "Musk, saying …": the participle modifies him
                return name
            subject = self._subject_of(verb)
            if subject is not None:
                found = self._speaker_from_token(subject)
                if found:
                    return found
                break
        subjects = [t for t in before if t.dep_ in _SUBJECT_DEPS and t.head.i < cue.i and not _possessive(t)]
        if subjects:  # the nearest clause subject before the cue, person or not
            found = self._speaker_from_token(subjects[-1])
        else:
            # The first name before the cue (`,” Gene Sperling, a top outside Clinton adviser, said`),
            # else the first after it (`,” said Emarketer analyst Jasmine Enberg`).
            found = (self._nearest_name(before, reverse=False)
                     or self._nearest_name([t for t in region if t.i > cue.i][:8], reverse=False))
        if found is None and cue.tag_ == "VBG":
            # `Gore insisted it was “premature” …, while adding …, “…”`: a participle's unstated
            # subject is the main clause's, not the nearest clause's ("it").
            root = cue.sent.root
            subject = self._subject_of(root) if not self.in_quote(root.idx) else None
            found = self._speaker_from_token(subject) if subject is not None else None
        return found

    def _subject_of(self, verb: Any) -> Any | None:
        """The verb's subject outside quotes, nearest to it (the parser sometimes adds a dash as one)."""
        subjects = [c for c in verb.children if c.dep_ in _SUBJECT_DEPS and not self.in_quote(c.idx)
                    and any(ch.isalpha() for ch in c.text)]
        return min(subjects, key=lambda c: abs(c.i - verb.i)) if subjects else None

    def _next_word(self, tok: Any) -> Any | None:
        for i in range(tok.i + 1, min(tok.i + 4, len(self.doc))):
            if not self.doc[i].is_space:
                return self.doc[i]
        return None

    def _nearest_name(self, toks: list[Any], *, reverse: bool) -> str | None:
        """The first person or he/she among `toks` (nearest first when `reverse`), possessives aside."""
        for tok in reversed(toks) if reverse else toks:
            if _possessive(tok):
                continue
            if self.person_at(tok.idx) or tok.lower_ in ("he", "she"):
                return self._speaker_from_token(tok)
        return None

    def _speaker_from_token(self, tok: Any) -> str | None:
        """Who a subject token refers to: a known person, a resolved pronoun, or an organisation."""
        if self.in_quote(tok.idx):
            return None
        name = self.person_at(tok.idx)
        if name:
            return name
        lower = tok.lower_
        if lower in _MALE or lower in _FEMALE:
            return self.resolve_pronoun(tok)
        if lower in _RELATIVE and tok.head.dep_ == "relcl" and tok.head.head is not tok.head:
            return self._speaker_from_token(tok.head.head)
        if tok.pos_ in ("NOUN", "PROPN"):  # "a spokesman, Steven Cheung," (not "Clinton spokesman")
            for child in tok.children:
                if child.dep_ == "appos" and not any(_possessive(t) for t in child.subtree):
                    found = self.person_at(child.idx)
                    if found:
                        return found
        titled = self._person_after_title(tok)
        if titled:
            return titled
        if tok.ent_type_ in _SPEAKER_LABELS and tok.dep_ != "poss":
            ent = next((e for e in self.doc.ents if e.start <= tok.i < e.end), None)
            if ent is not None:  # an organisation; or a person the NER swept into one
                inside = [n for _, _, n in self._mentions_in(ent.start_char, ent.end_char)]
                if inside:
                    return inside[-1]
                self.organisations.add(str(ent.text))
                return str(ent.text)
        if (tok.pos_ == "PROPN" or self._unknown_capitalised(tok)) and tok.text[:1].isupper() \
                and tok.ent_type_ not in _NOT_NAME_LABELS:
            # Person-name fallback: a proper name as the subject of "said" that `find_people` did not
            # keep ("Hannity said"; the small NER tags "Carly Fiorina" as a product or work of art, or
            # as a person it then drops): keep the entity's or the compound's words.
            ent = next((e for e in self.doc.ents if e.start <= tok.i < e.end), None) if tok.ent_type_ else None
            words = (list(ent) if ent is not None
                     else [c for c in tok.lefts if c.dep_ == "compound" and c.pos_ == "PROPN"] + [tok])
            name = " ".join(name_tokens(" ".join(t.text for t in words if not self.in_quote(t.idx))))
            return name or None
        return None

    def _unknown_capitalised(self, tok: Any) -> bool:
        """A capitalised word the tagger took for a common noun ("O’Donnell" as NOUN) that is a name:
        title case, not opening its sentence, and never written in lower case in this text."""
        if tok.pos_ != "NOUN" or not tok.is_title or tok.is_sent_start:
            return False
        lower = tok.text.casefold()
        return not any(t.lower_ == lower and not t.is_title for t in self.doc)

    def _person_after_title(self, tok: Any) -> str | None:
        """`said Pentagon spokesman Navy Capt. Jeff Davis`: the parser (or the sentence splitter, at
        "Capt.") makes the title the subject; the person named right after the title is the speaker.
        Only name-like words (titles, ranks, "and") may stand between."""
        doc = self.doc
        nxt = doc[tok.i + 1] if tok.i + 1 < len(doc) else None
        if not (_is_title(tok) or (nxt is not None and _is_title(nxt))):
            return None
        for other in doc[tok.i + 1:min(len(doc), tok.i + 12)]:
            name = self.person_at(other.idx)
            if name and not self.in_quote(other.idx):
                return name
            if not (other.pos_ in ("PROPN", "NOUN", "ADJ", "NUM", "CCONJ") or other.text == "."):
                return None
        return None

    def _cue_right_after(self, span: QuoteSpan, start: int, end: int) -> tuple[str | None, int | None, bool] | None:
        """`… “targets websites …,” according to Microsoft.` / `“…,” he said`: an attribution right
        after a partial quote; only a name, pronoun or role may stand between the comma and the cue."""
        toks = self.tokens(start, end)
        if "," not in self.text[span.end:start] and not (toks and toks[0].text == ","):
            return None
        for tok in toks[:5]:
            if self._is_cue(tok):
                return self._cue_subject(tok, toks), tok.idx, True
            if tok.text != "," and tok.pos_ not in ("PROPN", "PRON", "DET", "NOUN", "ADJ"):
                return None
        return None

    def _embedded_speaker(self, span: QuoteSpan) -> tuple[str | None, int | None, bool]:
        """Speaker of quoted words inside a sentence: the cue verb they hang from, else the subject."""
        inner = self.doc.char_span(span.start, span.end, alignment_mode="expand")
        if inner is None or len(inner) == 0:
            return None, None, False
        root = inner.root
        owner = next((c for c in root.head.children if c.dep_ == "poss" and self.person_at(c.idx)), None)
        if owner is not None and root.dep_ in ("compound", "amod", "nmod"):  # Obama's “…” promise
            return self.person_at(owner.idx), owner.idx, True
        chain = [root]
        while chain[-1].head is not chain[-1] and len(chain) < 12:
            chain.append(chain[-1].head)
        outside = [node for node in chain[1:] if not self.in_quote(node.idx)]
        for node in outside:
            if self._is_cue(node):
                sent = node.sent
                return self._cue_subject(node, self.tokens(sent.start_char, sent.end_char)), node.idx, True
        for node in outside:  # no speech verb: the subject of the nearest clause around the words
            subject = self._subject_of(node)
            if subject is not None:
                speaker = self._speaker_from_token(subject)
                return speaker, subject.idx, speaker is not None
        return None, None, False

    # -- pronouns ---------------------------------------------------------------------------------

    def resolve_pronoun(self, tok: Any) -> str | None:
        """The nearest fitting person before a he/she pronoun (subjects and quote speakers first)."""
        if tok.i in self.pronouns:
            return self.pronouns[tok.i]
        self.pronouns[tok.i] = None  # guards against cycles while resolving
        gender = "m" if tok.lower_ in _MALE else "f" if tok.lower_ in _FEMALE else None
        result: str | None = None
        here = self.sentence_index(tok.idx)
        narrative = 0  # sentences looked through that are not wholly inside quote marks
        for k in range(here, -1, -1):
            if k < here and self._quoted_only(k):
                continue  # a long quote's sentences do not push its speaker out of reach
            narrative += 1
            if narrative > _LOOKBACK_SENTENCES:
                break
            for rank, name in self._candidates(k, before=tok.idx if k == here else None):
                # In its own sentence a pronoun points back to a speaker or a main-clause subject, never
                # into an adjunct ("Asked whether Clinton can win, she said" is not Clinton).
                if k == here and rank > _MAIN_SUBJECT:
                    continue
                if name and name not in self.organisations and (
                        gender is None or self.genders.get(name) in (None, gender)):
                    result = name
                    break
            if result:
                break
        self.pronouns[tok.i] = result
        return result

    def _quoted_only(self, k: int) -> bool:
        """Does sentence `k` lie wholly inside quote marks (no word of narrative outside them)?"""
        if k not in self.quoted_only:
            sent = self.sentences[k]
            self.quoted_only[k] = not any(ch.isalpha() for ch in self._outside_quotes(sent.start, sent.end))
        return self.quoted_only[k]

    def _candidates(self, k: int, before: int | None) -> list[tuple[int, str | None]]:
        """People a pronoun can point to in sentence `k`: subjects first, then other mentions."""
        if not self.sentences:
            return []
        sent = self.sentences[k]
        end = before if before is not None else sent.end
        items: list[tuple[int, int, str | None]] = []
        for pos, name in self.speakers.get(k, []):
            if pos < end:
                items.append((_SPEAKER, pos, name))
        seen_spans: set[tuple[int, int]] = set()
        i = bisect.bisect_left(self.mention_starts, sent.start)
        while i < len(self.mentions) and self.mentions[i][0] < end:
            start, stop, name = self.mentions[i]
            i += 1
            if self.in_quote(start) or (start, stop) in seen_spans:
                continue
            seen_spans.add((start, stop))
            span = self.doc.char_span(start, stop, alignment_mode="expand")
            rank = _subject_rank(span.root) if span is not None else _OTHER_MENTION
            if (start == sent.start and span is not None and not _possessive(span[-1])
                    and span.root.dep_ not in ("compound", "nmod", "amod", "poss")):
                rank = min(rank, _MAIN_SUBJECT)  # "Trump, when asked …, steam-rolls": the topic
            items.append((rank, start, name))
        for t in self.tokens(sent.start, end):
            if t.lower_ in ("he", "she") and t.dep_ in _SUBJECT_DEPS and (before is None or t.idx < before):
                items.append((_subject_rank(t), t.idx, self.resolve_pronoun(t)))
        nearest_first = before is not None
        items.sort(key=lambda it: (it[0], -it[1] if nearest_first else it[1]))
        return [(rank, name) for rank, _, name in items]

    def _genders(self, people: Sequence[Person]) -> dict[str, str]:
        """Estimate each person's gender from this text, so that "she said" skips a nearer man.

        Signals, strongest first: a gendered role noun ("the elder stateswoman", "his wife") and an
        honorific right before the name ("Mr.", "Ms."); then pronoun binding: a he/she/himself/herself
        later in a sentence whose subject is the person, with no other person named in between
        ("Clinton said she was confident"), and a sentence that opens with he/she right after one whose
        only subject is the person. Possessives (his/her) are not counted: they so often belong to
        someone else in the sentence ("Sanders endorsed her challenger") that they swamp the real
        votes. Last and weakest, a common given name ("Donald", "Carly": `first_names`), which a single
        honorific or role noun outweighs. A 2:1 majority decides; unknown stays unknown (any pronoun
        may then refer to them).
        """
        votes: dict[str, Counter[str]] = {}

        def vote(name: str, gender: str, weight: int) -> None:
            votes.setdefault(name, Counter())[gender] += weight

        for person in people:  # "the elder stateswoman", "his wife"
            for alias in person.aliases:
                word = alias.split()[-1].casefold() if alias.split() else ""
                if word in _FEMALE_NOUNS or word.endswith("woman"):
                    vote(person.name, "f", 4)
                elif word in _MALE_NOUNS or (word.endswith("man") and word not in _GENERIC_MAN):
                    vote(person.name, "m", 4)
        for start, _, name in self.mentions:
            prefix = self.text[max(0, start - 5):start]
            if re.search(r"\bMr\.?\s$", prefix):
                vote(name, "m", 4)
            elif re.search(r"\bM(?:r)?s\.?\s$", prefix):
                vote(name, "f", 4)
        previous_subject: str | None = None
        for sent in self.sentences:
            found = [(s, n, self._is_subject_mention(s, e))
                     for s, e, n in self._mentions_in(sent.start, sent.end) if not self.in_quote(s)]
            # Only a sentence that opens with the pronoun counts: `“…,” she said` right after a
            # sentence about someone else is the very case this estimate is for.
            opening = not self.in_quote(sent.start) and self.text[sent.start:sent.start + 1].isalpha()
            for tok in self.tokens(sent.start, sent.end):
                gender = _BINDING_PRONOUNS.get(tok.lower_)
                if gender is None:
                    opening = False
                    continue
                before = [(n, subject) for s, n, subject in found if s < tok.idx]
                if before and any(subject for _, subject in before) and len({n for n, _ in before}) == 1:
                    vote(before[0][0], gender, 2)  # "Clinton said she …"
                elif not before and opening and previous_subject is not None and tok.dep_ in _SUBJECT_DEPS:
                    vote(previous_subject, gender, 1)  # "Clinton spoke. She said …"
                opening = False
            subjects = {n for _, n, subject in found if subject}
            previous_subject = subjects.pop() if len(subjects) == 1 else None
        for person in people:  # a weak prior that the text's own evidence above overrides
            words = name_tokens(person.name)
            prior = gender_of(words[0]) if len(words) > 1 else None
            if prior is not None:
                vote(person.name, prior, 1)
        genders: dict[str, str] = {}
        for name, count in votes.items():
            if count["m"] > 2 * count["f"]:
                genders[name] = "m"
            elif count["f"] > 2 * count["m"]:
                genders[name] = "f"
        return genders

    def _is_subject_mention(self, start: int, end: int) -> bool:
        span = self.doc.char_span(start, end, alignment_mode="expand")
        return span is not None and span.root.dep_ in _SUBJECT_DEPS and not _possessive(span[-1])

    def _mentions_in(self, start: int, end: int) -> list[tuple[int, int, str]]:
        i = bisect.bisect_left(self.mention_starts, start)
        out = []
        while i < len(self.mentions) and self.mentions[i][0] < end:
            out.append(self.mentions[i])
            i += 1
        return out

    def _outside_quotes(self, start: int, end: int) -> str:
        chars = list(self.text[start:end])
        for span in self.spans:
            if span.close < start or span.open >= end:
                continue
            for pos in range(max(span.open, start), min(span.close + 1, end)):
                chars[pos - start] = " "
        return "".join(chars)


def _possessive(tok: Any) -> bool:
    """Is this token a possessor ("Harris’ campaign", "Trump's team")? Possessors are not speakers."""
    if tok.dep_ == "poss":
        return True
    nxt = tok.nbor(1) if tok.i + 1 < len(tok.doc) else None
    if nxt is None:
        return False
    return nxt.text in ("'s", "’s") or (nxt.text in ("'", "’") and tok.text.endswith("s"))


def _is_title(tok: Any) -> bool:
    return tok.text.strip(".").casefold() in TITLE_WORDS


def _subject_rank(tok: Any) -> int:
    """How likely a mention is to be what a later he/she refers to (lower is likelier): the subject of
    a speech verb, then of the main clause, then of another clause, then any other mention."""
    if tok.dep_ not in _SUBJECT_DEPS:
        return _OTHER_MENTION
    head = tok.head
    while head.dep_ == "conj" and head.head is not head:
        head = head.head
    if head.dep_ not in ("ROOT", "parataxis"):
        return _OTHER_SUBJECT
    return _SPEAKER if tok.head.lemma_.casefold() in SPEECH_VERBS else _MAIN_SUBJECT


def _attribution_lead(toks: list[Any]) -> list[Any]:
    """The tokens after a closing quote mark that can attribute it (`,” Trump said in a statement`).

    Before the verb only name-like words may appear (`,” the Tesla CEO said`); an appositive after a
    name is skipped to the comma that precedes the verb (`,” Scott Pruitt, the attorney general of
    Oklahoma, one of the states suing the EPA, said`). A clause opener (`,” when Clinton blasted him`)
    or a participle (`,” promising …`) ends the lead.
    """
    lead: list[Any] = []
    seen_verb = False
    i = 0
    while i < len(toks) and len(lead) < 25:
        tok = toks[i]
        if not seen_verb and tok.text == "," and lead and lead[-1].pos_ == "PROPN":
            commas = [j for j in range(i + 1, min(len(toks) - 1, i + 40)) if toks[j].text == ","]
            before_verb = [j for j in commas if toks[j + 1].pos_ in ("VERB", "AUX") or toks[j + 1].lower_ in _SPEECH_FORMS]
            if commas:
                lead.append(tok)
                i = (before_verb or commas)[0] + 1
                continue
        if tok.pos_ in ("SCONJ", "CCONJ") or tok.lower_ in ("when", "while", "because", "after", "before"):
            break
        if tok.is_sent_end and tok.is_punct and lead:
            break
        if tok.tag_ == "VBG":  # `,” promising …` continues the sentence before the quote
            break
        if not lead and tok.tag_ == "VBN" and tok.text[:1].isupper():
            break  # `.” Asked if …, Trump replied` opens the next sentence
        if not seen_verb:
            if tok.pos_ in ("VERB", "AUX") or tok.lower_ in _SPEECH_FORMS:
                seen_verb = True
            elif tok.pos_ not in _NAME_LIKE_POS:
                break  # `.” The change in approach from Clinton …` is a new sentence, not an attribution
        lead.append(tok)
        i += 1
    return lead


def _first_speaker(*attempts: Callable[[], _Found]) -> _Found:
    """Run attribution attempts in order: the first that names a speaker wins; if some found a cue but
    no person ("the company said"), the result is (None, cue position, True)."""
    fallback: _Found = (None, None, False)
    for attempt in attempts:
        speaker, cue_pos, found = attempt()
        if found and speaker:
            return speaker, cue_pos, True
        if found and not fallback[2]:
            fallback = (None, cue_pos, True)
    return fallback

"""Named people in a text and the words that refer to them ("Elon Musk" = "Musk" = "the Tesla CEO").

Quote attribution and figure Q&A both need to know that "Musk", "the Tesla CEO" and "Elon Musk" are one
person, and that "Trump" in a story about Donald Trump is not Melania Trump. spaCy's small English model
finds PERSON entities; it also tags headline words, photo credits and brands as people and misses many
repeat mentions, so this module:

* cleans entity text (titles, possessives, all-caps credits) and drops names found only in headline-like
  lines or that the text also uses as an ordinary word or an organisation;
* groups full names by (first, last) name so "Donald J. Trump" and "Donald Trump" are one person, and
  assigns a bare surname or first name to the most-mentioned full name that carries it;
* learns role descriptions only where the text establishes them ("Tesla CEO Elon Musk",
  "Elon Musk, the Tesla CEO", "As X's owner, Elon Musk") and then resolves definite role mentions
  ("the former president") to the one person whose role fits;
* re-scans the text for every known surface form, because the NER misses many repeat mentions.

Name matching for questions (exact, alias, surname, fuzzy with rapidfuzz) lives here too, so the quote
extractor, the Q&A and `resolve` share one notion of "the same person".
"""

from __future__ import annotations

import bisect
import logging
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from rapidfuzz import fuzz, process

from summarizers.nlp import get_nlp
from summarizers.people.first_names import gender_of
from summarizers.segment import split_sentences
from summarizers.types import Person, Sentence

log = logging.getLogger(__name__)

# Words that precede a name as a title; stripped from entity text, and a role must end in one of these
# or in an ordinary (lower-case) noun.
TITLE_WORDS = frozenset(
    """mr mrs ms miss mx dr prof sir dame lord lady rev pope president vice former gov governor sen senator
    rep representative congressman congresswoman secretary minister premier chancellor mayor judge justice
    gen general adm admiral lt col capt sgt ambassador amb atty attorney speaker leader chairman chairwoman
    chair ceo cfo coo cto founder chief king queen prince princess sheikh commissioner director spokesman
    spokeswoman spokesperson candidate nominee delegate councilman councilwoman treasurer sheriff officer
    president-elect""".split()
)
# A name keeps these lower-case particles ("Ludwig van Beethoven").
_PARTICLES = frozenset("de da del della der di du van von bin al la le ibn st. y dos das".split())
_SUFFIXES = frozenset({"jr", "jr.", "sr", "sr.", "ii", "iii", "iv"})
_ABBREVIATIONS = {
    "gov": "governor", "sen": "senator", "rep": "representative", "lt": "lieutenant", "gen": "general",
    "atty": "attorney", "sec": "secretary", "amb": "ambassador", "adm": "admiral", "pres": "president",
    "col": "colonel", "capt": "captain", "sgt": "sergeant", "dept": "department",
}
_DETERMINERS = frozenset({"the", "a", "an", "this", "that", "his", "her", "their", "its", "our"})
# Nouns that describe a person: role heads must be one of these (or a title), so "free speech Musk" is
# not mistaken for a role the way "Emarketer analyst Jasmine Enberg" is one.
_PERSON_NOUNS = frozenset(
    """critic rival ally pick aide official chief head boss leader host anchor star mogul tycoon expert heir
    envoy czar tsar guru chair hopeful frontrunner front-runner incumbent son daughter wife husband mother
    father brother sister friend spouse widow pundit coach lawyer billionaire millionaire magnate
    executive activist surrogate veteran figure icon titan""".split()
)
_PERSON_SUFFIXES = ("er", "or", "ist", "ian", "man", "woman", "ant", "ent", "ee", "aire", "eur", "ary", "ess")
# Tags of words that never belong to a person's name (verbs, determiners, adverbs, conjunctions).
_NON_NAME_TAGS = frozenset({"VB", "VBD", "VBG", "VBN", "VBP", "VBZ", "DT", "CC", "RB", "IN", "MD", "PRP", "WP"})
_HONORIFICS = frozenset({"mr", "mrs", "ms", "miss", "mx", "dr", "sir", "dame"})
_NOT_ROLE_HEADS = frozenset({"former", "vice", "chief", "first", "then", "acting"})
# Platforms and brands the small model often tags as PERSON ("Twitter suspended Trump").
_NOT_PEOPLE = frozenset(
    """x twitter facebook instagram tiktok youtube threads reddit telegram whatsapp truth social tesla spacex
    google amazon apple meta microsoft netflix fox cnn msnbc""".split()
)
# Entities that may contain a person's name without being that person.
_NAMED_THING_LABELS = frozenset({"ORG", "FAC", "PRODUCT", "EVENT", "LAW", "WORK_OF_ART", "GPE", "LOC"})
_NUMERIC_LABELS = frozenset({"DATE", "TIME", "CARDINAL", "ORDINAL", "MONEY", "PERCENT", "QUANTITY"})
# Last words of proper-noun runs that name an organisation, place or thing, not a person.
_PLACE_OR_ORG_WORDS = frozenset(
    """university college school academy institute center centre foundation fund trust council committee
    commission party group company corporation corp inc llc co association society union league club
    bank hospital church museum library hall house tower building street avenue road square park bridge
    airport station county city state island lake river mountain valley times post news journal herald
    tribune magazine review press network channel show award awards prize act bill amendment plan project
    report day week""".split()
)
_ROLE_POS = frozenset({"PROPN", "NOUN", "ADJ", "NUM"})
_APOSTROPHE_S = frozenset({"'s", "’s", "'", "’"})
_AS_ROLE = re.compile(r"(?:^|[.!?]\s+|\n)As\s+(?:the\s+|a\s+|an\s+)?(?P<role>[^,.;:\n]{3,60}?),\s+$")
_WORD = re.compile(r"[\w’'.-]+")
_SPACE = re.compile(r"\s+")

# Fuzzy matching of a question's name against known names.
CONFIDENT_SCORE = 88.0  # "Elon Mask" vs "Elon Musk" scores ~89
SUGGEST_SCORE = 60.0


@lru_cache(maxsize=64)
def parse(text: str) -> Any:
    """The spaCy `Doc` of `text`, cached so people, quotes and answers parse each article once."""
    return get_nlp()(text)


def sentences(text: str) -> list[Sentence]:
    """The text's sentences with offsets (the project's one sentence splitter)."""
    return split_sentences(text)


def fold(text: str) -> str:
    """Case-, accent- and whitespace-insensitive form of a name, for comparisons."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACE.sub(" ", plain.replace("’", "'")).strip().casefold()


def name_tokens(name: str) -> list[str]:
    """The words of a name, without titles and suffixes: everything up to the last title word goes
    (`"Sen. Ted Cruz Jr."` -> `["Ted", "Cruz"]`, `"Navy Capt. Jeff Davis"` -> `["Jeff", "Davis"]`), but a
    final word is kept even if it looks like a title ("Billie Jean King")."""
    words = [w for w in _SPACE.split(name.strip()) if w]
    while words and _bare(words[-1]) in _SUFFIXES:
        words.pop()
    return _after_titles(words)


def _after_titles(words: list[str]) -> list[str]:
    titles = [i for i, w in enumerate(words[:-1]) if _bare(w) in TITLE_WORDS or _bare(w) in _ABBREVIATIONS]
    return words[titles[-1] + 1:] if titles else words


def _suffix(name: str) -> str:
    """"jr." for "Donald Trump Jr.", else "": father and son are different people."""
    words = name.split()
    return _bare(words[-1]).rstrip(".") if len(words) > 2 and _bare(words[-1]) in _SUFFIXES else ""


def surname(name: str) -> str:
    """The family name of a full name (its last word, ignoring "Jr." and the like)."""
    words = name_tokens(name)
    return words[-1] if words else name


def _bare(word: str) -> str:
    return word.strip(".,;:").casefold()


# -- roles --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RoleKey:
    """A role phrase reduced to its head noun and modifiers, so "the billionaire Tesla CEO" can match
    the established "Tesla CEO" (same head, overlapping modifiers) while "the Meta CEO" does not."""

    head: str
    mods: frozenset[str]


def role_key(phrase: str) -> RoleKey | None:
    """Reduce a role phrase ("X's owner", "former President", "the owner of X") to a `RoleKey`: the
    head noun (the last word, or the last before "of"/"for") and the other words as modifiers."""
    words: list[str] = []
    head_at: int | None = None
    for raw in _WORD.findall(phrase.replace("(", " ").replace(")", " ")):
        word = raw.casefold().strip(".-")
        for mark in ("'s", "’s"):
            if word.endswith(mark):
                word = word[: -len(mark)]
        word = word.strip("'’")
        if word in ("of", "for") and head_at is None and words:
            head_at = len(words) - 1
            continue
        if not word or word in _DETERMINERS or word in {"and", "&", "of", "for", "formerly"}:
            continue
        words.append(_ABBREVIATIONS.get(word, word))
    if not words:
        return None
    head = head_at if head_at is not None else len(words) - 1
    return RoleKey(words[head], frozenset(words[:head] + words[head + 1:]))


def role_matches(mention: RoleKey, established: RoleKey) -> bool:
    """A role mention refers to an established role: same head, and any modifiers it has overlap."""
    if mention.head != established.head:
        return False
    return not mention.mods or bool(mention.mods & established.mods)


def role_fit(mention: RoleKey, roles: Iterable[RoleKey]) -> int:
    """How well a role mention fits someone's roles: 2 (same head, modifiers agree), 1 (same head, the
    established role has no modifiers to compare: "the Tesla CEO" vs "CEO"), 0 (no fit)."""
    best = 0
    for role in roles:
        if role_matches(mention, role):
            return 2
        if mention.head == role.head and not role.mods:
            best = 1
    return best


def pick_by_role(mention: RoleKey, candidates: dict[str, list[RoleKey]]) -> str | None:
    """The one candidate a role mention refers to: the only good fit, else the only weak fit."""
    fits = {name: role_fit(mention, roles) for name, roles in candidates.items()}
    for level in (2, 1):
        chosen = [name for name, fit in fits.items() if fit == level]
        if chosen:
            return chosen[0] if len(chosen) == 1 else None
    return None


# -- finding people ---------------------------------------------------------------------------


@dataclass(slots=True)
class _Draft:
    """A person while being assembled: canonical-name votes, aliases, mention spans, roles."""

    forms: Counter[str] = field(default_factory=Counter)
    aliases: set[str] = field(default_factory=set)
    mentions: set[tuple[int, int]] = field(default_factory=set)
    roles: dict[str, RoleKey] = field(default_factory=dict)
    first_seen: int = 0

    @property
    def name(self) -> str:
        # Most frequent form; ties go to the shorter one ("Donald Trump" over "Donald J. Trump").
        return min(self.forms.items(), key=lambda kv: (-kv[1], len(kv[0]), kv[0]))[0]


def find_people(text: str, doc: Any = None) -> list[Person]:
    """People named in `text`, each with a canonical full name, aliases and mention offsets.

    Aliases are the surface forms that refer to the person in this text: name variants, the bare
    surname or first name (when no one else in the text carries it), and role descriptions the text
    establishes. `mentions` are `[start, end)` offsets of every name and resolved role mention, sorted.
    People are ordered by first mention.
    """
    if not isinstance(text, str):
        raise TypeError(f"find_people expects str, got {type(text).__name__}")
    if not text.strip():
        return []
    doc = doc if doc is not None else parse(text)
    ents = _person_entities(text, doc)
    drafts = _group_names(ents, text, doc)
    if not drafts:
        return []
    _scan_surface_forms(text, doc, drafts)
    _establish_roles(text, doc, drafts)
    _resolve_role_mentions(doc, drafts)
    people = [
        Person(d.name, frozenset(a for a in d.aliases if a != d.name), tuple(sorted(d.mentions)))
        for d in sorted(drafts, key=lambda d: d.first_seen)
        if d.mentions
    ]
    log.debug("found %d people", len(people))
    return people


@dataclass(frozen=True, slots=True)
class _Ent:
    name: str
    start: int
    end: int


def _person_entities(text: str, doc: Any) -> list[_Ent]:
    """PERSON entities with cleaned text and adjacent fragments merged; headline-only names dropped."""
    merged: list[tuple[int, int]] = []
    found = [(e.start_char, e.end_char) for e in doc.ents if e.label_ == "PERSON"]
    for ent in sorted([*found, *_untagged_names(doc)]):
        gap = text[merged[-1][1]:ent[0]] if merged else "x"
        if gap.strip() == "" and "\n" not in gap:  # "President Nicolás" + "Maduro" -> one name
            merged[-1] = (merged[-1][0], ent[1])
        else:
            merged.append(ent)
    out: list[_Ent] = []
    for start, end in merged:
        start, end = _trim_non_name_words(doc, start, end)
        cleaned = _clean_name(text, start, end) if start < end else None
        if cleaned is not None and not _in_headline(text, cleaned[1]):
            out.append(_Ent(*cleaned))
    return out


def _untagged_names(doc: Any) -> list[tuple[int, int]]:
    """Person names the small NER model tags as something else or misses: "Carly Fiorina" as an ORG.

    A run of two or three capitalised proper nouns that is not (part of) a PERSON entity counts when
    its first word is a common given name (`first_names`) and its last word is not an organisation or
    place word ("George Washington University", "John Hancock Center"). Runs in headline-like lines
    are dropped later with the NER's own names.
    """
    out: list[tuple[int, int]] = []
    i = 0
    while i < len(doc):
        tok = doc[i]
        if (tok.ent_type_ == "PERSON" or tok.pos_ in ("VERB", "AUX") or gender_of(tok.text) is None
                or not tok.is_title):  # the tagger reads a first name as anything ("Carly" as ADV)
            i += 1
            continue
        j = i + 1
        while j < len(doc) and _name_word(doc[j]):
            j += 1
        # The run must be the whole name: not the middle of a longer one ("Billie Jean King"), not
        # more than three words, and not glued to a name the NER did tag.
        inside_longer = i > 0 and _name_word(doc[i - 1]) and doc[i - 1].lower_ not in TITLE_WORDS
        if 2 <= j - i <= 3 and not inside_longer and doc[j - 1].lower_ not in _PLACE_OR_ORG_WORDS and (
                j == len(doc) or doc[j].ent_type_ != "PERSON"):
            out.append((tok.idx, doc[j - 1].idx + len(doc[j - 1].text)))
        i = j
    return out


def _name_word(tok: Any) -> bool:
    """A capitalised proper noun that may continue a name the NER did not tag as a person."""
    return tok.pos_ == "PROPN" and tok.is_title and tok.ent_type_ != "PERSON" and tok.text.isalpha()


def _trim_non_name_words(doc: Any, start: int, end: int) -> tuple[int, int]:
    """Drop words the NER swept into a name: "Telling Jeb Bush", "Neither Cruz", "Trump Wants",
    "Billionaire Donald Trump" (verbs, determiners, adverbs, role nouns at either end)."""
    span = doc.char_span(start, end, alignment_mode="expand")
    if span is None or len(span) < 2:
        return start, end
    tokens = list(span)
    while len(tokens) > 1 and _not_name_word(tokens[0]):
        tokens.pop(0)
    while len(tokens) > 1 and _not_name_word(tokens[-1]) and tokens[-1].tag_ not in ("POS",):
        tokens.pop()
    return tokens[0].idx, tokens[-1].idx + len(tokens[-1].text)


def _not_name_word(tok: Any) -> bool:
    if tok.is_title and gender_of(tok.text) and tok.i + 1 < len(tok.doc) and tok.nbor(1).pos_ == "PROPN":
        return False  # a given name before a name, whatever the tagger says ("Carly" as an adverb)
    if tok.tag_ in _NON_NAME_TAGS:
        return True
    word = tok.text.casefold()
    if tok.is_sent_start and word.endswith(("ed", "ing")) and len(word) > 4 and _used_lowercase(tok.doc, word):
        return True  # "Stated Stone:" – a verb capitalised at the start of a sentence
    return tok.text.casefold() in _PERSON_NOUNS and tok.i + 1 < len(tok.doc) and tok.nbor(1).text[:1].isupper()


def _lone_name_ok(word: str, ents: Sequence[_Ent], lowercase_words: str, doc: Any) -> bool:
    """Is a bare name that matches no full name still a person ("Obama said ...")?

    The small model tags brands ("Twitter"), interjections ("Blah") and caption words ("Crew") as
    people, so a lone word must be tagged PERSON at least a third as often as anything else, and twice,
    or after a title, or as a clause subject; it must not also be an ordinary lower-case word or a
    known platform.
    """
    key = fold(word)
    pattern = r"(?<![\w-])" + re.escape(key) + r"(?![\w-])"
    if len(word) < 2 or key in _NOT_PEOPLE or re.search(pattern, lowercase_words):
        return False  # also an ordinary word in this text ("drill", "blah")
    tagged = [e for e in ents if fold(e.name) == key]
    other_tags = sum(1 for e in doc.ents if e.label_ != "PERSON" and fold(e.text) == key)
    if 3 * len(tagged) < other_tags:
        return False
    titled = re.search(r"\b(?:Mr|Mrs|Ms|Dr|Sen|Rep|Gov|President)\.? " + re.escape(word) + r"\b", doc.text)
    return len(tagged) >= 2 or titled is not None or any(_is_subject_at(doc, e.start) for e in tagged)


def _is_subject_at(doc: Any, pos: int) -> bool:
    span = doc.char_span(pos, pos + 1, alignment_mode="expand")
    return span is not None and len(span) > 0 and span[0].dep_ in ("nsubj", "nsubjpass")


def _used_lowercase(doc: Any, word: str) -> bool:
    return any(t.text == word for t in doc)


def _clean_name(text: str, start: int, end: int) -> tuple[str, int, int] | None:
    """Strip titles, possessives and stray punctuation; reject what cannot be a person's name.

    Returns the cleaned name with its offsets (always a slice of `text`).
    """
    span = text[start:end]
    if any(ch in span for ch in "/@#\n|"):
        return None
    for mark in ("'s", "’s", "’", "'"):
        if span.endswith(mark):
            span = span[: -len(mark)]
    trimmed = span.rstrip(".,;:-–— ")
    if trimmed.endswith((" Jr", " Sr")) and span[len(trimmed):].startswith("."):
        trimmed += "."
    span = trimmed
    lead = span.lstrip("“”\"'‘’(-–— ")
    start += len(span) - len(lead)
    span = lead
    kept = _after_titles(span.split())  # "Air Force 1st Lt. Tyler Livingston" -> "Tyler Livingston"
    if kept != span.split():
        offset = span.rfind(" ".join(kept)) if kept else -1
        if offset < 0:
            return None
        start += offset
        span = span[offset:]
    words = span.split()
    if not words or len(words) > 4 or any(ch.isdigit() for ch in span) or _bare(words[-1]) in _ABBREVIATIONS:
        return None
    for word in words:
        if word.casefold() in _PARTICLES or _bare(word) in _SUFFIXES:
            continue
        if not word[0].isupper() or not any(ch.isalpha() for ch in word):
            return None
    if all(w.isupper() and len(w) > 2 for w in words):
        return None  # photo credits and shouted headlines ("CHRIS DELMAS", "DISASTER")
    if any(sum(ch.isupper() for ch in w) >= 3 and not w.isupper() for w in words):
        return None  # words run together by a scraper ("MaransFlagShareLikeReplyPaige")
    if "\n" in span or "  " in span:
        return None
    return span, start, start + len(span)


def _in_headline(text: str, pos: int) -> bool:
    """Is `pos` in a headline-like line (Title Case; no final punctuation unless it is the first line)?
    NER there is unreliable ("Ben Carson Defends", "Musk Talk Border")."""
    line_start = text.rfind("\n", 0, pos) + 1
    line_end = text.find("\n", pos)
    line = text[line_start: line_end if line_end != -1 else len(text)].strip()
    words = re.findall(r"[A-Za-z][\w’'-]*", line)
    is_title = not text[:line_start].strip()  # the first line: a title, whatever its punctuation
    if len(words) < 3 or (line[-1:] in ".!?\"”’:" and not is_title):
        return False
    long_words = [w for w in words if len(w) > 3]
    if not long_words:
        return False
    share = sum(w[0].isupper() for w in long_words) / len(long_words)
    # An unpunctuated line in Title Case is a headline; a first line that ends like a sentence must be
    # all Title Case ("Ben Carson Defends Himself Again.", not "Elon Musk spoke on Monday.").
    return share >= (0.95 if line[-1:] in ".!?\"”’:" else 0.75)


def _group_names(ents: list[_Ent], text: str, doc: Any) -> list[_Draft]:
    """One draft per (first, last) name; bare names join the best-known full name that carries them."""
    by_key: dict[tuple[str, str, str], _Draft] = {}
    singles: list[_Ent] = []
    for ent in ents:
        words = name_tokens(ent.name)
        if len(words) < 2:
            singles.append(ent)
            continue
        key = (fold(words[0]), fold(words[-1]), _suffix(ent.name))
        draft = by_key.setdefault(key, _Draft(first_seen=ent.start))
        draft.forms[ent.name] += 1
        draft.aliases.add(ent.name)
        draft.mentions.add((ent.start, ent.end))
        draft.first_seen = min(draft.first_seen, ent.start)
    drafts = list(by_key.values())
    lone: dict[str, _Draft] = {}
    lowercase_words = " ".join(w for w in re.findall(r"\b[a-z][\w'’-]*", text))
    for ent in singles:
        owner = _owner_of_word(ent.name, drafts)
        if owner is None:
            if fold(ent.name) not in lone and not _lone_name_ok(ent.name, ents, lowercase_words, doc):
                continue
            owner = lone.setdefault(fold(ent.name), _Draft(first_seen=ent.start))
            owner.forms[ent.name] += 1
            owner.first_seen = min(owner.first_seen, ent.start)
        owner.aliases.add(ent.name)
        owner.mentions.add((ent.start, ent.end))
    return drafts + list(lone.values())


def _owner_of_word(word: str, drafts: Sequence[_Draft]) -> _Draft | None:
    """The full-name draft a bare surname (or, failing that, first name) belongs to.

    News style names a person in full once and by surname afterwards, so a surname shared by several
    people goes to the one named most often (ties: the first named).
    """
    key = fold(word)
    for position in (-1, 0):
        bearers = [d for d in drafts if len(name_tokens(d.name)) > 1 and fold(name_tokens(d.name)[position]) == key]
        if position == 0 and any(fold(surname(d.name)) == key for d in drafts):
            return None
        if bearers:
            return max(bearers, key=lambda d: (sum(d.forms.values()), -d.first_seen))
    return None


def _scan_surface_forms(text: str, doc: Any, drafts: list[_Draft]) -> None:
    """Add every occurrence of each known name form (the NER misses many repeat mentions).

    Longer forms win overlaps ("Elon Musk" over "Musk"). Occurrences inside a longer non-person
    entity ("Trump Tower", "May 2023") are skipped; an ORG entity that is exactly the name is a
    mis-tag and still counts.
    """
    forms: dict[str, _Draft] = {}
    for draft in drafts:
        for form in {*draft.forms, *draft.aliases}:
            forms.setdefault(form, draft)
        words = name_tokens(draft.name)
        if len(words) > 1:
            for word in (words[-1], words[0]):
                owner = _owner_of_word(word, drafts)
                if owner is draft:
                    forms.setdefault(word, draft)
                    draft.aliases.add(word)
    taken: list[tuple[int, int]] = sorted(m for d in drafts for m in d.mentions)
    blocked = _blocked_spans(doc)
    for form in sorted(forms, key=len, reverse=True):
        pattern = re.compile(r"(?<![\w’'-])" + re.escape(form) + r"(?![\w-]|[’'](?![sS]\b)\w)")
        for m in pattern.finditer(text):
            span = (m.start(), m.end())
            if _overlaps(span, taken) or _inside(span, blocked):
                continue
            forms[form].mentions.add(span)
            bisect.insort(taken, span)


def _blocked_spans(doc: Any) -> list[tuple[int, int]]:
    spans = []
    for ent in doc.ents:
        if ent.label_ in _NUMERIC_LABELS and any(ch.isdigit() for ch in ent.text):  # "May 2023"
            spans.append((ent.start_char, ent.end_char))
        elif ent.label_ in _NAMED_THING_LABELS and 1 < len(ent) <= 4:  # "Trump Tower", "Trump University"
            if not any(t.is_punct or t.lower_ == "and" for t in ent):  # "X, Breton" is a mis-tag
                spans.append((ent.start_char, ent.end_char))
    return spans


def _overlaps(span: tuple[int, int], spans: list[tuple[int, int]]) -> bool:
    """Does `span` overlap any of `spans` (sorted by start; NER spans may nest, so scan back a bit)?"""
    i = bisect.bisect_left(spans, (span[1], -1))
    return any(s < span[1] and span[0] < e for s, e in spans[max(0, i - 8):i])


def _inside(span: tuple[int, int], spans: Iterable[tuple[int, int]]) -> bool:
    """Strictly inside a longer span (an exact-size span is a mis-tag of the name itself)."""
    return any(s <= span[0] and span[1] <= e and (e - s) > (span[1] - span[0]) for s, e in spans)


def _establish_roles(text: str, doc: Any, drafts: list[_Draft]) -> None:
    """Learn role aliases from the patterns the text uses to introduce people."""
    owner_at: dict[int, _Draft] = {}
    for draft in drafts:
        for start, end in draft.mentions:
            for pos in range(start, end):
                owner_at[pos] = draft
    for draft in drafts:
        for start, end in sorted(draft.mentions):
            span = doc.char_span(start, end, alignment_mode="expand")
            if span is None or len(span) == 0:
                continue
            for phrase in _roles_around(doc, span, owner_at, draft):
                _add_role(draft, phrase)
            m = _AS_ROLE.search(text[max(0, start - 80):start])
            if m:
                _add_role(draft, re.split(r"\s+and\s+", m.group("role"))[0])


def _add_role(draft: _Draft, phrase: str) -> None:
    phrase = _SPACE.sub(" ", phrase).strip(" ,")
    key = role_key(phrase)
    if key is None or key.head in {fold(w) for w in name_tokens(draft.name)}:
        return
    if not key.mods and key.head.strip(".") in _HONORIFICS:
        return  # "Mr." says nothing about who someone is
    draft.roles[phrase] = key
    draft.aliases.add(phrase)


def _is_role_head(tok: Any) -> bool:
    """Can this token end a role ("CEO", "President", "analyst")? Not a name, number or verb."""
    word = tok.text.strip(".").casefold()
    if word in _NOT_ROLE_HEADS:
        return False
    if word in TITLE_WORDS or word in _ABBREVIATIONS:
        return True
    if tok.pos_ != "NOUN" or not tok.text[:1].islower():
        return False
    return word in _PERSON_NOUNS or (word.endswith(_PERSON_SUFFIXES) and not word.endswith("ment"))


def _roles_around(doc: Any, span: Any, owner_at: dict[int, _Draft], draft: _Draft) -> list[str]:
    """Role phrases attached to one name mention: pre-name titles and appositives either side."""
    phrases: list[str] = []
    # 1) "Tesla CEO Elon Musk", "former President Donald Trump", "X's owner Elon Musk": tokens left of
    # the name that the parser attaches to it (or to a token already taken), skipping parentheticals.
    taken = set(range(span.start, span.end))
    picked: list[Any] = []
    i = span.start - 1
    while i >= 0 and span.start - i <= 8:
        tok = doc[i]
        if tok.text == ")":
            opening = next((j for j in range(i - 1, max(-1, i - 6), -1) if doc[j].text == "("), None)
            if opening is None:
                break
            i = opening - 1
            continue
        if tok.ent_type_ in _NUMERIC_LABELS or owner_at.get(tok.idx) is draft:
            break
        possessor = bool(picked) and picked[-1].text in _APOSTROPHE_S
        attached = tok.head.i in taken or possessor or (
            i == span.start - 1 and tok.dep_ in {"compound", "amod", "nmod"}
        )
        if not attached or not (tok.pos_ in _ROLE_POS or tok.text in _APOSTROPHE_S):
            break
        picked.append(tok)
        taken.add(i)
        i -= 1
    picked.reverse()
    while picked and picked[0].text in _APOSTROPHE_S:
        picked.pop(0)
    if picked and _is_role_head(picked[-1]) and owner_at.get(picked[-1].idx) is None:
        phrases.append(_tokens_text(picked))
    # 2) "Kara Swisher, the elder stateswoman of tech journalism," and "the Tesla CEO, Elon Musk".
    root = span.root
    for child in root.children:
        if child.dep_ == "appos" and child.i >= span.end and _is_role_head(child):
            if owner_at.get(child.idx) is None:
                end = child.i + 1
                of = next((c for c in child.rights if c.dep_ == "prep" and c.lower_ == "of"), None)
                if of is not None and of.right_edge.i - child.i <= 5:  # "the owner of X"
                    end = of.right_edge.i + 1
                phrases.append(_tokens_text(list(doc[child.left_edge.i: end])))
    if root.dep_ == "appos" and root.head.i < span.start and _is_role_head(root.head):
        head = root.head
        if owner_at.get(head.idx) is None:
            phrases.append(_tokens_text(list(doc[head.left_edge.i: head.i + 1])))
    return phrases


def _tokens_text(tokens: Sequence[Any]) -> str:
    words = [t.text_with_ws for t in tokens]
    while words and words[0].strip().casefold() in _DETERMINERS:
        words.pop(0)
    return "".join(words).strip()


def _resolve_role_mentions(doc: Any, drafts: list[_Draft]) -> None:
    """Resolve definite role mentions ("the former president") to the one person whose role fits."""
    if not any(d.roles for d in drafts):
        return
    taken = sorted(m for d in drafts for m in d.mentions)
    by_id = {str(i): d for i, d in enumerate(drafts) if d.roles}
    roles = {i: list(d.roles.values()) for i, d in by_id.items()}
    for chunk in doc.noun_chunks:
        if chunk[0].lower_ != "the" or len(chunk) < 2 or not _is_role_head(chunk.root):
            continue
        span = (chunk.start_char, chunk.end_char)
        if _overlaps(span, taken):
            continue
        key = role_key(chunk.text)
        if key is None:
            continue
        chosen = pick_by_role(key, roles)
        if chosen is None:
            continue
        by_id[chosen].mentions.add(span)
        by_id[chosen].aliases.add(_tokens_text(list(chunk)))


# -- matching names ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NameMatch:
    """The result of matching a name someone typed against known people.

    `person` is set when the match is confident; otherwise `candidates` holds the closest names
    (several people share the surname, or a misspelling has no clear winner).
    """

    person: Person | None
    candidates: tuple[str, ...] = ()
    ambiguous: bool = False


def match_name(query: str, people: Sequence[Person], counts: Mapping[str, int] | None = None) -> NameMatch:
    """Match a typed name ("Musk", "elon musk", "Elon Mask", "the Tesla CEO") against `people`.

    Order: exact canonical name; a bare name several people carry is ambiguous (candidates ordered by
    `counts`, default: each person's mention spans); exact alias; a role with the same head noun and
    agreeing modifiers; then fuzzy (rapidfuzz WRatio) against full names and surnames, confident only
    when clearly ahead of the runner-up.
    """
    q = _query_form(query)
    if not q or not people:
        return NameMatch(None)
    counts = counts if counts is not None else {p.name: len(p.mentions) for p in people}
    by_name = {fold(p.name): p for p in people}
    if q in by_name:
        return NameMatch(by_name[q])
    words = q.split()
    if len(words) == 1:
        bearers = [p for p in people if words[0] in {fold(w) for w in name_tokens(p.name)}]
        if bearers:
            return _disambiguate(bearers, counts)
    owners = [p for p in people if q in {_query_form(a) for a in p.aliases}]
    if owners:
        return _disambiguate(owners, counts)
    key = role_key(q)
    if key is not None and len(words) > 1:
        chosen = pick_by_role(key, {p.name: _role_keys(p) for p in people})
        if chosen is not None:
            return NameMatch(next(p for p in people if p.name == chosen))
    return _fuzzy(q, people)


def _query_form(name: str) -> str:
    """A typed name or alias in comparable form: folded, no title, no article, no possessive."""
    q = fold(" ".join(name_tokens(name.strip().strip("?!.,"))))
    q = re.sub(r"(?:'s|')$", "", q).strip()
    return q.removeprefix("the ")


def _role_keys(person: Person) -> list[RoleKey]:
    """Role keys of the person's role aliases (aliases that are not just their name's words)."""
    words = {fold(w) for w in name_tokens(person.name)}
    keys = [role_key(a) for a in person.aliases if not {fold(w) for w in a.split()} <= words]
    return [k for k in keys if k is not None]


def _disambiguate(bearers: list[Person], counts: Mapping[str, int]) -> NameMatch:
    """One bearer: that person. Several ("Trump": Donald and Melania): ambiguous, most mentioned first;
    guessing the famous one would put words in the wrong mouth."""
    if len(bearers) == 1:
        return NameMatch(bearers[0])
    ranked = sorted(bearers, key=lambda p: (-counts.get(p.name, 0), p.name))
    return NameMatch(None, tuple(p.name for p in ranked), ambiguous=True)


def _fuzzy(q: str, people: Sequence[Person]) -> NameMatch:
    choices: dict[str, str] = {}
    for p in people:
        choices.setdefault(fold(p.name), p.name)
        words = name_tokens(p.name)
        if len(words) > 1:
            choices.setdefault(fold(words[-1]), p.name)
    best: dict[str, float] = defaultdict(float)
    for choice, score, _ in process.extract(q, list(choices), scorer=fuzz.WRatio, limit=10):
        name = choices[choice]
        best[name] = max(best[name], float(score))
    ranked = [(n, s) for n, s in sorted(best.items(), key=lambda kv: (-kv[1], kv[0])) if s >= SUGGEST_SCORE]
    if not ranked:
        return NameMatch(None)
    (top_name, top_score), runner_up = ranked[0], (ranked[1][1] if len(ranked) > 1 else 0.0)
    if top_score >= CONFIDENT_SCORE and top_score - runner_up >= 5:
        return NameMatch(next(p for p in people if p.name == top_name))
    return NameMatch(None, tuple(n for n, _ in ranked[:3]))


def resolve(name: str, people: Sequence[Person]) -> Person | None:
    """The person `name` refers to (full name, surname, alias, role, close spelling), or None."""
    return match_name(name, people).person


@dataclass(frozen=True, slots=True)
class Roster:
    """The people of several texts merged by canonical name (mention offsets dropped: they point into
    different texts). `counts` are mention counts; `names` maps each text's canonical name (folded) to
    the merged one, so per-text results such as a quote's speaker can be looked up."""

    people: tuple[Person, ...]
    counts: Mapping[str, int]
    names: Mapping[str, str]

    def merged_name(self, name: str | None) -> str | None:
        return self.names.get(fold(name)) if name else None


def build_roster(groups: Iterable[Sequence[Person]]) -> Roster:
    """Merge per-text people; a bare name ("Musk") joins the one full name elsewhere that ends in it."""
    display: dict[str, str] = {}
    aliases: dict[str, set[str]] = defaultdict(set)
    counts: Counter[str] = Counter()
    for people in groups:
        for p in people:
            key = fold(p.name)
            display.setdefault(key, p.name)
            aliases[key] |= set(p.aliases)
            counts[key] += len(p.mentions)
    target = {key: key for key in display}
    full = [k for k in display if len(name_tokens(display[k])) > 1]
    for key in display:
        if key in full:
            continue
        owners = [k for k in full if fold(surname(display[k])) == key or fold(name_tokens(display[k])[0]) == key]
        if len(owners) == 1:
            target[key] = owners[0]
    merged_aliases: dict[str, set[str]] = defaultdict(set)
    merged_counts: Counter[str] = Counter()
    for key, to in target.items():
        merged_aliases[to] |= aliases[key] | ({display[key]} if key != to else set())
        merged_counts[display[to]] += counts[key]
    people = tuple(Person(display[k], frozenset(merged_aliases[k])) for k in display if target[k] == k)
    return Roster(people, dict(merged_counts), {k: display[to] for k, to in target.items()})

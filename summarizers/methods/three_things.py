"""The "three things to know": three short, distinct points, each tied to the source sentences behind it.

Two paths produce them, and every point says which one did (`Point.method`):

* extractive -- the three best sentences by the extractive ranker, skipping near-repeats and sentences
  that cannot stand alone (questions, fragments, "He added ..." openers when better ones exist); each
  point is its sentence and its own source;
* abstractive -- an instruction-tuned model reads the title and the lead plus extractively selected
  sentences (~350 tokens: small models lose the thread on more, and CPU time grows with it; a long
  text is sampled along its whole length, not just its opening) and writes three
  bullets. Each bullet is aligned to the sentences that support it and checked
  (`summarizers.methods.verify.check_point`): support, grounding of names and numbers
  (`summarizers.methods.grounding`), then meaning -- negation, hedges ("may", "by mistake"), who did
  what to whom, tense, and the attribution of reported claims. A bullet that states someone's claim
  as bare fact is rewritten with its source ("According to a leaked memo, ...") when the cited
  sentence names one; any other failure, or a repeat of an earlier point, replaces the bullet by the
  best unused extractive sentence. A model error or timeout falls back to the extractive three, logged.

With `model_check`, the surviving model-written points also go to the model itself, as the next turn
of the same chat (`summarizers.methods.model_check`); a point it calls unsupported is replaced too.

Every rejection and rewrite is kept in `ThreeThings.checks`; `fallback` says why no model point
survived. A bullet that is a (near-)verbatim copy of its source sentence is labelled "extractive", and
`ThreeThings.model` names the model only when at least one point kept its own wording: the result never
claims a model wrote what was copied.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from difflib import SequenceMatcher

from summarizers.methods import model_check as second_look
from summarizers.methods.abstractive import AbstractiveModel, GenerationTimeout
from summarizers.methods.attribution import Attribution, attribute
from summarizers.methods.events import event_sentences
from summarizers.methods.extractive import DANGLING_OPENERS, ExtractiveSummarizer
from summarizers.methods.verify import Issue, check_point, content_words
from summarizers.runtime.base import deadline_after, remaining
from summarizers.segment import DOUBLE_CLOSERS, DOUBLE_OPENERS, DOUBLE_QUOTES, split_sentences, tokenize_words
from summarizers.types import CheckResult, Point, Sentence, ThreeThings

log = logging.getLogger(__name__)

COUNT = 3
# Model bullets read beyond the three asked for: one that a check rejects is replaced by the model's next
# bullet before an extractive sentence (on the seed page the fourth told the assassination attempt).
SPARE = 1
SYSTEM = "Use only facts stated in the article."
CONTEXT_TOKENS = 350
LEAD_SENTENCES = 2
SEGMENTS = 4  # stretches a long article is sampled from for the model's context
MIN_WORDS, MAX_WORDS = 6, 80
DUPLICATE_OVERLAP = 0.6  # share of the shorter text's content words found in the other
DUPLICATE_MIN_SHARED = 3  # two points sharing only "plans" and "paid" are not the same fact
VERBATIM = 0.8  # word-sequence similarity above which a model "point" is a copy of its source sentence
MAX_SOURCES = 3
# The model's own yes/no pass over its points. Off by default: the offline 1.5B model's verdicts follow the
# points' order, not their truth (README, trust section), so on it the pass costs ~14% and adds a rejection.
MODEL_CHECK = False
INSTRUCTION = (
    "Write exactly three short bullet points, one full sentence each, stating the three most important facts "
    "in this article, what happened first. When a fact is someone's claim, say who made it (\"X said ...\"). "
    'Start each line with "- ".'
)

_BULLET = re.compile(  # one or more markers: "- ", "1. ", "- - " (small models stutter), "Point 2:"
    r"^\s*(?:(?:[-*•–—]+|\(?\d{1,2}[.):]|(?:point|fact)\s*\d{1,2}\s*[:.)-])\s*)+", re.IGNORECASE
)
_LABEL = re.compile(r"^[^.!?:]{1,60}:\s+(?=\S)")  # "Technical glitches: The talk began late."
_MARKUP = re.compile(r"\*\*|__|`")
# The small model writes "U. S." for the article's "U.S." (its tokenizer splits the initials).
_SPACED_INITIALS = re.compile(r"\b([A-Z])\.\s(?=[A-Z]\.)")
_TERMINAL = re.compile(r"[.!?…][\"'”’)\]]*$")
_SPACED_CLOSING = re.compile(r"([.!?,])\s+([\"”])(?=\s|$)")


@dataclass(frozen=True, slots=True)
class _Candidate:
    sentence: Sentence
    words: frozenset[str]


__all__ = ["align", "article_prompt", "bullets_written", "content_words", "headline", "overlapping_points",
           "parse_bullets", "three_things"]


def overlapping_points(a: frozenset[str], b: frozenset[str]) -> bool:
    """Whether two texts (as content words) say the same: most of the shorter one's words, and at least
    DUPLICATE_MIN_SHARED of them, are in the other (two shared words are a topic, not a repeat)."""
    if not a or not b:
        return False
    shared = len(a & b)
    return shared >= min(DUPLICATE_MIN_SHARED, len(a), len(b)) and shared / min(len(a), len(b)) >= DUPLICATE_OVERLAP


def three_things(
    text: str,
    *,
    title: str | None = None,
    model: AbstractiveModel | None = None,
    timeout_s: float | None = None,
    max_new_tokens: int = 160,
    model_check: bool = MODEL_CHECK,
) -> ThreeThings:
    """Three grounded points about `text` (fewer, with a `note`, when it has fewer usable facts).

    Source offsets index into `text` exactly as given. With `model`, points are written by the model
    and checked; without it (or when it fails) they are the best extractive sentences. Without a
    `title`, a headline-like first line of `text` serves as one. `model_check` adds the model's own
    yes/no pass over the points that survived the rules (`summarizers.methods.model_check`); `timeout_s`
    bounds the writing and that pass together.
    """
    title = title or headline(text)
    candidates = _candidates(text, title)
    if model is None or not candidates:  # no usable sentence: nothing a model point could be tied to
        return _extractive(candidates)
    deadline = deadline_after(timeout_s)
    try:
        prompt = _prompt(model, title, candidates)
        raw = model.generate([prompt], max_new_tokens=max_new_tokens, timeout_s=timeout_s, system=SYSTEM,
                             stop_when=bullets_written(COUNT + SPARE))[0]
        raw = _without_opened_bullet(raw)
    except GenerationTimeout as exc:
        log.warning("three things: %s; using extractive points", exc)
        return _extractive(candidates, fallback="timeout")
    except Exception as exc:  # a briefing must survive any model failure; the trace goes to the log
        log.warning(
            "three things: model %s failed (%s); using extractive points", model.name, exc, exc_info=True
        )
        return _extractive(candidates, fallback="error")
    result = _grounded(parse_bullets(raw)[: COUNT + SPARE], text, title, candidates, model.name)
    if model_check and model.kind == "chat":
        result = _model_checked(result, model, prompt, raw, candidates, remaining(deadline))
    return result


# -- extractive ------------------------------------------------------------------------------------


HEADLINE_LINES = 4  # short lines before the body among which the headline is looked for


def headline(text: str) -> str | None:
    """The text's headline: among its opening short lines (before the first sentence), the first that
    reads like a headline (3-20 words, no final punctuation) and whose words the body repeats; failing
    that, the first headline-shaped line; None when the text does not open with one.

    Pasted articles and files usually start with their headline; it helps the ranker (title overlap)
    and tells the model what the story is about. A page saved from the web may open with site chrome
    instead ("Jobs by JobLookup" above "Trump and Musk discuss 2024 election ..."): a headline
    announces the story, so most of its words come back in the text, and chrome's do not.
    """
    stripped = text.strip()
    if "\n\n" not in stripped:
        return None
    opening: list[str] = []
    for line in (ln.strip() for ln in stripped.split("\n")):
        if not line:
            continue
        if _TERMINAL.search(line) or len(tokenize_words(line)) > 20 or len(opening) == HEADLINE_LINES:
            break
        opening.append(line)
    shaped = [line for line in opening if 3 <= len(tokenize_words(line)) <= 20]
    if not shaped:
        return None
    body = content_words(stripped[stripped.find(opening[-1]) + len(opening[-1]):])
    for line in shaped:
        words = content_words(line)
        if words and len(words & body) >= len(words) / 2:
            return line
    return shaped[0] if shaped[0] == opening[0] else None


def usable_sentences(text: str, title: str | None) -> list[Sentence]:
    """Sentences fit to be a point, best first: standalone ones by rank, then those that lean on context
    ("He said ..."). Shared with story briefs, which apply the same rule to each outlet's article."""
    standalone: list[Sentence] = []
    dependent: list[Sentence] = []
    for sentence, _score in ExtractiveSummarizer().rank(text, title=title, count=COUNT):
        words = tokenize_words(sentence.text)
        stripped = sentence.text.rstrip()
        if (
            not MIN_WORDS <= len(words) <= MAX_WORDS
            or stripped.endswith("?")
            or not _TERMINAL.search(stripped)
        ):
            continue
        (dependent if words[0].lower() in DANGLING_OPENERS else standalone).append(sentence)
    return standalone + dependent


def _candidates(text: str, title: str | None) -> list[_Candidate]:
    return [_Candidate(s, content_words(s.text)) for s in usable_sentences(text, title)]


def _next_extractive(candidates: Sequence[_Candidate], points: Sequence[Point]) -> Point | None:
    """The best candidate that is no point's source and repeats no point."""
    used = {s for p in points for s in p.sources}
    taken = [content_words(p.text) for p in points]
    for c in candidates:
        if c.sentence not in used and not any(overlapping_points(c.words, t) for t in taken):
            return Point(c.sentence.text, (c.sentence,), "extractive")
    return None


def _extractive(candidates: Sequence[_Candidate], *, fallback: str | None = None) -> ThreeThings:
    points: list[Point] = []
    while len(points) < COUNT and (point := _next_extractive(candidates, points)) is not None:
        points.append(point)
    points.sort(key=lambda p: p.sources[0].start)  # copied sentences read best in article order
    return ThreeThings(tuple(points), _note(len(points)), fallback=fallback)


def _note(found: int) -> str | None:
    if found >= COUNT:
        return None
    if found == 0:
        return "No usable facts in this text."
    return f"Only {found} distinct fact{'s' if found > 1 else ''} in this article."


# -- abstractive -----------------------------------------------------------------------------------


def _prompt(model: AbstractiveModel, title: str | None, candidates: Sequence[_Candidate], *,
            show: Sequence[Sentence] = ()) -> str:
    """Title, the lead and extractively selected sentences (in article order) within CONTEXT_TOKENS;
    the sentences in `show` whatever the budget (`article_prompt`).

    For an article that fits about twice the budget, the best-ranked sentences are taken: news puts
    the facts first. A longer text (a feature, a live blog, several stories pasted together) would
    then be represented only by its opening, so its sentences are split into SEGMENTS stretches and
    taken in turns, best-ranked first within each: the model sees the whole article.
    Chat models get the instruction to write three bullets (`_frame`); seq2seq summarizers get the text alone
    and their prose summary is split into sentences by `parse_bullets`.
    """
    by_position = sorted(candidates, key=lambda c: c.sentence.start)
    costs = {c.sentence: model.count_tokens(c.sentence.text) for c in candidates}
    order: list[_Candidate] = [*by_position[:LEAD_SENTENCES]]
    if sum(costs.values()) <= 2 * CONTEXT_TOKENS:
        order += candidates
    else:
        rank = {c.sentence: i for i, c in enumerate(candidates)}
        size = -(-len(by_position) // SEGMENTS)
        stretches = [
            sorted(by_position[i : i + size], key=lambda c: rank[c.sentence])
            for i in range(0, len(by_position), size)
        ]
        if title:  # a page this long is often several reports pasted together: their events first
            found = event_sentences([c.sentence.text for c in candidates], [c.words for c in candidates], title)
            order += [candidates[i] for i in found]
        order += [s[i] for i in range(max(map(len, stretches))) for s in stretches if i < len(s)]
    chosen: list[Sentence] = list(dict.fromkeys(show))
    used = sum(model.count_tokens(s.text) for s in chosen)
    for c in order:
        if c.sentence in chosen or (chosen and used + costs[c.sentence] > CONTEXT_TOKENS):
            continue
        chosen.append(c.sentence)
        used += costs[c.sentence]
    article = " ".join(s.text for s in sorted(chosen, key=lambda s: s.start))
    if model.kind == "seq2seq":  # a summarization model takes the text itself, not an instruction
        return f"{title.strip()}. {article}" if title else article
    return _frame(f"Title: {title.strip()}\n\n" if title else "", article)


def article_prompt(model: AbstractiveModel, text: str, title: str | None = None, *,
                   show: Sequence[Sentence] = ()) -> str:
    """The prompt `three_things` would send `model` for `text`: what a benchmark or an eval asks the model
    with, so that it measures the prompt in use. `show`: sentences the prompt must hold (an eval asking
    about labelled points shows their sources), beside those a briefing would take while they fit
    CONTEXT_TOKENS, in article order."""
    title = title or headline(text)
    return _prompt(model, title, _candidates(text, title), show=show)


def _frame(head: str, article: str) -> str:
    """The instruction first, then the article: every briefing prompt then starts with the same tokens
    (system prompt, instruction), which llama.cpp keeps in its KV cache from one story to the next, so a
    digest prefills them once instead of once per story (~60 tokens, ~1.5 s each on 2 cores)."""
    return f"{INSTRUCTION}\n\n{head}Article:\n{article}"


def bullets_written(count: int) -> Callable[[str], bool]:
    """A `stop_when` for generation: true once the answer starts bullet number `count + 1`, so the model
    stops after `count` (asked for three, the small model often writes eight: 160 tokens, not 60)."""

    def done(text: str) -> bool:
        return sum(1 for line in text.split("\n") if _BULLET.match(line)) > count

    return done


def _without_opened_bullet(raw: str) -> str:
    """`raw` without a last line that is a bullet marker alone: generation stopped as the next bullet
    began (`bullets_written`), and its marker is no part of the answer."""
    head, _, last = raw.rpartition("\n")
    return head if head and _BULLET.match(last) and not _BULLET.sub("", last).strip() else raw


def parse_bullets(raw: str) -> list[str]:
    """The points in a model's answer, whatever list style it chose; prose falls back to sentences.

    Preambles ("Here are three things:") are dropped, wrapped lines are joined to their bullet, and
    markdown emphasis and short labels ("**Glitches:** ...") are removed.
    """
    bullets: list[str] = []
    for line in (ln.strip() for ln in raw.splitlines()):
        if not line:
            continue
        if _BULLET.match(line):
            bullets.append(_BULLET.sub("", line, count=1))
        elif bullets and not _TERMINAL.search(bullets[-1]) and not line.endswith(":"):
            bullets[-1] = f"{bullets[-1]} {line}"  # a wrapped bullet
    if not bullets:
        prose = " ".join(ln.strip() for ln in raw.splitlines() if ln.strip() and not ln.strip().endswith(":"))
        bullets = [s.text for s in split_sentences(prose)]
    out = []
    for bullet in bullets:
        cleaned = _unquoted(_LABEL.sub("", _MARKUP.sub("", bullet).strip(), count=1).strip())
        cleaned = _close_quotes(_SPACED_INITIALS.sub(r"\1.", cleaned))
        if len(tokenize_words(cleaned)) >= 3:
            out.append(cleaned)
    return out


def _close_quotes(bullet: str) -> str:
    """`fifty years. "` -> `fifty years."`: the small model spaces a closing quotation mark off its
    punctuation (a straight quote closes when an odd number of them came before it)."""
    out = bullet
    for m in reversed(list(_SPACED_CLOSING.finditer(bullet))):
        if m.group(2) == "”" or bullet[: m.start(2)].count('"') % 2 == 1:
            out = out[: m.start(1) + 1] + m.group(2) + out[m.end(2) :]
    return out


def _unquoted(bullet: str) -> str:
    """`bullet` without the quotation marks a model sometimes wraps a whole point in; the closing mark of a
    quotation the point ends with (`called it "the biggest investment in fifty years."`) stays."""
    inner = bullet[1:-1]
    if (len(bullet) >= 2 and bullet[0] in DOUBLE_OPENERS and bullet[-1] in DOUBLE_CLOSERS
            and not any(q in inner for q in DOUBLE_QUOTES)):
        return inner.strip()
    return bullet


def align(point: str, sentences: Sequence[Sentence]) -> tuple[tuple[Sentence, ...], float]:
    """The sentences that best cover `point`'s content words (greedy, at most MAX_SOURCES), in
    article order, and the share of the point's content words they cover."""
    target = content_words(point)
    if not target:
        return (), 0.0
    words = [content_words(s.text) for s in sentences]
    chosen: list[int] = []
    covered: set[str] = set()
    while len(chosen) < MAX_SOURCES:
        gains = [(len((w & target) - covered), -i) for i, w in enumerate(words) if i not in chosen]
        if not gains:
            break
        gain, neg_i = max(gains)
        if gain == 0 or (chosen and gain < 2):
            break
        chosen.append(-neg_i)
        covered |= words[-neg_i] & target
    sources = tuple(sorted((sentences[i] for i in chosen), key=lambda s: s.start))
    return sources, len(covered) / len(target)


def verbatim(point: str, sources: Sequence[Sentence]) -> bool:
    """Whether `point` is a (near-)copy of one of its source sentences, word for word."""
    words = [w.lower() for w in tokenize_words(point)]
    return any(
        SequenceMatcher(None, words, [w.lower() for w in tokenize_words(s.text)], autojunk=False).ratio() >= VERBATIM
        for s in sources
    )


def rewritable(issues: Sequence[Issue]) -> Attribution | None:
    """The attribution to restore when that is all a point got wrong: the claim is the source's, and any
    hedge it dropped sits under a stance the rewrite keeps ("hopes Manchester can ..." -> "X hopes ...")."""
    found = next((i.attribution for i in issues if i.check == "attribution"), None)
    if found is None or not found.named:
        return None
    others = {i.check for i in issues} - {"attribution"}
    return found if not others or (others == {"qualifier"} and found.stance) else None


def _grounded(
    bullets: Sequence[str], text: str, title: str | None, candidates: Sequence[_Candidate], model_name: str
) -> ThreeThings:
    sentences = split_sentences(text)
    points: list[Point] = []
    checks: list[CheckResult] = []
    for bullet in bullets:
        if len(points) >= COUNT:
            break  # the spare bullets are read only while a point is missing
        sources, _support = align(bullet, sentences)
        issues = check_point(bullet, [s.text for s in sources], article=text, title=title)
        words = content_words(bullet)
        if not issues and any(overlapping_points(words, content_words(p.text)) for p in points):
            issues = [Issue("repeat", "repeats an earlier point")]
        attribution = rewritable(issues)
        if not issues:
            points.append(Point(bullet, sources, "extractive" if verbatim(bullet, sources) else "abstractive"))
            continue
        if attribution is not None:
            rewritten = attribute(bullet, attribution)
            checks.append(CheckResult(bullet, "attribution", issues[0].detail, "rewritten"))
            log.info("three things: %r states a claim as fact; rewritten as %r", bullet, rewritten)
            # The rewrite is labelled like any point: restoring "According to X, ..." often gives back the
            # source sentence itself, and a copy is extractive, never abstractive.
            points.append(Point(rewritten, sources, "extractive" if verbatim(rewritten, sources) else "abstractive"))
            continue
        reason = "; ".join(i.detail for i in issues)
        checks.extend(CheckResult(bullet, i.check, i.detail) for i in issues)
        log.info("three things: rejected model point %r (%s)", bullet, reason)
    while len(points) < COUNT and (point := _next_extractive(candidates, points)) is not None:
        points.append(point)
    written = any(p.method == "abstractive" for p in points)
    fallback = None
    if not written:
        fallback = "rejected" if any(c.action == "rejected" for c in checks) else "copied" if bullets else "empty"
    return ThreeThings(tuple(points), _note(len(points)), model_name if written else None, fallback, tuple(checks))


def _model_checked(result: ThreeThings, model: AbstractiveModel, prompt: str, raw: str,
                   candidates: Sequence[_Candidate], timeout_s: float | None) -> ThreeThings:
    """`result` after the model's own yes/no pass over its surviving written points (copies need none).

    The question continues the conversation that wrote `raw`, so it costs one short turn. A point the
    model calls unsupported is replaced like any rejected point; when the pass gives no usable answer
    the points stand and `checks` records that it was skipped, and why.
    """
    asked = [p for p in result.points if p.method == "abstractive"]
    if not asked:
        return result
    verdicts = second_look.ask(model, prompt, raw, [p.text for p in asked], system=SYSTEM, timeout_s=timeout_s)
    if verdicts.supported is None:
        skipped = CheckResult("", second_look.CHECK, f"model check {verdicts.problem}: rule checks only", "skipped")
        return replace(result, checks=(*result.checks, skipped))
    rejected = [p for p, ok in zip(asked, verdicts.supported, strict=True) if not ok]
    if not rejected:
        return result
    kept = [p for p in result.points if p not in rejected]
    points: list[Point] = []
    checks = list(result.checks)
    for point in result.points:
        if point in kept:
            points.append(point)
            continue
        checks.append(CheckResult(point.text, second_look.CHECK, second_look.REASON))
        log.info("three things: the model calls %r not supported; using an extractive sentence", point.text)
        # in place, so the points keep their order; never a repeat of a kept point further down
        if (replacement := _next_extractive(candidates, [*points, *kept])) is not None:
            points.append(replacement)
    written = any(p.method == "abstractive" for p in points)
    return ThreeThings(tuple(points), _note(len(points)), result.model if written else None,
                       None if written else "rejected", tuple(checks))

"""Evaluate quote extraction and speaker attribution on PolNeAR (hand-annotated news attributions).

    .venv/bin/python benchmarks/eval_quotes.py [--limit N] [--split train|dev|all] [--show-errors K]

Data: ../shared/data/polnear_attributions_dev.jsonl (see ../shared/data/README.md). Each annotation has
a source (speaker), a cue and a content, with character spans into the article text.

Which annotations count (the "relevant" set): direct quotes, i.e. the content is wrapped in double
quote marks (`"…"` or `“…”`, trailing punctuation allowed), whose source is

* a name: the source's head (the part before any ", " or " who ") ends in a capitalised word
  ("Trump", "Former Florida governor Jeb Bush", "James Acton, a physicist …"), and is not an all-caps
  heading of several words; a name before " of/for/from/at " wins when it has two or more words
  ("Joel Pollak of Breitbart California" -> Joel Pollak); or
* a pronoun: he / she.

Other sources ("one source", "the statement", "the Trump campaign", missing) are not counted.

Matching rules:

* Quote recall: a relevant quote is found when one of our quotes (partial or not) overlaps any of its
  content spans.
* Gold speaker of a named source: the run of capitalised words ending at the head's last word, cut at
  a title ("Ohio Gov. John Kasich" -> "John Kasich", "Mr. Obama" -> "Obama"), possessive dropped.
* Gold speaker of a pronoun source: the name of the nearest preceding annotation in the same article
  whose source is a person-like name (PolNeAR does not link pronouns to antecedents; this is the
  nearest named entity in the annotation). Person-like: two or more words, or one word that the
  article also writes after another capitalised word ("Trump" after "Donald Trump"; "Delegates" or
  "Birchers" alone are skipped). Pronoun quotes with no such earlier source are skipped.
* Speaker match (head-noun rule): same last word (surname or organisation head, case- and
  accent-insensitive), and when both sides have more words, the first word of one appears in the other
  ("Donald Trump" matches "Trump", "Donald J. Trump" and "Republican Donald Trump", not "Eric Trump");
  a one-word gold also matches any word of ours ("Hillary", or "Shen" for the family-name-first "Shen
  Xincheng"). A missing speaker (None) counts as wrong.
* Speaker accuracy is measured on the found relevant quotes, using our quote with the largest overlap.

The pronoun gold is a heuristic (the nearest annotated name is often not the referent), so pronoun
accuracy is also printed for the subset whose named antecedent is at most NEAR_CHARS characters back.

Also printed: the share of our non-partial quotes that overlap any annotated content (a precision
proxy: PolNeAR does not annotate every quotation), and throughput.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from summarizers.nlp import get_nlp  # noqa: E402
from summarizers.people.names import TITLE_WORDS, find_people, fold, name_tokens  # noqa: E402
from summarizers.people.quotes import extract_quotes  # noqa: E402
from summarizers.types import Quote  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "polnear_attributions_dev.jsonl"
PRONOUNS = frozenset({"he", "she"})
NEAR_CHARS = 400  # pronoun gold is more trustworthy when the named antecedent is this close
# Capitalised sources that are not names (sentence-initial pronouns and quantifiers).
NOT_NAMES = frozenset("i we they it you he she some others many who this that these those all both the a".split())
_DIRECT = re.compile(r'^\s*["“].*["”][\s.,;:!?]*$', re.DOTALL)
_HEAD_CUT = re.compile(r",\s|\s+who\s")
_PREP_CUT = re.compile(r"\s+(?:of|from|at|for)\s")
_CAPITALISED = re.compile(r"^[A-Z][\w.'’-]*$")


@dataclass
class Counts:
    relevant: int = 0
    found: int = 0
    judged: int = 0
    correct: int = 0
    named_judged: int = 0
    named_correct: int = 0
    pronoun_judged: int = 0
    pronoun_correct: int = 0
    near_judged: int = 0
    near_correct: int = 0
    no_speaker: int = 0
    ours_full: int = 0
    ours_full_matching: int = 0
    errors: list[str] = field(default_factory=list)


def gold_name(source: str | None) -> str | None:
    """The name a named source refers to, or None when the source is not a name."""
    if not source:
        return None
    head = _HEAD_CUT.split(source.strip(), maxsplit=1)[0].strip(" ,")
    before_prep = _PREP_CUT.split(head, maxsplit=1)[0].strip()
    run = _last_capitalised_run(before_prep)
    if len(run) < 2:  # "Joel Pollak of Breitbart" keeps "Joel Pollak"; "Fight for $15 … Kendall Fells" does not
        run = _last_capitalised_run(head)
    while run and run[0].casefold() in ("the", "a", "an"):
        run = run[1:]
    if not run or run[-1].casefold() in NOT_NAMES:
        return None
    if len(run) > 1 and all(w.isupper() for w in run):
        return None  # a shouted section heading ("HOW CHINA’S DECLINE AFFECTS …"), not a source
    return " ".join(run) or None


def person_like(name: str, text: str) -> bool:
    """Can he/she refer to this named source? A person's name has two words somewhere in the article
    ("Trump" after "Donald Trump"); "Delegates" or "The Republican" do not."""
    words = name.split()
    if len(words) > 1:
        return words[0].casefold() not in NOT_NAMES
    return re.search(r"\b[A-Z][a-z][\w.'’-]*[^\S\n]+" + re.escape(words[0]) + r"\b", text) is not None


def _last_capitalised_run(head: str) -> list[str]:
    """The capitalised words ending the phrase, cut at a title ("Ohio Gov. John Kasich" -> John Kasich)."""
    words = re.sub(r"(?:'s|’s|'|’)$", "", head.strip()).split()
    run: list[str] = []
    for word in reversed(words):
        if not _CAPITALISED.match(word) or word.strip(".").casefold() in TITLE_WORDS:
            break
        run.append(word)
    return run[::-1]


def speaker_matches(predicted: str | None, gold: str) -> bool:
    """Same surname, and a shared first name when both give one (see the module docstring)."""
    if not predicted:
        return False
    p = [fold(w).strip(".") for w in name_tokens(predicted)]
    g = [fold(w).strip(".") for w in name_tokens(gold)]
    if not p or not g:
        return False
    if len(g) == 1 and g[0] in p:  # "Shen" for "Shen Xincheng", "Hillary" for "Hillary Clinton"
        return True
    if p[-1] != g[-1]:
        return False
    return len(p) == 1 or len(g) == 1 or p[0] in g or g[0] in p


def is_direct(attribution: dict[str, object]) -> bool:
    content = attribution.get("content")
    return isinstance(content, str) and bool(_DIRECT.match(content)) and bool(attribution.get("content_spans"))


def records(split: str, data: Path = DATA) -> Iterator[dict[str, object]]:
    with data.open(encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            if split == "all" or rec.get("split") == split:
                yield rec


def evaluate(rec: dict[str, object], quotes: list[Quote], counts: Counts, show: int) -> None:
    text = str(rec["text"])
    annotated = rec["attributions"]
    if not isinstance(annotated, list):
        raise ValueError(f"{rec.get('id')}: 'attributions' must be a list")
    attributions = sorted(
        (a for a in annotated if a.get("source_spans")),
        key=lambda a: a["source_spans"][0][0],
    )
    last_named: str | None = None
    last_named_at = -(10**9)
    for a in attributions:
        source = a.get("source")
        named = gold_name(source)
        pronoun = isinstance(source, str) and source.strip().casefold() in PRONOUNS
        gold = named or (last_named if pronoun else None)
        if named and person_like(named, text):
            last_named, last_named_at = named, a["source_spans"][0][0]
        near = a["source_spans"][0][0] - last_named_at <= NEAR_CHARS
        if gold is None or not is_direct(a):
            continue
        counts.relevant += 1
        spans = [tuple(s) for s in a["content_spans"]]
        best, best_overlap = None, 0
        for q in quotes:
            overlap = sum(max(0, min(q.end, e) - max(q.start, s)) for s, e in spans)
            if overlap > best_overlap:
                best, best_overlap = q, overlap
        if best is None:
            if len(counts.errors) < show:
                counts.errors.append(f"MISSED  {rec['id']}: {str(a['content'])[:90]!r}")
            continue
        counts.found += 1
        counts.judged += 1
        ok = speaker_matches(best.speaker, gold)
        counts.correct += ok
        counts.no_speaker += best.speaker is None
        if named:
            counts.named_judged += 1
            counts.named_correct += ok
        else:
            counts.pronoun_judged += 1
            counts.pronoun_correct += ok
            counts.near_judged += near
            counts.near_correct += ok and near
        if not ok and len(counts.errors) < show:
            kind = "named" if named else "pronoun"
            counts.errors.append(
                f"SPEAKER {rec['id']}: gold={gold!r} ({kind}: {source!r}) ours={best.speaker!r} "
                f"quote={text[best.start:best.end][:70]!r}"
            )
    all_spans = [tuple(s) for a in annotated for s in (a.get("content_spans") or [])]
    for q in quotes:
        if q.partial:
            continue
        counts.ours_full += 1
        counts.ours_full_matching += any(s < q.end and q.start < e for s, e in all_spans)


def pct(num: int, den: int) -> str:
    return f"{100.0 * num / den:5.1f}% ({num}/{den})" if den else "  n/a"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None, help="evaluate N evenly spaced articles")
    parser.add_argument("--split", choices=("train", "dev", "all"), default="all")
    parser.add_argument("--show-errors", type=int, default=0, metavar="K", help="print K misses/mismatches")
    parser.add_argument("--data", type=Path, default=DATA, help="the PolNeAR JSONL (default: %(default)s)")
    args = parser.parse_args()
    if not args.data.is_file():
        print(f"missing {args.data}", file=sys.stderr)
        return 2
    recs = list(records(args.split, args.data))
    if args.limit is not None and 0 < args.limit < len(recs):
        step = len(recs) / args.limit  # evenly spaced, so every publisher is represented
        recs = [recs[int(i * step)] for i in range(args.limit)]
    nlp = get_nlp()
    counts = Counts()
    started = time.perf_counter()
    chars = 0
    texts = [str(r["text"]) for r in recs]
    for rec, text, doc in zip(recs, texts, nlp.pipe(texts, batch_size=8), strict=True):
        chars += len(text)
        quotes = extract_quotes(text, doc=doc, people=find_people(text, doc))
        evaluate(rec, quotes, counts, args.show_errors)
    elapsed = time.perf_counter() - started
    print(f"PolNeAR {args.split}: {len(recs)} articles, {chars:,} chars, {elapsed:.1f} s "
          f"({len(recs) / max(elapsed, 1e-9):.1f} articles/s)")
    print(f"relevant direct quotes (named or he/she source): {counts.relevant}")
    print(f"quote recall:                 {pct(counts.found, counts.relevant)}")
    print(f"speaker accuracy (all):       {pct(counts.correct, counts.judged)}")
    print(f"  named sources:              {pct(counts.named_correct, counts.named_judged)}")
    print(f"  pronoun sources:            {pct(counts.pronoun_correct, counts.pronoun_judged)}")
    print(f"    antecedent <= {NEAR_CHARS} chars back: {pct(counts.near_correct, counts.near_judged)}")
    print(f"  no speaker given:           {pct(counts.no_speaker, counts.judged)}")
    print(f"our full quotes overlapping an annotation: {pct(counts.ours_full_matching, counts.ours_full)}")
    for line in counts.errors:
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

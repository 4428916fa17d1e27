"""In-sample check of the shipped extractive ranker against LexRank on the shared BBC politics sample.

    .venv/bin/python benchmarks/eval_ranker_bbc.py [--limit N]

Data: ../shared/data/bbc_politics_dev.jsonl (not in the repository: its texts may not be copied). This
was a pytest test that skipped in every fresh clone; as a script it prints its figures instead. The
shipped ranker was trained on this set, so the margin is an in-sample figure (a regression alarm, not a
quality claim). The committed, self-written set in tests/fixtures/eval is what the tests use.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from summarizers.evaluation import rouge as ev

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "bbc_politics_dev.jsonl"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=25, help="records to evaluate (default 25)")
    args = parser.parse_args()
    if not DATA.is_file():
        sys.stderr.write(f"{DATA} is not present (see ../shared/data/README.md)\n")
        return 1
    records = ev.load_jsonl(DATA)[: args.limit]
    rows = ev.evaluate(records, ev.resolve_methods(["extractive", "lexrank"]), length="reference").by_name()
    for name in ("extractive", "lexrank"):
        sys.stdout.write(f"{name:12s} ROUGE-1 {rows[name].rouge1:5.1f}  ROUGE-2 {rows[name].rouge2:5.1f}\n")
    margin = rows["extractive"].rouge1 - rows["lexrank"].rouge1
    sys.stdout.write(f"extractive - lexrank ROUGE-1: {margin:+.1f} (was > +3 when the ranker shipped)\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

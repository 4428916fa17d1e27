"""Abstractive throughput, batched vs one prompt at a time, plus load time and peak memory.

    .venv/bin/python benchmarks/bench_abstractive.py                       # tiny random model (seconds)
    .venv/bin/python benchmarks/bench_abstractive.py --model qwen2.5-coder-1.5b --prompts 4 \
        --three-things ../shared/fixtures/trump_musk_x_conversation.txt

Prompts are the fixture's paragraphs when ../shared is present (else a built-in paragraph), each asked
for a one-sentence summary. `--three-things FILE` also times `three_things` on that (cleaned) file and
prints the points with their method, so a reader can judge them. Threads are capped (default 2): the
machine is shared. Peak RSS is the process high-water mark (ru_maxrss), model load included.
"""

from __future__ import annotations

import argparse
import logging
import resource
import sys
import tempfile
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # the tiny model builder the tests use

from bot.articles.clean import clean_text  # noqa: E402
from summarizers.methods.abstractive import load_model  # noqa: E402
from summarizers.methods.grounding import unsupported_terms  # noqa: E402
from summarizers.methods.three_things import three_things  # noqa: E402

FIXTURE = ROOT.parent / "shared" / "fixtures" / "trump_musk_x_conversation.txt"
FALLBACK = (
    "Elon Musk spoke with Donald Trump on X for two hours. The conversation began 42 minutes late because "
    "of technical problems. Musk endorsed Trump and pledged about $45 million a month to a super PAC."
)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def prompts(count: int) -> list[str]:
    paragraphs = (
        [p for p in clean_text(FIXTURE.read_text(encoding="utf-8")).split("\n\n") if len(p.split()) > 40]
        if FIXTURE.is_file()
        else []
    )
    paragraphs = paragraphs or [FALLBACK]
    return [f"Summarize in one sentence:\n{paragraphs[i % len(paragraphs)]}" for i in range(count)]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", help="model spec (default: a tiny random chat model built in a temp dir)")
    parser.add_argument("--prompts", type=int, default=8)
    parser.add_argument("--max-new-tokens", type=int, default=24)
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch threads (at most 2 here; 1 is faster when other jobs share the cores)",
    )
    parser.add_argument("--three-things", type=Path, metavar="FILE", help="also time three_things on FILE")
    parser.add_argument("--dtype", default="auto", help="compute dtype (default: auto, float32 on AVX2 CPUs)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log rejected model points")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING, format="%(name)s: %(message)s"
    )

    with tempfile.TemporaryDirectory() as tmp:
        spec = args.model
        if spec is None:
            from tiny_models import tiny_chat_model

            spec = str(tiny_chat_model(Path(tmp) / "tiny"))
        started = time.perf_counter()
        model = load_model(spec, device="cpu", dtype=args.dtype)
        print(
            f"model {model.name} ({model.kind}, {model.dtype}) loaded in {time.perf_counter() - started:.1f} s; "
            f"peak RSS {peak_rss_mb():.0f} MB"
        )

        batch = prompts(args.prompts)
        model.generate(batch[:1], max_new_tokens=2)  # warm-up: first call pays one-off costs
        started = time.perf_counter()
        singles = [model.generate([p], max_new_tokens=args.max_new_tokens)[0] for p in batch]
        one_by_one = time.perf_counter() - started
        started = time.perf_counter()
        batched = model.generate(batch, max_new_tokens=args.max_new_tokens)
        together = time.perf_counter() - started
        tokens = sum(model.count_tokens(t) for t in batched)
        print(f"{len(batch)} prompts, max {args.max_new_tokens} new tokens, {args.threads} threads")
        print(
            f"  one by one: {one_by_one:7.2f} s  {len(batch) / one_by_one:6.2f} prompts/s  "
            f"{sum(model.count_tokens(t) for t in singles) / one_by_one:7.1f} tokens/s"
        )
        print(
            f"  batched:    {together:7.2f} s  {len(batch) / together:6.2f} prompts/s  {tokens / together:7.1f} tokens/s"
            f"  (speed-up x{one_by_one / together:.2f})"
        )

        if args.three_things:
            text = clean_text(args.three_things.read_text(encoding="utf-8"))
            started = time.perf_counter()
            result = three_things(text, model=model, max_new_tokens=160)
            print(f"three things in {time.perf_counter() - started:.1f} s (model credited: {result.model})")
            for point in result.points:
                check = unsupported_terms(point.text, [s.text for s in point.sources])
                print(
                    f"  [{point.method}] {point.text}  (sources: {len(point.sources)}, unsupported: {check})"
                )
            if result.note:
                print(f"  note: {result.note}")
        print(f"peak RSS {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()

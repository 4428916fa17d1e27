"""What the model's second pass (`summarizers.methods.model_check`) adds to the time of a three things.

    nice -n 10 .venv/bin/python benchmarks/bench_model_check.py [--model qwen2.5-coder-1.5b]
        [--fixture ../shared/fixtures/trump_musk_x_conversation.txt] [--shared ../shared/data] [--articles 3]

For each text (the seed page, then the first `--articles` BBC politics dev articles) the same three things
runs twice back to back, without and with the check, in alternating order (ABBA) so that a machine whose
load drifts penalises neither; the model's KV cache is emptied before each run, so neither run inherits
the other's prefill. Greedy decoding writes the same bullets both times: the difference is the check.

Printed per text: both times, their ratio, and the check call itself -- its seconds, the tokens of the
conversation llama.cpp kept from the first call (prefix reuse) and those it had to read anew. On the first
text the same question is also asked on an emptied cache, to show what the check would cost without reuse.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from summarizers.methods import model_check  # noqa: E402
from summarizers.methods import three_things as tt  # noqa: E402
from summarizers.runtime.loader import RuntimeOptions, load_backend  # noqa: E402

SHARED = ROOT.parent / "shared"


def texts(fixture: Path, shared: Path, count: int) -> list[tuple[str, str, str | None]]:
    """(name, text, title) for the seed page and the first `count` BBC politics dev articles."""
    out: list[tuple[str, str, str | None]] = []
    if fixture.is_file():
        out.append((fixture.stem, fixture.read_text(encoding="utf-8"), None))
    data = shared / "bbc_politics_dev.jsonl"
    if data.is_file() and count:
        with data.open(encoding="utf-8") as fh:
            for line in fh:
                rec = json.loads(line)
                out.append((str(rec["id"]), rec["text"], rec.get("title")))
                if len(out) > count:
                    break
    return out


class ChatProbe:
    """Wraps `model.chat` to time each call and read, from llama.cpp's context, how many tokens of the
    conversation it kept from the previous call and how many it prefilled anew."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self.llama = getattr(model, "_llama", None)
        self.inner = model.chat
        self.calls: list[tuple[float, int, int]] = []
        model.chat = self

    def _tokens(self) -> list[int]:
        return [] if self.llama is None else list(self.llama._input_ids[: self.llama.n_tokens])

    def __call__(self, *args: Any, **kwargs: Any) -> str:
        before = self._tokens()
        started = time.perf_counter()
        out: str = self.inner(*args, **kwargs)
        seconds = time.perf_counter() - started
        after = self._tokens()
        kept = next((i for i, (a, b) in enumerate(zip(before, after, strict=False)) if a != b),
                    min(len(before), len(after)))
        generated = self.model.last_call.new_tokens or 0
        self.calls.append((seconds, kept, max(0, len(after) - kept - generated)))
        return out


def reset(model: Any) -> None:
    """Empty llama.cpp's KV cache, so the next call prefills its whole prompt."""
    llama = getattr(model, "_llama", None)
    if llama is not None:
        llama.reset()


def timed(model: Any, text: str, title: str | None, check: bool, timeout_s: float) -> tuple[float, Any]:
    reset(model)
    started = time.perf_counter()
    result = tt.three_things(text, title=title, model=model, timeout_s=timeout_s, model_check=check)
    return time.perf_counter() - started, result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="qwen2.5-coder-1.5b")
    parser.add_argument("--fixture", type=Path, default=SHARED / "fixtures" / "trump_musk_x_conversation.txt")
    parser.add_argument("--shared", type=Path, default=SHARED / "data")
    parser.add_argument("--articles", type=int, default=3, help="BBC politics dev articles after the seed page")
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=600.0)
    args = parser.parse_args(argv)
    model = load_backend(args.model, RuntimeOptions(threads=args.threads))
    probe = ChatProbe(model)
    print(f"{model.name} on {model.backend} ({model.where})")
    total_off = total_on = 0.0
    for n, (name, text, title) in enumerate(texts(args.fixture, args.shared, args.articles)):
        order = (False, True) if n % 2 == 0 else (True, False)
        runs = {check: timed(model, text, title, check, args.timeout) for check in order}
        (off, plain), (on, checked) = runs[False], runs[True]
        total_off, total_on = total_off + off, total_on + on
        asked = [p for p in plain.points if p.method == "abstractive"]
        verdicts = [c for c in checked.checks if c.check == model_check.CHECK]
        line = f"{name[:40]:<40} without {off:6.1f} s  with {on:6.1f} s  ratio {on / off:5.2f}"
        if probe.calls and asked:
            seconds, kept, fresh = probe.calls[-1]
            line += (f"  check {seconds:4.1f} s ({len(asked)} points; kept {kept} tokens, read {fresh}); "
                     f"{sum(c.action == 'rejected' for c in verdicts)} rejected"
                     f"{', skipped: ' + verdicts[0].reason if any(c.action == 'skipped' for c in verdicts) else ''}")
        else:
            line += "  check not asked (no model-written point survived the rules)"
        print(line, flush=True)
        if n == 0 and asked:  # the same question on an emptied cache: the cost the continuation avoids
            prompt = tt.article_prompt(model, text, title)
            raw = model.generate([prompt], max_new_tokens=160, timeout_s=args.timeout, system=tt.SYSTEM)[0]
            reset(model)
            model_check.ask(model, prompt, raw, [p.text for p in asked], system=tt.SYSTEM, timeout_s=args.timeout)
            seconds, kept, fresh = probe.calls[-1]
            print(f"{'  same check on an emptied cache':<40} {seconds:.1f} s (kept {kept} tokens, read {fresh})")
    if total_off:
        print(f"all texts: without {total_off:.1f} s, with {total_on:.1f} s: the check adds "
              f"{100 * (total_on / total_off - 1):.0f}%")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The model's second look at its own points: "does the article state this?", yes or no, per point.

The deterministic checks (`summarizers.methods.verify`) catch what rules can see -- names, numbers,
negation, hedges, a claim losing its speaker. A second pass by the same model reads the point against
the article as a reader would. It is cheap only as a *continuation* of the conversation that wrote the
points: system, the article prompt, the model's own bullets, then one short question. On llama.cpp the
runtime keeps the KV cache of the common prefix, so only the question (~50 tokens) is prefilled and a
few tokens ("1. yes 2. no 3. yes") are generated, instead of re-reading the article once per point.

Whether it helps depends on the model: `benchmarks/eval_trust.py --model NAME` measures it on the labelled
set. The offline 1.5B model answered by position ("1. false, 2. true, 3. true" whatever the points), so
three things leaves the pass off unless `model_check` is set.

The answer is parsed strictly: a verdict for every point or none at all. A malformed answer, a timeout
or any model error leaves the deterministic verdict standing (`ModelVerdicts.problem` says why); the
check never costs a briefing its points.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

from summarizers.runtime.base import GenerationTimeout, TextModel, Turn

log = logging.getLogger(__name__)

CHECK = "model"
REASON = "model: not supported"
TOKENS_PER_POINT = 5  # "1. yes\n" is 4 tokens in Qwen's and SmolLM2's vocabularies; one spare
# Measured on the labelled set: asked "answer yes if the article states it as written", the 1.5B model said
# yes to all of its 23 first points, distorted ones included; told to be strict and named the failure kinds
# (a hope or claim turned into fact, an added detail), it starts to say false (README, trust section).
QUESTION = (
    "Be strict. For each point, answer false if it turns someone's hope, claim or a possibility into a fact, "
    "or adds anything the article does not say; true only if the article says exactly that. One line per "
    'point, like "1. true".\n'
)
_VERDICT = re.compile(r"^\W*(\d{1,2})\s*[.):\-]?\s*\**\s*(yes|no|true|false)\b", re.IGNORECASE | re.MULTILINE)
_SUPPORTED = frozenset({"yes", "true"})


@dataclass(frozen=True, slots=True)
class ModelVerdicts:
    """Per point: True (supported), False (not supported); `supported` is None when the check gave no
    usable answer, and `problem` then says why ("timeout", "error", "malformed")."""

    supported: tuple[bool, ...] | None
    problem: str | None = None
    answer: str = ""


def question(points: Sequence[str]) -> str:
    """The follow-up user turn: the instruction and the points, numbered as the answer must number them."""
    listed = "\n".join(f"{i}. {p}" for i, p in enumerate(points, 1))
    return f"{QUESTION}\n{listed}"


def parse_verdicts(answer: str, count: int) -> tuple[bool, ...] | None:
    """One verdict per point from `answer` ("1. yes\\n2. no ..."), or None unless every point got exactly
    one consistent verdict: a partial or contradictory answer is no answer."""
    found: dict[int, bool] = {}
    for match in _VERDICT.finditer(answer):
        number, verdict = int(match.group(1)), match.group(2).lower() in _SUPPORTED
        if not 1 <= number <= count or found.get(number, verdict) != verdict:
            return None
        found[number] = verdict
    if len(found) != count:
        if count == 1 and not found:  # a single point may get a bare "Yes." / "No."
            bare = re.match(r"^\W*(yes|no|true|false)\b", answer.strip(), re.IGNORECASE)
            return (bare.group(1).lower() in _SUPPORTED,) if bare else None
        return None
    return tuple(found[i] for i in range(1, count + 1))


def ask(
    model: TextModel,
    prompt: str,
    answer: str,
    points: Sequence[str],
    *,
    system: str | None,
    timeout_s: float | None,
) -> ModelVerdicts:
    """The model's verdict on each of `points`, asked as the turn after it answered `prompt` with `answer`.

    Never raises for a model problem: a timeout, an engine error or an answer that does not give one
    verdict per point comes back as `ModelVerdicts(None, problem)` with one log line.
    """
    if not points:
        return ModelVerdicts(())
    turns: list[Turn] = [("user", prompt), ("assistant", answer), ("user", question(points))]
    try:
        reply = model.chat(turns, max_new_tokens=TOKENS_PER_POINT * len(points) + 2, timeout_s=timeout_s,
                           system=system)
    except GenerationTimeout as exc:
        log.warning("model check: %s; keeping the deterministic verdicts", exc)
        return ModelVerdicts(None, "timeout")
    except Exception as exc:  # any engine failure: the points stand on the deterministic checks
        log.warning("model check: %s failed (%s: %s); keeping the deterministic verdicts",
                    getattr(model, "name", "model"), type(exc).__name__, exc)
        return ModelVerdicts(None, "error")
    verdicts = parse_verdicts(reply, len(points))
    if verdicts is None:
        log.warning("model check: no verdict per point in %r; keeping the deterministic verdicts", reply[:200])
        return ModelVerdicts(None, "malformed", reply)
    return ModelVerdicts(verdicts, None, reply)

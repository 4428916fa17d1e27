"""The model's second pass over its own points: the verdict parser, and what three things does with a
"no", a malformed answer, a timeout or an engine error (a fake model; the real multi-turn call is tested
against llama.cpp and SmolLM2 in test_runtime)."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import pytest
from budget_article import ARTICLE

from summarizers.methods import model_check
from summarizers.methods.abstractive import GenerationTimeout
from summarizers.methods.three_things import SYSTEM, three_things
from summarizers.runtime.base import Turn, chat_messages

# Two points the rules pass as the model's own wording, and one copy of its source sentence.
VOTE = "On Monday the Senate passed the budget bill, with 52 votes for and 48 against."
REED = "Speaker John Reed said the House will vote on the bill next week."
COPY = "The bill includes $40 billion for roads and $12 billion for rail."
ANSWER = f"- {VOTE}\n- {COPY}\n- {REED}"


class ChattyModel:
    """A fake chat model: `generate` writes ANSWER, `chat` answers the check with `verdict` (or raises it)."""

    name = "fake-chat-model"
    kind = "chat"

    def __init__(self, verdict: str | Exception) -> None:
        self.verdict = verdict
        self.turns: list[Sequence[Turn]] = []
        self.system: str | None = None
        self.timeouts: list[float | None] = []

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    def generate(self, prompts: Sequence[str], *, max_new_tokens: int, timeout_s: float | None = None,
                 system: str | None = None, stop_when: object = None) -> list[str]:
        return [ANSWER]

    def chat(self, turns: Sequence[Turn], *, max_new_tokens: int, timeout_s: float | None = None,
             system: str | None = None) -> str:
        chat_messages(turns, system)  # the conversation is well formed
        self.turns.append(turns)
        self.system = system
        self.timeouts.append(timeout_s)
        if isinstance(self.verdict, Exception):
            raise self.verdict
        return self.verdict


def run(model: ChattyModel, **kwargs: object):  # type: ignore[no-untyped-def]
    return three_things(ARTICLE, model=model, timeout_s=30, model_check=True, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("answer", "count", "verdicts"),
    [
        ("1. yes\n2. no", 2, (True, False)),
        ("1: Yes\n2) NO\n3. yes.", 3, (True, False, True)),
        ("**1.** yes\n2. yes", 2, (True, True)),
        ("1. false\n2. True\n3. true", 3, (False, True, True)),  # what the question asks for
        ("No.", 1, (False,)),
        ("1. yes", 2, None),  # a verdict missing
        ("1. yes\n1. no\n2. yes", 2, None),  # contradictory
        ("1. yes\n2. no\n3. no", 2, None),  # a point that was not asked
        ("Both points are supported by the article.", 2, None),
        ("", 1, None),
    ],
)
def test_verdicts_are_parsed_strictly(answer: str, count: int, verdicts: tuple[bool, ...] | None) -> None:
    assert model_check.parse_verdicts(answer, count) == verdicts


def test_the_check_continues_the_conversation_that_wrote_the_points() -> None:
    model = ChattyModel("1. yes\n2. yes")
    result = run(model)
    assert [p.text for p in result.points] == [VOTE, COPY, REED] and not result.checks
    (turns,) = model.turns
    assert [role for role, _ in turns] == ["user", "assistant", "user"]
    assert turns[1][1] == ANSWER and model.system == SYSTEM  # the model's own bullets, as it wrote them
    asked = turns[2][1]
    assert f"1. {VOTE}" in asked and f"2. {REED}" in asked and COPY not in asked  # copies need no check
    assert model.timeouts[0] is not None and 0 < model.timeouts[0] <= 30  # within the one deadline


def test_the_marker_of_a_bullet_cut_off_by_the_stop_is_not_part_of_the_answer() -> None:
    """Generation stops as the model begins its fifth bullet; the conversation the check continues holds
    the bullets, not the dangling marker."""

    class Stopped(ChattyModel):
        def generate(self, prompts: Sequence[str], **kwargs: object) -> list[str]:  # type: ignore[override]
            return [f"{ANSWER}\n- {VOTE}\n-"]

    model = Stopped("1. yes\n2. yes")
    run(model)
    (turns,) = model.turns
    assert turns[1][1] == f"{ANSWER}\n- {VOTE}"


def test_a_no_rejects_the_point_and_says_which_check_did() -> None:
    result = run(ChattyModel("1. yes\n2. no"))
    texts = [p.text for p in result.points]
    assert VOTE in texts and REED not in texts and len(texts) == 3
    assert texts.index(VOTE) == 0 and result.points[2].method == "extractive"  # replaced in place
    (check,) = result.checks
    assert (check.text, check.check, check.reason, check.action) == (REED, "model", "model: not supported",
                                                                      "rejected")
    assert result.model == "fake-chat-model" and result.fallback is None  # VOTE is still the model's
    assert result.as_dict()["checks"] == [check.as_dict()]


def test_every_written_point_rejected_falls_back_honestly() -> None:
    result = run(ChattyModel("1. no\n2. no"))
    assert all(p.method == "extractive" for p in result.points)
    assert result.model is None and result.fallback == "rejected"
    assert [c.text for c in result.checks] == [VOTE, REED]


@pytest.mark.parametrize(
    ("verdict", "problem"),
    [
        ("I think they are mostly fine.", "malformed"),
        (GenerationTimeout("fake-chat-model: generation took longer than 1 s"), "timeout"),
        (RuntimeError("llama_decode returned -1"), "error"),
    ],
)
def test_no_usable_verdict_keeps_the_points_with_one_log_line(
    verdict: str | Exception, problem: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        result = run(ChattyModel(verdict))
    assert [p.text for p in result.points] == [VOTE, COPY, REED]  # the rules' verdict stands
    (skipped,) = result.checks
    assert skipped.check == "model" and skipped.action == "skipped" and problem in skipped.reason
    assert result.model == "fake-chat-model" and result.fallback is None
    assert len([r for r in caplog.records if r.levelname == "WARNING"]) == 1


def test_switched_off_or_nothing_to_ask_means_no_second_call() -> None:
    model = ChattyModel("1. no\n2. no")
    off = three_things(ARTICLE, model=model, timeout_s=30, model_check=False)  # type: ignore[arg-type]
    assert not model.turns and [p.text for p in off.points] == [VOTE, COPY, REED]

    class Copier(ChattyModel):
        def generate(self, prompts: Sequence[str], **kwargs: object) -> list[str]:  # type: ignore[override]
            return [f"- {COPY}"]

    copier = Copier("1. no")
    run(copier)
    assert not copier.turns  # a copy of its source sentence is not the model's claim to check


def test_rejections_by_the_check_count_in_the_trust_figures() -> None:
    from summarizers.evaluation.trust import trust_stats

    stats = trust_stats([run(ChattyModel("1. yes\n2. no")), run(ChattyModel("no idea"))])
    assert stats.rejected == {"model": 1}

"""The shared spaCy pipeline: loaded once per process, also when a background prewarm races a caller."""

from __future__ import annotations

import threading

import pytest

from summarizers import nlp


def test_prewarm_and_a_caller_share_one_pipeline(monkeypatch: pytest.MonkeyPatch) -> None:
    loads: list[int] = []
    started = threading.Event()

    class FakeSpacy:
        @staticmethod
        def load(name: str) -> object:
            started.set()
            loads.append(1)
            threading.Event().wait(0.2)  # slow, so the caller below arrives while the prewarm loads

            class Pipeline:
                max_length = 0

            return Pipeline()

    monkeypatch.setattr(nlp, "_nlp", None)
    monkeypatch.setitem(__import__("sys").modules, "spacy", FakeSpacy)
    nlp.prewarm()
    assert started.wait(5)
    first = nlp.get_nlp()  # blocks on the prewarm's lock, then finds its result
    assert nlp.get_nlp() is first and first.max_length == 2_000_000
    assert loads == [1]
    nlp.prewarm()  # already loaded: starts nothing
    assert loads == [1]

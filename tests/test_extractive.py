"""The extractive ranker and the baselines: sizes, order, offsets, and degenerate inputs."""

from __future__ import annotations

import numpy as np
import pytest

from summarizers.methods.baselines import LeadSummarizer, LexRankSummarizer, TextRankSummarizer
from summarizers.methods.extractive import (
    FEATURES,
    MAX_SENTENCES,
    ExtractiveSummarizer,
    Prior,
    RankerModel,
    analyze,
    load_ranker,
    select,
    summarize_extractive,
)
from summarizers.types import Sentence

ARTICLE = """Senate Passes Budget Bill

The U.S. Senate passed a $1.2 trillion budget bill on Friday after a late-night session, sending it to the House.

Sen. Maria Lopez, who led the talks, said the bill funds schools, roads and hospitals for two years. \
“This is a good day for working families,” she said. Republicans objected to the spending levels. \
Gov. Tom Reed of Ohio praised the road funding. The House is expected to vote on the budget bill next week.

Critics said the bill adds $300 billion to the deficit. “We cannot keep borrowing,” said Rep. Dan Cole. \
Analysts at Moody’s said the deficit figures were in line with forecasts. Markets barely moved.
"""


def check(text: str, chosen: list[Sentence]) -> None:
    for s in chosen:
        assert text[s.start : s.end] == s.text
    assert [s.start for s in chosen] == sorted(s.start for s in chosen)
    assert len({s.start for s in chosen}) == len(chosen)


@pytest.fixture(scope="module")
def summarizer() -> ExtractiveSummarizer:
    return ExtractiveSummarizer()


@pytest.mark.parametrize("count", [1, 3, 5])
def test_returns_count_sentences_in_document_order(summarizer: ExtractiveSummarizer, count: int) -> None:
    chosen = summarizer(ARTICLE, count, title="Senate passes budget bill")
    assert len(chosen) == count
    check(ARTICLE, chosen)


def test_news_summary_keeps_the_lead_fact(summarizer: ExtractiveSummarizer) -> None:
    chosen = summarizer(ARTICLE, 3, title="Senate passes budget bill")
    assert any("passed a $1.2 trillion budget bill" in s.text for s in chosen)
    assert all(s.text != "Markets barely moved." for s in chosen)


def test_rank_scores_every_sentence_best_first(summarizer: ExtractiveSummarizer) -> None:
    ranked = summarizer.rank(ARTICLE, title="Senate passes budget bill")
    assert len(ranked) == len(analyze(ARTICLE).sentences)
    scores = [score for _, score in ranked]
    assert scores == sorted(scores, reverse=True)
    check(ARTICLE, sorted((s for s, _ in ranked), key=lambda s: s.start))


@pytest.mark.parametrize("text", ["", "   \n\n  "])
def test_empty_text(summarizer: ExtractiveSummarizer, text: str) -> None:
    assert summarizer(text, 3) == []
    assert summarizer.rank(text) == []


def test_one_sentence_and_count_beyond_length(summarizer: ExtractiveSummarizer) -> None:
    text = "Only one sentence here."
    assert summarizer(text, 3) == [Sentence(text, 0, len(text))]
    two = "First point. Second point."
    assert [s.text for s in summarizer(two, 10)] == ["First point.", "Second point."]


def test_zero_or_negative_count(summarizer: ExtractiveSummarizer) -> None:
    assert summarizer(ARTICLE, 0) == []
    assert summarizer(ARTICLE, -2) == []


def test_huge_text_is_bounded(summarizer: ExtractiveSummarizer) -> None:
    text = " ".join(f"Delegate number {i} voted on amendment {i % 17} in the chamber." for i in range(3000))
    chosen = summarizer(text, 3)
    assert len(chosen) == 3
    check(text, chosen)
    assert len(analyze(text).sentences) == MAX_SENTENCES


def test_near_duplicates_are_not_both_chosen(summarizer: ExtractiveSummarizer) -> None:
    text = (
        "The mayor announced a new tax on sugary drinks on Monday. "
        "On Monday the mayor announced a new tax on sugary drinks. "
        "Shop owners said the tax would hurt sales. "
        "The council votes on the plan in March. "
        "Doctors welcomed the proposal. "
        "Some residents plan a protest. "
        "The tax would start next year. "
        "Other cities have tried similar taxes."
    )
    chosen = [s.text for s in summarizer(text, 2)]
    assert not {"The mayor announced a new tax on sugary drinks on Monday.",
                "On Monday the mayor announced a new tax on sugary drinks."} <= set(chosen)


def test_select_fills_from_skipped_when_nothing_else_is_left() -> None:
    similarity = np.array([[0.0, 0.9], [0.9, 0.0]])
    assert select(np.array([2.0, 1.0]), similarity, 2, redundancy=0.5) == [0, 1]
    assert select(np.array([2.0, 1.0]), similarity, 1, redundancy=0.5) == [0]


def test_budget_moves_weight_from_position_to_content() -> None:
    prior = Prior(0.1, 0.45, content_small=2.0, content_large=100.0, length=0.0,
                  redundancy_small=0.3, redundancy_large=0.6)
    assert prior.content_weight(0.1) == pytest.approx(2.0)
    assert prior.content_weight(0.45) == pytest.approx(100.0)
    assert prior.content_weight(0.05) < 2.0 < prior.content_weight(0.3) < 100.0
    assert prior.redundancy(0.45) == pytest.approx(0.6)


def test_custom_model_is_used() -> None:
    """A model that only likes questions picks the question: the learned weights really drive ranking."""
    weights = np.zeros(len(FEATURES))
    weights[FEATURES.index("question")] = 1.0
    prior = Prior(0.1, 0.45, content_small=1000.0, content_large=1000.0, length=0.0,
                  redundancy_small=1.1, redundancy_large=1.1)
    model = RankerModel(np.zeros(len(FEATURES)), np.ones(len(FEATURES)), weights, prior)
    text = "A calm start. More calm text. Is this the question? The end."
    assert [s.text for s in ExtractiveSummarizer(model)(text, 1)] == ["Is this the question?"]


def test_shipped_model_matches_features() -> None:
    model = load_ranker()
    assert model.weights.shape == model.mean.shape == model.scale.shape == (len(FEATURES),)
    assert np.all(model.scale > 0)


def test_module_level_convenience() -> None:
    chosen = summarize_extractive(ARTICLE, 2, title="Budget")
    assert len(chosen) == 2
    check(ARTICLE, chosen)


def test_lead_baseline() -> None:
    assert [s.text for s in LeadSummarizer()("One. Two. Three. Four.", 3)] == ["One.", "Two.", "Three."]
    assert LeadSummarizer()("One.", 0) == []


@pytest.mark.parametrize("cls", [LexRankSummarizer, TextRankSummarizer])
def test_sumy_baselines_share_the_signature(cls: type[LexRankSummarizer]) -> None:
    summarizer = cls()
    chosen = summarizer(ARTICLE, 3, title="ignored")
    assert len(chosen) == 3
    check(ARTICLE, chosen)
    assert summarizer("", 3) == []
    assert len(summarizer("Just one.", 3)) == 1

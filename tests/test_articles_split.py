"""Story splitting: aggregated pages split at clear story starts, normal articles with subheads stay whole."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.articles.clean import clean_text
from bot.articles.split import is_headline, split_stories

FIXTURES = Path(__file__).parent / "fixtures" / "articles"
SHARED = Path(__file__).resolve().parents[1].parent / "shared"

BODY = ("The committee heard testimony from county officials for most of the afternoon, and several members "
        "said they wanted more time to study the proposal before a vote. ")


def _story(lede: str, n: int = 4) -> str:
    return "\n\n".join([lede] + [BODY] * n)


def test_shared_fixture_splits_into_stories(shared_fixture: Path) -> None:
    stories = split_stories(clean_text(shared_fixture.read_text(encoding="utf-8")))
    assert len(stories) >= 2
    titles = [t for t, _ in stories]
    assert titles[0] == "Trump and Musk discuss 2024 election in live conversation on X"
    assert "Trump, Musk Talk Border, Assassination Attempt" in titles
    for title, text in stories:
        assert text.strip()
        assert title not in text.split("\n\n")  # a story's headline is its title, not its first paragraph
    everything = "\n\n".join(text for _, text in stories)
    for sentence in (
        "The United Auto Workers Union filed a federal labor claim against Trump and Musk",
        "Officials at X did not immediately respond to requests for comment",
        "Trump claimed that 20 million people had illegally crossed the southern border under President Biden.",
        "Donald Trump recounted his assassination attempt in vivid detail",
        "Heck, if Musk keeps this up, I might start to like him.",
    ):
        assert sentence in everything, sentence
    # The border story starts where its headline is, not before.
    border = dict(stories)["Trump, Musk Talk Border, Assassination Attempt"]
    assert border.startswith("The conversation mostly stayed on topics that Trump frequents")


def test_own_aggregated_fixture_splits_at_headline() -> None:
    stories = split_stories(clean_text((FIXTURES / "aggregated.txt").read_text(encoding="utf-8")))
    assert [t for t, _ in stories] == [
        "Senate approves stopgap spending bill hours before deadline",
        "Governor Lena Ortiz resigns after ethics inquiry",
    ]
    assert stories[0][1].startswith("The Senate approved a stopgap spending bill")
    assert "farm aid program" in stories[0][1]
    assert stories[1][1].startswith("Governor Lena Ortiz of New Mexico resigned on Monday")
    assert "ground the state's two aircraft" in stories[1][1]


def test_article_with_subheads_stays_whole() -> None:
    text = clean_text((FIXTURES / "subheads.txt").read_text(encoding="utf-8"))
    stories = split_stories(text)
    assert len(stories) == 1
    title, body = stories[0]
    assert title == "City Council approves new transit plan for Riverside district"
    assert "What the plan includes" in body and "Why Main Street Businesses Objected" in body


@pytest.mark.parametrize("subhead", [
    "Senate Republicans Push Back",  # a name-bearing subhead followed by a continuation
])
def test_subhead_followed_by_continuation_does_not_split(subhead: str) -> None:
    text = "\n\n".join([_story("The Senate passed the bill on Tuesday."), subhead,
                        "But Republicans in the Senate said the bill spends too much. " + BODY, BODY, BODY])
    assert len(split_stories(text)) == 1


def test_short_section_after_a_headline_is_merged_back() -> None:
    text = "\n\n".join([_story("The Senate passed the bill on Tuesday."), "Governor Ortiz Signs Water Deal",
                        "Governor Lena Ortiz signed the water compromise on Tuesday."])
    assert len(split_stories(text)) == 1


def test_dateline_starts_a_story() -> None:
    first = _story("WASHINGTON (AP) — The Senate passed a stopgap spending bill on Friday night.")
    second = _story("KYIV, Ukraine (AP) — Ukraine's parliament approved a new defence budget on Saturday.")
    stories = split_stories(f"{first}\n\n{second}")
    assert len(stories) == 2
    assert stories[1][1].startswith("KYIV, Ukraine (AP)")


def test_given_title_repeated_in_text_is_removed() -> None:
    text = _story("Senate passes budget.").replace("Senate passes budget.", "Senate passes budget\n\nThe Senate voted.")
    [(title, body)] = split_stories(text, "Senate passes budget")
    assert title == "Senate passes budget"
    assert body.startswith("The Senate voted.")


def test_blank_input_gives_no_stories() -> None:
    assert split_stories("") == []
    assert split_stories(" \n\n ") == []


@pytest.mark.parametrize(("line", "expected"), [
    ("Trump, Musk Talk Border, Assassination Attempt", True),
    ("Governor Lena Ortiz resigns after ethics inquiry", True),
    ("Officials at X did not immediately respond to requests for comment", True),  # shape only; context decides
    ("It did not begin as planned.", False),
    ("Deputy finance minister Dimitris Mardas (pictured) said that", False),
    ("REASON IT MIGHT HAPPEN", False),
    ("He found national fame playing vet Siegfried Farnon in All Creatures", False),
    ("What the plan includes for Riverside", False),
    ("The family recently started a Kickstarter campaign '", False),
    ("Trump Wins", False),
])
def test_headline_shape(line: str, expected: bool) -> None:
    assert is_headline(line) is expected


def test_real_articles_are_not_split() -> None:
    """Over-splitting guard on real single-story articles (the shared BBC politics set)."""
    path = SHARED / "data" / "bbc_politics_dev.jsonl"
    if not path.is_file():
        pytest.skip("../shared/data is not present")
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    split = [r["id"] for r in rows if len(split_stories(clean_text(r["text"]), r.get("title", ""))) > 1]
    assert split == []

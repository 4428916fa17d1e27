"""Story splitting: aggregated pages split at clear story starts, normal articles with subheads stay whole."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.articles.clean import clean_text
from bot.articles.split import is_headline, split_stories

FIXTURES = Path(__file__).parent / "fixtures" / "articles"

BODY = ("The committee heard testimony from county officials for most of the afternoon, and several members "
        "said they wanted more time to study the proposal before a vote. ")


def _story(lede: str, n: int = 4) -> str:
    return "\n\n".join([lede] + [BODY] * n)


def test_messy_page_splits_into_stories(messy_page: Path) -> None:
    stories = split_stories(clean_text(messy_page.read_text(encoding="utf-8")))
    assert len(stories) >= 2
    titles = [t for t, _ in stories]
    assert titles == ["Harlan and Voss clash over water rights in live radio debate",
                      "Harlan, Voss Spar Over Drought Plan, Reservoir Funding",
                      "Column: Harlan's radio debate was a mess, and he knows it"]
    for title, text in stories:
        assert text.strip()
        assert title not in text.split("\n\n")  # a story's headline is its title, not its first paragraph
    everything = "\n\n".join(text for _, text in stories)
    for sentence in (
        "The Western Growers Alliance filed a complaint with the state elections board against Harlan and Voss",
        "Officials at the station did not immediately respond to requests for comment",
        "Harlan repeated that the state had lost 40 percent of its groundwater since 2010.",
        "Governor Daniel Harlan, for his part, has promised to keep the show on the air",
        "Heck, if Voss keeps this up, I might start to vote for her.",
    ):
        assert sentence in everything, sentence
    # The drought story starts where its headline is, not before; "for his part" stayed with story one.
    drought = dict(stories)["Harlan, Voss Spar Over Drought Plan, Reservoir Funding"]
    assert drought.startswith("The debate mostly stayed on the drought")
    assert "Governor Daniel Harlan, for his part" in stories[0][1]


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
    """Over-splitting guard on single-story articles with subheads, lists and headline-like lines
    (self-written, tests/fixtures/eval/single_stories.jsonl)."""
    path = FIXTURES.parent / "eval" / "single_stories.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    split = [r["id"] for r in rows if len(split_stories(clean_text(r["text"]), r.get("title", ""))) > 1]
    assert split == []

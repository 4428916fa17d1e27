"""Boilerplate removal: our messy aggregated page, each kind of chrome, and real sentences left alone."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.articles.clean import clean_text, is_caption, is_chrome_line, is_credit

FIXTURES = Path(__file__).parent / "fixtures" / "articles"

# Chrome in tests/fixtures/articles/messy_page.txt that must not survive ingestion.
FIXTURE_CHROME = [
    "Jobs by CareerLink",
    "Show more",
    "Advertisement",
    "MARIA LOPEZ, AFP via Getty Images",
    "Tom Reyes / Pool via REUTERS",
    "@kxnews",
    "♬ original sound - KX News",
    "Post a Comment",
    "Previous Post Next Post",
    "Voss says the maps lie:",
]
# Real sentences from the same page, including ones that look a bit like chrome.
FIXTURE_KEEP = [
    "Officials at the station did not immediately respond to requests for comment",
    "Here are three things to know about the debate between Harlan and Voss:",
    "Harlan and Voss have so far not responded to the complaint.",
    "“There is a fault on our transmitter line. Engineers are working on it now,” Harlan said",
    "On behalf of every listener, allow me to say this: OUCH!",
    "Heck, if Voss keeps this up, I might start to vote for her.",
    "Harlan, Voss Spar Over Drought Plan, Reservoir Funding",
    "Whatever you think of Voss, she came prepared.",
]


@pytest.fixture
def fixture_text(messy_page: Path) -> str:
    return messy_page.read_text(encoding="utf-8")


def test_messy_page_loses_all_chrome(fixture_text: str) -> None:
    cleaned = clean_text(fixture_text)
    for chrome in FIXTURE_CHROME:
        assert chrome not in cleaned, chrome
    for line in cleaned.split("\n\n"):
        assert not line.endswith("Show more")


def test_messy_page_keeps_real_sentences(fixture_text: str) -> None:
    cleaned = clean_text(fixture_text)
    for sentence in FIXTURE_KEEP:
        assert sentence in cleaned, sentence
    # Nothing but chrome was dropped: the cleaned text is nearly as long as the input.
    assert len(cleaned) > 0.9 * len(fixture_text)  # the page is short: its chrome is about 6% of it


def test_paragraphs_are_separated_by_one_blank_line(fixture_text: str) -> None:
    cleaned = clean_text(fixture_text)
    assert "\n\n\n" not in cleaned
    assert "\u00a0" not in cleaned
    assert all(p == p.strip() and p for p in cleaned.split("\n\n"))


def test_clean_is_idempotent(fixture_text: str) -> None:
    once = clean_text(fixture_text)
    assert clean_text(once) == once


def test_own_aggregated_fixture() -> None:
    cleaned = clean_text((FIXTURES / "aggregated.txt").read_text(encoding="utf-8"))
    for chrome in ("Jobs by CareerFinder", "Share this article", "Show more", "Pool via REUTERS",
                   "Read more:", "This handout photo shows", "AFP via Getty Images", "Ethics reform:",
                   "@statehousenews", "#NewMexico", "♬", "Facebook Twitter Email", "Post a Comment"):
        assert chrome not in cleaned, chrome
    assert "Officials at the Treasury did not immediately respond to requests for comment" in cleaned
    assert "Reyes said on Tuesday that his first act would be to ground the state's two aircraft" in cleaned


@pytest.mark.parametrize("line", [
    "CHRIS DELMAS, AFP via Getty Images",
    "Leon Neal / Pool via REUTERS",
    "Jonathan Ernst, REUTERS",
    "AP Photo/Evan Vucci",
    "(Photo by Jane Doe/Getty Images)",
    "Getty Images",
    "Photo: Sam Lee for The New York Times",
    "Image source, Getty Images",
    "Credit: Maria Ruiz/Bloomberg",
])
def test_photo_credits(line: str) -> None:
    assert is_credit(line)
    assert clean_text(f"Body sentence one is here.\n\n{line}\n\nBody sentence two is here.") == (
        "Body sentence one is here.\n\nBody sentence two is here."
    )


@pytest.mark.parametrize("line", [
    "The story was first reported by Reuters.",
    "Trump speaks to Reuters",
    "He told the Associated Press that he would run again, and he did.",
    "Pool reporters were not allowed into the room.",
])
def test_sentences_mentioning_agencies_are_not_credits(line: str) -> None:
    assert not is_credit(line)
    assert line in clean_text(line)


@pytest.mark.parametrize("line", [
    "Advertisement", "ADVERTISEMENT", "Story continues below advertisement", "Share this article",
    "Share on Facebook", "Facebook Twitter LinkedIn Email", "Share | Tweet | Email", "Sign up for our newsletter",
    "Subscribe", "Sign up for the Morning Brief newsletter and get the news in your inbox", "Read more",
    "Continue reading", "Show more", "Post a Comment", "Leave a reply", "12 Comments", "Previous Post Next Post",
    "Next article", "Related", "Related Articles", "More from Politics", "Most Read", "You may also like",
    "© 2024 Valley Ledger", "Copyright 2024 Valley Ledger. All rights reserved.", "Tags: Senate, budget",
    "5 min read", "Jobs by JobLookup", "Powered by WordPress", "@cnn", "#Election2024 #Senate",
    "♬ original sound - CNN", "View this post on Instagram", "* * *", "https://example.com/x",
    "— Jane Doe (@janedoe) August 12, 2024",
])
def test_chrome_lines(line: str) -> None:
    assert is_chrome_line(line)


@pytest.mark.parametrize("line", [
    "Officials at X did not immediately respond to requests for comment",
    "More than 100 people were arrested.",
    "More in the coming days.",
    "Share prices fell sharply after the announcement.",
    "Subscribers to the plan will pay less from January, the agency said.",
    "Related charges were dropped in 2021.",
    "Comments from the senator drew criticism from both parties.",
    "Copyright law was at the centre of the case.",
    "Join the fight, the governor told supporters on Saturday.",
])
def test_real_sentences_are_not_chrome(line: str) -> None:
    assert not is_chrome_line(line)
    assert clean_text(line) == line


@pytest.mark.parametrize(("text", "gone"), [
    ("Intro paragraph here.\n\nTrump says AI did it: Trump blames Harris' crowds on AI, so let's assume it is fake!"
     "\n\nMore body here.", "Trump says AI did it"),
    ("Intro paragraph here.\n\nREAD MORE: Five things to watch in the budget talks\n\nMore body here.", "READ MORE"),
    ("Intro paragraph here.\n\nRelated: Senate passes budget\n\nMore body here.", "Related:"),
])
def test_related_link_teasers(text: str, gone: str) -> None:
    cleaned = clean_text(text)
    assert gone not in cleaned
    assert cleaned == "Intro paragraph here.\n\nMore body here."


@pytest.mark.parametrize("line", [
    "He told reporters: ‘I have a kind invitation from the chairman.’",
    "KATE BOLDUAN: Why not debate the senator tonight",
    "Who was worse: the senator or the people who leaked the video?",
    "The bottom line: voters are tired of the fight.",
    "A big question remains, however: If the deal collapses, who pays",
    "Real Madrid (2006-09): 97 apps, 22 goals",
])
def test_colon_lines_that_are_not_teasers(line: str) -> None:
    text = f"Intro paragraph here.\n\n{line}"
    assert clean_text(text) == text


def test_headline_like_first_line_is_never_a_teaser() -> None:
    text = "Analysis: Why the budget deal fell apart\n\nThe deal collapsed on Friday."
    assert clean_text(text) == text


def test_caption_dropped_only_next_to_a_credit() -> None:
    caption = "A photo taken by a bystander shows the suspect leaving the building."
    assert is_caption(caption)
    alone = f"First paragraph.\n\n{caption}\n\nLast paragraph."
    assert clean_text(alone) == alone
    credited = f"First paragraph.\n\n{caption}\nJane Doe / AP Photo\n\nLast paragraph."
    assert clean_text(credited) == "First paragraph.\n\nLast paragraph."


def test_tiktok_embed_removed_with_its_caption() -> None:
    text = ("Body paragraph one.\n\n@newsdesk\n\nThe governor speaks at the rally. #Vote\n\n"
            "♬ original sound - News Desk\n\nBody paragraph two.")
    assert clean_text(text) == "Body paragraph one.\n\nBody paragraph two."


def test_whitespace_and_invisible_characters() -> None:
    text = "\ufeffThe\u00a0senator   said\u200b no.\r\n\r\n\r\n\tShe left.\x07\u2028Then she came back."
    assert clean_text(text) == "The senator said no.\n\nShe left.\n\nThen she came back."


def test_hard_wrapped_paragraph_is_reflowed() -> None:
    text = (
        "The committee met on Tuesday to discuss the proposed changes to\n"
        "the state budget, which would cut funding for rural hospitals by\n"
        "twelve percent over two years and shift the savings to schools in\n"
        "the largest districts.\n\nA vote is expected next week."
    )
    cleaned = clean_text(text)
    assert cleaned.split("\n\n")[0].startswith("The committee met on Tuesday to discuss the proposed changes to the")
    assert cleaned.count("\n\n") == 1


def test_one_line_per_paragraph_text_keeps_paragraphs() -> None:
    text = "First paragraph ends here.\nSecond paragraph ends here.\nThird one, wrapped\nin the middle."
    assert clean_text(text) == (
        "First paragraph ends here.\n\nSecond paragraph ends here.\n\nThird one, wrapped in the middle."
    )


def test_empty_and_chrome_only_input() -> None:
    assert clean_text("") == ""
    assert clean_text("  \n\n \t") == ""
    assert clean_text("Advertisement\n\nShare this article\n\nPost a Comment") == ""


def test_real_articles_lose_almost_nothing() -> None:
    """On ordinary single-story articles (self-written, tests/fixtures/eval) cleaning must not eat content."""
    path = FIXTURES.parent / "eval" / "single_stories.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()[:80]]
    before = sum(len(r["text"]) for r in rows)
    after = sum(len(clean_text(r["text"])) for r in rows)
    assert after >= 0.995 * before

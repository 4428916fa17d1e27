"""Sentence segmentation: news-text traps, and offsets that always slice the original text."""

from __future__ import annotations

import pytest

from summarizers.segment import split_sentences, tokenize_words


def texts(text: str) -> list[str]:
    sentences = split_sentences(text)
    for s in sentences:
        assert text[s.start : s.end] == s.text
        assert s.text == s.text.strip() and s.text
    assert [s.start for s in sentences] == sorted(s.start for s in sentences)
    return [s.text for s in sentences]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Mr. Smith met Gov. Brown and Sen. Warren on Jan. 5. They talked.",
            ["Mr. Smith met Gov. Brown and Sen. Warren on Jan. 5.", "They talked."],
        ),
        (
            "The U.S. Senate voted. Talks moved to the U.K. The vote was close.",
            ["The U.S. Senate voted.", "Talks moved to the U.K.", "The vote was close."],
        ),
        (
            "Donald J. Trump said the firm lost $45.5 million. It was No. 1 in the U.S. market.",
            ["Donald J. Trump said the firm lost $45.5 million.", "It was No. 1 in the U.S. market."],
        ),
        (
            "“We will win,” he said. “Will we?” she asked. “Wow!” Trump said. Then he left.",
            ["“We will win,” he said.", "“Will we?” she asked.", "“Wow!” Trump said.", "Then he left."],
        ),
        (
            "He paused... and then went on. Wait… The crowd cheered.",
            ["He paused... and then went on.", "Wait…", "The crowd cheered."],
        ),
        (
            'He said "no." Then he left.',
            ['He said "no."', "Then he left."],
        ),
        (
            'She told the seminar: "We must act now. "We are looking at costs."',
            ['She told the seminar: "We must act now.', '"We are looking at costs."'],
        ),
        (
            "Shares of Apple Inc. rose 3%. Dr. Jones, Ph.D., agreed at 10 a.m. on Friday.",
            ["Shares of Apple Inc. rose 3%.", "Dr. Jones, Ph.D., agreed at 10 a.m. on Friday."],
        ),
        (
            "Is it over? Nobody knows! Analysts disagree.",
            ["Is it over?", "Nobody knows!", "Analysts disagree."],
        ),
    ],
)
def test_news_traps(text: str, expected: list[str]) -> None:
    assert texts(text) == expected


def test_blank_line_always_ends_a_sentence_and_headlines_stand_alone() -> None:
    text = "Breaking News\nTrump meets Musk on X\n\nThe talk lasted two hours and\n\nended late. It was live."
    assert texts(text) == [
        "Breaking News",
        "Trump meets Musk on X",
        "The talk lasted two hours and",
        "ended late.",
        "It was live.",
    ]


def test_wrapped_lines_are_joined_when_the_next_starts_lower_case() -> None:
    text = "I have broad shoulders\nand I know what to expect\nbut I praise them.\nNext one."
    assert texts(text) == ["I have broad shoulders\nand I know what to expect\nbut I praise them.", "Next one."]


def test_bullets_start_sentences() -> None:
    text = "Plans include:\n- more funding\n- fewer forms"
    assert texts(text) == ["Plans include:", "- more funding", "- fewer forms"]


def test_punctuation_only_fragment_is_folded_into_the_next_sentence() -> None:
    text = "It is a great chance. ‘\nBut it is not about me.’"
    assert texts(text) == ["It is a great chance.", "‘\nBut it is not about me.’"]


@pytest.mark.parametrize("text", ["", "   ", "\n\n\t"])
def test_blank_input(text: str) -> None:
    assert split_sentences(text) == []


def test_text_without_punctuation_is_one_sentence() -> None:
    assert texts("  no punctuation at all  ") == ["no punctuation at all"]


def test_offsets_on_the_messy_page(messy_page: object) -> None:
    from pathlib import Path

    text = Path(str(messy_page)).read_text(encoding="utf-8")
    sentences = texts(text)
    assert len(sentences) > 50
    assert "Harlan repeated that the state had lost 40 percent of its groundwater since 2010." in sentences
    assert "“You wrote that bond yourself, and you wrote it badly,” Voss told Harlan." in sentences


def test_non_string_input_is_a_clear_error() -> None:
    with pytest.raises(TypeError, match="expects str"):
        split_sentences(None)  # type: ignore[arg-type]


def test_tokenize_words_keeps_inner_punctuation() -> None:
    assert tokenize_words("The U.S. can’t pay $45.5m, well-known.") == [
        "The", "U.S", "can’t", "pay", "45.5m", "well-known",
    ]

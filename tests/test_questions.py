"""Parsing what users ask about public figures into intent, name and topic."""

from __future__ import annotations

import pytest

from summarizers.people.questions import Question, parse_question


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("What did Musk say?", Question("said", "Musk", None)),
        ("what did Elon Musk say about Trump?", Question("said", "Elon Musk", "Trump")),
        ("What has Trump been saying about immigration lately?", Question("said", "Trump", "immigration")),
        ("did Musk say anything about free speech?", Question("said", "Musk", "free speech")),
        ("quotes from Trump about the border", Question("said", "Trump", "border")),
        ("Musk’s comments on AI", Question("said", "Musk", "AI")),
        ("how did Trump react to the ruling?", Question("said", "Trump", "ruling")),
        ("what Musk said about Trump", Question("said", "Musk", "Trump")),
        ("hey bot, what did musk say about x?", Question("said", "musk", "x")),
        ("what did the Tesla CEO say", Question("said", "the Tesla CEO", None)),
        ("What did Elon Mask tweet?", Question("said", "Elon Mask", None)),
    ],
)
def test_said_questions(text: str, expected: Question) -> None:
    assert parse_question(text) == expected


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("who is Shawn Fain?", "Shawn Fain"),
        ("Who’s the Tesla CEO?", "the Tesla CEO"),
        ("who was Howard Hughes", "Howard Hughes"),
        ("tell me about Kamala Harris", "Kamala Harris"),
    ],
)
def test_who_questions(text: str, name: str) -> None:
    assert parse_question(text) == Question("who", name, None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("what’s the latest on Elon Musk?", Question("latest", "Elon Musk", None)),
        ("What is the latest with Donald Trump", Question("latest", "Donald Trump", None)),
        ("any news on Kamala Harris?", Question("latest", "Kamala Harris", None)),
        ("what is Trump up to", Question("latest", "Trump", None)),
        ("Trump news", Question("latest", "Trump", None)),
        ("Elon Musk", Question("latest", "Elon Musk", None)),
        # Lower-case words are a topic, not a person.
        ("what's the latest on the border?", Question("latest", None, "border")),
    ],
)
def test_latest_questions(text: str, expected: Question) -> None:
    assert parse_question(text) == expected


@pytest.mark.parametrize(
    "text", ["hello", "thanks!", "What time is it?", "what is going on", "what did he say", "", "   ", "?"]
)
def test_not_about_a_figure(text: str) -> None:
    assert parse_question(text) is None


def test_non_string_and_huge_input_do_not_crash() -> None:
    assert parse_question(None) is None  # type: ignore[arg-type]
    long = "what did " + "Musk " * 500 + "say?"
    result = parse_question(long)
    assert result is None or len(result.name or "") <= 80

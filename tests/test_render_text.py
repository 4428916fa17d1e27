from __future__ import annotations

from datetime import UTC, datetime

from bot.briefing.models import Digest, FigureAnswer, Link, MentionItem, Notice, QuoteItem, StoryBrief
from bot.render.common import split_text
from bot.render.text import render
from bot.text import truncate
from summarizers.types import Point, Sentence

WHEN = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)


def test_digest_text_lists_points_and_every_link() -> None:
    story = StoryBrief(title="Budget passes", points=(Point("It passed 64-35.", (Sentence("It passed 64-35.", 0, 16),)),),
                       links=(Link("Budget", "https://a.example/1", "A", WHEN), Link("Budget", "https://b.example/2", "B")))
    text = render(Digest("Three things to know", (story,), WHEN))
    assert "Budget passes" in text and "1. It passed 64-35." in text
    assert "https://a.example/1" in text and "https://b.example/2" in text and "A · 25 Nov 2026" in text


def test_empty_digest_says_so() -> None:
    assert "Nothing new" in render(Digest("Three things to know", (), WHEN, empty_message="Nothing new."))


def test_answer_and_notice() -> None:
    link = Link("Story", "https://a.example/1", "A")
    answer = FigureAnswer("what did Kim say?", "Dana Kim", "said",
                          quotes=(QuoteItem("Dana Kim", "We will vote", False, link),),
                          mentions=(MentionItem("Kim leads the House.", link),))
    text = render(answer)
    assert "What Dana Kim said" in text and "“We will vote”" in text and "Kim leads the House." in text
    assert render(Notice("Done.", lines=("a", "b"))) == "Done.\na\nb\n"


def test_split_text_respects_limit_and_words() -> None:
    text = " ".join(f"word{i}" for i in range(500))
    chunks = split_text(text, 100)
    assert all(len(c) <= 100 for c in chunks)
    assert " ".join(chunks).split() == text.split()
    hard = split_text("x" * 250, 100)
    assert all(len(c) <= 100 for c in hard) and hard[0].endswith("…")


def test_truncate_marks_the_cut() -> None:
    assert truncate("short", 10) == "short"
    cut = truncate("one two three four five", 12)
    assert len(cut) <= 12 and cut.endswith("…") and cut.startswith("one two")

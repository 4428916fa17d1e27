"""Answering questions about public figures from articles, and the `briefbot ask` command."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.articles.models import Article
from bot.briefing.figure_answers import HELP, answer_question
from bot.cli import main
from summarizers.people.quotes import extract_quotes
from summarizers.types import Quote

OLD = Article(
    "Tesla CEO Elon Musk spoke at a conference on Monday.\n\n"
    "“Free speech is the bedrock of democracy,” Musk said. “We will defend it.”\n\n"
    "Donald Trump praised him. “He is doing a great job on the border,” Trump said.",
    title="Musk on free speech", url="https://news.example/musk", source="Example News",
    published=datetime(2024, 8, 10, tzinfo=UTC),
)
NEW = Article(
    "Elon Musk hosted Donald Trump on X on Tuesday.\n\n"
    "“There appears to be a massive attack on X,” Musk said.\n\n"
    "Musk, the owner of X, apologised for the delay.",
    title="Musk hosts Trump", url="https://news.example/x", source="Other Outlet",
    published=datetime(2024, 8, 12, 9, 30),  # naive datetimes sort with aware ones
)
MELANIA = Article(
    "Melania Trump attended a gala in New York. “It was a lovely evening,” Melania Trump said.",
    title="Gala", url="https://news.example/gala", published=datetime(2024, 8, 11, tzinfo=UTC),
)


def test_what_did_x_say_lists_quotes_newest_first_with_links() -> None:
    answer = answer_question("What did Musk say?", [OLD, NEW])
    assert answer.figure == "Elon Musk" and answer.intent == "said" and answer.message is None
    quotes = [q.quote for q in answer.quotes]
    assert quotes == ["There appears to be a massive attack on X", "Free speech is the bedrock of democracy",
                      "We will defend it."]
    assert all(q.speaker == "Elon Musk" for q in answer.quotes)
    assert answer.quotes[0].link.url == NEW.url and answer.quotes[0].link.title == NEW.title
    assert answer.quotes[-1].link.source == "Example News"
    assert answer.mentions and all("Musk" in m.sentence for m in answer.mentions)


def test_quotes_of_others_are_not_attributed_to_the_figure() -> None:
    answer = answer_question("what did Donald Trump say?", [OLD, NEW])
    assert [q.quote for q in answer.quotes] == ["He is doing a great job on the border"]


def test_topic_filters_quotes() -> None:
    answer = answer_question("What did Musk say about free speech?", [OLD, NEW])
    # The continuation (“…,” Musk said. “We will defend it.”) shares its sentence's topic.
    assert [q.quote for q in answer.quotes] == ["Free speech is the bedrock of democracy", "We will defend it."]
    none = answer_question("What did Musk say about tariffs?", [OLD, NEW])
    assert none.quotes == () and none.message and "no quotes from Elon Musk about tariffs" in none.message


@pytest.mark.parametrize("typed", ["elon musk", "Elon Mask", "the owner of X"])
def test_name_variants_and_misspellings_find_the_figure(typed: str) -> None:
    assert answer_question(f"what's the latest on {typed}?", [OLD, NEW]).figure == "Elon Musk"


def test_who_is_prefers_descriptive_sentences() -> None:
    answer = answer_question("Who is Elon Musk?", [OLD, NEW])
    assert answer.intent == "who" and answer.quotes == ()
    first = answer.mentions[0].sentence
    assert "Tesla CEO" in first or "owner of X" in first


def test_shared_surname_asks_which_one() -> None:
    answer = answer_question("What did Trump say?", [OLD, NEW, MELANIA])
    assert answer.figure is None and answer.quotes == ()
    assert answer.suggestions == ("Donald Trump", "Melania Trump")
    assert answer.message and "Which one" in answer.message


def test_unknown_or_misspelled_names_say_so() -> None:
    unknown = answer_question("What did Xi Jinping say?", [OLD, NEW])
    assert unknown.message == "I have no articles that mention Xi Jinping."
    assert unknown.figure is None and unknown.suggestions == ()
    close = answer_question("What did Melanie Trumm say?", [OLD, NEW, MELANIA])
    assert close.figure is None and "Melania Trump" in close.suggestions


def test_not_a_question_and_no_articles() -> None:
    assert answer_question("hello there", [OLD]).message == HELP
    assert "no articles" in (answer_question("What did Musk say?", []).message or "")


def test_quotes_for_is_used_once_per_relevant_article() -> None:
    calls: list[str] = []

    def cached(article: Article) -> list[Quote]:
        calls.append(article.title)
        return extract_quotes(article.text)

    answer = answer_question("What did Musk say?", [OLD, NEW, MELANIA], quotes_for=cached)
    assert answer.quotes and sorted(calls) == sorted([OLD.title, NEW.title])


def test_a_failing_extractor_does_not_sink_the_answer() -> None:
    def broken(article: Article) -> list[Quote]:
        raise RuntimeError("model exploded")

    answer = answer_question("What did Musk say?", [OLD, NEW], quotes_for=broken)
    assert answer.figure == "Elon Musk" and answer.quotes == ()
    assert answer.message and "no quotes" in answer.message


def test_topic_only_latest_question() -> None:
    answer = answer_question("what's the latest on the border?", [OLD, NEW])
    assert answer.figure is None and [m.sentence for m in answer.mentions] == [
        "“He is doing a great job on the border,” Trump said."]


# -- the command ----------------------------------------------------------------------------------


def test_ask_command_with_articles(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    story = tmp_path / "story.txt"
    story.write_text(OLD.text, encoding="utf-8")
    assert main(["ask", "What did Musk say?", "--articles", str(story), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["figure"] == "Elon Musk"
    assert data["quotes"][0]["quote"] == "Free speech is the bedrock of democracy"
    assert main(["ask", "What did Musk say?", "--articles", str(story)]) == 0
    assert "Elon Musk: “Free speech is the bedrock of democracy”" in capsys.readouterr().out


def test_ask_command_uses_stored_articles(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("bot.cli.ask.stored_articles", lambda limit: [OLD, NEW])
    assert main(["ask", "who is Xi Jinping?"]) == 0
    assert "I have no articles that mention Xi Jinping." in capsys.readouterr().out


def test_ask_command_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", "   ", "--articles", str(tmp_path)]) == 2
    assert main(["ask", "What did Musk say?", "--articles", str(tmp_path / "missing.txt")]) == 1
    assert "no article text" in capsys.readouterr().err


def test_fixture_answer_keeps_harlan_and_voss_apart(messy_page: Path) -> None:
    article = Article(messy_page.read_text(encoding="utf-8"), title="Harlan and Voss on the radio")
    voss = answer_question("what did Ingrid Voss say?", [article], limit=20)
    harlan = answer_question("what did Daniel Harlan say?", [article], limit=20)
    voss_quotes = {q.quote for q in voss.quotes}
    harlan_quotes = {q.quote for q in harlan.quotes}
    assert any(q.startswith("You wrote that bond yourself") for q in voss_quotes)
    assert any(q.startswith("There is a fault on our transmitter line") for q in harlan_quotes)
    assert not voss_quotes & harlan_quotes
    assert not any(q.startswith("You’re the best organizers") for q in voss_quotes)


def test_ask_options_may_come_before_the_question(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`--articles` takes several paths; the question after them is still the question (issue 15 item 9)."""
    story = tmp_path / "story.txt"
    story.write_text(OLD.text, encoding="utf-8")
    other = tmp_path / "other.txt"
    other.write_text(NEW.text, encoding="utf-8")
    assert main(["ask", "--articles", str(story), "What did Musk say?"]) == 0
    assert "Elon Musk: “Free speech is the bedrock of democracy”" in capsys.readouterr().out
    assert main(["ask", "--json", "--articles", str(story), str(other), "What did Musk say?"]) == 0
    assert json.loads(capsys.readouterr().out)["figure"] == "Elon Musk"
    # only paths: the question really is missing (not "the last file is the question")
    assert main(["ask", "--articles", str(story), str(other)]) == 2
    assert "a question is required" in capsys.readouterr().err

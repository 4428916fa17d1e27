"""Grounded "three things to know": the grounding check on hand-written points, the extractive path on
our own messy aggregated page, and the abstractive path with canned model answers (hallucinations, repeats,
timeouts, errors) and with a tiny real model."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from tiny_models import tiny_chat_model, tiny_seq2seq_model

from bot.articles.clean import clean_text
from summarizers.methods.abstractive import GenerationTimeout, load_model
from summarizers.methods.grounding import number_mentions, unsupported_terms
from summarizers.methods.three_things import (
    CONTEXT_TOKENS,
    COUNT,
    INSTRUCTION,
    SPARE,
    SYSTEM,
    align,
    article_prompt,
    bullets_written,
    content_words,
    headline,
    overlapping_points,
    parse_bullets,
    three_things,
)
from summarizers.segment import split_sentences
from summarizers.types import ThreeThings

FIXTURE = Path(__file__).parent / "fixtures" / "articles" / "messy_page.txt"  # our own messy page

SOURCES = [
    "Musk, it should be noted, has endorsed Trump for president and reportedly pledged to commit about "
    "$45 million a month to a new pro-Trump super PAC.",
    "In the U.S., he’s spread memes about illegal immigration, and he formally endorsed former President "
    "Donald Trump’s presidential bid this summer.",
    "U.S. Customs and Border Protection reported a total of 7.1 million arrests for illegal crossings from "
    "Mexico between January 2021 and June 2024.",
    "The introduction into the race of Kamala Harris as her party’s nominee energized Democrats on Monday.",
]

GROUNDED = "Musk pledged about $45 million a month to a pro-Trump super PAC."
INVENTED_NAME = "Trump told Musk that 20 million people crossed the border under President Obama."
REPEAT = "Musk reportedly pledged about $45 million a month to a new super PAC backing Trump."
# The same three kinds of model answer, about our messy page.
PAGE_GROUNDED = "The farm bureau pledged about $3 million a month to a pro-Voss committee."
PAGE_INVENTED = "Harlan told Voss that 2 million acres went dry under Governor Whitfield."
PAGE_REPEAT = "The farm bureau reportedly pledged about $3 million a month to a new committee backing Voss."


@pytest.fixture(scope="module")
def article() -> str:
    return clean_text(FIXTURE.read_text(encoding="utf-8"))


class CannedModel:
    """Stands in for AbstractiveModel: answers with a fixed text (or raises) and records the request."""

    name = "canned-test-model"
    kind = "chat"

    def __init__(self, answer: str | Exception) -> None:
        self.answer = answer
        self.prompts: list[str] = []
        self.system: str | None = None

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    def generate(
        self,
        prompts: Sequence[str],
        *,
        max_new_tokens: int,
        timeout_s: float | None = None,
        system: str | None = None,
        stop_when: Callable[[str], bool] | None = None,
    ) -> list[str]:
        self.prompts.extend(prompts)
        self.system = system
        if isinstance(self.answer, Exception):
            raise self.answer
        # Stream the answer as llama.cpp does, a few characters at a time, and stop where it would.
        for end in range(1, len(self.answer) + 1):
            if stop_when is not None and stop_when(self.answer[:end]):
                return [self.answer[:end].strip()]
        return [self.answer]


def assert_well_formed(result: ThreeThings, text: str) -> None:
    """Every point is grounded in sentences that slice `text` exactly, and no two points repeat."""
    for point in result.points:
        assert point.sources, point
        for s in point.sources:
            assert text[s.start : s.end] == s.text
        assert unsupported_terms(point.text, [s.text for s in point.sources]) == [], point.text
        if point.method == "extractive":
            assert point.sources == (point.sources[0],) and point.text == point.sources[0].text
    words = [content_words(p.text) for p in result.points]
    assert not any(overlapping_points(a, b) for i, a in enumerate(words) for b in words[i + 1 :])


# -- grounding ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "point",
    [
        GROUNDED,
        "Musk pledged roughly $45,000,000 a month to a super PAC.",
        "In the US, Musk endorsed President Trump's bid.",
        "Musk endorsed Trump's bid in the United States.",
        "Border officials reported 7.1 million arrests between Jan. 2021 and June 2024.",
        "Democratic nominee Kamala Harris energized her party on Monday.",
        "Millions of people crossed from Mexico, officials said.",
    ],
)
def test_honest_paraphrases_pass(point: str) -> None:
    assert unsupported_terms(point, SOURCES) == []


@pytest.mark.parametrize(
    ("point", "invented"),
    [
        ("Musk pledged $90 million a month to a super PAC.", ["$90 million"]),
        ("Barack Obama criticised the super PAC.", ["Barack Obama"]),
        (INVENTED_NAME, ["20 million", "Obama"]),
        ("Border officials reported seven million arrests in March.", ["seven million", "March"]),
        ("Harris met Netanyahu on Tuesday.", ["Netanyahu", "Tuesday"]),
        ("Elon Musk endorsed Trump.", ["Elon Musk"]),  # the sources never say "Elon"
        ("Arrests rose 15% from Mexico.", ["15%"]),
    ],
)
def test_invented_names_and_numbers_are_caught(point: str, invented: list[str]) -> None:
    assert unsupported_terms(point, SOURCES) == invented


def test_numbers_compare_by_value() -> None:
    values = [
        v
        for _, v, _ in number_mentions(
            "$45 million, 45,000,000, 10%, 10 percent, three hundred and twelve, 8th"
        )
    ]
    assert values == [45e6, 45e6, 10, 10, 312, 8]
    assert number_mentions("one of them") == []  # a lone "one" is a pronoun, not a figure


# -- parsing and alignment -----------------------------------------------------------------------------


def test_bullets_are_parsed_whatever_the_style() -> None:
    raw = (
        "Here are three things to know:\n\n1. **Glitches:** The talk started\nlate.\n"
        "2) Musk endorsed Trump.\n* Trump praised Musk's cars.\n- Fourth point is cut later.\nThat is all."
    )
    assert parse_bullets(raw) == [
        "The talk started late.",
        "Musk endorsed Trump.",
        "Trump praised Musk's cars.",
        "Fourth point is cut later.",
    ]
    assert parse_bullets("Musk endorsed Trump. Trump praised the cars a lot.") == [
        "Musk endorsed Trump.",
        "Trump praised the cars a lot.",
    ]
    assert parse_bullets("") == []


def test_a_quotation_keeps_its_marks_and_a_quoted_point_loses_them() -> None:
    raw = '- Rahman called the vote "the biggest investment in fifty years."\n- "The council approved the plan."'
    assert parse_bullets(raw) == [
        'Rahman called the vote "the biggest investment in fifty years."',
        "The council approved the plan.",
    ]


def test_a_closing_quote_spaced_off_its_punctuation_is_closed_up() -> None:
    """The model writes `years. "` for the article's `years."`; an opening quote after a full stop stays."""
    raw = '- Rahman called the vote "the biggest investment in fifty years. "\n- He left. "We won," she said.'
    assert parse_bullets(raw) == ['Rahman called the vote "the biggest investment in fifty years."',
                                  'He left. "We won," she said.']


def test_spaced_initials_are_closed_up() -> None:
    """The model writes "U. S." for "U.S.": the point should read as the article does (and copy it)."""
    assert parse_bullets("- Trump promised the largest deportation in U. S. history.\n- The U. N. met.") == [
        "Trump promised the largest deportation in U.S. history.",
        "The U.N. met.",
    ]


def test_points_align_to_their_supporting_sentence(article: str) -> None:
    sentences = split_sentences(article)
    sources, support = align(PAGE_GROUNDED, sentences)
    assert any("$3 million a month" in s.text for s in sources)
    assert support >= 0.8


# -- extractive path ---------------------------------------------------------------------------------


def test_extractive_three_things_on_the_messy_fixture(article: str) -> None:
    result = three_things(article, title="Harlan and Voss clash over water rights in live radio debate")
    assert len(result.points) == 3 and result.note is None and result.model is None
    assert all(p.method == "extractive" for p in result.points)
    assert_well_formed(result, article)
    assert [p.sources[0].start for p in result.points] == sorted(p.sources[0].start for p in result.points)
    for p in result.points:  # full sentences, not headlines, captions or questions
        assert p.text.rstrip()[-1] in '.!"”’' and not p.text.rstrip().endswith("?")


def test_fewer_facts_are_said_not_padded() -> None:
    text = "The senate passed the budget bill on Monday. The senate passed the budget bill on Monday! Why?"
    result = three_things(text + " The mayor said bus fares would rise next year.")
    assert len(result.points) == 2
    assert result.note == "Only 2 distinct facts in this article."
    empty = three_things("")
    assert empty.points == () and empty.note == "No usable facts in this text."


# -- abstractive path --------------------------------------------------------------------------------


def test_hallucinated_and_repeated_points_are_replaced(
    article: str, caplog: pytest.LogCaptureFixture
) -> None:
    model = CannedModel(
        f"Here are three things to know:\n- {PAGE_GROUNDED}\n- {PAGE_INVENTED}\n- {PAGE_REPEAT}\n- Extra."
    )
    with caplog.at_level(logging.INFO, logger="summarizers.methods.three_things"):
        result = three_things(article, title="Harlan and Voss on the radio", model=model)  # type: ignore[arg-type]
    assert [p.method for p in result.points] == ["abstractive", "extractive", "extractive"]
    assert result.points[0].text == PAGE_GROUNDED
    assert any("$3 million a month" in s.text for s in result.points[0].sources)
    assert result.model == "canned-test-model" and result.note is None
    assert not any("Whitfield" in p.text for p in result.points)
    assert_well_formed(result, article)
    assert "Whitfield" in caplog.text and "repeats an earlier point" in caplog.text


def test_a_rejected_point_is_replaced_by_the_models_next_bullet_and_the_rest_is_not_read(article: str) -> None:
    """One spare bullet stands in for a rejected one before an extractive sentence does; the model is
    stopped once it starts the bullet after the spare (a small model asked for three writes eight)."""
    extra = "Voss and Harlan debated for 90 minutes on the radio."
    answer = f"- {PAGE_INVENTED}\n- {PAGE_GROUNDED}\n- {PAGE_REPEAT}\n- {extra}\n- Never read.\n- Nor this."
    model = CannedModel(answer)
    result = three_things(article, model=model)  # type: ignore[arg-type]
    written = [p.text for p in result.points if p.method == "abstractive"]
    assert PAGE_GROUNDED in written and PAGE_INVENTED not in written
    checked = {c.text for c in result.checks}
    assert PAGE_INVENTED in checked and PAGE_REPEAT in checked
    assert extra in checked or extra in written  # two rejected: the spare fourth bullet was read
    assert not any("Never read" in t for t in checked) and len(result.points) == 3
    assert_well_formed(result, article)
    # Without the stop the answer would have six bullets; the spare was the fourth, the fifth never began.
    stop = bullets_written(COUNT + SPARE)
    assert stop(answer) and not stop(answer[: answer.index("- Never")])


def test_prompt_is_the_title_and_a_short_grounding_context(article: str) -> None:
    model = CannedModel(f"- {PAGE_GROUNDED}")
    result = three_things(article, title="Harlan and Voss on the radio", model=model)  # type: ignore[arg-type]
    assert model.system == SYSTEM == "Use only facts stated in the article."
    prompt = model.prompts[0]
    assert prompt.startswith(f"{INSTRUCTION}\n\nTitle: Harlan and Voss on the radio\n\nArticle:\n")
    context = prompt.split("Article:\n", 1)[1]
    assert 100 < len(context.split()) <= CONTEXT_TOKENS
    assert context.startswith("As the state's longest-serving governor")  # the lead is always in
    # The fixture is several stories pasted together: the context samples all of it, not the opening.
    sentences = [s for s in split_sentences(article) if s.text in context]
    assert sentences[-1].start > 0.75 * len(article)
    # One usable model point, the rest filled from the extractive ranking: still three.
    assert len(result.points) == 3 and result.points[0].method == "abstractive"


def test_headline_is_taken_from_the_first_line(article: str) -> None:
    assert headline(article) == "Harlan and Voss clash over water rights in live radio debate"
    assert headline("The senate passed the bill.\n\nIt did.") is None  # a sentence, not a headline
    assert headline("Senate passes budget") is None  # no body: nothing to title
    model = CannedModel(f"- {PAGE_GROUNDED}")
    three_things(article, model=model)  # type: ignore[arg-type]
    assert model.prompts[0].startswith(f"{INSTRUCTION}\n\nTitle: Harlan and Voss clash over water rights")


def test_headline_skips_site_chrome_above_it() -> None:
    """A saved page may open with the site's chrome ("Jobs by CareerFinder"); the headline is the first
    opening line whose words the body repeats."""
    page = clean_text((FIXTURE.parent / "aggregated.txt").read_text(encoding="utf-8"))
    assert headline(page) == "Senate approves stopgap spending bill hours before deadline"
    # No line the body repeats: the first line is still taken when it is headline-shaped.
    assert headline("Senate passes budget\n\nLawmakers voted late on Friday.") == "Senate passes budget"
    assert headline("Jobs by CareerFinder\n\nSenate passes budget\n\nLawmakers voted.") == "Jobs by CareerFinder"


def test_a_long_page_puts_its_retold_events_before_the_background() -> None:
    """On a long page the model reads the events the reports on it retell, not only the opening essay."""
    background = " ".join(f"Water law in the valley has a long history, chapter {n} of which is told here."
                          for n in range(1, 40))
    page = (
        "Reyes and Holt clash over water rights in live radio debate\n\n"
        f"{background}\n\nThe radio debate started 40 minutes late after a power cut at the station.\n\n"
        f"{background}\n\nReyes accused Holt of draining the reservoir to help his donors.\n\n"
        "Listeners heard Reyes accuse the governor of draining the reservoir to help donors.\n\n"
        "The station blamed a power cut for the late start of the debate, 40 minutes after its slot.\n\n"
        f"{background}"
    )
    model = CannedModel("- The debate started late.")
    three_things(page, model=model)  # type: ignore[arg-type]
    context = model.prompts[0].split("Article:\n", 1)[1]
    assert "started 40 minutes late" in context and "accused Holt of draining the reservoir" in context


def test_all_invented_points_fall_back_and_do_not_credit_the_model(article: str) -> None:
    model = CannedModel(
        "- Barack Obama hosted the talk.\n- Joe Biden bought X for $1 billion.\n- Nancy Pelosi joined."
    )
    result = three_things(article, model=model)  # type: ignore[arg-type]
    assert [p.method for p in result.points] == ["extractive"] * 3 and result.model is None
    assert_well_formed(result, article)


@pytest.mark.parametrize("failure", [GenerationTimeout("too slow"), RuntimeError("CUDA out of memory")])
def test_model_failure_falls_back_to_extractive(
    article: str, failure: Exception, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="summarizers.methods.three_things"):
        result = three_things(article, model=CannedModel(failure), timeout_s=1)  # type: ignore[arg-type]
    plain = three_things(article)
    assert (result.points, result.note, result.model) == (plain.points, plain.note, plain.model)
    assert result.fallback == ("timeout" if isinstance(failure, GenerationTimeout) else "error")
    assert "using extractive points" in caplog.text


def test_with_a_tiny_real_model(article: str, tmp_path: Path) -> None:
    model = load_model(str(tiny_chat_model(tmp_path / "chat", max_positions=1024)), device="cpu")
    result = three_things(article, model=model, max_new_tokens=24)
    assert len(result.points) == 3
    assert result.model in (None, model.name)
    assert_well_formed(result, article)


def test_seq2seq_models_get_the_text_without_an_instruction(article: str, tmp_path: Path) -> None:
    canned = CannedModel(f"{PAGE_GROUNDED} {PAGE_INVENTED}")
    canned.kind = "seq2seq"
    result = three_things(article, title="Harlan and Voss on the radio", model=canned)  # type: ignore[arg-type]
    assert canned.prompts[0].startswith("Harlan and Voss on the radio. ") and "bullet" not in canned.prompts[0]
    assert result.points[0].text == PAGE_GROUNDED and result.points[0].method == "abstractive"
    assert_well_formed(result, article)
    model = load_model(str(tiny_seq2seq_model(tmp_path / "bart", max_positions=512)), device="cpu")
    real = three_things(article, model=model, max_new_tokens=24)
    assert len(real.points) == 3
    assert_well_formed(real, article)


def test_article_prompt_is_what_three_things_sends_and_shows_the_sentences_asked_for(article: str) -> None:
    """Evals ask the model with `article_prompt`: without `show` it is the very prompt of a briefing; with
    it, a sentence the budget would leave out (a labelled point's source) is in the prompt."""
    canned = CannedModel("- The farm bureau pledged money.")
    three_things(article, model=canned)
    assert article_prompt(canned, article) == canned.prompts[0]
    left_out = [s for s in split_sentences(article) if s.text not in canned.prompts[0] and len(s.text) > 40]
    assert left_out, "the fixture is longer than the context budget"
    shown = article_prompt(canned, article, show=[left_out[-1]])
    assert left_out[-1].text in shown and shown != canned.prompts[0]

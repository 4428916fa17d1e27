"""Local inputs through `load_inputs`: files of every supported kind and every kind of bad file."""

from __future__ import annotations

import io
import json
import logging
import random
import re
import shutil
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.articles.ingest import LoadResult, load_inputs, truncate_story
from bot.articles.loaders import LoadError, decode_text, parse_date
from bot.settings import Settings

FIXTURES = Path(__file__).parent / "fixtures" / "articles"
PARA = "The council met on Tuesday and voted to approve the plan after a long debate about its cost."


@pytest.fixture
def settings() -> Settings:
    return Settings()


def load_one(source: str | Path, settings: Settings) -> LoadResult:
    [result] = list(load_inputs([str(source)], settings))
    return result


def test_plain_text_file(tmp_path: Path, settings: Settings) -> None:
    path = tmp_path / "story.txt"
    path.write_text(f"Council approves transit plan for Riverside\n\n{PARA}\n\n{PARA}\n", encoding="utf-8")
    result = load_one(path, settings)
    assert result.error is None
    [article] = result.articles
    assert article.title == "Council approves transit plan for Riverside"
    assert article.text == f"{PARA}\n\n{PARA}"
    assert article.extra["path"] == str(path)


def test_markdown_file(tmp_path: Path, settings: Settings) -> None:
    path = tmp_path / "story.md"
    path.write_text("# Council approves transit plan\n\nThe **council** met [on Tuesday](https://x.example/a).\n",
                    encoding="utf-8")
    [article] = load_one(path, settings).articles
    assert article.text == "The council met on Tuesday."
    assert article.title == "Council approves transit plan"


def test_messy_page_file(messy_page: Path, settings: Settings) -> None:
    result = load_one(messy_page, settings)
    assert result.error is None
    assert len(result.articles) >= 2
    for article in result.articles:
        assert article.text.strip()
        for chrome in ("Jobs by CareerLink", "Show more", "Getty Images", "REUTERS", "@kxnews", "♬",
                       "Post a Comment", "Previous Post Next Post"):
            assert chrome not in article.text


def test_missing_file(settings: Settings) -> None:
    result = load_one("/definitely/not/here.txt", settings)
    assert result.articles == [] and result.error == "file not found"


def test_empty_file(tmp_path: Path, settings: Settings) -> None:
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "blank.txt").write_bytes(b"  \n\n\t\n")
    assert load_one(tmp_path / "empty.txt", settings).error == "empty file"
    assert load_one(tmp_path / "blank.txt", settings).error == "empty file"


def test_binary_file(tmp_path: Path, settings: Settings) -> None:
    path = tmp_path / "photo.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4)
    result = load_one(path, settings)
    assert result.articles == []
    assert result.error is not None and result.error.startswith("binary file")


def test_undecodable_bytes(tmp_path: Path, settings: Settings) -> None:
    path = tmp_path / "garbage.txt"
    path.write_bytes(random.Random(7).randbytes(6000).replace(b"\x00", b"\x01"))
    result = load_one(path, settings)
    assert result.error is not None and result.error.startswith("not UTF-8 text")


def test_oversized_file_is_refused_without_reading(
    tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "huge.txt"
    with path.open("wb") as fh:
        fh.truncate(50 * 1024 * 1024)  # sparse: 50 MB on paper, nothing on disk

    def refuse_open(*args: object, **kwargs: object) -> None:
        raise AssertionError("an oversized file must be refused from its size, not read")

    monkeypatch.setattr(Path, "open", refuse_open)
    result = load_one(path, settings)
    assert result.error == "larger than 5 MB limit (file is 52.4 MB)"


def test_cp1252_text_is_decoded(tmp_path: Path, settings: Settings) -> None:
    text = "Café owners said the governor’s plan — announced Tuesday — was “unworkable,” according to Zoë Müller."
    path = tmp_path / "latin.txt"
    path.write_bytes(text.encode("cp1252"))
    [article] = load_one(path, settings).articles
    assert article.text == text


def test_decode_text_variants() -> None:
    assert decode_text("Grüße".encode("utf-16")) == "Grüße"
    assert decode_text(b"\xef\xbb\xbfBOM text") == "BOM text"
    cyrillic = "Москва заявила, что переговоры продолжатся на следующей неделе.\n" * 5
    assert decode_text(cyrillic.encode("cp1251")) == cyrillic
    with pytest.raises(LoadError, match="binary"):
        decode_text(b"abc\x00def")


def test_unsupported_extension(tmp_path: Path, settings: Settings) -> None:
    path = tmp_path / "report.pdf"
    path.write_bytes(b"%PDF-1.7")
    result = load_one(path, settings)
    assert result.error is not None and result.error.startswith("unsupported file type '.pdf'")


def test_html_file(settings: Settings) -> None:
    [article] = load_one(FIXTURES / "page.html", settings).articles
    assert article.title == "Governor signs water rights compromise"
    assert article.text.startswith("Governor Lena Ortiz signed a compromise on water rights on Tuesday")
    assert "Dolores Vega" in article.text
    for chrome in ("Most read", "Copyright", "analytics", "Subscribe"):
        assert chrome not in article.text
    assert article.published == datetime(2024, 5, 14, tzinfo=UTC)


def test_json_list_with_a_bad_record(settings: Settings) -> None:
    result = load_one(FIXTURES / "records.json", settings)
    assert result.error is None
    assert [a.title for a in result.articles] == ["Council approves transit plan", ""]
    first, second = result.articles
    assert first.url == "https://ledger.example/transit?utm_source=x"
    assert first.source == "Valley Ledger"
    assert first.published == datetime(2024, 12, 10, 18, 0, tzinfo=UTC)
    assert second.published == datetime(2024, 12, 15, 9, 30, tzinfo=UTC)
    assert result.warnings == ["record 2: missing 'text' field"]


def test_json_object_and_all_bad(tmp_path: Path, settings: Settings) -> None:
    (tmp_path / "one.json").write_text('{"text": "One story about the council vote.", "title": "Vote"}')
    assert [a.title for a in load_one(tmp_path / "one.json", settings).articles] == ["Vote"]
    (tmp_path / "bad.json").write_text('[{"title": "no text"}, {"text": 5}]')
    result = load_one(tmp_path / "bad.json", settings)
    assert result.articles == []
    assert result.error == ("no usable records: record 1: missing 'text' field; "
                            "record 2: 'text' must be a string, got a number")
    (tmp_path / "broken.json").write_text('{"text": "unterminated')
    assert load_one(tmp_path / "broken.json", settings).error.startswith("not valid JSON")  # type: ignore[union-attr]
    (tmp_path / "scalar.json").write_text("42")
    assert load_one(tmp_path / "scalar.json", settings).error == "expected a JSON object or a list of objects, got a number"


def test_jsonl_skips_bad_lines(settings: Settings) -> None:
    result = load_one(FIXTURES / "records.jsonl", settings)
    assert [a.text[:20] for a in result.articles] == ["A House committee po", "Governor Lena Ortiz "]
    assert result.articles[1].published == datetime(2024, 5, 14, tzinfo=UTC)
    assert len(result.warnings) == 2
    assert result.warnings[0].startswith("line 2: not valid JSON")
    assert result.warnings[1] == "line 3: 'text' must be a string, got a number"


def test_directory_gives_one_result_per_supported_file(tmp_path: Path, settings: Settings) -> None:
    for name in ("records.json", "page.html", "records.jsonl"):
        shutil.copy(FIXTURES / name, tmp_path / name)
    (tmp_path / "notes.pdf").write_bytes(b"%PDF")
    (tmp_path / ".hidden.txt").write_text("secret")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "story.txt").write_text(PARA)
    results = list(load_inputs([str(tmp_path)], settings))
    assert [Path(r.source).name for r in results] == ["page.html", "records.json", "records.jsonl", "story.txt"]
    assert all(r.error is None for r in results)


def test_empty_directory(tmp_path: Path, settings: Settings) -> None:
    result = load_one(tmp_path, settings)
    assert result.error is not None and result.error.startswith("no supported files in directory")


def test_stdin(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(f"{PARA}\n".encode())))
    [article] = load_one("-", settings).articles
    assert article.text == PARA
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"")))
    assert load_one("-", settings).error == "empty input on stdin"


def test_stdin_over_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"x" * 2000)))
    assert load_one("-", Settings(max_article_bytes=1000)).error == "larger than 1 KB limit"


def test_bad_inputs_never_stop_the_batch(tmp_path: Path, settings: Settings) -> None:
    good = tmp_path / "good.txt"
    good.write_text(PARA)
    results = list(load_inputs(["", "ftp://example.com/x", "/nope.txt", str(good)], settings))
    assert [r.error for r in results] == [
        "empty input (expected a path, a URL or '-')",
        "unsupported URL scheme 'ftp' (only http and https)",
        "file not found",
        None,
    ]


def test_chrome_only_file(tmp_path: Path, settings: Settings) -> None:
    path = tmp_path / "chrome.txt"
    path.write_text("Advertisement\n\nShare this article\n\nPost a Comment\n")
    result = load_one(path, settings)
    assert result.articles == []
    assert result.error is not None and "no text left after removing boilerplate" in result.error


def test_huge_article_truncated_at_paragraph(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(max_article_chars=1000)
    path = tmp_path / "long.txt"
    path.write_text("\n\n".join(f"Paragraph {i}. {PARA}" for i in range(40)))
    with caplog.at_level(logging.WARNING, logger="bot.articles.ingest"):
        [article] = load_one(path, settings).articles
    assert len(article.text) <= 1000
    assert article.text.endswith(PARA)  # cut between paragraphs, not inside one
    original = article.extra["truncated_from"]
    assert isinstance(original, int) and original > 1000
    assert any("truncated" in r.getMessage() for r in caplog.records)


def test_truncate_story_fallbacks() -> None:
    one_para = " ".join(["Sentence number one is here."] * 50)
    cut = truncate_story(one_para, 200)
    assert len(cut) <= 200 and cut.endswith("here.")
    no_spaces = "x" * 500
    assert truncate_story(no_spaces, 200) == "x" * 200
    assert truncate_story("short", 200) == "short"


def test_within_input_repeats_are_dropped(tmp_path: Path, settings: Settings) -> None:
    path = tmp_path / "dupes.jsonl"
    path.write_text(f'{{"text": "{PARA}"}}\n{{"text": "  {PARA.upper()} "}}\n')
    assert len(load_one(path, settings).articles) == 1


@pytest.mark.parametrize(("value", "expected"), [
    ("2024-12-10T18:00:00Z", datetime(2024, 12, 10, 18, tzinfo=UTC)),
    ("2024-12-10T20:00:00+02:00", datetime(2024, 12, 10, 18, tzinfo=UTC)),
    ("2024-12-10", datetime(2024, 12, 10, tzinfo=UTC)),
    ("Tue, 10 Dec 2024 18:00:00 GMT", datetime(2024, 12, 10, 18, tzinfo=UTC)),
    (1733853600, datetime(2024, 12, 10, 18, tzinfo=UTC)),
    ("yesterday", None),
    ("", None),
    (None, None),
    (True, None),
    (10**20, None),
])
def test_parse_date(value: object, expected: datetime | None) -> None:
    assert parse_date(value) == expected


# -- invalid bytes and hostile JSON (issue 15 item 7) ------------------------------------------------------


@pytest.mark.parametrize(("data", "reason"), [
    (b"\xff\xfe\xc3\x28", "not valid UTF-16 text despite its byte-order mark"),  # a BOM, then not UTF-16
    (b"Senators said \xff\xfe\xc3\x28 on Tuesday.", "no other encoding gives plausible text"),  # not яюГ( / ÿþÃ(
    ("The café vote — on Tuesday — passed.".encode() + b" \xc3\x28 ", "not valid UTF-8: 1 invalid byte"),
])
def test_invalid_utf8_is_refused_with_a_reason(data: bytes, reason: str) -> None:
    with pytest.raises(LoadError, match=re.escape(reason)):
        decode_text(data)


def test_legacy_encodings_still_decode() -> None:
    german = "Die Straße in Köln: „Grüße“ an alle, heiß und süß."
    assert decode_text(german.encode("cp1252")) == german
    greek = "Η κυβέρνηση ανακοίνωσε νέα μέτρα για την οικονομία την Τρίτη.\n" * 4
    assert decode_text(greek.encode("cp1253")) == greek


def test_short_french_in_cp1252_is_not_read_as_another_latin_charset() -> None:
    french = "Le ministre a été très clair : « Nous irons jusqu'au bout », a-t-il dit après le vote."
    assert decode_text(french.encode("cp1252")) == french


def test_invalid_utf8_file_is_not_stored(tmp_path: Path, settings: Settings) -> None:
    path = tmp_path / "bad.txt"
    path.write_bytes(b"\xff\xfe\xc3\x28")
    result = load_one(path, settings)
    assert result.articles == [] and result.error and "UTF-16" in result.error


@pytest.mark.parametrize(("record", "reason"), [
    ({"text": PARA, "title": ["a", "list"]}, "record 1: 'title' must be a string, got an array"),
    ({"text": PARA, "url": {"href": "x"}}, "record 1: 'url' must be a string, got an object"),
    ({"text": PARA, "source": 42}, "record 1: 'source' must be a string, got a number"),
    ({"text": PARA, "id": [1]}, "record 1: 'id' must be a string or an integer, got an array"),
])
def test_json_fields_are_type_checked(tmp_path: Path, settings: Settings, record: dict[str, object],
                                      reason: str) -> None:
    path = tmp_path / "typed.json"
    path.write_text(json.dumps(record), encoding="utf-8")
    result = load_one(path, settings)
    assert result.articles == [] and result.error == f"no usable records: {reason}"


def test_deeply_nested_json_is_a_one_line_error(tmp_path: Path, settings: Settings) -> None:
    deep = "[" * 200_000 + "]" * 200_000
    (tmp_path / "deep.json").write_text(deep, encoding="utf-8")
    assert load_one(tmp_path / "deep.json", settings).error == "not usable JSON: nested too deeply"
    (tmp_path / "deep.jsonl").write_text(json.dumps({"text": PARA}) + "\n" + deep + "\n", encoding="utf-8")
    result = load_one(tmp_path / "deep.jsonl", settings)
    assert len(result.articles) == 1 and result.warnings == ["line 2: not valid JSON (nested too deeply)"]


def test_ingest_cli_refuses_invalid_utf8_and_deep_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    from bot.cli import main
    from bot.settings import get_settings

    monkeypatch.setenv("BRIEFBOT_DATABASE_URL", f"sqlite:///{tmp_path / 'b.db'}")
    get_settings.cache_clear()
    (tmp_path / "bad.txt").write_bytes(b"\xff\xfe\xc3\x28")
    (tmp_path / "deep.json").write_text("[" * 200_000 + "]" * 200_000, encoding="utf-8")
    try:
        code = main(["ingest", str(tmp_path / "bad.txt"), str(tmp_path / "deep.json")])
    finally:
        get_settings.cache_clear()
    err = capsys.readouterr()
    assert code == 1
    text = err.out + err.err
    assert "Traceback" not in text and "RecursionError" not in text and "яюГ" not in text
    assert "UTF-16" in text and "nested too deeply" in text

"""`briefbot summarize`: methods, output formats, JSON-lines batches, bad input, and model fallback."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest
from tiny_models import tiny_chat_model, tiny_seq2seq_model

from bot.articles.clean import clean_text
from bot.cli import main

FIXTURE = Path(__file__).parent / "fixtures" / "articles" / "messy_page.txt"
TEXT = (
    "The city council voted 7 to 2 on Monday to approve a new bus network. "
    "Mayor Lena Ortiz said the plan would cut average commutes by ten minutes. "
    "Opponents said the council had ignored riders in the northern suburbs. "
    "Service on the new routes starts in March."
)


def run(
    argv: list[str],
    capsys: pytest.CaptureFixture[str],
    stdin: str | None = None,
    monkeypatch: pytest.MonkeyPatch | None = None,
) -> tuple[int, str, str]:
    if stdin is not None:
        assert monkeypatch is not None
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main(["summarize", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def article_file(tmp_path: Path) -> Path:
    path = tmp_path / "article.txt"
    path.write_text(TEXT, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def chat_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_chat_model(tmp_path_factory.mktemp("chat"), max_positions=1024)


def test_extractive_is_the_default_and_prints_lines(
    article_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run([str(article_file), "--sentences", "2"], capsys)
    assert code == 0, err
    lines = out.splitlines()
    assert len(lines) == 2 and all(line in TEXT for line in lines)


def test_json_gives_offsets_into_the_cleaned_text(
    article_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run([str(article_file), "--json", "--sentences", "2"], capsys)
    data = json.loads(out)
    assert code == 0 and data["method"] == "extractive" and len(data["summary"]) == 2
    cleaned = clean_text(TEXT)
    assert all(cleaned[s["start"] : s["end"]] == s["sentence"] for s in data["sentences"])
    indexed = data.get("indexed_text", TEXT)  # carried whenever cleaning changed the text
    assert indexed == cleaned and all(indexed[s["start"] : s["end"]] == s["sentence"] for s in data["sentences"])


def test_three_things_json_on_the_fixture(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run([str(FIXTURE), "--method", "three-things", "--json"], capsys)
    assert code == 0
    assert "switched off" in err  # the test settings turn the model off: said, then extractive
    data = json.loads(out)
    assert len(data["points"]) == 3 and "note" not in data
    cleaned = clean_text(FIXTURE.read_text(encoding="utf-8"))
    for point in data["points"]:
        assert point["text"] and point["sources"]
        for source in point["sources"]:
            assert set(source) == {"start", "end", "sentence"}
            assert cleaned[source["start"] : source["end"]] == source["sentence"]


def test_three_things_notes_fewer_facts(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, _ = run(
        ["-", "--method", "three-things"],
        capsys,
        stdin="The senate passed the budget bill on Monday.",
        monkeypatch=monkeypatch,
    )
    assert code == 0
    assert out.splitlines() == [
        "The senate passed the budget bill on Monday.",
        "Note: Only 1 distinct fact in this article.",
    ]


def test_jsonl_batch_keeps_order_and_survives_bad_lines(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = [
        json.dumps({"id": "a", "text": TEXT, "sentences": 1}),
        "{not json",
        json.dumps({"id": 7, "title": "No text"}),
        json.dumps({"id": "c", "text": TEXT, "sentences": 0}),
        "",
        json.dumps(["a list"]),
        json.dumps({"id": "d", "text": TEXT, "title": "Bus network"}),
    ]
    code, out, err = run(["-", "--jsonl"], capsys, stdin="\n".join(lines) + "\n", monkeypatch=monkeypatch)
    assert code == 0, err
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["id"] for r in rows] == ["a", None, 7, "c", None, "d"]
    assert rows[0]["method"] == "extractive" and len(rows[0]["summary"]) == 1
    assert (
        "invalid JSON" in rows[1]["error"] and "text" in rows[2]["error"] and "sentences" in rows[3]["error"]
    )
    assert "object" in rows[4]["error"]
    assert len(rows[5]["summary"]) == 3


def test_jsonl_three_things_has_points(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    stdin = json.dumps({"id": 1, "text": TEXT}) + "\n"
    code, out, _ = run(
        ["-", "--jsonl", "--method", "three-things"], capsys, stdin=stdin, monkeypatch=monkeypatch
    )
    row = json.loads(out)
    assert code == 0 and row["id"] == 1 and row["method"] == "three-things"
    assert row["summary"] == [p["text"] for p in row["points"]] and len(row["points"]) == 3


@pytest.mark.parametrize("stdin", ["", "   \n\n  "])
def test_empty_input_fails_clearly(
    stdin: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, err = run(["-"], capsys, stdin=stdin, monkeypatch=monkeypatch)
    assert code == 1 and out == "" and "empty" in err
    code, _, err = run(["-", "--jsonl"], capsys, stdin=stdin, monkeypatch=monkeypatch)
    assert code == 1 and "empty" in err


def test_bad_arguments_and_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run([str(tmp_path / "missing.txt")], capsys)
    assert code == 1 and "cannot read" in err and "Traceback" not in err
    assert run(["-", "--sentences", "0"], capsys)[0] == 2
    assert run(["-", "--json", "--jsonl"], capsys)[0] == 2
    assert run(["-", "--method", "magic"], capsys)[0] == 2


def test_unavailable_model_is_said_once_and_extractive_is_served(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    stdin = "\n".join(json.dumps({"id": i, "text": TEXT}) for i in range(3)) + "\n"
    code, out, err = run(
        ["-", "--jsonl", "--method", "abstractive", "--model", str(tmp_path / "nowhere")],
        capsys,
        stdin=stdin,
        monkeypatch=monkeypatch,
    )
    assert code == 0
    assert err.count("abstractive model unavailable") == 1
    assert [json.loads(line)["method"] for line in out.splitlines()] == ["extractive"] * 3


def test_model_from_the_environment(
    chat_dir: Path, article_file: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.settings import get_settings

    monkeypatch.setenv("BRIEFBOT_MODEL", str(chat_dir))
    get_settings.cache_clear()
    code, out, err = run([str(article_file), "--method", "abstractive", "--json", "--sentences", "2"], capsys)
    data = json.loads(out)
    assert code == 0 and err == ""
    assert data["method"] == "abstractive" and data["model"] == str(chat_dir)
    assert 1 <= len(data["summary"]) <= 2


def test_seq2seq_model_by_flag(
    tmp_path: Path, article_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model_dir = tiny_seq2seq_model(tmp_path / "bart")
    code, out, _ = run(
        [str(article_file), "--method", "abstractive", "--model", str(model_dir), "--json"], capsys
    )
    data = json.loads(out)
    assert code == 0 and data["method"] == "abstractive" and data["summary"]


def test_three_things_with_a_model(
    chat_dir: Path, article_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(
        [str(article_file), "--method", "three-things", "--model", str(chat_dir), "--json"], capsys
    )
    data = json.loads(out)
    assert code == 0 and len(data["points"]) == 3
    assert {p["method"] for p in data["points"]} <= {"abstractive", "extractive"}

"""`summarize` and `quotes` read their input through the same check as `ingest` (issue 15 item 8): binary
or undecodable input is refused with ingest's reason and exit 1, never summarised or quoted as junk."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from bot.cli import main
from bot.settings import get_settings

BINARY = b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 40  # what /bin/ls starts like: NUL bytes throughout
INVALID_UTF8 = b"\xff\xfe\xc3\x28"


@pytest.fixture(autouse=True)
def _database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRIEFBOT_DATABASE_URL", f"sqlite:///{tmp_path / 'b.db'}")
    monkeypatch.setenv("BRIEFBOT_MODEL", "none")
    get_settings.cache_clear()


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        code = main(argv)
    finally:
        get_settings.cache_clear()
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize(("data", "reason"), [
    (BINARY, "binary file (contains NUL bytes), not text"),
    (INVALID_UTF8, "not valid UTF-16 text despite its byte-order mark"),
])
def test_summarize_quotes_and_ingest_refuse_the_same_input_alike(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], data: bytes, reason: str) -> None:
    path = tmp_path / "input.txt"
    path.write_bytes(data)
    for command in (["summarize"], ["summarize", "--method", "three-things"], ["quotes"], ["quotes", "--json"]):
        code, out, err = _run([*command, str(path)], capsys)
        assert (code, out) == (1, ""), command
        assert err.strip() == f"briefbot: {path}: {reason}" + ("" if reason.endswith("text") else
                                                               " (binary or corrupted file?)"), command
    code, out, err = _run(["ingest", str(path)], capsys)
    assert code == 1 and f"{path}: {reason}" in out + err


def test_binary_on_stdin_is_refused(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    for command in ("summarize", "quotes"):
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(BINARY)))
        code, out, err = _run([command, "-"], capsys)
        assert (code, out) == (1, "")
        assert err.strip() == "briefbot: stdin: binary file (contains NUL bytes), not text"
        assert "Unknown speaker" not in out


def test_text_input_still_works(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "story.txt"
    path.write_text("“We will win the vote,” said Jane Rivera, the mayor. The council met on Tuesday.",
                    encoding="utf-8")
    code, out, _ = _run(["quotes", str(path)], capsys)
    assert code == 0 and "Jane Rivera: “We will win the vote”" in out
    code, out, _ = _run(["summarize", str(path)], capsys)
    assert code == 0 and "council" in out

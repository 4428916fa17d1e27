"""`briefbot chat`, the terminal listener: its only user is local, and what it sets up can be managed from the CLI."""

from __future__ import annotations

import io
import sys

import pytest

from bot.cli import main


def run(argv: list[str], capsys: pytest.CaptureFixture[str], stdin: str = "",
        monkeypatch: pytest.MonkeyPatch | None = None) -> tuple[int, str]:
    if monkeypatch is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main(argv)
    return code, capsys.readouterr().out


def test_chat_never_rate_limits_its_only_user(monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    """The terminal is nobody else's channel: the per-user limit (6 a minute) is for shared channels."""
    lines = ["/brief", "/brief budget", "who is Maria Alvarez?"] * 4
    code, out = run(["chat"], capsys, "\n".join(lines) + "\n/quit\n", monkeypatch)
    assert code == 0
    assert "faster than I can brief" not in out
    assert out.count("THREE THINGS TO KNOW") >= 4


def test_the_terminal_refuses_a_daily_briefing_it_could_never_deliver(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(["chat"], capsys, "/brief subscribe #general 08:00 Europe/London\n/brief list\n", monkeypatch)
    assert code == 0
    assert "posted to Discord and Slack channels by `briefbot run`" in out and "briefbot digest --since" in out
    assert "No daily briefings are set up here." in out
    code, out = run(["subscriptions"], capsys)
    assert "No subscriptions" in out

"""The `/brief` grammar every adapter shares."""

from __future__ import annotations

import pytest

from bot.commands import BriefRequest, CommandError, parse_brief, parse_channel


@pytest.mark.parametrize(("text", "expected"), [
    ("", BriefRequest("digest")),
    ("   ", BriefRequest("digest")),
    ("help", BriefRequest("help")),
    ("list", BriefRequest("list")),
    ("border security", BriefRequest("topic", arg="border security")),
    ("https://example.org/a?b=1", BriefRequest("url", arg="https://example.org/a?b=1")),
    ("who Elon Musk", BriefRequest("figure", arg="Elon Musk")),
    ("subscribe #news 8:05 Europe/London", BriefRequest("subscribe", channel="news", time="08:05", timezone="Europe/London")),
    ("subscribe <#C0123|news> 07:30", BriefRequest("subscribe", channel="C0123", time="07:30", timezone="UTC")),
    ("unsubscribe <#C0123>", BriefRequest("unsubscribe", channel="C0123")),
])
def test_parse_brief(text: str, expected: BriefRequest) -> None:
    assert parse_brief(text) == expected


@pytest.mark.parametrize(("text", "message"), [
    ("subscribe #news 25:00 Europe/London", "not a time"),
    ("subscribe #news 08:00 Mars/Olympus", "not a known time zone"),
    ("subscribe #news", "Usage"),
    ("unsubscribe", "Usage"),
    ("who", "Usage"),
    ("ftp://example.org/file", "http(s)"),
    ("x" * 400, "too long"),
])
def test_malformed_commands_explain_themselves(text: str, message: str) -> None:
    with pytest.raises(CommandError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_brief(text)


def test_parse_channel_rejects_junk() -> None:
    with pytest.raises(CommandError):
        parse_channel("<@U123>")

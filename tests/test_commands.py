"""The `/brief` grammar every adapter shares."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import get_args

import pytest

from bot.briefing.models import Digest, FigureAnswer, Notice
from bot.commands import (
    BAD_URL,
    KIND_RULES,
    ONE_OPTION,
    BriefRequest,
    CommandError,
    Kind,
    brief_from_options,
    parse_brief,
    parse_channel,
)


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


def test_every_kind_has_its_rules_in_one_place() -> None:
    assert set(KIND_RULES) == set(get_args(Kind))
    assert {k for k in KIND_RULES if BriefRequest(k).needs_manager} == {"subscribe", "unsubscribe"}
    assert {k for k in KIND_RULES if not BriefRequest(k).costly} == {"help", "list", "subscribe", "unsubscribe"}


def test_only_errors_are_private() -> None:
    assert Notice("no", ok=False).private
    assert not Notice("done").private
    assert not Digest("Three things", (), datetime.now(UTC)).private
    assert not FigureAnswer("who?", None, "who").private


@pytest.mark.parametrize(("options", "expected"), [
    ({}, BriefRequest("digest")),
    ({"topic": " border security "}, BriefRequest("topic", arg="border security")),
    ({"figure": "Elon Musk"}, BriefRequest("figure", arg="Elon Musk")),
    ({"url": "https://example.org/a"}, BriefRequest("url", arg="https://example.org/a")),
    ({"topic": "   "}, BriefRequest("digest")),
])
def test_discord_options_build_the_same_requests_as_text(options: dict[str, str], expected: BriefRequest) -> None:
    assert brief_from_options(**options) == expected


@pytest.mark.parametrize(("options", "message"), [
    ({"topic": "a", "figure": "b"}, ONE_OPTION),
    ({"url": "budget"}, BAD_URL),
    ({"url": "ftp://example.org/x"}, BAD_URL),
    ({"figure": "x" * 400}, "too long"),
])
def test_bad_discord_options_explain_themselves(options: dict[str, str], message: str) -> None:
    with pytest.raises(CommandError) as err:
        brief_from_options(**options)
    assert message in str(err.value)

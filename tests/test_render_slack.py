"""Slack Block Kit rendering: every Slack limit holds, nothing is lost, and nothing in an article pings."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from fake_slack import limit_problems, pings

from bot.briefing.models import Digest, FigureAnswer, Link, MentionItem, Notice, QuoteItem, StoryBrief
from bot.render.slack import (
    HEADER_MAX_CHARS,
    MAX_BLOCKS,
    SECTION_MAX_CHARS,
    SlackMessage,
    escape,
    link,
    render,
    safe_url,
)
from summarizers.types import Point

EVIL = ("Leak <!channel> <!here> <!everyone> <!subteam^S1> <@U123> <@W9|bob> <#C123> <#C123|news> "
        "@everyone @here @channel Tom & Jerry <b>bold</b> <https://evil.example|click me>")
NOW = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def words(n: int, tag: str) -> str:
    return " ".join(f"{tag}{i}" for i in range(n))


def story(i: int, *, point_words: int = 20, links: int = 2, title: str | None = None) -> StoryBrief:
    points = tuple(Point(f"P{i}.{k} " + words(point_words, f"w{i}x{k}y") + ".", ()) for k in range(3))
    return StoryBrief(title=title or f"Story {i}", points=points,
                      links=tuple(Link(f"Story {i} at outlet {j}", f"https://outlet{j}.example/{i}/{j}",
                                       f"Outlet {j}", NOW) for j in range(links)))


def mrkdwn_texts(messages: list[SlackMessage]) -> list[str]:
    out = []
    for m in messages:
        for b in m.blocks:
            if b["type"] == "section":
                out.append(b["text"]["text"])
            elif b["type"] == "context":
                out += [e["text"] for e in b["elements"]]
    return out


def section_text(messages: list[SlackMessage]) -> str:
    joined = " ".join(b["text"]["text"] for m in messages for b in m.blocks if b["type"] == "section")
    return " ".join(joined.split())


def assert_sendable(messages: list[SlackMessage]) -> None:
    assert messages
    for m in messages:
        assert limit_problems(m.text, m.blocks) == [], limit_problems(m.text, m.blocks)
        assert len(m.blocks) <= MAX_BLOCKS
        assert all(len(b["text"]["text"]) <= SECTION_MAX_CHARS for b in m.blocks if b["type"] == "section")
        assert all(len(b["text"]["text"]) <= HEADER_MAX_CHARS for b in m.blocks if b["type"] == "header")
        assert pings(m.text, m.blocks) == []


# -- escaping -----------------------------------------------------------------------------------------

def test_escape_defuses_every_ping_and_link_sequence() -> None:
    out = escape(EVIL)
    assert "<" not in out and ">" not in out
    assert "&lt;!channel&gt;" in out and "&lt;@U123&gt;" in out and "&lt;#C123&gt;" in out
    assert "Tom &amp; Jerry" in out
    assert "@\u200beveryone" in out and "@\u200bhere" in out and "@\u200bchannel" in out
    assert pings(out) == []
    assert pings(EVIL)  # the checker itself sees the raw sequences


def test_untrusted_text_everywhere_in_a_digest_never_pings_or_links() -> None:
    evil_story = StoryBrief(title=EVIL, points=(Point(EVIL, ()), Point("Second " + EVIL, ()), Point("Third.", ())),
                            links=(Link(EVIL, "https://news.example/a?x=1&y=2", EVIL, NOW), Link(EVIL, None, None)),
                            note=EVIL)
    digest = Digest(heading="Three things to know: " + EVIL, stories=(evil_story,), generated_at=NOW,
                    notices=(EVIL,))
    messages = render(digest)
    assert_sendable(messages)
    for text in mrkdwn_texts(messages) + [m.text for m in messages]:
        assert "<#C123" not in text and "<https://evil" not in text
    header = messages[0].blocks[0]
    assert header["type"] == "header" and "<!" not in header["text"]["text"]
    # the content is still there, shown literally
    assert "&lt;!channel&gt;" in section_text(messages)
    # the one link we built ourselves is a real link, with & escaped as Slack requires
    assert any("<https://news.example/a?x=1&amp;y=2|" in t for t in mrkdwn_texts(messages))


def test_quotes_mentions_and_suggestions_are_escaped() -> None:
    src = Link("Source " + EVIL, "https://news.example/q", "Outlet", NOW)
    answer = FigureAnswer(question="what did <!here> say?", figure="Jane <!channel> Doe", intent="said",
                          quotes=(QuoteItem(EVIL, EVIL, True, src),), mentions=(MentionItem(EVIL, src),),
                          suggestions=(EVIL,), message=EVIL)
    messages = render(answer)
    assert_sendable(messages)
    assert all("<#C123" not in t for t in mrkdwn_texts(messages))
    assert "_(partial quote)_" in section_text(messages)


def test_notice_keeps_service_channel_links_but_escapes_the_rest() -> None:
    ok = render(Notice("Daily briefings:", lines=("<#C0NEWS01> at 08:00 Europe/London", EVIL)))
    assert_sendable(ok)
    body = ok[0].blocks[0]["text"]["text"]
    assert "<#C0NEWS01> at 08:00" in body
    assert "&lt;!channel&gt;" in body and "&lt;@U123&gt;" in body  # channel links never ping: kept
    error = render(Notice("`25:00` is not a time. Use 24-hour HH:MM, e.g. 08:00.", ok=False))
    assert error[0].blocks[0]["text"]["text"].startswith(":warning:")


def test_links_we_build_are_safe() -> None:
    assert safe_url("javascript:alert(1)") is None
    assert safe_url("https://x.example/a|b<c>d e&f") == "https://x.example/a%7Cb%3Cc%3Ed%20e&amp;f"
    assert safe_url("https://x](http://evil.example)/a") is None  # urlsplit raises on a "]" in the host
    assert safe_url("javascript://%0aa](http://evil.example)") is None
    assert link("ftp://x.example/", "Label <!here>") == "Label &lt;!here&gt;"
    assert link("https://x.example/", "A & B") == "<https://x.example/|A &amp; B>"
    assert link("https://x.example/" + "a" * 5000, "Long") == "Long"
    # urlsplit raises on a bracketed host that is no IP address: the story renders without that link
    assert link("https://[Official](<https://evil.example/a>)", "Label") == "Label"


# -- limits and splitting -----------------------------------------------------------------------------

def test_forty_huge_stories_fit_every_limit_and_nothing_is_lost() -> None:
    stories = tuple(story(i, point_words=700, links=15, title=f"Story {i} " + words(80, "t")) for i in range(40))
    digest = Digest(heading="Daily digest " + words(60, "h"), stories=stories, generated_at=NOW)
    messages = render(digest)
    assert len(messages) > 1
    assert_sendable(messages)
    text = section_text(messages)
    for s in stories:  # every point, in full and in order, and every title
        for p in s.points:
            assert " ".join(escape(p.text).split()) in text
        assert escape(s.title) in text
    contexts = " ".join(mrkdwn_texts(messages))
    for s in stories:
        for lnk in s.links:
            assert f"<{lnk.url}|" in contexts
    positions = [text.index(f"P{i}.0 ") for i in range(40)]
    assert positions == sorted(positions)
    for n, m in enumerate(messages[1:], 2):  # continuation messages say so
        assert f"part {n} of {len(messages)}" in m.blocks[0]["elements"][0]["text"]


def test_a_single_giant_word_is_cut_with_a_marker_not_silently() -> None:
    giant = "x" * 7000
    digest = Digest(heading="h", stories=(StoryBrief("t", (Point(giant, ()),), ()),), generated_at=NOW)
    messages = render(digest)
    assert_sendable(messages)
    sections = [b["text"]["text"] for m in messages for b in m.blocks if b["type"] == "section"]
    assert len(sections) >= 3 and all(s.endswith("…") for s in sections[:-1])
    assert sum(s.count("x") for s in sections) == 7000


def test_header_is_truncated_with_an_ellipsis() -> None:
    messages = render(Digest(heading=words(100, "word"), stories=(story(1),), generated_at=NOW))
    header = messages[0].blocks[0]["text"]["text"]
    assert len(header) <= HEADER_MAX_CHARS and header.endswith("…")


def test_many_quotes_split_over_messages() -> None:
    src = Link("t", "https://news.example/q", "Outlet", NOW)
    quotes = tuple(QuoteItem(f"Speaker {i}", words(300, f"q{i}x"), False, src) for i in range(60))
    messages = render(FigureAnswer(question="?", figure="Jane Doe", intent="said", quotes=quotes))
    assert len(messages) > 1
    assert_sendable(messages)
    text = section_text(messages)
    assert all(words(300, f"q{i}x") in text for i in range(60))


def test_long_notice_splits_and_short_replies_stay_one_message() -> None:
    lines = tuple(f"<#C{i:08d}> at 08:00 Europe/London " + words(20, "n") for i in range(600))
    messages = render(Notice("Daily briefings:", lines=lines))
    assert len(messages) > 1
    assert_sendable(messages)
    assert len(render(Digest(heading="h", stories=(story(1), story(2)), generated_at=NOW))) == 1


def test_empty_digest_says_so() -> None:
    messages = render(Digest(heading="Three things to know", stories=(), generated_at=NOW,
                             empty_message="No new stories since the last briefing."))
    assert_sendable(messages)
    assert "No new stories" in section_text(messages)


def test_fallback_text_is_short_and_escaped() -> None:
    stories = tuple(story(i, title=EVIL) for i in range(10))
    messages = render(Digest(heading="Digest", stories=stories, generated_at=NOW))
    for m in messages:
        assert 0 < len(m.text) <= 2000
        assert pings(m.text) == [] and not re.search(r"<[#!@]", m.text)


def test_blocks_only_use_known_block_types() -> None:
    messages = render(Digest(heading="h", stories=(story(1),), generated_at=NOW, notices=("note",)))
    kinds = [b["type"] for m in messages for b in m.blocks]
    assert kinds == ["header", "context", "section", "context"]


def test_a_url_urlsplit_rejects_is_shown_as_text_not_a_crash() -> None:
    from bot.render.slack import link

    assert link("https://[evil.example/x", "Outlet") == "Outlet"

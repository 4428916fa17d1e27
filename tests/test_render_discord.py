"""Discord renderer: every Discord limit holds for any input, nothing is lost, nothing can ping."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import discord
import pytest

from bot.briefing.models import Digest, FigureAnswer, Link, MentionItem, Notice, QuoteItem, StoryBrief
from bot.render.discord import (
    CONTENT_LIMIT,
    EMBED_DESCRIPTION_LIMIT,
    EMBED_FIELDS_LIMIT,
    EMBED_TITLE_LIMIT,
    EMBED_TOTAL_LIMIT,
    EMBEDS_PER_MESSAGE,
    FIELD_NAME_LIMIT,
    FIELD_VALUE_LIMIT,
    FOOTER_LIMIT,
    ZWSP,
    DiscordMessage,
    neutralise_links,
    neutralise_mentions,
    render,
)
from summarizers.types import Point, Sentence

NOW = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
LIVE_MENTION = re.compile(r"@everyone|@here|<@[!&]?\d+>|<#\d+>", re.IGNORECASE)


def point(text: str) -> Point:
    return Point(text=text, sources=(Sentence(text, 0, len(text)),))


def story(i: int, *, point_words: int = 20, links: int = 2, title: str | None = None,
          note: str | None = None) -> StoryBrief:
    words = " ".join(f"word{i}x{j}" for j in range(point_words))
    return StoryBrief(
        title=title or f"Story number {i} about the budget",
        points=tuple(point(f"Point {k} of story {i}: {words}.") for k in range(3)),
        links=tuple(Link(f"Story {i} at outlet {n}", f"https://outlet{n}.example/story/{i}", f"Outlet {n}",
                         NOW) for n in range(links)),
        published=NOW, note=note,
    )


def assert_within_limits(messages: list[DiscordMessage]) -> None:
    assert messages, "a reply always renders to at least one message"
    for message in messages:
        assert message.content or message.embeds
        assert len(message.content) <= CONTENT_LIMIT
        assert len(message.embeds) <= EMBEDS_PER_MESSAGE
        assert sum(len(e) for e in message.embeds) <= EMBED_TOTAL_LIMIT
        for embed in message.embeds:
            assert len(embed.title or "") <= EMBED_TITLE_LIMIT
            assert len(embed.description or "") <= EMBED_DESCRIPTION_LIMIT
            assert len(embed.fields) <= EMBED_FIELDS_LIMIT
            for f in embed.fields:
                assert 0 < len(f.name or "") <= FIELD_NAME_LIMIT
                assert 0 < len(f.value or "") <= FIELD_VALUE_LIMIT
            assert len(embed.footer.text or "") <= FOOTER_LIMIT
            assert len(embed) <= EMBED_TOTAL_LIMIT


def all_text(messages: list[DiscordMessage]) -> str:
    parts: list[str] = []
    for m in messages:
        parts.append(m.content)
        for e in m.embeds:
            parts += [e.title or "", e.description or "", e.footer.text or "", e.url or ""]
            parts += [f"{f.name}\n{f.value}" for f in e.fields]
    return "\n".join(parts)


def test_small_digest_is_one_message_with_an_embed_per_story() -> None:
    digest = Digest("Three things to know", (story(1), story(2, note="Only two sentences long.")), NOW,
                    notices=("Abstractive model unavailable; serving extractive briefings.",))
    [message] = render(digest)
    assert message.content.startswith("**Three things to know** · <t:")
    assert "Abstractive model unavailable" in message.content
    first, second = message.embeds
    assert first.title == "Story number 1 about the budget"
    assert first.url == "https://outlet0.example/story/1"
    assert first.timestamp == NOW
    assert (first.description or "").count("\n") == 2  # three numbered points
    assert (first.description or "").startswith("**1.** Point 0 of story 1")
    assert first.fields[0].name == "Sources"
    assert "[Outlet 1 · 01 Mar 2026](https://outlet1.example/story/1)" in (first.fields[0].value or "")
    assert second.footer.text == "Only two sentences long."


def test_giant_digest_respects_every_limit_and_loses_nothing() -> None:
    stories = tuple(story(i, point_words=400, links=40, note="n" * 3000) for i in range(40))
    digest = Digest("Three things to know " + "h" * 3000, stories, NOW, notices=("x " * 2000,))
    messages = render(digest)
    assert_within_limits(messages)
    assert len(messages) > 10
    text = all_text(messages)
    for s in stories:
        assert s.title in text
        for p in s.points:
            # every word of every point survives the splitting
            for word in p.text.split()[-5:]:
                assert word in text
        for link in s.links:
            assert link.url is not None and link.url in text


def test_a_point_longer_than_a_description_continues_in_the_next_embed() -> None:
    long_point = " ".join(f"w{j}" for j in range(3000))  # ~ 14,000 characters
    s = StoryBrief("Long", (point(long_point),), (), NOW)
    messages = render(Digest("Heading", (s,), NOW))
    assert_within_limits(messages)
    embeds = [e for m in messages for e in m.embeds]
    assert len(embeds) >= 4
    assert embeds[1].title == "Long (continued)"
    words = " ".join((e.description or "") for e in embeds).replace("**1.** ", "").split()
    assert words == long_point.split()  # split at word boundaries, nothing cut or lost


def test_unbreakable_word_is_cut_with_a_marker() -> None:
    s = StoryBrief("Blob", (point("x" * 10_000),), (), NOW)
    messages = render(Digest("Heading", (s,), NOW))
    assert_within_limits(messages)
    descriptions = [e.description or "" for m in messages for e in m.embeds]
    assert descriptions[0].endswith("…")


def test_long_title_is_shortened_in_the_title_and_kept_whole_in_the_text() -> None:
    title = "Title " + "very " * 100 + "long"
    messages = render(Digest("Heading", (story(1, title=title),), NOW))
    assert_within_limits(messages)
    embed = messages[0].embeds[0]
    assert (embed.title or "").endswith("…")
    assert title in (embed.description or "")


def test_many_links_spill_into_more_fields_and_embeds() -> None:
    s = story(1, links=400)
    embeds = [e for m in render(Digest("H", (s,), NOW)) for e in m.embeds]
    assert_within_limits(render(Digest("H", (s,), NOW)))
    fields = [f for e in embeds for f in e.fields]
    assert fields[0].name == "Sources" and fields[1].name == "Sources (continued)"
    assert sum((f.value or "").count("https://") for f in fields) == 400


def test_footer_shrinks_to_the_room_left_under_the_total() -> None:
    s = StoryBrief("t" * 300, (point("word " * 1000),), (), NOW, note="note " * 1000)
    messages = render(Digest("H", (s,), NOW))
    assert_within_limits(messages)
    assert (messages[0].embeds[0].footer.text or "").endswith("…")


def test_unsafe_links_are_not_linked() -> None:
    links = (Link("Bad", "javascript:alert(1)", "Evil"), Link("Paren", "https://a.example/x_(y)", "Wiki"))
    s = StoryBrief("t", (point("p"),), links, NOW)
    value = render(Digest("H", (s,), NOW))[0].embeds[0].fields[0].value or ""
    assert "javascript:" not in value
    assert "• Evil" in value
    assert "[Wiki](https://a.example/x_%28y%29)" in value


def test_empty_digest_says_so() -> None:
    [message] = render(Digest("Three things to know: mars", (), NOW, empty_message="I have no stories yet."))
    assert message.embeds == []
    assert "I have no stories yet." in message.content


def test_figure_answer_renders_quotes_with_sources_and_splits_when_long() -> None:
    link = Link("Speech", "https://news.example/speech", "Daily", NOW)
    answer = FigureAnswer("what did Merkel say?", "Angela Merkel", "said",
                          quotes=tuple(QuoteItem("Angela Merkel", f"We will manage number {i}. " * 30, i % 2 == 0,
                                                 link) for i in range(60)),
                          mentions=(MentionItem("Merkel spoke in Berlin.", link),))
    messages = render(answer)
    assert_within_limits(messages)
    embeds = [e for m in messages for e in m.embeds]
    assert embeds[0].title == "What Angela Merkel said"
    assert len(embeds) > 1 and embeds[1].title == "What Angela Merkel said (continued)"
    text = all_text(messages)
    assert text.count("We will manage number 59.") == 30
    assert "[Daily · 01 Mar 2026](https://news.example/speech)" in text
    assert "Merkel spoke in Berlin." in text


def test_figure_answer_without_figure_shows_message_and_suggestions() -> None:
    answer = FigureAnswer("who is mrkel?", None, "who", suggestions=("Angela Merkel",), message="No one by that name.")
    [message] = render(answer)
    description = message.embeds[0].description or ""
    assert "No one by that name." in description
    assert "Did you mean: Angela Merkel?" in description


def test_long_notice_splits_into_messages_within_content_limit() -> None:
    notice = Notice("Daily briefings:", lines=tuple(f"<#{100 + i}> at 08:00 Europe/London" for i in range(200)))
    messages = render(notice)
    assert len(messages) > 1
    assert_within_limits(messages)
    assert all(not m.embeds for m in messages)
    joined = "\n".join(m.content for m in messages)
    assert "<#299> at 08:00" in joined  # channel links the core writes stay links


@pytest.mark.parametrize("raw, inert", [
    ("@everyone", f"@{ZWSP}everyone"),
    ("hi @here!", f"hi @{ZWSP}here!"),
    ("@Everyone", f"@{ZWSP}Everyone"),
    ("<@123>", f"<@{ZWSP}123>"),
    ("<@!123>", f"<@!{ZWSP}123>"),
    ("<@&456>", f"<@&{ZWSP}456>"),
    ("<#789>", f"<#{ZWSP}789>"),
    ("no mention here", "no mention here"),
])
def test_neutralise_mentions(raw: str, inert: str) -> None:
    assert neutralise_mentions(raw) == inert


def test_no_live_mention_anywhere_in_a_rendered_reply() -> None:
    evil = "Ping @everyone and @here, <@123>, <@!124>, <@&456> in <#789>"
    s = StoryBrief(evil, (point(evil),), (Link(evil, "https://x.example/a", evil, NOW),), NOW, note=evil)
    digest = Digest(evil, (s,), NOW, notices=(evil,))
    answer = FigureAnswer(evil, evil, "said", quotes=(QuoteItem(evil, evil, False, Link(evil, None, evil)),),
                          mentions=(MentionItem(evil, Link(evil)),), suggestions=(evil,), message=evil)
    # Notices keep channel links on purpose (the core writes them; they never notify anyone).
    notice = Notice(evil, ok=False, lines=(evil,))
    for reply, channel_links_allowed in ((digest, False), (answer, False), (notice, True)):
        text = all_text(render(reply))
        live = [m for m in LIVE_MENTION.findall(text) if not (channel_links_allowed and m.startswith("<#"))]
        assert live == [], (type(reply).__name__, live)
        assert "everyone" in text  # neutralised, not removed


@pytest.mark.parametrize("raw", [
    "[click here](http://evil.example/login)",
    "[Official statement](<https://evil.example/login>)",
    "[x](//evil.example/protocol-relative)",
    "see <http://evil.example/autolink> now",
    "bare https://evil.example/path?q=1 in text",
    "HTTPS://EVIL.EXAMPLE/upper",
    "[nested [brackets]](https://evil.example/n)",
    'title form [x](https://evil.example "Title")',
])
def test_neutralise_links(raw: str) -> None:
    inert = neutralise_links(raw)
    assert "](" not in inert and "://" not in inert.replace(f":{ZWSP}//", "")
    assert inert.replace(ZWSP, "") == raw  # reads the same


def test_no_clickable_link_from_article_text_but_our_source_links_stay() -> None:
    """A lure in every untrusted field: only the source links the renderer builds are clickable."""
    evil = "Read [the full statement](http://evil.example/login) or <https://evil.example/a> or http://evil.example/b"
    source = Link("Outlet story", "https://outlet.example/story?id=1", "Outlet", NOW)
    s = StoryBrief(evil, (point(evil),), (source, Link(evil, None, evil)), NOW, note=evil)
    digest = Digest(evil, (s,), NOW, notices=(evil,))
    answer = FigureAnswer(evil, evil, "said", quotes=(QuoteItem(evil, evil, False, source),),
                          mentions=(MentionItem(evil, Link(evil)),), suggestions=(evil,), message=evil)
    for reply in (digest, answer, Notice(evil, ok=False, lines=(evil,))):
        messages = render(reply)
        text = all_text(messages)
        assert "evil.example" in text  # shown, not removed
        own = "](https://outlet.example/story?id=1)"
        rest = text.replace(own, "]").replace("https://outlet.example/story?id=1", "")  # and the embed url
        assert "](" not in rest
        if not isinstance(reply, Notice):  # notices are the core's words: its bare example links stay
            assert re.search(r"https?://", rest, re.IGNORECASE) is None, rest
            assert own in text
    [embed] = render(digest)[0].embeds
    assert embed.url == "https://outlet.example/story?id=1"


def test_every_message_is_a_valid_discord_payload() -> None:
    messages = render(Digest("H", tuple(story(i) for i in range(12)), NOW))
    assert len(messages) == 2  # ten embeds in the first message, two in the second
    for m in messages:
        for e in m.embeds:
            assert isinstance(e, discord.Embed)
            assert e.to_dict()["type"] == "rich"

"""Hostile input never crashes, hangs, overflows a platform limit, pings anyone (issue 8) or, on Discord,
shows a clickable link that article text wrote (issue 15).

Hypothesis drives segmentation, quote extraction, the extractive three things and both platform
renderers with arbitrary Unicode (control characters, right-to-left text and overrides, zero-width
characters), HTML with scripts, unbalanced and nested quotes, and every mention syntax of Discord and
Slack injected at random positions. `deadline=5000` makes any single example that runs past 5 s fail, so
a hang is a failure, not a slow test. The 1 MB inputs are explicit examples, not generated; they run
under `hang_guard`, which only catches a hang (a generous bound on 2 shared cores), not slowness.

The limit checkers import the renderers' own limit constants and, for Slack, also ask the fake Slack
what the real API would refuse (`fake_slack.limit_problems`), so a renderer cannot pass by bending
its own constants. The mention and link checkers are written here, independently of the renderers'
escaping: on Discord the only `](` joins and `scheme://` URLs allowed are the source links built from
the reply's own `Link.url`s.
"""

from __future__ import annotations

import concurrent.futures
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest
from fake_slack import SLACK_TEXT_CHARS, limit_problems
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.articles.ingest import load_inputs
from bot.briefing.models import Digest, FigureAnswer, Link, MentionItem, Notice, QuoteItem, Reply, StoryBrief
from bot.render import discord as rd
from bot.render import slack as rs
from bot.settings import Settings
from summarizers.methods.three_things import three_things
from summarizers.nlp import get_nlp
from summarizers.people.quotes import extract_quotes
from summarizers.segment import split_sentences
from summarizers.types import Point, Sentence

T = TypeVar("T")

PROPS = settings(max_examples=40, deadline=5000, derandomize=True,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
RENDER_PROPS = settings(PROPS, max_examples=45)
QUOTE_PROPS = settings(PROPS, max_examples=25)  # spaCy parses every example: the slowest property here
HANG_GUARD_S = 120.0
MEGABYTE = 1_000_000

# -- hostile text -----------------------------------------------------------------------------------------

MENTIONS = (
    "@everyone", "@here", "@Everyone", "@HERE", "<@123>", "<@!123>", "<@&456>", "<#789>",
    "<!channel>", "<!here>", "<!everyone>", "<@U123>", "<@U123|bob>", "<#C123>", "<#C123|general>",
    "<!subteam^S123>", "@channel", "@Channel", "<!date^1392734382^{date}|x>", "<@\u200b123>",
)
LINKS = (
    "[click here](http://evil.example/login)", "[Official](<https://evil.example/a>)", "[x](//evil.example)",
    "<http://evil.example/auto>", "https://evil.example/bare?q=1", "HTTP://EVIL.EXAMPLE", "[a]( https://e.example )",
    '[t](https://evil.example "title")', "[[nested]](https://evil.example/n)", "[x]\n(https://evil.example)",
    "steam://run/1", "javascript://%0aalert(1)", "http:\u200b//half.example", "](http://evil.example)", "://",
)
PIECES = (
    "<script>alert('x')</script>", "<img src=x onerror=alert(1)>", "<a href=\"javascript:alert(1)\">x</a>",
    "مرحبا بالعالم", "שלום עולם", "\u202e", "\u202d", "\u200f", "\u200e", "\u200b", "\u200c\u200d",
    "\u2060", "\ufeff", "\x00", "\x07", "\x1b[31m", "\x7f", "\u0085", "\u2028", "\u2029",
    "“", "”", "\"", "'", "‘", "’", "«", "»", "„", "“He said ‘no “way” out’", "\"unclosed", "”backwards“",
    "**", "__", "`", "```", "~~", "||", "> ", "# ", "-# ", "[x](https://evil.example)", "](", "*", "_",
    "&amp;", "&lt;!channel&gt;", "&lt;#C123&gt;", "&", "<", ">", "|",
    "\n", "\n\n", "\r\n", "\t", " ", "  ", "…", "—", "🎉", "👨‍👩‍👧", "e\u0301", "\U0001f1fa\U0001f1f8",
    "The Senate passed the bill on Tuesday.", "Mr. Smith said: “We won.”", "U.S. officials met.",
)
WORDS = st.sampled_from(("budget", "vote", "Senate", "said", "the", "minister", "Trump", "Musk", "of", "a"))


@st.composite
def hostile_text(draw: st.DrawFn, max_size: int = 200) -> str:
    """Arbitrary Unicode (controls included) with hostile pieces and mentions spliced in at random offsets."""
    text = draw(st.text(max_size=max_size))
    for piece in draw(st.lists(st.sampled_from(PIECES + MENTIONS + LINKS) | WORDS, max_size=12)):
        at = draw(st.integers(0, len(text)))
        text = text[:at] + piece + text[at:]
    return text


def long_text() -> st.SearchStrategy[str]:
    """Up to ~20,000 characters: one hostile chunk repeated, so splitting and paging get exercised."""
    return st.builds(lambda chunk, n: chunk * n, hostile_text(max_size=60).filter(bool), st.integers(1, 300))


any_text = st.one_of(hostile_text(), hostile_text(), long_text())
maybe_text = st.none() | any_text
when = st.none() | st.datetimes(timezones=st.none() | st.just(UTC))
urls = st.none() | any_text | st.builds(lambda t: "https://news.example/" + t, any_text) | st.sampled_from(
    ["javascript:alert(1)", "https://ok.example/a?b=1&c=<2>|x", "http://x.example/" + "a" * 3000,
     "https://x.example/(paren)", "ftp://files.example/x", "https://"])

links = st.builds(Link, title=any_text, url=urls, source=maybe_text, published=when)
points = st.builds(Point, text=any_text, sources=st.just(()), method=st.sampled_from(["extractive", "abstractive"]))
stories = st.builds(StoryBrief, title=any_text, points=st.lists(points, max_size=4).map(tuple),
                    links=st.lists(links, max_size=4).map(tuple), published=when, note=maybe_text)
digests = st.builds(Digest, heading=any_text, stories=st.lists(stories, max_size=12).map(tuple),
                    generated_at=st.datetimes(timezones=st.just(UTC)), empty_message=maybe_text,
                    notices=st.lists(any_text, max_size=3).map(tuple))
answers = st.builds(
    FigureAnswer, question=any_text, figure=maybe_text, intent=st.sampled_from(["said", "who", "latest"]),
    quotes=st.lists(st.builds(QuoteItem, speaker=any_text, quote=any_text, partial=st.booleans(), link=links),
                    max_size=8).map(tuple),
    mentions=st.lists(st.builds(MentionItem, sentence=any_text, link=links), max_size=8).map(tuple),
    suggestions=st.lists(any_text, max_size=4).map(tuple), message=maybe_text)
notices = st.builds(Notice, text=any_text, ok=st.booleans(), lines=st.lists(any_text, max_size=6).map(tuple))
replies = st.one_of(digests, answers, notices)


# -- Discord checkers ---------------------------------------------------------------------------------------

DISCORD_MASS = re.compile(r"@(?:everyone|here)", re.IGNORECASE)  # "@" + ZWSP + "everyone" does not match
DISCORD_USER_OR_ROLE = re.compile(r"<@[!&]?\d+>")
# The target of a masked link `[label](url)` is not shown and never parsed for mentions; the renderer
# leaves URLs intact (an "@" in a path is legitimate), so the checker skips them.
DISCORD_LINK_TARGET = re.compile(r"\]\(https?://[^\s<>()]+\)")


def embed_data(embed: Any) -> dict[str, Any]:
    """An embed as the JSON Discord receives."""
    return dict(embed.to_dict())


def discord_strings(message: rd.DiscordMessage) -> Iterator[str]:
    """Every string of a message that Discord renders: content and each embed part."""
    yield message.content
    for embed in message.embeds:
        data = embed_data(embed)
        yield from (data.get("title", ""), data.get("description", ""), (data.get("footer") or {}).get("text", ""),
                    (data.get("author") or {}).get("name", ""))
        for f in data.get("fields", []):
            yield from (f["name"], f["value"])


DISCORD_MASKED_JOIN = "]("  # `[label](target)`: Discord shows the label and links the target
DISCORD_SCHEME = re.compile(r"[a-z][a-z0-9+.\-]*://", re.IGNORECASE)  # a URL a client may linkify


def own_link_targets(reply: Reply) -> set[str]:
    """The source URLs the reply carries (the only links a renderer may make), as Markdown targets."""
    found: list[Link] = []
    if isinstance(reply, Digest):
        found = [link for story in reply.stories for link in story.links]
    elif isinstance(reply, FigureAnswer):
        found = [q.link for q in reply.quotes] + [m.link for m in reply.mentions]
    urls = {link.url for link in found if link.url}
    return urls | {u.replace("(", "%28").replace(")", "%29") for u in urls}


def article_links(text: str, own: set[str], *, bare_urls: bool = True) -> list[str]:
    """Clickable links in a rendered Discord string that are not the reply's own source links."""
    for url in sorted(own, key=len, reverse=True):
        text = text.replace(f"]({url})", "]").replace(url, "")
    found = [DISCORD_MASKED_JOIN] * text.count(DISCORD_MASKED_JOIN)
    if bare_urls:
        found += DISCORD_SCHEME.findall(text)
    return found


def assert_discord_ok(messages: list[rd.DiscordMessage], own_links: set[str] | None = None, *,
                      notice: bool = False) -> None:
    """Within every Discord limit (the renderer's constants), no live user, role or mass mention, and (when
    `own_links` is given) no clickable link but those. Notices, the core's own words, may show bare URLs."""
    assert messages, "a reply rendered to nothing"
    for m in messages:
        assert m.content or m.embeds, "an empty message"
        assert len(m.content) <= rd.CONTENT_LIMIT
        assert len(m.embeds) <= rd.EMBEDS_PER_MESSAGE
        assert sum(len(e) for e in m.embeds) <= rd.EMBED_TOTAL_LIMIT
        for embed in m.embeds:
            data = embed_data(embed)
            assert data.get("title") or data.get("description") or data.get("fields"), data
            assert len(data.get("title", "")) <= rd.EMBED_TITLE_LIMIT
            assert len(data.get("description", "")) <= rd.EMBED_DESCRIPTION_LIMIT
            assert len(data.get("url", "")) <= rd.URL_LIMIT
            assert len((data.get("footer") or {}).get("text", "")) <= rd.FOOTER_LIMIT
            assert len(data.get("fields", [])) <= rd.EMBED_FIELDS_LIMIT
            for f in data.get("fields", []):
                assert 0 < len(f["name"]) <= rd.FIELD_NAME_LIMIT
                assert 0 < len(f["value"]) <= rd.FIELD_VALUE_LIMIT
        for text in discord_strings(m):
            if own_links is not None:
                assert article_links(text, own_links, bare_urls=not notice) == [], text
            text = DISCORD_LINK_TARGET.sub("]()", text)
            assert not DISCORD_MASS.search(text), text
            assert not DISCORD_USER_OR_ROLE.search(text), text


# -- Slack checkers -----------------------------------------------------------------------------------------

SLACK_CONTROL = re.compile(r"<[!@#]")
SLACK_BROADCAST = re.compile(r"@(?:channel|here|everyone)\b", re.IGNORECASE)
SLACK_CHANNEL_LINK = re.compile(r"<#[A-Z0-9]{2,}>")  # what the core writes in notices; never pings
SLACK_LINK_TARGET = re.compile(r"<https?://[^\s<>|]+\|")  # a link's target is not parsed for mentions


def slack_texts(value: Any, kind: str) -> Iterator[str]:
    """Every text object of one kind (`mrkdwn` or `plain_text`) in a block tree."""
    if isinstance(value, dict):
        if value.get("type") == kind and isinstance(value.get("text"), str):
            yield value["text"]
        for v in value.values():
            yield from slack_texts(v, kind)
    elif isinstance(value, list):
        for v in value:
            yield from slack_texts(v, kind)


def assert_slack_ok(messages: list[rs.SlackMessage], *, notice: bool = False) -> None:
    """Within every Slack limit (the renderer's constants and the real API's, via the fake) and nothing
    that Slack would turn into a ping, a user/channel mention or a broadcast. Notices may carry the
    `<#C…>` channel links the core writes on purpose."""
    assert messages, "a reply rendered to nothing"
    for m in messages:
        assert len(m.text) <= SLACK_TEXT_CHARS  # may be empty: blocks carry the message
        assert 0 < len(m.blocks) <= rs.MAX_BLOCKS
        assert rs.block_chars(m.blocks) <= rs.MESSAGE_MAX_CHARS
        assert limit_problems(m.text, m.blocks) == []
        for block in m.blocks:
            if block["type"] == "header":
                assert 0 < len(block["text"]["text"]) <= rs.HEADER_MAX_CHARS
            elif block["type"] == "section":
                assert 0 < len(block["text"]["text"]) <= rs.SECTION_MAX_CHARS
            elif block["type"] == "context":
                elements = block["elements"]
                assert 0 < len(elements) <= rs.CONTEXT_MAX_ELEMENTS
                assert sum(len(e["text"]) for e in elements) <= rs.CONTEXT_BLOCK_MAX_CHARS
                assert all(e["text"] for e in elements)
            else:
                assert block["type"] == "divider", block
        for text in [m.text, *slack_texts(m.blocks, "mrkdwn"), *slack_texts(m.blocks, "plain_text")]:
            text = SLACK_LINK_TARGET.sub("<link|", text)
            if notice:
                text = SLACK_CHANNEL_LINK.sub("", text)
            assert not SLACK_CONTROL.search(text), text
            assert not SLACK_BROADCAST.search(text), text


def assert_renders_safely(reply: Reply) -> None:
    assert_discord_ok(rd.render(reply), own_link_targets(reply), notice=isinstance(reply, Notice))
    assert_slack_ok(rs.render(reply), notice=isinstance(reply, Notice))


def hang_guard(fn: Callable[[], T], seconds: float = HANG_GUARD_S) -> T:
    """Run `fn` in a worker thread and fail if it has not returned after `seconds` (a hang, not slowness)."""
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    try:
        return pool.submit(fn).result(timeout=seconds)
    except concurrent.futures.TimeoutError:
        pytest.fail(f"still running after {seconds:.0f} s: treated as a hang")
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


# -- segmentation, quotes, three things ------------------------------------------------------------------

def assert_sentences_valid(text: str, sentences: list[Sentence]) -> None:
    previous_end = 0
    for s in sentences:
        assert 0 <= s.start < s.end <= len(text)
        assert text[s.start:s.end] == s.text
        assert s.start >= previous_end, "sentences overlap or are out of order"
        previous_end = s.end


@PROPS
@given(st.one_of(hostile_text(max_size=400), long_text()))
@example("Mr. Smith went to Washington.  “Is it done?” he asked... \n\nYes!  ")
@example("!!! ??? … 🎉🎉 —— ...")
@example("\u202e\u200b\x00")
def test_split_sentences_offsets_slice_the_text(text: str) -> None:
    assert_sentences_valid(text, split_sentences(text))


@pytest.fixture(scope="module")
def spacy_loaded() -> None:
    """Load the spaCy pipeline once, so its load time does not count against an example's deadline."""
    get_nlp()


quote_text = st.lists(st.sampled_from(("“", "”", '"', "'", "‘", "’", "«", "»", "\n", "\n\n", " ", ", ",
                                       " he said.", " said Jane Rivera.", "Trump told Musk: ", "It's ",
                                       "“nested ‘inner “deep” words’ out”", "O'Brien'", "\u202e", "\u200b"))
                      | WORDS | hostile_text(max_size=30), max_size=40).map("".join)


@QUOTE_PROPS
@given(quote_text)
@example("“Unbalanced, he said.")
@example("”Backwards“ quotes, she said. \"")
@example("“A ‘nested “deep” quote’ here,” said Angela Merkel.")
def test_extract_quotes_offsets_match_the_text(spacy_loaded: None, text: str) -> None:
    for q in extract_quotes(text):
        assert 0 <= q.start <= q.end <= len(text)
        assert q.quote == text[q.start:q.end]


@PROPS
@given(st.one_of(hostile_text(max_size=400), long_text(),
                 st.lists(st.sampled_from(PIECES) | WORDS, max_size=80).map(" ".join)))
@example("")
@example("🎉 !!! ??? … —")
def test_three_things_without_a_model_is_grounded(text: str) -> None:
    result = three_things(text, model=None)
    assert len(result.points) <= 3
    if len(result.points) < 3:
        assert result.note
    for point in result.points:
        assert point.sources
        assert_sentences_valid(text, sorted(point.sources, key=lambda s: s.start))


# -- renderers --------------------------------------------------------------------------------------------

@RENDER_PROPS
@given(digests)
def test_any_digest_renders_within_limits_without_mentions(digest: Digest) -> None:
    assert_renders_safely(digest)


@RENDER_PROPS
@given(answers)
def test_any_figure_answer_renders_within_limits_without_mentions(answer: FigureAnswer) -> None:
    assert_renders_safely(answer)


@RENDER_PROPS
@given(notices)
def test_any_notice_renders_within_limits_without_mentions(notice: Notice) -> None:
    assert_renders_safely(notice)


@PROPS
@given(st.lists(st.sampled_from(MENTIONS), min_size=1, max_size=6), hostile_text(max_size=80), st.data())
def test_injected_mentions_never_survive(mentions: list[str], base: str, data: st.DataObject) -> None:
    """Every mention syntax, at random offsets of every text field, is inert on both platforms."""
    def spiked() -> str:
        text = base
        for mention in mentions:
            at = data.draw(st.integers(0, len(text)))
            text = text[:at] + mention + text[at:]
        return text

    link = Link(title=spiked(), url="https://news.example/" + spiked(), source=spiked())
    story = StoryBrief(title=spiked(), points=(Point(spiked(), ()),), links=(link,), note=spiked())
    replies: list[Reply] = [
        Digest(heading=spiked(), stories=(story,), generated_at=datetime.now(UTC), notices=(spiked(),)),
        Digest(heading=spiked(), stories=(), generated_at=datetime.now(UTC), empty_message=spiked()),
        FigureAnswer(question=spiked(), figure=spiked(), intent="said", message=spiked(),
                     quotes=(QuoteItem(spiked(), spiked(), True, link),), mentions=(MentionItem(spiked(), link),),
                     suggestions=(spiked(),)),
        Notice(spiked(), ok=False, lines=(spiked(),)),
    ]
    for reply in replies:
        assert_renders_safely(reply)


@st.composite
def lure_text(draw: st.DrawFn) -> str:
    """Short hostile text with one to six link lures (and maybe mentions) at random offsets."""
    text = draw(st.text(max_size=80))
    for piece in draw(st.lists(st.sampled_from(LINKS), min_size=1, max_size=6)) + draw(
            st.lists(st.sampled_from(PIECES + MENTIONS), max_size=3)):
        at = draw(st.integers(0, len(text)))
        text = text[:at] + piece + text[at:]
    return text


lure_links = st.builds(Link, title=lure_text(), source=st.none() | lure_text(), published=when,
                       url=st.none() | lure_text() | st.sampled_from(["https://news.example/a?b=(1)",
                                                                        "https://news.example/x"]))
hostile_articles = st.builds(
    StoryBrief, title=lure_text(), points=st.lists(st.builds(Point, text=lure_text(), sources=st.just(())),
                                                   min_size=1, max_size=3).map(tuple),
    links=st.lists(lure_links, min_size=1, max_size=3).map(tuple), published=when, note=st.none() | lure_text())
ARTICLES_PER_EXAMPLE = 4
FUZZ_EXAMPLES = 250  # x 4 articles = 1,000 generated hostile articles


@settings(PROPS, max_examples=FUZZ_EXAMPLES)
@given(st.lists(hostile_articles, min_size=ARTICLES_PER_EXAMPLE, max_size=ARTICLES_PER_EXAMPLE))
def test_no_clickable_link_from_article_text_on_discord(articles: list[StoryBrief]) -> None:
    """1,000 hostile articles (titles, points, notes, link labels and sources full of masked links,
    autolinks and bare URLs) through the Discord renderer: the only links are our own source links."""
    digest = Digest(heading="Three things to know", stories=tuple(articles), generated_at=datetime.now(UTC))
    own = own_link_targets(digest)
    messages = rd.render(digest)
    found = [link for m in messages for text in discord_strings(m) for link in article_links(text, own)]
    assert found == []
    for story in articles:  # and every own source link is still there
        for link in story.links:
            if link.url == "https://news.example/x":
                assert any("](https://news.example/x)" in text for m in messages for text in discord_strings(m))


def test_every_field_one_megabyte_at_a_time() -> None:
    """A 1 MB string (mentions, RTL, scripts and controls throughout) in each text field in turn."""
    unit = "Pranksters wrote @everyone <@123> <!channel> <#C123> مرحبا \u202e<script>x</script>\x00 here. "
    big = (unit * (MEGABYTE // len(unit) + 1))[:MEGABYTE]
    link = Link(title="Outlet", url="https://news.example/a", source="Outlet")
    story = StoryBrief(title="Title", points=(Point("A point.", ()),), links=(link,))
    now = datetime.now(UTC)
    replies: list[Reply] = [
        Digest(heading=big, stories=(story,), generated_at=now),
        Digest(heading="Briefing", stories=(StoryBrief(title=big, points=(), links=(link,)),), generated_at=now),
        Digest(heading="Briefing", stories=(StoryBrief(title="T", points=(Point(big, ()),), links=()),),
               generated_at=now),
        Digest(heading="Briefing", stories=(StoryBrief(title="T", points=(), links=(), note=big),), generated_at=now),
        Digest(heading="Briefing", stories=(StoryBrief(title="T", points=(), links=(
            Link(title=big, url="https://news.example/" + big, source=big),)),), generated_at=now),
        Digest(heading="Briefing", stories=(), generated_at=now, empty_message=big, notices=(big,)),
        FigureAnswer(question=big, figure=big, intent="who", message=big),
        FigureAnswer(question="q", figure="X", intent="said", quotes=(QuoteItem(big, big, False, link),),
                     mentions=(MentionItem(big, link),), suggestions=(big,)),
        Notice(big, ok=False, lines=(big,)),
    ]
    for reply in replies:
        hang_guard(lambda reply=reply: assert_renders_safely(reply))  # type: ignore[misc]


# -- ingestion → three things → renderers ---------------------------------------------------------------

def _brief_from_file(path: Path, text: str) -> list[Reply]:
    """Load `text` from a file the way `briefbot ingest` does, brief every article, render both ways."""
    path.write_text(text, encoding="utf-8")
    config = Settings(database_url="sqlite://", model="none")
    [result] = list(load_inputs([str(path)], config))
    assert result.error is None or isinstance(result.error, str)
    replies: list[Reply] = []
    bodies: list[tuple[str, str | None]] = [(a.text, a.title) for a in result.articles] or [(text, None)]
    # (text that ingestion refused, e.g. with no words at all, still goes through three_things raw)
    for body, title in bodies:
        tt = three_things(body, title=title, model=None)
        assert len(tt.points) <= 3
        for p in tt.points:
            assert_sentences_valid(body, sorted(p.sources, key=lambda s: s.start))
        story = StoryBrief(title=title or "Untitled", points=tt.points,
                           links=(Link(title=title or "", url="https://news.example/x", source="Test"),),
                           note=tt.note)
        replies.append(Digest(heading="Three things to know", stories=(story,), generated_at=datetime.now(UTC)))
    for reply in replies:
        assert_renders_safely(reply)
    return replies


def test_one_megabyte_article_end_to_end(tmp_path: Path) -> None:
    sentences = [
        "Parliament passed the budget by 312 votes to 250 on Tuesday after a long debate.",
        "The chancellor said income tax thresholds would rise in April, according to officials.",
        "Pranksters posted @everyone and <@123> and <!channel> in the forum, moderators said.",
        "“We will not back down,” said Jane Rivera, the mayor, in a speech to the council.",
        "Critics called the plan a gamble <script>alert(1)</script> with public services.",
        "مرحبا \u202e reversed text \u200b with zero-width spaces was also posted there.",
    ]
    paragraphs = [" ".join(sentences[(i + k) % len(sentences)] for k in range(4)) for i in range(len(sentences))]
    text = "Budget passes after marathon debate\n\n" + "\n\n".join(paragraphs)
    text = (text + "\n\n") * (MEGABYTE // len(text) + 1)
    replies = hang_guard(lambda: _brief_from_file(tmp_path / "big.txt", text[:MEGABYTE]))
    story = replies[0].stories[0]  # type: ignore[union-attr]
    assert len(story.points) == 3


@pytest.mark.parametrize("text", ["!!! ??? … —— ... ;;; :::", "🎉🎉🎉 👨‍👩‍👧 🇺🇸 ★★★ 🎉", "“” ‘’ «» \"\" ... !!!\n\n???"])
def test_zero_sentence_text_end_to_end(tmp_path: Path, text: str) -> None:
    replies = hang_guard(lambda: _brief_from_file(tmp_path / "empty.txt", text))
    for reply in replies:
        assert isinstance(reply, Digest)
        for story in reply.stories:
            assert story.points == () and story.note

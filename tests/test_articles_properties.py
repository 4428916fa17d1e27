"""Property tests: hostile input never crashes ingestion, and cleaning/splitting lose or invent nothing."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.articles.clean import clean_text
from bot.articles.dedupe import canonical_url, near_duplicate
from bot.articles.feeds import parse_feed
from bot.articles.loaders import LoadError, decode_text, extract_html
from bot.articles.split import split_stories

FAST = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Text that looks like scraped news: words, headline-ish lines, chrome, quotes, RTL and control characters.
_pieces = st.sampled_from([
    "The Senate passed the bill on Tuesday.", "Governor Lena Ortiz Resigns After Inquiry", "Show more",
    "Jane Doe / Pool via REUTERS", "@cnn", "♬ original sound - CNN", "Post a Comment", "“Quote,” he said.",
    "But critics disagreed.", "WASHINGTON (AP) — Lawmakers met.", "مرحبا بالعالم", "\u202e\u200f", "\x00\x07",
    "Read more: Things to know", "This photo shows the scene", "\n", "\n\n", "\r\n", "  ", "\t", "—", "…",
])
news_like = st.lists(st.one_of(_pieces, st.text(max_size=40)), max_size=40).map(" ".join)


def _paragraphs(text: str) -> list[str]:
    return [p for p in re.split(r"\n\s*\n", text) if p.strip()]


@FAST
@given(news_like)
def test_clean_text_output_shape(text: str) -> None:
    cleaned = clean_text(text)
    assert "\n\n\n" not in cleaned
    assert cleaned == cleaned.strip()
    assert all(p == p.strip() for p in cleaned.split("\n\n"))
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", cleaned)


@FAST
@given(news_like)
def test_split_loses_and_invents_nothing(text: str) -> None:
    cleaned = clean_text(text)
    stories = split_stories(cleaned)
    rebuilt: list[str] = []
    for title, body in stories:
        rebuilt += ([title] if title else []) + _paragraphs(body)
    assert rebuilt == _paragraphs(cleaned)


@FAST
@given(st.text(max_size=200))
def test_canonical_url_never_crashes_and_is_stable(url: str) -> None:
    once = canonical_url(url)
    assert canonical_url(once) == once


@FAST
@given(st.text(max_size=300), st.text(max_size=300))
def test_near_duplicate_is_symmetric(a: str, b: str) -> None:
    assert near_duplicate(a, b) == near_duplicate(b, a)
    assert near_duplicate(a, a)


@FAST
@given(st.binary(max_size=2000))
def test_decoders_and_parsers_fail_only_with_load_error(data: bytes) -> None:
    for parse in (decode_text, parse_feed, extract_html):
        try:
            parse(data)
        except LoadError:
            pass


@FAST
@given(st.text(max_size=400))
def test_feed_parser_on_xmlish_text(text: str) -> None:
    body = f"<?xml version='1.0'?><rss version='2.0'><channel><item><title>{text}</title>" \
           f"<description>{text}</description></item></channel></rss>".encode()
    try:
        parse_feed(body)
    except LoadError:
        pass

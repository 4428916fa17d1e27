"""De-duplication: canonical URLs and near-duplicate text."""

from __future__ import annotations

import pytest

from bot.articles.dedupe import canonical_url, near_duplicate
from bot.articles.models import Article

# Own synthetic stories: two outlets' rewrites of A and of B, and C, which shares A's vocabulary
# (Senate, Tuesday, vote, Senator Tom Hale) but is a different event.
A1 = ("The Senate approved a $1.2 trillion spending package on Tuesday by a vote of 68 to 31, sending the bill "
      "to the House. Majority Leader Ana Ruiz said the deal keeps federal agencies funded through December. "
      "Republicans led by Senator Tom Hale opposed the measure, arguing it does too little to cut the deficit.")
A2 = ("Senators voted 68-31 on Tuesday to pass a $1.2 trillion funding bill that now heads to the House. The "
      "package keeps the government open until December, Majority Leader Ana Ruiz told reporters. Senator Tom "
      "Hale, who voted against it, said the bill ignores the deficit.")
B1 = ("Governor Lena Ortiz of New Mexico resigned on Monday after an ethics inquiry found she used state "
      "aircraft for campaign travel. Lieutenant Governor Sam Reyes will be sworn in on Wednesday. Ortiz denied "
      "wrongdoing in a brief statement.")
B2 = ("New Mexico Governor Lena Ortiz stepped down Monday, days after investigators concluded she flew state "
      "planes to campaign events. Her deputy, Sam Reyes, takes office Wednesday. In a statement, Ortiz said she "
      "had done nothing wrong.")
C1 = ("The Senate on Tuesday confirmed Maria Chen as ambassador to Japan by a vote of 52 to 47. Chen, a former "
      "trade negotiator, is expected to arrive in Tokyo next month. Senator Tom Hale praised her experience in Asia.")


@pytest.mark.parametrize(("url", "expected"), [
    ("HTTPS://WWW.Example.COM/Politics/Story/", "https://example.com/Politics/Story"),
    ("http://example.com/a?utm_source=x&utm_medium=y&id=7&fbclid=abc&gclid=z", "https://example.com/a?id=7"),
    ("https://example.com/a#comments", "https://example.com/a"),
    ("https://example.com/a?b=2&a=1", "https://example.com/a?a=1&b=2"),
    ("https://example.com:443/a", "https://example.com/a"),
    ("http://example.com:8080/a", "https://example.com:8080/a"),
    ("https://amp.example.com/a", "https://example.com/a"),
    ("https://m.example.com/a", "https://example.com/a"),
    ("https://example.com/amp/politics/story", "https://example.com/politics/story"),
    ("https://example.com/politics/story/amp", "https://example.com/politics/story"),
    ("https://example.com/politics/story.amp.html", "https://example.com/politics/story.html"),
    ("https://example.com/politics/story?outputType=amp", "https://example.com/politics/story"),
    ("https://www-example-com.cdn.ampproject.org/c/s/www.example.com/politics/story",
     "https://example.com/politics/story"),
    ("https://example.com//a/./b/../c", "https://example.com/a/c"),
    ("https://example.com/", "https://example.com/"),
    ("https://example.com", "https://example.com/"),
    ("https://example.com/live#story-2", "https://example.com/live#story-2"),
    ("  not a url  ", "not a url"),
    ("mailto:someone@example.com", "mailto:someone@example.com"),
    ("http://[::1", "http://[::1"),
])
def test_canonical_url(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


def test_canonical_url_is_idempotent() -> None:
    url = "http://www.example.com/amp/a/b/?utm_campaign=x&q=1#top"
    once = canonical_url(url)
    assert canonical_url(once) == once


def test_identical_text_has_identical_hash() -> None:
    assert Article(text=A1).content_hash == Article(text="  " + A1.upper() + "\n").content_hash
    assert Article(text=A1).content_hash != Article(text=A2).content_hash


def test_near_duplicate_catches_syndicated_copies() -> None:
    syndicated = A1 + " This story has been updated."
    assert near_duplicate(A1, syndicated)
    assert near_duplicate(A1, A1.replace("Tuesday", "Tuesday night"))
    assert not near_duplicate(A1, A2)  # a rewrite is not a near-duplicate
    assert not near_duplicate(A1, C1)


def test_near_duplicate_edge_cases() -> None:
    assert near_duplicate("", "")
    assert near_duplicate("Short text.", "short text")
    assert not near_duplicate("Short text.", "Other text.")
    assert near_duplicate(A1, A2, threshold=0.0)

"""URL inputs through `load_inputs`: feeds, article pages, conditional GET and failures, on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import httpx
import pytest
from test_articles_fetch import LocalServer

from bot.articles.dedupe import canonical_url
from bot.articles.fetch import MemoryHttpCache
from bot.articles.ingest import LoadResult, load_inputs
from bot.settings import Settings

FIXTURES = Path(__file__).parent / "fixtures" / "articles"


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with LocalServer() as srv:
        yield srv


def fixture_bytes(name: str, srv: LocalServer) -> bytes:
    return (FIXTURES / name).read_text(encoding="utf-8").replace("{base}", srv.base).encode()


def load_one(url: str, srv: LocalServer, **kwargs: object) -> LoadResult:
    [result] = list(load_inputs([url], srv.settings(**kwargs)))
    return result


def test_rss_feed(server: LocalServer) -> None:
    server.add("/rss", fixture_bytes("rss.xml", server), headers={"Content-Type": "application/rss+xml"})
    server.add("/page.html", (FIXTURES / "page.html").read_bytes(), headers={"Content-Type": "text/html"})
    result = load_one(server.url("/rss"), server)
    assert result.error is None, result.error
    titles = [a.title for a in result.articles]
    assert titles == ["Senate approves stopgap spending bill", "Governor Ortiz resigns after ethics inquiry",
                      "Governor signs water rights compromise"]
    stopgap, ortiz, water = result.articles
    # Full content beats the teaser, HTML becomes paragraphs, chrome inside the entry is cleaned.
    assert stopgap.text == ("The Senate approved a stopgap spending bill late on Friday, averting a government "
                            "shutdown hours before funding was set to lapse.\n\nMajority Leader Ana Ruiz said the "
                            "bill keeps agencies open through the end of January.")
    assert stopgap.source == "Statehouse Wire"
    assert stopgap.published == datetime(2024, 12, 13, 23, 10, tzinfo=UTC)
    assert ortiz.text.startswith("Governor Lena Ortiz of New Mexico resigned on Monday")
    assert ortiz.url == server.url("/stories/ortiz?utm_source=rss")
    assert canonical_url(ortiz.url or "") == f"https://127.0.0.1:{server.port}/stories/ortiz"
    # The third entry has no text: its page was fetched and extracted.
    assert "Dolores Vega" in water.text
    assert water.published == datetime(2024, 5, 14, 12, 0, tzinfo=UTC)
    assert [path for path, _ in server.requests] == ["/rss", "/page.html"]


def test_atom_feed(server: LocalServer) -> None:
    server.add("/atom", fixture_bytes("atom.xml", server), headers={"Content-Type": "application/atom+xml"})
    result = load_one(server.url("/atom"), server)
    assert [a.title for a in result.articles] == ["House panel delays vote on election security bill",
                                                  "Mayor Nand unveils budget with no tax increase"]
    panel, budget = result.articles
    assert panel.text.endswith("Chair Maria Chen said the panel would take up the bill again in January.")
    assert panel.url == "https://notes.example/house-panel-delays"
    assert budget.published == datetime(2024, 12, 15, 9, 30, tzinfo=UTC)
    assert budget.source == "Capitol Notes"


def test_feed_detected_by_content_not_content_type(server: LocalServer) -> None:
    server.add("/feed.php", fixture_bytes("atom.xml", server), headers={"Content-Type": "text/html"})
    assert len(load_one(server.url("/feed.php"), server).articles) == 2


def test_broken_feed(server: LocalServer) -> None:
    server.add("/broken", fixture_bytes("broken_feed.xml", server), headers={"Content-Type": "application/rss+xml"})
    result = load_one(server.url("/broken"), server)
    assert result.articles == []
    assert result.error is not None and result.error.startswith("feed XML is broken: ")


def test_recoverable_feed_keeps_entries_with_a_warning(server: LocalServer) -> None:
    body = (b"<rss version='2.0'><channel><title>T</title><item><title>Budget vote</title>"
            b"<description>Council & mayor agree on the budget after a long night of talks.</description>"
            b"</item></channel></rss>")
    server.add("/amp", body, headers={"Content-Type": "application/rss+xml"})
    result = load_one(server.url("/amp"), server)
    assert [a.text for a in result.articles] == ["Council & mayor agree on the budget after a long night of talks."]
    assert result.warnings and result.warnings[0].startswith("feed XML is broken (")


def test_html_article_page(server: LocalServer) -> None:
    server.add("/politics/water", (FIXTURES / "page.html").read_bytes(),
               headers={"Content-Type": "text/html; charset=utf-8"})
    [article] = load_one(server.url("/politics/water"), server).articles
    assert article.title == "Governor signs water rights compromise"
    assert article.text.startswith("Governor Lena Ortiz signed a compromise on water rights")
    assert "Most read" not in article.text and "Copyright" not in article.text
    assert article.url == server.url("/politics/water")
    assert article.published == datetime(2024, 5, 14, tzinfo=UTC)


def test_aggregated_page_gets_story_urls(server: LocalServer) -> None:
    server.add("/live", (FIXTURES / "aggregated.txt").read_bytes(), headers={"Content-Type": "text/plain"})
    result = load_one(server.url("/live"), server)
    assert [a.url for a in result.articles] == [server.url("/live"), server.url("/live") + "#story-2"]
    assert [a.extra["story"] for a in result.articles] == ["1/2", "2/2"]
    assert len({canonical_url(a.url or "") for a in result.articles}) == 2


def test_json_url(server: LocalServer) -> None:
    server.add("/api", (FIXTURES / "records.json").read_bytes(), headers={"Content-Type": "application/json"})
    result = load_one(server.url("/api"), server)
    assert len(result.articles) == 2 and result.warnings == ["record 2: missing 'text' field"]


def test_not_modified(server: LocalServer) -> None:
    body = fixture_bytes("atom.xml", server)

    def handler(req: BaseHTTPRequestHandler) -> None:
        if req.headers.get("If-None-Match") == '"abc"':
            req.send_response(304)
            req.end_headers()
            return
        req.send_response(200)
        req.send_header("ETag", '"abc"')
        req.send_header("Content-Length", str(len(body)))
        req.end_headers()
        req.wfile.write(body)

    server.add("/atom", handler=handler)
    cache = MemoryHttpCache()
    settings = server.settings()
    first, second = list(load_inputs([server.url("/atom"), server.url("/atom")], settings, cache=cache))
    assert len(first.articles) == 2 and not first.not_modified
    assert second.not_modified and second.articles == [] and second.error is None


def test_failures_are_results_not_exceptions(server: LocalServer) -> None:
    server.add("/slow", "late", delay=5.0)
    server.add("/big", b"x" * 4000, headers={"Content-Type": "text/plain"})
    server.add("/pdf", b"%PDF-1.7", headers={"Content-Type": "application/pdf"})
    server.add("/empty", b"", headers={"Content-Type": "text/html"})
    server.add("/go", status=302, headers={"Location": "http://169.254.169.254/latest/meta-data/"})
    urls = [server.url(p) for p in ("/slow", "/big", "/pdf", "/empty", "/go", "/missing")]
    results = list(load_inputs(urls, server.settings(fetch_timeout_s=0.5, max_article_bytes=1000)))
    assert [r.error for r in results] == [
        "timed out after 0.5 s",
        "body larger than 1000 bytes",
        "unsupported content type application/pdf (expected an article page, a feed or text)",
        "empty response",
        "refused: 169.254.169.254 is a cloud metadata address",
        "HTTP 404 Not Found",
    ]
    assert all(r.articles == [] for r in results)


def test_given_client_is_used_and_left_open(server: LocalServer) -> None:
    server.add("/a", "The council approved the plan on Tuesday after a long debate.",
               headers={"Content-Type": "text/plain"})
    with httpx.Client() as client:
        [result] = list(load_inputs([server.url("/a")], server.settings(), client=client))
        assert result.articles and not client.is_closed


def test_non_english_and_misdecoded_text_is_refused_with_a_reason(tmp_path: Path) -> None:
    from bot.articles.language import looks_english

    french = tmp_path / "fr.txt"
    french.write_bytes("Le sénat a voté la loi sur les retraites mardi. Le gouvernement a salué le résultat "
                       "et l'opposition a dénoncé une réforme injuste pour les travailleurs.".encode("cp1252"))
    garbage = tmp_path / "bom.txt"
    garbage.write_bytes(b"\xff\xfe" + b"Senate passes the bill" * 5)
    for path, reason in ((french, "not English"), (garbage, "not valid UTF-16")):
        (result,) = load_inputs([str(path)], Settings())
        assert not result.articles and result.error and reason in result.error
    assert looks_english("The Senate passed the bill on Tuesday, and the House is expected to vote on it next week.")
    assert looks_english("Short headline")


def test_huge_titles_are_shortened_at_a_word(tmp_path: Path) -> None:
    import json

    path = tmp_path / "t.json"
    path.write_text(json.dumps({"title": "Senate " * 5000, "text": "The Senate voted on the bill on Tuesday."}))
    (result,) = load_inputs([str(path)], Settings())
    title = result.articles[0].title
    assert len(title) <= 300 and title.endswith("…") and title.startswith("Senate Senate")

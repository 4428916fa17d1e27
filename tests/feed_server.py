"""A local feed server on 127.0.0.1 for tests and benchmarks: RSS feeds, pages that link to them,
failures on demand, conditional GET, and a record of how many requests each host had in flight.

Routes are set per path (`serve_feed`, `serve_page`, `fail`); the `Host` header is recorded, so one
server can stand for several hosts (127.0.0.1, localhost, 127.0.0.2, ...).
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.sax.saxutils import escape


@dataclass
class Route:
    status: int
    content_type: str
    body: bytes
    etag: str | None = None


def rss(title: str, items: list[tuple[str, str, str]], *, newest: datetime | None = None) -> bytes:
    """An RSS 2.0 feed; items are (title, link, text), newest first, an hour apart."""
    newest = newest or datetime(2026, 3, 2, 9, tzinfo=UTC)
    entries = "".join(
        f"<item><title>{escape(t)}</title><link>{escape(link)}</link>"
        f"<pubDate>{format_datetime(newest - timedelta(hours=n))}</pubDate>"
        f"<description>{escape(text)}</description></item>"
        for n, (t, link, text) in enumerate(items))
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{escape(title)}</title>'
            f"<link>https://example.org/</link><description>test</description>{entries}</channel></rss>").encode()


_NOUNS = ("budget council harbour railway school hospital tariff pension border election court army river "
          "housing farm energy port bridge library police treaty museum market union festival airport").split()
_VERBS = ("approved rejected delayed funded questioned welcomed blocked praised reviewed expanded cut "
          "defended announced").split()


def story(topic: str, outlet: str, n: int = 0) -> str:
    """A short English news text about a topic; texts for different (topic, outlet, n) share no run of
    words long enough to look like near-duplicates to the store."""
    rng = random.Random(f"{topic}|{outlet}|{n}")
    sentences = []
    for _ in range(5):
        a, b = rng.sample(_NOUNS, 2)
        sentences.append(f"The {a} {rng.choice(_VERBS)} the {topic} {b} plan {rng.randint(2, 9999)} on "
                         f"{rng.choice(['Monday', 'Tuesday', 'Friday'])}, said {outlet} officials.")
    return " ".join(sentences)


class FeedServer:
    """Serve routes on 127.0.0.1 in a background thread; `delay` slows every answer (seconds)."""

    def __init__(self, *, delay: float = 0.0, host: str = "127.0.0.1") -> None:
        self.routes: dict[str, Route] = {}
        self.delay = delay
        self.requests: list[tuple[str, str]] = []  # (host, path)
        self.not_modified = 0
        self.max_in_flight: Counter[str] = Counter()
        self._in_flight: Counter[str] = Counter()
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
                return

            def do_GET(self) -> None:  # noqa: N802 - stdlib name
                host = (self.headers.get("Host") or "").split(":")[0]
                with server._lock:
                    server.requests.append((host, self.path))
                    server._in_flight[host] += 1
                    server.max_in_flight[host] = max(server.max_in_flight[host], server._in_flight[host])
                try:
                    if server.delay:
                        time.sleep(server.delay)
                    route = server.routes.get(self.path)
                    if route is None:
                        self._answer(404, "text/plain", b"not found")
                    elif route.etag and self.headers.get("If-None-Match") == route.etag:
                        with server._lock:
                            server.not_modified += 1
                        self._answer(304, route.content_type, b"", route.etag)
                    else:
                        self._answer(route.status, route.content_type, route.body, route.etag)
                finally:
                    with server._lock:
                        server._in_flight[host] -= 1

            def _answer(self, status: int, content_type: str, body: bytes, etag: str | None = None) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                if etag:
                    self.send_header("ETag", etag)
                self.end_headers()
                if body:
                    self.wfile.write(body)

        self.host = host  # any 127.x.y.z: Linux routes the whole block to loopback, so each is its own "host"
        self.httpd = ThreadingHTTPServer((host, 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="feed-server", daemon=True)

    def start(self) -> FeedServer:
        self._thread.start()
        return self

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def url(self, path: str, host: str | None = None) -> str:
        return f"http://{host or self.host}:{self.port}{path}"

    def serve_feed(self, path: str, title: str, items: list[tuple[str, str, str]], *,
                   etag: str | None = None) -> str:
        self.routes[path] = Route(200, "application/rss+xml", rss(title, items), etag)
        return self.url(path)

    def serve_page(self, path: str, feed_path: str) -> str:
        html = (f'<!doctype html><html><head><title>Site</title><link rel="alternate" '
                f'type="application/rss+xml" title="RSS" href="{feed_path}"></head>'
                "<body><p>Welcome.</p></body></html>").encode()
        self.routes[path] = Route(200, "text/html; charset=utf-8", html)
        return self.url(path)

    def fail(self, path: str, status: int = 503) -> None:
        self.routes[path] = Route(status, "text/plain", b"unavailable")

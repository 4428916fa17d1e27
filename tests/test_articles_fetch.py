"""HTTP fetching against a local server on 127.0.0.1, and SSRF checks with a faked resolver (no real DNS)."""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from bot.articles.fetch import (
    MAX_REDIRECTS,
    FetchError,
    MemoryHttpCache,
    blocked_reason,
    check_url,
    fetch,
)
from bot.settings import Settings

# -- a local HTTP server -------------------------------------------------------------------------------


@dataclass
class Route:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering
    drip: float = 0.0  # seconds between body chunks (a slow server)
    handler: Callable[[BaseHTTPRequestHandler], None] | None = None


class LocalServer:
    """A tiny threaded HTTP server with a route table; records the headers of every request."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.stop = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                server.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
                route = server.routes.get(self.path.split("?", 1)[0])
                if route is None:
                    self.send_error(404, "Not Found")
                    return
                if route.delay and server.stop.wait(route.delay):
                    return
                if route.handler is not None:
                    route.handler(self)
                    return
                self.send_response(route.status)
                for key, value in route.headers.items():
                    self.send_header(key, value)
                if "Content-Length" not in route.headers and not route.drip:
                    self.send_header("Content-Length", str(len(route.body)))
                self.end_headers()
                if route.drip:
                    for i in range(0, len(route.body), 16):
                        self.wfile.write(route.body[i:i + 16])
                        self.wfile.flush()
                        if server.stop.wait(route.drip):
                            return
                else:
                    self.wfile.write(route.body)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - keep test output quiet
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.block_on_close = False
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return self.base + path

    def add(self, path: str, body: bytes | str = b"", **kwargs: Any) -> None:
        self.routes[path] = Route(body=body.encode() if isinstance(body, str) else body, **kwargs)

    def settings(self, **overrides: Any) -> Settings:
        """Settings that allow exactly this server (127.0.0.1:port), with short timeouts for tests."""
        values: dict[str, Any] = {"fetch_allow_hosts": [f"127.0.0.1:{self.port}"], "fetch_timeout_s": 2.0}
        values.update(overrides)
        return Settings(**values)

    def __enter__(self) -> LocalServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with LocalServer() as srv:
        yield srv


@pytest.fixture
def fake_dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """Resolve names from this table; everything else (IP literals) goes to the real resolver."""
    table: dict[str, list[str]] = {}
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        name = host.decode() if isinstance(host, bytes) else host
        if name in table:
            out = []
            for ip in table[name]:
                family = socket.AF_INET6 if ":" in ip else socket.AF_INET
                out.append((family, socket.SOCK_STREAM, 6, "", (ip, port or 0)))
            return out
        if name.endswith(".test"):
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return table


# -- address classes -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("address", "reason"), [
    ("127.0.0.1", "a loopback address"),
    ("127.8.9.10", "a loopback address"),
    ("::1", "a loopback address"),
    ("10.0.0.1", "a private address"),
    ("172.16.5.4", "a private address"),
    ("192.168.1.1", "a private address"),
    ("fc00::1", "a private address"),
    ("169.254.1.1", "a link-local address"),
    ("fe80::1", "a link-local address"),
    ("169.254.169.254", "a cloud metadata address"),
    ("fd00:ec2::254", "a cloud metadata address"),
    ("224.0.0.1", "a multicast address"),
    ("ff02::1", "a multicast address"),
    ("0.0.0.0", "an unspecified address"),
    ("::", "an unspecified address"),
    ("240.0.0.1", "a reserved address"),
    ("100.64.0.1", "a non-public address"),
    ("::ffff:127.0.0.1", "a loopback address"),  # IPv4-mapped
    ("::ffff:10.1.2.3", "a private address"),
    ("2002:a00:1::1", "a private address"),  # 6to4 wrapping 10.0.0.1
    ("64:ff9b::a9fe:a9fe", "a cloud metadata address"),  # NAT64 wrapping 169.254.169.254
    ("93.184.216.34", None),
    ("2606:4700:4700::1111", None),
])
def test_blocked_reason(address: str, reason: str | None) -> None:
    assert blocked_reason(ipaddress.ip_address(address)) == reason


@pytest.mark.parametrize(("url", "message"), [
    ("http://10.0.0.1/admin", "refused: 10.0.0.1 is a private address"),
    ("http://169.254.169.254/latest/meta-data/", "refused: 169.254.169.254 is a cloud metadata address"),
    ("http://[fd00:ec2::254]/latest", "refused: fd00:ec2::254 is a cloud metadata address"),
    ("http://127.0.0.1:8080/", "refused: 127.0.0.1 is a loopback address"),
    ("http://[::1]/", "refused: ::1 is a loopback address"),
    ("file:///etc/passwd", "refused: scheme 'file' is not allowed (only http and https)"),
    ("gopher://example.com/", "refused: scheme 'gopher' is not allowed (only http and https)"),
])
def test_check_url_refuses(url: str, message: str) -> None:
    with pytest.raises(FetchError) as info:
        check_url(url, Settings())
    assert str(info.value) == message


def test_hostnames_are_resolved_and_every_address_checked(fake_dns: dict[str, list[str]]) -> None:
    fake_dns["internal.test"] = ["10.9.8.7"]
    fake_dns["rebind.test"] = ["93.184.216.34", "127.0.0.1"]
    fake_dns["public.test"] = ["93.184.216.34"]
    with pytest.raises(FetchError, match=r"^refused: 10\.9\.8\.7 is a private address \(internal\.test resolves"):
        check_url("http://internal.test/", Settings())
    with pytest.raises(FetchError, match=r"^refused: 127\.0\.0\.1 is a loopback address"):
        check_url("https://rebind.test/", Settings())
    with pytest.raises(FetchError, match=r"^could not resolve host nowhere\.test$"):
        check_url("http://nowhere.test/", Settings())
    target = check_url("https://public.test/a?b=1", Settings())
    assert target.connect_url.host == "93.184.216.34"
    assert target.host_header == "public.test"
    assert target.sni == "public.test"


def test_allow_list_matches_host_or_host_and_port() -> None:
    assert check_url("http://127.0.0.1:9/", Settings(fetch_allow_hosts=["127.0.0.1"])).connect_url.port == 9
    assert check_url("http://127.0.0.1:9/", Settings(fetch_allow_hosts=["127.0.0.1:9"])).host_header == "127.0.0.1:9"
    with pytest.raises(FetchError, match="loopback"):
        check_url("http://127.0.0.1:10/", Settings(fetch_allow_hosts=["127.0.0.1:9"]))


def test_connection_is_pinned_to_the_checked_address(fake_dns: dict[str, list[str]]) -> None:
    """The request goes to the IP we checked, with the real name in Host and TLS SNI."""
    fake_dns["news.test"] = ["93.184.216.34"]
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, text="ok", headers={"Content-Type": "text/plain"})

    with httpx.Client(transport=httpx.MockTransport(handler)) as client:
        result = fetch("https://news.test/story?id=1", Settings(), client=client)
    assert result.body == b"ok" and result.final_url == "https://news.test/story?id=1"
    [request] = seen
    assert request.url.host == "93.184.216.34" and request.url.path == "/story"
    assert request.headers["host"] == "news.test"
    assert request.extensions["sni_hostname"] == "news.test"


def test_redirect_to_a_private_name_is_refused_before_connecting(fake_dns: dict[str, list[str]]) -> None:
    fake_dns["news.test"] = ["93.184.216.34"]
    fake_dns["intranet.test"] = ["192.168.0.10"]
    hosts: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        hosts.append(request.headers["host"])
        return httpx.Response(302, headers={"Location": "http://intranet.test/admin"})

    with httpx.Client(transport=httpx.MockTransport(handler)) as client, pytest.raises(FetchError) as info:
        fetch("http://news.test/", Settings(), client=client)
    assert str(info.value) == "refused: 192.168.0.10 is a private address (intranet.test resolves to it)"
    assert hosts == ["news.test"]


# -- against the local server --------------------------------------------------------------------------


def test_plain_fetch(server: LocalServer) -> None:
    server.add("/a", "hello", headers={"Content-Type": "text/plain; charset=ISO-8859-1"})
    result = fetch(server.url("/a"), server.settings())
    assert (result.status, result.body, result.content_type, result.charset) == (200, b"hello", "text/plain",
                                                                                  "ISO-8859-1")
    assert server.requests[0][1]["user-agent"] == Settings().user_agent


def test_loopback_refused_without_allow_list(server: LocalServer) -> None:
    server.add("/a", "hello")
    with pytest.raises(FetchError, match=r"^refused: 127\.0\.0\.1 is a loopback address$"):
        fetch(server.url("/a"), Settings())
    assert server.requests == []


def test_http_error_status(server: LocalServer) -> None:
    with pytest.raises(FetchError, match=r"^HTTP 404 Not Found$"):
        fetch(server.url("/missing"), server.settings())
    server.add("/boom", "x", status=503)
    with pytest.raises(FetchError, match=r"^HTTP 503"):
        fetch(server.url("/boom"), server.settings())


def test_etag_conditional_get(server: LocalServer) -> None:
    def handler(req: BaseHTTPRequestHandler) -> None:
        if req.headers.get("If-None-Match") == '"v1"':
            req.send_response(304)
            req.end_headers()
            return
        body = b"<rss version='2.0'><channel><title>x</title></channel></rss>"
        req.send_response(200)
        req.send_header("ETag", '"v1"')
        req.send_header("Last-Modified", "Mon, 16 Dec 2024 15:00:00 GMT")
        req.send_header("Content-Length", str(len(body)))
        req.end_headers()
        req.wfile.write(body)

    server.add("/feed", handler=handler)
    cache = MemoryHttpCache()
    url = server.url("/feed")
    first = fetch(url, server.settings(), cache=cache)
    assert not first.not_modified and first.etag == '"v1"'
    assert cache.get(url) == ('"v1"', "Mon, 16 Dec 2024 15:00:00 GMT")
    second = fetch(url, server.settings(), cache=cache)
    assert second.not_modified and second.body == b""
    sent = server.requests[1][1]
    assert sent["if-none-match"] == '"v1"'
    assert sent["if-modified-since"] == "Mon, 16 Dec 2024 15:00:00 GMT"


def test_validators_not_stored_when_download_fails(server: LocalServer) -> None:
    server.add("/big", b"x" * 5000, headers={"ETag": '"v9"'})
    cache = MemoryHttpCache()
    with pytest.raises(FetchError):
        fetch(server.url("/big"), server.settings(max_article_bytes=1000), cache=cache)
    assert cache.get(server.url("/big")) == (None, None)


def test_timeout(server: LocalServer) -> None:
    server.add("/slow", "late", delay=5.0)
    with pytest.raises(FetchError) as info:
        fetch(server.url("/slow"), server.settings(fetch_timeout_s=0.5))
    assert str(info.value) == "timed out after 0.5 s"


def test_slow_drip_hits_the_total_deadline(server: LocalServer) -> None:
    """Each chunk arrives well within the read timeout, but the whole body would take ~3 s."""
    server.add("/drip", b"y" * 320, drip=0.15)
    with pytest.raises(FetchError, match=r"^timed out after 0\.6 s$"):
        fetch(server.url("/drip"), server.settings(fetch_timeout_s=0.6))


def test_size_limit_from_content_length(server: LocalServer) -> None:
    server.add("/big", b"x" * 5000)
    with pytest.raises(FetchError, match=r"^body larger than 1000 bytes$"):
        fetch(server.url("/big"), server.settings(max_article_bytes=1000))


def test_size_limit_while_streaming(server: LocalServer) -> None:
    """No Content-Length (HTTP/1.0 body until close): the limit is enforced on the bytes received."""

    def handler(req: BaseHTTPRequestHandler) -> None:
        req.send_response(200)
        req.end_headers()
        req.wfile.write(b"z" * 200_000)

    server.add("/stream", handler=handler)
    with pytest.raises(FetchError, match=r"^body larger than 1000 bytes$"):
        fetch(server.url("/stream"), server.settings(max_article_bytes=1000))


def test_redirects_are_followed_and_checked(server: LocalServer) -> None:
    server.add("/old", status=301, headers={"Location": "/new"})
    server.add("/new", "moved here", headers={"Content-Type": "text/plain"})
    result = fetch(server.url("/old"), server.settings())
    assert result.body == b"moved here" and result.final_url == server.url("/new")
    assert result.url == server.url("/old")


@pytest.mark.parametrize(("location", "message"), [
    ("http://169.254.169.254/latest/meta-data/", "refused: 169.254.169.254 is a cloud metadata address"),
    ("http://10.0.0.5/admin", "refused: 10.0.0.5 is a private address"),
    ("http://127.0.0.1:1/", "refused: 127.0.0.1 is a loopback address"),  # allowed host, other port
    ("file:///etc/passwd", "refused: scheme 'file' is not allowed (only http and https)"),
])
def test_redirect_to_forbidden_target_is_refused(server: LocalServer, location: str, message: str) -> None:
    server.add("/go", status=302, headers={"Location": location})
    with pytest.raises(FetchError) as info:
        fetch(server.url("/go"), server.settings())
    assert str(info.value) == message


def test_too_many_redirects(server: LocalServer) -> None:
    server.add("/loop", status=302, headers={"Location": "/loop"})
    with pytest.raises(FetchError, match=rf"^too many redirects \(more than {MAX_REDIRECTS}\)$"):
        fetch(server.url("/loop"), server.settings())
    assert len(server.requests) == MAX_REDIRECTS + 1


def test_connection_refused_is_a_clear_error(server: LocalServer) -> None:
    port = server.port
    server.__exit__()
    with pytest.raises(FetchError, match=r"^could not connect to 127\.0\.0\.1"):
        fetch(f"http://127.0.0.1:{port}/", Settings(fetch_allow_hosts=["127.0.0.1"], fetch_timeout_s=2.0))


@pytest.mark.parametrize("url", ["http://[::1", "http:///no-host", "http://example.com:99999999/"])
def test_invalid_url(url: str) -> None:
    with pytest.raises(FetchError, match="^invalid URL"):
        fetch(url, Settings())


# -- an overall deadline, whatever the server does (issue 15 item 1) -------------------------------------


class TrickleServer:
    """A raw TCP server on 127.0.0.1 that answers every connection by sending `prefix`, then `drip` one byte
    every `interval` seconds for up to `duration` seconds: a response whose headers (or TLS handshake, or body)
    never finish, though each byte arrives well within any per-read timeout."""

    def __init__(self, prefix: bytes, drip: bytes, *, interval: float = 0.05, duration: float = 20.0) -> None:
        self.prefix, self.drip, self.interval, self.duration = prefix, drip, interval, duration
        self.stop = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.thread = threading.Thread(target=self._accept, daemon=True)

    def _accept(self) -> None:
        self.listener.settimeout(0.05)
        while not self.stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            try:
                conn.settimeout(0.05)
                try:
                    conn.recv(65536)  # the request (or a TLS ClientHello)
                except TimeoutError:
                    pass
                conn.sendall(self.prefix)
                deadline = time.monotonic() + self.duration
                i = 0
                while time.monotonic() < deadline and not self.stop.wait(self.interval):
                    conn.sendall(self.drip[i % len(self.drip):i % len(self.drip) + 1])
                    i += 1
            except OSError:
                return  # the client hung up: what we want

    def __enter__(self) -> TrickleServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.listener.close()
        self.thread.join(timeout=5)


def _fetch_time(url: str, settings: Settings) -> tuple[float, str]:
    start = time.monotonic()
    with pytest.raises(FetchError) as info:
        fetch(url, settings)
    return time.monotonic() - start, str(info.value)


@pytest.mark.parametrize(("scheme", "prefix", "drip"), [
    # status line at once, then headers a byte at a time, never the blank line
    ("http", b"HTTP/1.1 200 OK\r\n", b"X-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n"),
    # even the status line trickles
    ("http", b"", b"HTTP/1.1 200 OK\r\nX-Slow: 1\r\n"),
    # an endless chunked body, a chunk at a time
    ("http", b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n", b"1\r\nx\r\n"),
    # a TLS handshake that never completes: a record header, then its bytes one by one
    ("https", b"\x16\x03\x03\x40\x00", b"\x02"),
], ids=["headers", "status-line", "chunked-body", "tls-handshake"])
def test_every_fetch_ends_within_its_deadline(scheme: str, prefix: bytes, drip: bytes) -> None:
    """Each byte arrives in 0.05 s (far inside httpx's per-read timeout, which restarts on every byte):
    only an overall deadline around connect + TLS + headers + body ends these."""
    with TrickleServer(prefix, drip) as trickle:
        settings = Settings(fetch_allow_hosts=[f"127.0.0.1:{trickle.port}"], fetch_timeout_s=0.5)
        elapsed, message = _fetch_time(f"{scheme}://127.0.0.1:{trickle.port}/", settings)
    assert message == "timed out after 0.5 s"
    assert elapsed < 0.5 + 1.0


def test_a_stalled_resolver_is_bounded_too(monkeypatch: pytest.MonkeyPatch) -> None:
    """getaddrinfo cannot be interrupted; we stop waiting for it at the deadline."""
    release = threading.Event()

    def stalled(*args: Any, **kwargs: Any) -> Any:
        release.wait(10)
        raise socket.gaierror("gave up")

    monkeypatch.setattr(socket, "getaddrinfo", stalled)
    try:
        elapsed, message = _fetch_time("http://slow-dns.test/", Settings(fetch_timeout_s=0.5))
    finally:
        release.set()
    assert message == "timed out after 0.5 s"
    assert elapsed < 0.5 + 1.0

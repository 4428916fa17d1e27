"""HTTP fetching that is safe to point at URLs from untrusted users and feeds.

A chat user can ask the bot to brief a URL, so fetching is an SSRF surface: without care,
`http://169.254.169.254/` or a redirect to `http://10.0.0.5/admin` would make the bot read the cloud
metadata service or an internal admin page and summarise it into a public channel. Every hop here is
checked: scheme, then every address the host resolves to, and the connection is pinned to the checked
address so a second DNS answer (rebinding) cannot swap in a private one. Redirects are followed by hand
(at most `MAX_REDIRECTS`) so that each hop goes through the same checks.

Also: a total deadline around the whole request — connect, TLS, headers and body (a server dripping one
byte a second, even in its headers, cannot hold us past the timeout: see `bot.articles.deadline`), a body
size limit enforced while streaming, and conditional GET (ETag / Last-Modified) through an `HttpCache`.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urljoin

import httpx

from bot.articles.deadline import deadline_scope, deadline_transport
from bot.settings import Settings
from bot.text import masked_url

log = logging.getLogger(__name__)

MAX_REDIRECTS = 5
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_ACCEPT = (
    "text/html,application/xhtml+xml,application/rss+xml,application/atom+xml,application/xml;q=0.9,"
    "text/xml;q=0.9,text/plain;q=0.8,application/json;q=0.8,*/*;q=0.5"
)
_METADATA = frozenset({
    ipaddress.ip_address("169.254.169.254"),  # AWS, GCP, Azure, OpenStack, DigitalOcean
    ipaddress.ip_address("169.254.170.2"),  # AWS ECS task metadata
    ipaddress.ip_address("fd00:ec2::254"),  # AWS IPv6
    ipaddress.ip_address("100.100.100.200"),  # Alibaba Cloud
})

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class HttpCache(Protocol):
    """Where conditional-GET validators live between runs (the store implements it)."""

    def get(self, url: str) -> tuple[str | None, str | None]:
        """(etag, last_modified) stored for this URL, or (None, None)."""
        ...

    def put(self, url: str, etag: str | None, last_modified: str | None) -> None:
        """Remember the validators from a successful full response."""
        ...


class MemoryHttpCache:
    """An in-process HttpCache, for one-off runs and tests."""

    def __init__(self) -> None:
        self._data: dict[str, tuple[str | None, str | None]] = {}

    def get(self, url: str) -> tuple[str | None, str | None]:
        return self._data.get(url, (None, None))

    def put(self, url: str, etag: str | None, last_modified: str | None) -> None:
        self._data[url] = (etag, last_modified)


class DeferredHttpCache:
    """Holds new validators back until `commit()`: call it only after the fetched articles are stored,
    so a failed store (e.g. a locked database) never leaves an ETag that would hide them next time."""

    def __init__(self, backing: HttpCache) -> None:
        self.backing = backing
        self._pending: dict[str, tuple[str | None, str | None]] = {}

    def get(self, url: str) -> tuple[str | None, str | None]:
        return self._pending.get(url) or self.backing.get(url)

    def put(self, url: str, etag: str | None, last_modified: str | None) -> None:
        self._pending[url] = (etag, last_modified)

    def commit(self) -> None:
        for url, (etag, last_modified) in self._pending.items():
            self.backing.put(url, etag, last_modified)
        self._pending.clear()

    def discard(self) -> None:
        self._pending.clear()


class FetchError(Exception):
    """A one-line reason a URL could not be fetched ("HTTP 404", "timed out after 10 s", "refused: ...")."""


@dataclass(frozen=True, slots=True)
class FetchResult:
    url: str  # as requested
    final_url: str  # after redirects
    status: int
    body: bytes
    content_type: str  # media type only, lower case ("text/html"); "" if the server sent none
    charset: str | None
    not_modified: bool = False
    etag: str | None = None
    last_modified: str | None = None


# -- address checks ------------------------------------------------------------------------------------


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address hidden in an IPv4-mapped, 6to4 or NAT64 IPv6 address (a classic SSRF bypass)."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in ipaddress.ip_network("64:ff9b::/96"):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def blocked_reason(ip: IPAddress) -> str | None:
    """Why the bot must not connect to this address ("a private address"), or None if it is public."""
    if isinstance(ip, ipaddress.IPv6Address):
        inner = _embedded_ipv4(ip)
        if inner is not None:
            return blocked_reason(inner)
    if ip in _METADATA:
        return "a cloud metadata address"
    if ip.is_unspecified:
        return "an unspecified address"
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_multicast:
        return "a multicast address"
    if ip.is_reserved:  # before is_private, which also covers 240.0.0.0/4
        return "a reserved address"
    if ip.is_private:
        return "a private address"
    if not ip.is_global:
        return "a non-public address"
    return None


_RESOLVER = ThreadPoolExecutor(max_workers=4, thread_name_prefix="resolve")


def _resolve(host: str, port: int, timeout: float | None, settings: Settings) -> list[IPAddress]:
    """Every address the host resolves to (an IP literal resolves to itself).

    getaddrinfo cannot be interrupted, so a bounded lookup runs on a small thread pool and we stop
    waiting at the timeout (the lookup itself ends when the system resolver gives up).
    """
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        if timeout is None:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        else:
            infos = _RESOLVER.submit(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM).result(timeout)
    except FutureTimeout as exc:
        raise FetchError(_timeout_text(settings)) from exc
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchError(f"could not resolve host {host}") from exc
    addresses: list[IPAddress] = []
    for info in infos:
        raw = str(info[4][0]).split("%", 1)[0]  # drop an IPv6 zone id
        ip = ipaddress.ip_address(raw)
        if ip not in addresses:
            addresses.append(ip)
    if not addresses:
        raise FetchError(f"could not resolve host {host}")
    return addresses


def _allowed(host: str, port: int, settings: Settings) -> bool:
    allow = {h.strip().lower() for h in settings.fetch_allow_hosts}
    return host in allow or f"{host}:{port}" in allow


@dataclass(frozen=True, slots=True)
class _Target:
    """A checked hop: the URL to request, the address to connect to, and the Host/SNI to present."""

    url: httpx.URL
    connect_url: httpx.URL
    host_header: str
    sni: str | None


def check_url(url: str, settings: Settings, *, timeout: float | None = None) -> _Target:
    """Validate one hop and choose the address to connect to; FetchError("refused: ...") if unsafe.

    All resolved addresses must be public (one private answer among public ones is how DNS-rebinding
    attacks hide). Hosts on `settings.fetch_allow_hosts` skip the address check: tests use 127.0.0.1.
    With `timeout`, name resolution gives up after that many seconds (a stalled resolver is a wait too).
    """
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        raise FetchError(f"invalid URL: {exc}") from exc
    if parsed.scheme not in ("http", "https"):
        raise FetchError(f"refused: scheme {parsed.scheme or '(none)'!r} is not allowed (only http and https)")
    host = parsed.raw_host.decode("ascii").lower().strip("[]")
    if not host:
        raise FetchError("invalid URL: no host")
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    if not 0 < port < 65536:
        raise FetchError(f"invalid URL: port {port} is out of range")
    host_header = parsed.netloc.decode("ascii")
    if _allowed(host, port, settings):
        return _Target(parsed, parsed, host_header, None)
    addresses = _resolve(host, port, timeout, settings)
    for ip in addresses:
        reason = blocked_reason(ip)
        if reason is not None:
            via = "" if str(ip) == host else f" ({host} resolves to it)"
            raise FetchError(f"refused: {ip} is {reason}{via}")
    connect_url = parsed.copy_with(host=str(addresses[0]))  # pin: connect to the address we checked
    return _Target(parsed, connect_url, host_header, host if parsed.scheme == "https" else None)


# -- fetching ------------------------------------------------------------------------------------------


def make_client(settings: Settings) -> httpx.Client:
    """A client for `fetch`: our redirects, our timeouts, and no proxy from the environment.

    `trust_env=False` because a proxy would resolve hosts itself and defeat the address pinning. Its
    transport obeys the per-fetch deadline in every socket operation; a client made elsewhere (tests pass
    a MockTransport) only gets the between-chunks deadline check.
    """
    return httpx.Client(
        follow_redirects=False,
        trust_env=False,
        transport=deadline_transport(),
        timeout=httpx.Timeout(settings.fetch_timeout_s),
        headers={"User-Agent": settings.user_agent, "Accept": _ACCEPT},
    )


def _timeout_text(settings: Settings) -> str:
    return f"timed out after {settings.fetch_timeout_s:g} s"


def _media_type(header: str | None) -> tuple[str, str | None]:
    if not header:
        return "", None
    media, _, params = header.partition(";")
    charset = None
    for param in params.split(";"):
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset" and value.strip():
            charset = value.strip().strip("\"'")
    return media.strip().lower(), charset


def fetch(
    url: str,
    settings: Settings,
    *,
    cache: HttpCache | None = None,
    client: httpx.Client | None = None,
) -> FetchResult:
    """GET a URL safely; raise FetchError with a one-line reason on any failure.

    With a cache, sends If-None-Match / If-Modified-Since and returns `not_modified=True` on 304; the new
    validators are stored only after the whole body arrived, so a failed download is retried next time.
    """
    own_client = client is None
    http = client if client is not None else make_client(settings)
    deadline = time.monotonic() + settings.fetch_timeout_s
    etag_sent, modified_sent = cache.get(url) if cache is not None else (None, None)
    try:
        with deadline_scope(deadline):
            current = url
            for _hop in range(MAX_REDIRECTS + 1):
                target = check_url(current, settings, timeout=max(deadline - time.monotonic(), 0.0))
                result = _get_once(http, target, settings, deadline, etag_sent, modified_sent)
                if isinstance(result, str):  # a redirect: check and follow the next hop
                    log.debug("redirect %s -> %s", masked_url(current), masked_url(result))
                    current = result
                    continue
                status, headers, body = result
                media, charset = _media_type(headers.get("content-type"))
                if status == 304:
                    return FetchResult(url, current, status, b"", media, charset, not_modified=True,
                                       etag=etag_sent, last_modified=modified_sent)
                etag, modified = headers.get("etag"), headers.get("last-modified")
                if cache is not None and (etag or modified):
                    cache.put(url, etag, modified)
                return FetchResult(url, current, status, body, media, charset, etag=etag, last_modified=modified)
            raise FetchError(f"too many redirects (more than {MAX_REDIRECTS})")
    finally:
        if own_client:
            http.close()


def _get_once(
    http: httpx.Client,
    target: _Target,
    settings: Settings,
    deadline: float,
    etag: str | None,
    last_modified: str | None,
) -> tuple[int, httpx.Headers, bytes] | str:
    """One request. Returns the next URL for a redirect, else (status, headers, body)."""
    headers = {"Host": target.host_header, "User-Agent": settings.user_agent, "Accept": _ACCEPT}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    extensions: dict[str, object] = {}
    if target.sni:
        extensions["sni_hostname"] = target.sni
        # Pooled connections are keyed by address, not name: do not let another host reuse this TLS session.
        headers["Connection"] = "close"
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise FetchError(_timeout_text(settings))
    limit = settings.max_article_bytes
    request = http.build_request("GET", target.connect_url, headers=headers, extensions=extensions,
                                 timeout=httpx.Timeout(remaining))
    try:
        response = http.send(request, stream=True, follow_redirects=False)
    except httpx.TimeoutException as exc:
        raise FetchError(_timeout_text(settings)) from exc
    except httpx.TransportError as exc:
        raise FetchError(f"could not connect to {target.url.host}: {_short(exc)}") from exc
    try:
        status = response.status_code
        if status in _REDIRECT_STATUSES:
            location = response.headers.get("location")
            if not location:
                raise FetchError(f"HTTP {status} redirect without a Location header")
            return urljoin(str(target.url), location)
        if status == 304:
            return status, response.headers, b""
        if not 200 <= status < 300:
            raise FetchError(f"HTTP {status}" + (f" {response.reason_phrase}" if response.reason_phrase else ""))
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise FetchError(f"body larger than {limit} bytes")
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():  # as bytes arrive: a fixed chunk size would wait to fill it
            size += len(chunk)
            if size > limit:
                raise FetchError(f"body larger than {limit} bytes")
            if time.monotonic() > deadline:
                raise FetchError(_timeout_text(settings))
            chunks.append(chunk)
        return status, response.headers, b"".join(chunks)
    except httpx.TimeoutException as exc:
        raise FetchError(_timeout_text(settings)) from exc
    except httpx.DecodingError as exc:
        raise FetchError(f"could not decode the response body: {_short(exc)}") from exc
    except httpx.TransportError as exc:
        raise FetchError(f"connection to {target.url.host} failed: {_short(exc)}") from exc
    finally:
        response.close()


def _short(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__

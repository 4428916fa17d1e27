"""An httpcore network backend that holds every socket operation of a fetch to one overall deadline.

httpx's timeouts are per operation: the read timeout restarts with every byte, so a server that sends its
response headers (or its TLS handshake) a byte a second never trips it and holds a worker for hours.
Checking the clock between body chunks (as `fetch` also does) cannot help while httpx is still waiting for
the headers. This backend sits under httpx instead: every connect, TLS handshake, read and write gets
`min(its own timeout, time left before the deadline)`, so nothing the server does can hold a fetch past
its deadline. (CPython's SSL reads and handshakes already treat a socket timeout as a total deadline.)

The deadline is per fetch, set with `deadline_scope`; a pooled connection reused by a later fetch obeys
the later fetch's deadline. Outside a scope the backend behaves exactly like httpcore's SyncBackend.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import httpcore
import httpx

_DEADLINE: ContextVar[float | None] = ContextVar("fetch_deadline", default=None)


@contextmanager
def deadline_scope(deadline: float) -> Iterator[None]:
    """Bound every socket operation made in this block (this thread / task) by `deadline` (monotonic)."""
    token = _DEADLINE.set(deadline)
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def _bounded(timeout: float | None, expired: type[Exception]) -> float | None:
    deadline = _DEADLINE.get()
    if deadline is None:
        return timeout
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise expired("the fetch deadline has passed")
    return remaining if timeout is None else min(timeout, remaining)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _bounded(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _bounded(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context: Any, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        inner = self._inner.start_tls(ssl_context, server_hostname, _bounded(timeout, httpcore.ConnectTimeout))
        return _DeadlineStream(inner)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's SyncBackend with every operation cut short at the current `deadline_scope`."""

    def __init__(self, inner: httpcore.NetworkBackend | None = None) -> None:
        self._inner = inner if inner is not None else httpcore.SyncBackend()

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        bounded = _bounded(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._inner.connect_tcp(host, port, bounded, local_address, socket_options))

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        bounded = _bounded(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._inner.connect_unix_socket(path, bounded, socket_options))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def deadline_transport() -> httpx.HTTPTransport:
    """An httpx transport whose connections obey `deadline_scope` (no proxies: see `make_client`)."""
    transport = httpx.HTTPTransport(trust_env=False)
    pool = transport._pool  # httpx exposes no network_backend option; its pool takes one
    if not isinstance(pool, httpcore.ConnectionPool):  # pragma: no cover - only with a proxy, which we never set
        raise TypeError(f"unexpected httpx pool {type(pool).__name__}")
    pool._network_backend = DeadlineBackend(pool._network_backend)
    return transport

"""Slack request signatures, checked on the raw bytes before anything parses them; replays; a quiet log.

Why not leave it to bolt: bolt decodes and parses the body before its verification middleware runs and
`int()`s the timestamp unguarded, so an unsigned request with a bad timestamp (`abc`, 400 digits,
`1.5e9`) or a body it cannot parse (binary, bad JSON, a bad `payload`) got HTTP 500 with a traceback,
and every forged request was logged at INFO with its whole body. Here the headers are checked first (an
unsigned request is refused without its body being read), then the HMAC over the exact bytes received;
only a request Slack signed reaches bolt.

Replays: a signed request is valid for five minutes, so a captured slash command could be sent again and
run again. `Signatures` remembers each accepted signature for that window and reports repeats (Slack's
own retries of events carry a new timestamp, hence a new signature; bolt's event-id check covers those).

Refusals are logged as one short line each (reason and peer, never the body), and at most
`REFUSALS_LOGGED_PER_MINUTE` of them a minute: beyond that a flood adds one summary line a minute.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)

TIMESTAMP_HEADER = "X-Slack-Request-Timestamp"
SIGNATURE_HEADER = "X-Slack-Signature"
WINDOW_S = 300                     # Slack's own limit on a request's age
MAX_REMEMBERED = 100_000           # signatures kept for the replay check (Slack sends far fewer in 5 minutes)
REFUSALS_LOGGED_PER_MINUTE = 20
_TIMESTAMP_DIGITS = 12             # seconds since 1970 fit in 11 digits until the year 5138
_HEX = frozenset("0123456789abcdef")


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a request is refused: the HTTP status it gets and a short reason for the log (no request data)."""

    status: int
    reason: str


class Signatures:
    """Slack's v0 signing scheme: `v0=` + HMAC-SHA256(secret, `v0:{timestamp}:{raw body}`), within 5 minutes."""

    def __init__(self, secret: str, *, clock: Callable[[], float] = time.time, window_s: int = WINDOW_S) -> None:
        self._secret = secret.encode()
        self._clock = clock
        self.window_s = window_s
        self._seen: OrderedDict[str, float] = OrderedDict()  # signature -> when it stops being valid

    def check_headers(self, timestamp: str | None, signature: str | None) -> Refusal | None:
        """Everything that can be refused before the body is read."""
        if not timestamp or not signature:
            return Refusal(401, "unsigned")
        if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= _TIMESTAMP_DIGITS):
            return Refusal(400, "malformed timestamp")
        if abs(self._clock() - int(timestamp)) > self.window_s:
            return Refusal(401, "stale timestamp")
        hexdigest = signature.removeprefix("v0=")
        if len(signature) != 67 or len(hexdigest) != 64 or not set(hexdigest) <= _HEX:
            return Refusal(401, "malformed signature")
        return None

    def check(self, timestamp: str, signature: str, body: bytes) -> Refusal | None:
        """The HMAC over the raw bytes, then the replay check; headers must have passed `check_headers`."""
        mac = hmac.new(self._secret, b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256)
        if not hmac.compare_digest("v0=" + mac.hexdigest(), signature):
            return Refusal(401, "bad signature")
        return None if self._first_time(signature) else Refusal(200, "replayed signature")

    def _first_time(self, signature: str) -> bool:
        now = self._clock()
        while self._seen and (next(iter(self._seen.values())) < now or len(self._seen) >= MAX_REMEMBERED):
            self._seen.popitem(last=False)
        if signature in self._seen:
            return False
        self._seen[signature] = now + 2 * self.window_s  # valid from now - window to now + window
        return True


class RefusalLog:
    """One short line per refused request, at most `per_minute` a minute; the rest are counted and summed up."""

    def __init__(self, per_minute: int = REFUSALS_LOGGED_PER_MINUTE,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self._clock = clock
        self._window_start = clock()
        self._logged = 0
        self._unlogged = 0

    def refused(self, refusal: Refusal, peer: str | None) -> None:
        now = self._clock()
        if now - self._window_start >= 60:
            self.flush()
            self._window_start, self._logged = now, 0
        if self._logged < self.per_minute:
            self._logged += 1
            log.info("Slack: refused a request from %s (%d %s)", peer or "?", refusal.status, refusal.reason)
        else:
            self._unlogged += 1

    def flush(self) -> None:
        """Say how many refusals went unlogged (called a minute on, and on close)."""
        if self._unlogged:
            log.warning("Slack: %d more requests refused in the last minute (not logged one by one)", self._unlogged)
            self._unlogged = 0

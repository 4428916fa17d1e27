"""Slack request signatures on raw bytes: header guards, the HMAC, the replay window, the quiet refusal log."""

from __future__ import annotations

import hashlib
import hmac
import logging

import pytest

from bot.platforms.slack.signing import Refusal, RefusalLog, Signatures

SECRET = "unit-signing-secret"
NOW = 1_700_000_000


class Clock:
    def __init__(self, t: float) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def sign(body: bytes, ts: int = NOW, secret: str = SECRET) -> tuple[str, str]:
    mac = hmac.new(secret.encode(), f"v0:{ts}:".encode() + body, hashlib.sha256).hexdigest()
    return str(ts), f"v0={mac}"


@pytest.mark.parametrize(("ts", "sig", "expected"), [
    (None, None, Refusal(401, "unsigned")),
    (str(NOW), None, Refusal(401, "unsigned")),
    ("abc", "v0=00", Refusal(400, "malformed timestamp")),
    ("9" * 400, "v0=00", Refusal(400, "malformed timestamp")),
    ("1.5e9", "v0=00", Refusal(400, "malformed timestamp")),
    ("-5", "v0=00", Refusal(400, "malformed timestamp")),
    ("\u0661\u0662", "v0=00", Refusal(400, "malformed timestamp")),  # Arabic-Indic digits
    (str(NOW - 301), "v0=" + "0" * 64, Refusal(401, "stale timestamp")),
    (str(NOW + 301), "v0=" + "0" * 64, Refusal(401, "stale timestamp")),
    (str(NOW), "sha1=beef", Refusal(401, "malformed signature")),
    (str(NOW), "v0=" + "g" * 64, Refusal(401, "malformed signature")),
    (str(NOW), "v0=" + "0" * 64, None),  # well-formed: the HMAC decides
])
def test_headers_are_refused_before_the_body_is_read(ts: str | None, sig: str | None,
                                                      expected: Refusal | None) -> None:
    assert Signatures(SECRET, clock=Clock(NOW)).check_headers(ts, sig) == expected


def test_the_hmac_covers_the_exact_bytes_and_a_replay_runs_once_within_the_window() -> None:
    clock = Clock(NOW)
    signatures = Signatures(SECRET, clock=clock)
    body = b"text=budget&trigger_id=1.2.3"
    ts, sig = sign(body)
    assert signatures.check(ts, sig, body + b" ") == Refusal(401, "bad signature")
    assert signatures.check(ts, sign(body, secret="other")[1], body) == Refusal(401, "bad signature")
    assert signatures.check(ts, sig, body) is None
    clock.t += 299
    assert signatures.check(ts, sig, body) == Refusal(200, "replayed signature")
    clock.t += 10 * 60  # long past the window: check_headers refuses it as stale, and the memory is pruned
    assert signatures.check_headers(ts, sig) == Refusal(401, "stale timestamp")
    assert signatures.check(*sign(b"other", ts=int(clock.t)), b"other") is None
    assert len(signatures._seen) == 1


def test_a_flood_is_logged_one_short_line_each_up_to_a_cap_then_counted(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    clock = Clock(0)
    quiet = RefusalLog(per_minute=3, clock=clock)
    for _ in range(10):
        quiet.refused(Refusal(401, "unsigned"), "203.0.113.9")
    clock.t = 61
    quiet.refused(Refusal(400, "malformed timestamp"), None)
    messages = [r.getMessage() for r in caplog.records]
    assert messages == ["Slack: refused a request from 203.0.113.9 (401 unsigned)"] * 3 + [
        "Slack: 7 more requests refused in the last minute (not logged one by one)",
        "Slack: refused a request from ? (400 malformed timestamp)"]

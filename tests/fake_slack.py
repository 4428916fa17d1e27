"""A local fake of the Slack Web API and of slash-command `response_url`s, on 127.0.0.1.

It answers the methods the adapter calls (`auth.test`, `chat.postMessage`, `users.info`) with the same
JSON shape Slack does, checks the bot token, and enforces Slack's message limits the way Slack does
(`invalid_blocks`, `msg_blocks_too_long`, `msg_too_long`), so a renderer bug fails a test instead of
passing silently. Every request is recorded (method, parsed body, monotonic time, status), and
`rate_limit_once` answers the next call to a method with HTTP 429 and `Retry-After`, as Slack does.
Socket Mode is faked too: `apps.connections.open` (app-level token) hands out a WebSocket URL on which the
fake says `hello`, `push()` sends envelopes and every acknowledgement the app sends back is recorded.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

TOKEN = "xoxb-fake-token"
APP_TOKEN = "xapp-1-fake-app-token"
TEAM_ID = "T0FAKE001"
BOT_USER_ID = "U0BOT0001"
BOT_ID = "B0BOT0001"
RESPONSE = "response_url"  # the pseudo-method name under which response_url posts are recorded
SOCKET_ACK = "socket_ack"  # ... and Socket Mode acknowledgements

# Slack's own limits (what the real API rejects), independent of the renderer's margins.
SLACK_MAX_BLOCKS = 50
SLACK_HEADER_CHARS = 150
SLACK_SECTION_CHARS = 3000
SLACK_CONTEXT_ELEMENTS = 10
SLACK_ELEMENT_CHARS = 3000
SLACK_BLOCKS_TOTAL_CHARS = 12000  # undocumented cumulative limit (slackapi/bolt-js#2509)
SLACK_TEXT_CHARS = 4000  # `msg_too_long` in practice (the documented 40,000 is a truncation limit)

# A ping or mention control sequence in mrkdwn, or a bare broadcast word without our zero-width space.
_PING = re.compile(r"<[!@]|(?<![\w\u200b])@(?:channel|here|everyone)\b", re.IGNORECASE)


@dataclass
class Call:
    method: str
    body: dict[str, Any]
    at: float
    status: int
    ok: bool
    result: dict[str, Any] = field(default_factory=dict)  # what the fake answered


def _texts(value: Any, kind: str) -> list[str]:
    """Every text object of one kind (`mrkdwn` or `plain_text`) inside blocks."""
    found: list[str] = []
    if isinstance(value, dict):
        if value.get("type") == kind and isinstance(value.get("text"), str):
            found.append(value["text"])
        for v in value.values():
            found += _texts(v, kind)
    elif isinstance(value, list):
        for v in value:
            found += _texts(v, kind)
    return found


def _chars(value: Any) -> int:
    if isinstance(value, dict):
        return sum(len(v) if k == "text" and isinstance(v, str) else _chars(v) for k, v in value.items())
    if isinstance(value, list):
        return sum(_chars(v) for v in value)
    return 0


def limit_problems(text: str | None, blocks: Any) -> list[str]:
    """Why Slack would refuse this message (empty list: it would accept it)."""
    problems: list[str] = []
    if not text and not blocks:
        problems.append("no_text")
    if text is not None and len(text) > SLACK_TEXT_CHARS:
        problems.append("msg_too_long")
    if blocks is None:
        return problems
    if not isinstance(blocks, list) or len(blocks) > SLACK_MAX_BLOCKS:
        return problems + ["invalid_blocks: too many blocks"]
    for block in blocks:
        kind = block.get("type")
        if kind == "header":
            t = block["text"]
            if t.get("type") != "plain_text" or not 0 < len(t["text"]) <= SLACK_HEADER_CHARS:
                problems.append("invalid_blocks: header")
        elif kind == "section":
            if not 0 < len(block["text"]["text"]) <= SLACK_SECTION_CHARS:
                problems.append("invalid_blocks: section text")
        elif kind == "context":
            els = block["elements"]
            if not 0 < len(els) <= SLACK_CONTEXT_ELEMENTS or any(
                    not 0 < len(e["text"]) <= SLACK_ELEMENT_CHARS for e in els):
                problems.append("invalid_blocks: context")
        elif kind != "divider":
            problems.append(f"invalid_blocks: unexpected {kind}")
    if _chars(blocks) > SLACK_BLOCKS_TOTAL_CHARS:
        problems.append("msg_blocks_too_long")
    return problems


def pings(text: str | None, blocks: Any = None) -> list[str]:
    """Ping/mention sequences Slack would act on in the mrkdwn text and blocks, or in plain_text."""
    found = _PING.findall(text or "")
    for t in _texts(blocks, "mrkdwn"):
        found += _PING.findall(t)
    for t in _texts(blocks, "plain_text"):  # not parsed by Slack, but must not even look like a control sequence
        found += re.findall(r"<[!@#]", t) + _PING.findall(t)
    return found


class FakeSlack:
    """Slack Web API + response_url receiver. `await start()`, then point SLACK_API_URL at `api_url`."""

    def __init__(self, *, users: dict[str, dict[str, Any]] | None = None) -> None:
        self.users = users or {}
        self.closed_dms: set[str] = set()  # users whose `conversations.open` answers `cannot_dm_bot`
        self.calls: list[Call] = []
        self._rate_limited: dict[str, int] = {}
        self._ts = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self._sockets: list[web.WebSocketResponse] = []
        self.port = 0

    # -- lifecycle and addresses --------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/response/{name}", self._response_url)
        app.router.add_get("/socket", self._socket)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.port = self._runner.addresses[0][1]

    async def close(self) -> None:
        for ws in self._sockets:
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def response_url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/response/{name}"

    # -- test controls and queries ------------------------------------------------------------

    def rate_limit_once(self, method: str, retry_after: int = 1) -> None:
        """Answer the next call to `method` (or RESPONSE) with 429 and this Retry-After."""
        self._rate_limited[method] = retry_after

    def accepted(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method and c.ok]

    async def wait_for(self, predicate: Callable[[list[Call]], bool], timeout: float = 10.0) -> list[Call]:
        """Poll the recorded calls until `predicate` holds; fail with what was recorded otherwise."""
        deadline = time.monotonic() + timeout
        while not predicate(self.calls):
            if time.monotonic() > deadline:
                summary = [(c.method, c.status, c.ok) for c in self.calls]
                raise AssertionError(f"fake Slack never saw the expected calls; got {summary}")
            await asyncio.sleep(0.02)
        return self.calls

    async def push(self, envelope: dict[str, Any], timeout: float = 10.0) -> None:
        """Send a Socket Mode envelope to the connected app (waits for it to connect)."""
        await self.wait_for(lambda _: bool(self._sockets), timeout)
        await self._sockets[-1].send_json(envelope)

    # -- handlers -----------------------------------------------------------------------------

    def _limited(self, method: str, body: dict[str, Any]) -> web.Response | None:
        retry_after = self._rate_limited.pop(method, None)
        if retry_after is None:
            return None
        self.calls.append(Call(method, body, time.monotonic(), 429, False))
        return web.json_response({"ok": False, "error": "ratelimited"}, status=429,
                                 headers={"Retry-After": str(retry_after)})

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        body: dict[str, Any] = dict(request.query)
        raw = await request.text()
        if raw and request.content_type == "application/json":
            body.update(json.loads(raw))
        elif raw:
            body.update(dict(await request.post()))
        limited = self._limited(method, body)
        if limited is not None:
            return limited
        expected = APP_TOKEN if method == "apps.connections.open" else TOKEN
        if request.headers.get("Authorization") != f"Bearer {expected}":
            result: dict[str, Any] = {"ok": False, "error": "invalid_auth"}
        else:
            handler = {"auth.test": self._auth_test, "chat.postMessage": self._post_message,
                       "users.info": self._users_info, "apps.connections.open": self._connections_open,
                       "conversations.open": self._conversations_open}.get(method)
            result = handler(body) if handler else {"ok": False, "error": "unknown_method"}
        self.calls.append(Call(method, body, time.monotonic(), 200, bool(result.get("ok")), result))
        return web.json_response(result)

    def _auth_test(self, body: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "url": "https://fake-team.slack.com/", "team": "Fake Team", "user": "briefbot",
                "team_id": TEAM_ID, "user_id": BOT_USER_ID, "bot_id": BOT_ID, "is_enterprise_install": False}

    def _post_message(self, body: dict[str, Any]) -> dict[str, Any]:
        channel = body.get("channel")
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        blocks = body.get("blocks")
        if isinstance(blocks, str):
            blocks = json.loads(blocks)
        problems = limit_problems(body.get("text"), blocks)
        if problems:
            return {"ok": False, "error": problems[0].split(":")[0], "response_metadata": {"messages": problems}}
        ts = f"1700000000.{next(self._ts):06d}"
        return {"ok": True, "channel": channel, "ts": ts,
                "message": {"type": "message", "bot_id": BOT_ID, "user": BOT_USER_ID, "ts": ts,
                            "text": body.get("text", ""), "blocks": blocks or []}}

    def _conversations_open(self, body: dict[str, Any]) -> dict[str, Any]:
        """A DM channel with one user (`D` + their id), as Slack opens one for the bot."""
        user = str(body.get("users") or "")
        if not user or "," in user:
            return {"ok": False, "error": "user_not_found"}
        if user in self.closed_dms:
            return {"ok": False, "error": "cannot_dm_bot"}
        return {"ok": True, "channel": {"id": "D" + user.removeprefix("U")}}

    def _connections_open(self, body: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "url": f"ws://127.0.0.1:{self.port}/socket?ticket=fake"}

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._sockets.append(ws)
        await ws.send_json({"type": "hello", "num_connections": 1,
                            "debug_info": {"host": "fake", "approximate_connection_time": 3600},
                            "connection_info": {"app_id": "A0APP0001"}})
        async for message in ws:
            if message.type == WSMsgType.TEXT:
                self.calls.append(Call(SOCKET_ACK, json.loads(message.data), time.monotonic(), 200, True))
        return ws

    def _users_info(self, body: dict[str, Any]) -> dict[str, Any]:
        user_id = body.get("user")
        profile = self.users.get(str(user_id))
        if profile is None:
            return {"ok": False, "error": "user_not_found"}
        user = {"id": user_id, "team_id": TEAM_ID, "name": profile.get("name", user_id), "deleted": False,
                "is_admin": False, "is_owner": False, "is_primary_owner": False, "is_bot": False, **profile}
        return {"ok": True, "user": user}

    async def _response_url(self, request: web.Request) -> web.Response:
        body = await request.json()
        body["_name"] = request.match_info["name"]
        limited = self._limited(RESPONSE, body)
        if limited is not None:
            return limited
        problems = limit_problems(body.get("text"), body.get("blocks"))
        self.calls.append(Call(RESPONSE, body, time.monotonic(), 200 if not problems else 400, not problems))
        if problems:
            return web.Response(status=400, text=problems[0])
        return web.Response(text="ok")


# -- hostile requests: what an outside attack run sent to /slack/events ----------------------------------

MARK = "BODYMARK"  # in every hostile body: it must never reach the log


def hostile_requests(n: int) -> Iterator[tuple[bytes, dict[str, str]]]:
    """`n` unsigned or malformed requests, cycling through every kind the attack run used."""
    now = str(int(time.time()))
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    js = {"Content-Type": "application/json"}
    kinds: list[tuple[bytes, dict[str, str]]] = [
        (bytes(range(256)) * 4 + MARK.encode(), {"Content-Type": "application/octet-stream"}),
        (f'{{"type": "event_callback", "{MARK}": '.encode(), js),
        (f"payload=%7Bnot-json-{MARK}".encode(), form),
        (f"text=%ZZ%E0%A4%A&{MARK}=%".encode(), form),
        (f"text={MARK}".encode(), {**form, "X-Slack-Request-Timestamp": "abc", "X-Slack-Signature": "v0=00"}),
        (f"text={MARK}".encode(), {**form, "X-Slack-Request-Timestamp": "9" * 400, "X-Slack-Signature": "v0=0"}),
        (f"text={MARK}".encode(), {**form, "X-Slack-Request-Timestamp": "1.5e9", "X-Slack-Signature": "v0=0"}),
        (f"text={MARK}".encode(), {**form, "X-Slack-Request-Timestamp": now, "X-Slack-Signature": "sha1=beef"}),
        (f"text={MARK}".encode(), {**form, "X-Slack-Request-Timestamp": now, "X-Slack-Signature": "v0=" + "0" * 64}),
        ((MARK * 25_000).encode(), form),  # 200 KB unsigned
    ]
    for i in range(n):
        yield kinds[i % len(kinds)]

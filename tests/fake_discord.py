"""A local fake of Discord (REST + gateway) on 127.0.0.1 for driving the real discord.py client.

It speaks just enough of the API for discord.py 2.x to log in, connect, sync app commands, receive
interactions and messages, and answer them. Every HTTP request is recorded (method, path, query,
JSON body, monotonic time received) so tests assert on exactly what the bot put on the wire.
`rate_limit_once` answers the next matching request with a Discord-style 429 (JSON `retry_after`
and a `Via` header, which discord.py requires before it trusts a 429 as Discord's own).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import WSMsgType, web

log = logging.getLogger(__name__)

API_PREFIX = "/api/v10"
BOT_ID = 900000000000000001
APP_ID = 900000000000000002
OWNER_ID = 900000000000000003
GUILD_ID = 910000000000000001
CHANNEL_ID = 920000000000000001  # #general
NEWS_CHANNEL_ID = 920000000000000002  # #news
MANAGE_GUILD = 1 << 5
_ids = itertools.count(930000000000000001)


def next_id() -> int:
    return next(_ids)


def user_payload(user_id: int, name: str, *, bot: bool = False) -> dict[str, Any]:
    return {"id": str(user_id), "username": name, "global_name": name, "discriminator": "0", "avatar": None,
            "bot": bot, "public_flags": 0, "flags": 0}


def _json(data: Any, *, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """A JSON response typed exactly `application/json`: discord.py parses a body only when the
    Content-Type is that string, with no charset parameter (as Discord sends it)."""
    return web.Response(body=json.dumps(data).encode(), status=status,
                        headers={"Content-Type": "application/json", **(headers or {})})


def _now() -> str:
    return datetime.now(UTC).isoformat()


@dataclass(slots=True)
class RecordedRequest:
    method: str
    path: str  # without the /api/v10 prefix
    query: dict[str, str]
    json: Any
    received_at: float  # time.monotonic()
    status: int = 200


RECORD = web.RequestKey("record", RecordedRequest)


@dataclass(slots=True)
class _Failure:
    method: str
    pattern: re.Pattern[str]
    status: int
    retry_after: float


@dataclass(slots=True)
class FakeDiscord:
    """Start with `await fake.start()`; point the bot at `api_url` and `gateway_url`."""

    heartbeat_interval_ms: int = 1000
    requests: list[RecordedRequest] = field(default_factory=list)
    identifies: list[dict[str, Any]] = field(default_factory=list)
    heartbeats: int = 0
    commands: list[dict[str, Any]] = field(default_factory=list)
    _failures: list[_Failure] = field(default_factory=list)
    _sockets: list[web.WebSocketResponse] = field(default_factory=list)
    _seq: int = 0
    _runner: web.AppRunner | None = None
    _port: int = 0
    _changed: asyncio.Condition | None = None

    # -- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application(middlewares=[self._record])
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", API_PREFIX + "/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None and server.sockets  # type: ignore[attr-defined]
        self._port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        self._changed = asyncio.Condition()

    async def close(self) -> None:
        for ws in list(self._sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self._port}{API_PREFIX}"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self._port}/gateway"

    # -- test controls ------------------------------------------------------------------------

    def rate_limit_once(self, method: str, path_regex: str, retry_after: float = 0.5) -> None:
        """Answer the next request matching `method` and `path_regex` (full match) with a 429."""
        self._failures.append(_Failure(method.upper(), re.compile(path_regex), 429, retry_after))

    def fail_once(self, method: str, path_regex: str, status: int = 403) -> None:
        """Answer the next matching request with an error such as 403 Missing Access."""
        self._failures.append(_Failure(method.upper(), re.compile(path_regex), status, 0.0))

    def find(self, method: str, path_regex: str) -> list[RecordedRequest]:
        pattern = re.compile(path_regex)
        return [r for r in self.requests if r.method == method.upper() and pattern.fullmatch(r.path)]

    async def wait_for(self, method: str, path_regex: str, *, count: int = 1, timeout: float = 10.0,
                       status: int | None = 200) -> list[RecordedRequest]:
        """Wait until `count` matching requests (with that response status; None for any) were received."""
        assert self._changed is not None

        def matches() -> list[RecordedRequest]:
            return [r for r in self.find(method, path_regex) if status is None or r.status == status]

        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(lambda: len(matches()) >= count)
        return matches()

    async def dispatch(self, event: str, data: dict[str, Any]) -> float:
        """Send a DISPATCH (op 0) to every connected gateway session; returns the monotonic send time."""
        assert self._sockets, "no gateway session is connected"
        sent = time.monotonic()
        for ws in self._sockets:
            await self._send(ws, {"op": 0, "t": event, "d": data})
        return sent

    async def slash(self, name: str, options: list[dict[str, Any]] | None = None, *, permissions: int = 0,
                    user_id: int = 940000000000000001, resolved: dict[str, Any] | None = None) -> dict[str, Any]:
        """Dispatch INTERACTION_CREATE for a chat-input command in the test guild; returns the payload."""
        payload = self.interaction_payload(name, options, permissions=permissions, user_id=user_id,
                                           resolved=resolved)
        await self.dispatch("INTERACTION_CREATE", payload)
        return payload

    def interaction_payload(self, name: str, options: list[dict[str, Any]] | None = None, *,
                            permissions: int = 0, user_id: int = 940000000000000001,
                            resolved: dict[str, Any] | None = None) -> dict[str, Any]:
        command = next((c for c in self.commands if c["name"] == name), None)
        data: dict[str, Any] = {"id": command["id"] if command else str(next_id()), "name": name, "type": 1,
                                "options": options or []}
        if resolved:
            data["resolved"] = resolved
        return {
            "id": str(next_id()), "application_id": str(APP_ID), "type": 2, "token": f"tok-{next_id()}",
            "version": 1, "guild_id": str(GUILD_ID), "channel_id": str(CHANNEL_ID),
            "channel": self.channel_payload(CHANNEL_ID, "general"),
            "member": {"user": user_payload(user_id, f"user{user_id % 1000}"), "roles": [], "joined_at": _now(),
                       "deaf": False, "mute": False, "flags": 0, "permissions": str(permissions)},
            "app_permissions": str((1 << 41) - 1), "locale": "en-US", "guild_locale": "en-US",
            "attachment_size_limit": 8 * 1024 * 1024, "entitlements": [], "authorizing_integration_owners": {},
            "context": 0, "data": data,
        }

    async def direct_message(self, content: str, *, user_id: int = 940000000000000002,
                             channel_id: int = 950000000000000001, bot: bool = False) -> dict[str, Any]:
        """Dispatch MESSAGE_CREATE for a DM from a user to the bot; returns the payload."""
        payload = {
            "id": str(next_id()), "channel_id": str(channel_id), "type": 0, "content": content,
            "author": user_payload(user_id, f"user{user_id % 1000}", bot=bot), "timestamp": _now(),
            "edited_timestamp": None, "tts": False, "mention_everyone": False, "mentions": [],
            "mention_roles": [], "attachments": [], "embeds": [], "pinned": False, "flags": 0,
        }
        await self.dispatch("MESSAGE_CREATE", payload)
        return payload

    @staticmethod
    def channel_payload(channel_id: int, name: str) -> dict[str, Any]:
        return {"id": str(channel_id), "type": 0, "name": name, "guild_id": str(GUILD_ID), "position": 0,
                "permission_overwrites": [], "nsfw": False, "parent_id": None, "topic": None,
                "last_message_id": None, "rate_limit_per_user": 0, "flags": 0}

    def guild_payload(self) -> dict[str, Any]:
        return {
            "id": str(GUILD_ID), "name": "Test Guild", "icon": None, "owner_id": str(OWNER_ID),
            "unavailable": False, "member_count": 3, "large": False, "features": [], "emojis": [],
            "stickers": [], "roles": [{"id": str(GUILD_ID), "name": "@everyone", "permissions": "0",
                                       "position": 0, "color": 0, "hoist": False, "managed": False,
                                       "mentionable": False, "flags": 0}],
            "channels": [self.channel_payload(CHANNEL_ID, "general"), self.channel_payload(NEWS_CHANNEL_ID, "news")],
            "members": [], "voice_states": [], "presences": [], "threads": [], "stage_instances": [],
            "guild_scheduled_events": [], "soundboard_sounds": [], "joined_at": _now(), "verification_level": 0,
            "default_message_notifications": 0, "explicit_content_filter": 0, "mfa_level": 0,
            "premium_tier": 0, "nsfw_level": 0, "preferred_locale": "en-US", "system_channel_id": None,
        }

    # -- HTTP ---------------------------------------------------------------------------------

    @web.middleware
    async def _record(self, request: web.Request, handler: Callable[[web.Request], Any]) -> web.StreamResponse:
        if request.path == "/gateway":
            response: web.StreamResponse = await handler(request)
            return response
        body: Any = None
        raw = await request.read()
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                body = raw.decode("utf-8", "replace")
        record = RecordedRequest(request.method, request.path.removeprefix(API_PREFIX), dict(request.query),
                                 body, time.monotonic())
        self.requests.append(record)
        request[RECORD] = record
        failure = next((f for f in self._failures
                        if f.method == record.method and f.pattern.fullmatch(record.path)), None)
        if failure is not None:
            self._failures.remove(failure)
            response = self._error(failure)
        else:
            response = await handler(request)
        record.status = response.status
        assert self._changed is not None
        async with self._changed:
            self._changed.notify_all()
        return response

    @staticmethod
    def _error(failure: _Failure) -> web.Response:
        if failure.status == 429:
            return _json(
                {"message": "You are being rate limited.", "retry_after": failure.retry_after, "global": False},
                status=429, headers={"Via": "1.1 google", "Retry-After": str(failure.retry_after),
                                     "X-RateLimit-Scope": "user"})
        return _json({"message": "Missing Access", "code": 50001}, status=failure.status)

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        path = request.path.removeprefix(API_PREFIX)
        method = request.method
        body = request[RECORD].json
        if method == "GET" and path == "/users/@me":
            return _json(user_payload(BOT_ID, "briefbot", bot=True))
        if method == "GET" and path == "/oauth2/applications/@me":
            return _json({
                "id": str(APP_ID), "name": "briefbot", "description": "", "icon": None, "bot_public": True,
                "bot_require_code_grant": False, "owner": user_payload(OWNER_ID, "owner"), "verify_key": "0" * 64,
                "flags": 0, "team": None, "summary": "", "rpc_origins": [], "interactions_endpoint_url": None,
            })
        if method == "GET" and path in ("/gateway", "/gateway/bot"):
            return _json({"url": self.gateway_url, "shards": 1, "session_start_limit": {
                "total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1}})
        if method == "PUT" and re.fullmatch(r"/applications/\d+(/guilds/\d+)?/commands", path):
            self.commands = [{**c, "id": str(next_id()), "application_id": str(APP_ID), "version": "1"}
                             for c in body or []]
            return _json(self.commands)
        if method == "POST" and re.fullmatch(r"/interactions/\d+/[^/]+/callback", path):
            interaction_id = path.split("/")[2]
            flags = ((body or {}).get("data") or {}).get("flags", 0)
            return _json({"interaction": {
                "id": interaction_id, "type": 2, "response_message_loading": body.get("type") == 5,
                "response_message_ephemeral": bool(flags & 64)}})
        if method == "POST" and re.fullmatch(r"/webhooks/\d+/[^/]+", path):
            return _json(self._message(0, body))
        if method in ("PATCH", "GET") and re.fullmatch(r"/webhooks/\d+/[^/]+/messages/[^/]+", path):
            return _json(self._message(CHANNEL_ID, body))
        if method == "DELETE" and re.fullmatch(r"/webhooks/\d+/[^/]+/messages/[^/]+", path):
            return web.Response(status=204)
        if method == "POST" and (m := re.fullmatch(r"/channels/(\d+)/messages", path)):
            return _json(self._message(int(m.group(1)), body))
        if method == "POST" and re.fullmatch(r"/channels/\d+/typing", path):
            return web.Response(status=204)
        if method == "POST" and path == "/users/@me/channels":
            recipient = str((body or {}).get("recipient_id"))
            return _json({"id": str(next_id()), "type": 1, "last_message_id": None,
                                      "recipients": [user_payload(int(recipient), "recipient")]})
        log.warning("fake Discord has no route for %s %s", method, path)
        return _json({"message": "404: Not Found", "code": 0}, status=404)

    def _message(self, channel_id: int, body: Any) -> dict[str, Any]:
        body = body if isinstance(body, dict) else {}
        return {
            "id": str(next_id()), "channel_id": str(channel_id or CHANNEL_ID), "type": 0,
            "content": body.get("content") or "", "embeds": body.get("embeds") or [],
            "author": user_payload(BOT_ID, "briefbot", bot=True), "timestamp": _now(), "edited_timestamp": None,
            "tts": False, "mention_everyone": False, "mentions": [], "mention_roles": [], "attachments": [],
            "pinned": False, "flags": body.get("flags", 0), "components": [],
        }

    # -- gateway ------------------------------------------------------------------------------

    async def _send(self, ws: web.WebSocketResponse, payload: dict[str, Any]) -> None:
        if payload.get("op") == 0:
            self._seq += 1
            payload["s"] = self._seq
        await ws.send_str(json.dumps(payload))

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._sockets.append(ws)
        try:
            await self._send(ws, {"op": 10, "d": {"heartbeat_interval": self.heartbeat_interval_ms}})
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                frame = json.loads(msg.data)
                op = frame.get("op")
                if op == 1:
                    self.heartbeats += 1
                    await ws.send_str(json.dumps({"op": 11}))
                elif op == 2:
                    self.identifies.append(frame["d"])
                    await self._ready(ws, frame["d"].get("shard"))
                elif op == 6:
                    await self._send(ws, {"op": 0, "t": "RESUMED", "d": {}})
        finally:
            self._sockets.remove(ws)
        return ws

    async def _ready(self, ws: web.WebSocketResponse, shard: list[int] | None) -> None:
        await self._send(ws, {"op": 0, "t": "READY", "d": {
            **({"shard": shard} if shard else {}),
            "v": 10, "user": user_payload(BOT_ID, "briefbot", bot=True), "session_id": f"session-{next_id()}",
            "resume_gateway_url": self.gateway_url, "guilds": [{"id": str(GUILD_ID), "unavailable": True}],
            "application": {"id": str(APP_ID), "flags": 0}, "private_channels": [], "relationships": [],
        }})
        await self._send(ws, {"op": 0, "t": "GUILD_CREATE", "d": self.guild_payload()})

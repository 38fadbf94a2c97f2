"""Local WeCom servers for the transport tests: real sockets on loopback, the documented protocol.

- FakeAIBotServer: the AI bot long-connection endpoint (aiohttp WebSocket server).
- FakeWebhookServer: the group-robot webhook (aiohttp HTTP server).
Nothing here is a mock: the transports under test open real connections to these servers.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from bot.app import App
from bot.clock import FakeClock
from bot.config import AppConfig

WAIT_S = 5.0  # bound on every wait for a loopback event
_ids = itertools.count(1)


async def serve_on_loopback(app: web.Application) -> tuple[web.AppRunner, int]:
    """Start an aiohttp app on 127.0.0.1 with a free port; returns the runner and the port."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    server = site._server
    assert server is not None
    port: int = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, port


class Signal:
    """Wait until a condition holds (bounded by WAIT_S; woken on every server change)."""

    def __init__(self) -> None:
        self._changed = asyncio.Event()

    def changed(self) -> None:
        self._changed.set()

    async def until(
        self, predicate: Callable[[], bool], what: str, limit_s: float = WAIT_S
    ) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + limit_s
        while not predicate():
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(f"timed out waiting for: {what}")
            self._changed.clear()
            if predicate():
                return
            # woken by server events; also re-checked every 20 ms for conditions on the bot's
            # side (e.g. its outbox pausing), which do not signal the server
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), min(remaining, 0.02))


@dataclass
class _Conn:
    ws: web.WebSocketResponse
    n: int
    request: web.Request
    subscribed: bool = False
    frames: list[dict[str, Any]] = field(default_factory=list)


class FakeAIBotServer:
    """Speaks WeCom's AI bot long-connection protocol on ws://127.0.0.1:<port>/."""

    def __init__(self, bot_id: str = "bot-1", secret: str = "s3cret") -> None:
        self.bot_id = bot_id
        self.secret = secret
        self.signal = Signal()
        self.conns: list[_Conn] = []
        self.frames: list[dict[str, Any]] = []  # every frame any client sent, in order
        self.raw_rejects: list[str] = []
        self.ack_errcodes: dict[str, list[int]] = {}  # cmd -> errcodes for the next requests
        self.ack_pings = True
        self.ack_requests = True
        self.subscribes_ok = 0
        self.gate = asyncio.Event()  # cleared: new connections wait before the handshake
        self.gate.set()
        self.refuse_connections = False  # True: answer upgrades with HTTP 503
        self.refused = 0
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/", self._handle)
        self._runner, self.port = await serve_on_loopback(app)

    async def stop(self) -> None:
        for conn in list(self.conns):
            await conn.ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    # --- what tests look at ---------------------------------------------------------------

    def sent(self, cmd: str) -> list[dict[str, Any]]:
        return [f for f in self.frames if f.get("cmd") == cmd]

    @property
    def current(self) -> _Conn:
        live = [c for c in self.conns if c.subscribed and not c.ws.closed]
        assert live, "no subscribed connection"
        return live[-1]

    def has_live(self) -> bool:
        return any(c.subscribed and not c.ws.closed for c in self.conns)

    # --- what tests do --------------------------------------------------------------------

    async def push_text(
        self,
        content: str,
        *,
        chatid: str = "chat-1",
        userid: str = "alice",
        msgid: str | None = None,
        req_id: str | None = None,
        chattype: str = "group",
    ) -> str:
        rid = req_id or f"cb-{next(_ids)}"
        body: dict[str, Any] = {
            "msgid": msgid or f"msg-{next(_ids)}",
            "aibotid": self.bot_id,
            "chattype": chattype,
            "from": {"userid": userid},
            "msgtype": "text",
            "text": {"content": content},
        }
        if chattype == "group":
            body["chatid"] = chatid
        await self.push({"cmd": "aibot_msg_callback", "headers": {"req_id": rid}, "body": body})
        return rid

    async def push(self, frame: dict[str, Any]) -> None:
        await self.current.ws.send_str(json.dumps(frame, ensure_ascii=False))

    async def push_raw(self, text: str) -> None:
        await self.current.ws.send_str(text)

    async def drop(self) -> None:
        """Cut the live connection without a close frame (a network drop, as the bot sees it)."""
        conn = self.current
        transport = conn.request.transport
        assert transport is not None
        transport.close()
        await self.signal.until(lambda: conn.ws.closed, "the dropped connection is gone")

    # --- the protocol ---------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if self.refuse_connections:
            self.refused += 1
            self.signal.changed()
            return web.Response(status=503, text="unavailable")
        await self.gate.wait()
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        conn = _Conn(ws, len(self.conns) + 1, request)
        self.conns.append(conn)
        self.signal.changed()
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                try:
                    frame = json.loads(msg.data)
                except ValueError:
                    self.raw_rejects.append(msg.data)
                    continue
                conn.frames.append(frame)
                self.frames.append(frame)
                await self._answer(conn, frame)
                self.signal.changed()
        finally:
            self.signal.changed()
        return ws

    async def _answer(self, conn: _Conn, frame: dict[str, Any]) -> None:
        cmd = frame.get("cmd")
        req_id = frame.get("headers", {}).get("req_id", "")
        if cmd == "aibot_subscribe":
            body = frame.get("body", {})
            if body.get("bot_id") != self.bot_id or body.get("secret") != self.secret:
                await self._ack(conn, req_id, 40058, "invalid bot_id or secret")
                return
            for old in self.conns:  # one connection per bot: the newer one kicks the old
                if old is not conn and old.subscribed and not old.ws.closed:
                    await old.ws.send_str(
                        json.dumps(
                            {
                                "cmd": "aibot_event_callback",
                                "headers": {"req_id": f"ev-{next(_ids)}"},
                                "body": {
                                    "msgid": f"ev-{next(_ids)}",
                                    "create_time": 1700000000,
                                    "aibotid": self.bot_id,
                                    "msgtype": "event",
                                    "event": {"eventtype": "disconnected_event"},
                                },
                            }
                        )
                    )
                    await old.ws.close()
            conn.subscribed = True
            self.subscribes_ok += 1
            await self._ack(conn, req_id, 0, "ok")
            return
        if not conn.subscribed:
            await self._ack(conn, req_id, 40001, "not subscribed")
            return
        if cmd == "ping":
            if self.ack_pings:
                await self._ack(conn, req_id, 0, "ok")
            return
        if cmd in ("aibot_respond_msg", "aibot_send_msg"):
            if not self.ack_requests:
                return
            queued = self.ack_errcodes.get(cmd)
            code = queued.pop(0) if queued else 0
            await self._ack(conn, req_id, code, "ok" if code == 0 else "refused")
            return
        await self._ack(conn, req_id, 40008, "unknown cmd")

    async def _ack(self, conn: _Conn, req_id: str, errcode: int, errmsg: str) -> None:
        if not conn.ws.closed:
            await conn.ws.send_str(
                json.dumps({"headers": {"req_id": req_id}, "errcode": errcode, "errmsg": errmsg})
            )


@asynccontextmanager
async def aibot_server(**kw: Any) -> AsyncIterator[FakeAIBotServer]:
    server = FakeAIBotServer(**kw)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@asynccontextmanager
async def started_app(
    config: AppConfig, sender: Any, db_url: str, clock: FakeClock
) -> AsyncIterator[App]:
    """The real App (real router, real SQLite) sending through the transport's outbox."""
    app = App(config, sender=sender, clock=clock, db_url=db_url)
    await app.start()
    try:
        yield app
    finally:
        await app.close()


class FakeWebhookServer:
    """The group-robot webhook on http://127.0.0.1:<port>/cgi-bin/webhook/send (always HTTP 200)."""

    def __init__(self, keys: tuple[str, ...] = ("robot-key-1",)) -> None:
        self.keys = set(keys)
        self.posts: list[tuple[str, dict[str, Any]]] = []  # (key, body)
        self.errcodes: list[int] = []  # answers for the next valid posts
        self.signal = Signal()
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/cgi-bin/webhook/send"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/cgi-bin/webhook/send", self._handle)
        self._runner, self.port = await serve_on_loopback(app)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.Response:
        key = request.query.get("key", "")
        if key not in self.keys:
            return web.json_response({"errcode": 93000, "errmsg": "invalid webhook url"})
        body = await request.json()
        code = self.errcodes.pop(0) if self.errcodes else 0
        if code == 0:
            self.posts.append((key, body))
        self.signal.changed()
        return web.json_response({"errcode": code, "errmsg": "ok" if code == 0 else "error"})


@asynccontextmanager
async def webhook_server(**kw: Any) -> AsyncIterator[FakeWebhookServer]:
    server = FakeWebhookServer(**kw)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()

"""The official WeCom AI bot (智能机器人) in long-connection mode: a WebSocket client of our own.

Protocol (WeCom "智能机器人长连接"): frames are JSON ``{cmd, headers: {req_id}, body}``.
We send ``aibot_subscribe {bot_id, secret}`` after connecting and ``ping`` every 30 s; WeCom
answers every request with ``{headers: {req_id}, errcode, errmsg}``. Inbound:
``aibot_msg_callback`` (a group message that @-mentions the bot, or a single chat) and
``aibot_event_callback`` (``disconnected_event`` when a newer connection subscribed the same bot:
only one connection per bot). Outbound: ``aibot_respond_msg`` reusing the callback's req_id,
and ``aibot_send_msg {chatid, msgtype}`` into chats where a user already spoke to the bot.
Both count toward 30 messages/minute and 1000/hour per chat.

Why not the official `wecom-aibot-python-sdk` (1.0.2): it reconnects after being kicked by a
newer connection (two processes would kick each other forever), resets its backoff on every TCP
connect rather than on a successful subscribe, recurses connect -> reconnect -> connect, gives up
silently after 10 attempts, is untyped, and installs a top-level package named `aibot`. The
protocol is small; this client is supervised, typed and tested against a local server.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import os
import time
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, WebSocketException

from bot.clock import Clock, SystemClock
from bot.config import AppConfig
from bot.events import Message
from bot.settings.transport import WecomAibotSettings, resolve_secret
from bot.text.inbound import platform_id
from bot.transports.base import Capabilities, TransportError, Visibility, outbox_policy
from bot.transports.outbox import (
    NotConnectedError,
    Outbox,
    OutboxItem,
    PermanentSendError,
    TransientSendError,
    UnknownOutcome,
)
from bot.transports.outbox_store import start_outbox
from bot.transports.wecom_common import (
    EventSink,
    GroupNotes,
    SeenIds,
    StateListener,
    strip_bot_mention,
    utf8_len,
    with_mentions,
)

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger("groupops.transport.wecom_aibot")
# websockets logs every frame at DEBUG, the subscribe frame (with the secret) included: its
# logger for our connections stays at INFO whatever the root level is.
_ws_log = logging.getLogger("groupops.transport.wecom_aibot.websocket")
_ws_log.setLevel(logging.INFO)

DEFAULT_URL = "wss://openws.work.weixin.qq.com"
CAPABILITIES = Capabilities(
    sees=Visibility.MENTIONS, sees_joins=False, can_send_images=False, can_mention=True
)
MAX_TEXT_BYTES = 20480  # stream.content and markdown.content
PER_CHAT_PER_MINUTE = 30
PER_CHAT_PER_HOUR = 1000
RETRYABLE_ERRCODES = frozenset({-1, 45009, 45033})  # system busy, frequency limits
MAX_FRAME_BYTES = 1 << 20

FrameHandler = Callable[[dict[str, Any]], Awaitable[None]]


class LinkState(Enum):
    CONNECTING = "connecting"
    READY = "ready"  # subscribed: frames flow both ways
    KICKED = "kicked"  # a newer connection took over; we stay down on purpose
    FAILED = "failed"  # gave up (credentials rejected too often)
    STOPPED = "stopped"


@dataclass(frozen=True)
class LinkOptions:
    url: str = DEFAULT_URL
    heartbeat_s: float = 30.0
    max_missed_pongs: int = 2
    ack_timeout_s: float = 5.0
    reconnect_base_s: float = 1.0
    reconnect_max_s: float = 60.0
    max_auth_failures: int = 5
    open_timeout_s: float = 10.0
    proxy: str | None = None


class AckError(Exception):
    def __init__(self, errcode: int, errmsg: str) -> None:
        super().__init__(f"errcode={errcode} errmsg={errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg


_REQ_SEQ = itertools.count(1)


def new_req_id(prefix: str) -> str:
    """A unique req_id; the prefix names the command (acks are matched on it)."""
    return f"{prefix}_{int(time.time() * 1000)}_{os.urandom(4).hex()}{next(_REQ_SEQ)}"


class AIBotLink:
    """One supervised long connection: subscribe, heartbeat, acks, reconnect with backoff.

    `run()` returns only when stopped, kicked by a newer connection, or when credentials were
    rejected `max_auth_failures` times in a row. Inbound callbacks go to `on_frame`.
    """

    def __init__(
        self,
        bot_id: str,
        secret: str,
        on_frame: FrameHandler,
        options: LinkOptions | None = None,
        on_state: StateListener | None = None,
    ) -> None:
        self.bot_id = bot_id
        self._secret = secret
        self.on_frame = on_frame
        self.options = options or LinkOptions()
        self.on_state = on_state
        self.state = LinkState.CONNECTING
        self.ready = asyncio.Event()
        self.connections = 0  # subscribed connections so far (tests and status)
        self._ws: ClientConnection | None = None
        self._acks: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._missed_pongs = 0
        self._stopping = False
        self._kicked = False
        self._wake = asyncio.Event()

    # --- public ---------------------------------------------------------------------------

    async def run(self) -> LinkState:
        failures = 0  # consecutive sessions since the last one that reached READY
        auth_failures = 0
        while not self._stopping:
            self._set_state(LinkState.CONNECTING)
            kind, detail = await self._session()
            if self._stopping:
                break
            if kind == "kicked":
                self._set_state(LinkState.KICKED)
                log.error(
                    "WeCom AI bot %s: a newer connection subscribed with the same BotID, so "
                    "WeCom closed this one (only one connection per bot). Not reconnecting, so "
                    "the two do not kick each other in a loop. Stop the other process (or "
                    "deployment) using this bot, then restart groupops.",
                    self.bot_id,
                )
                return self.state
            if kind == "auth":
                auth_failures += 1
                if auth_failures >= self.options.max_auth_failures:
                    self._set_state(LinkState.FAILED)
                    log.error(
                        "WeCom AI bot %s: subscribe rejected %d times in a row; giving up. "
                        "Check the BotID and Secret (WECOM_AIBOT_ID / WECOM_AIBOT_SECRET); the "
                        "bot must be in long-connection API mode.",
                        self.bot_id,
                        auth_failures,
                    )
                    return self.state
            elif kind == "lost":
                failures = 0
                auth_failures = 0
            failures += 1
            delay = min(
                self.options.reconnect_base_s * (2 ** (failures - 1)), self.options.reconnect_max_s
            )
            log.warning(
                "WeCom AI bot %s: %s; reconnecting in %.1fs (attempt %d)",
                self.bot_id,
                detail,
                delay,
                failures,
            )
            await self._pause(delay)
        self._set_state(LinkState.STOPPED)
        return self.state

    async def stop(self) -> None:
        self._stopping = True
        ws = self._ws
        if ws is not None:
            with contextlib.suppress(Exception):
                await ws.close()
        self._wake.set()

    async def request(self, cmd: str, body: dict[str, Any], req_id: str | None = None) -> None:
        """Send one request and wait for its ack.

        Raises NotConnectedError, TransientSendError (no ack in time) or AckError (errcode)."""
        ws = self._ws
        if ws is None or self.state is not LinkState.READY:
            raise NotConnectedError(f"not connected ({self.state.value})")
        rid = req_id or new_req_id(cmd)
        if rid in self._acks:
            raise TransientSendError(f"req_id {rid} already has a request in flight")
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._acks[rid] = future
        try:
            await ws.send(json.dumps({"cmd": cmd, "headers": {"req_id": rid}, "body": body}))
            ack = await asyncio.wait_for(future, self.options.ack_timeout_s)
        except (ConnectionClosed, ConnectionError) as exc:
            raise NotConnectedError(f"{cmd}: connection lost before the ack") from exc
        except TimeoutError as exc:
            raise TransientSendError(f"{cmd}: no ack within the timeout") from exc
        finally:
            self._acks.pop(rid, None)
        errcode = _errcode(ack)
        if errcode != 0:
            raise AckError(errcode, str(ack.get("errmsg", "")))

    # --- one connection -------------------------------------------------------------------

    async def _pause(self, delay: float) -> None:
        self._wake.clear()
        if self._stopping or delay <= 0:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), delay)

    async def _session(self) -> tuple[str, str]:
        """Connect, subscribe, pump frames. Returns (kind, detail) saying why it ended:
        kind is "kicked", "auth" (subscribe rejected), "lost" (was READY) or "failed"."""
        reached_ready = False
        detail = "connection closed"
        try:
            async with connect(
                self.options.url,
                open_timeout=self.options.open_timeout_s,
                ping_interval=None,  # the protocol has its own heartbeat
                ping_timeout=None,
                close_timeout=2,
                max_size=MAX_FRAME_BYTES,
                proxy=self.options.proxy,
                logger=_ws_log,
            ) as ws:
                self._ws = ws
                self._kicked = False
                sub_id = new_req_id("aibot_subscribe")
                await ws.send(  # carries the secret: never logged
                    json.dumps(
                        {
                            "cmd": "aibot_subscribe",
                            "headers": {"req_id": sub_id},
                            "body": {"bot_id": self.bot_id, "secret": self._secret},
                        }
                    )
                )
                ack = await asyncio.wait_for(
                    self._await_subscribe_ack(ws, sub_id), self.options.ack_timeout_s
                )
                code = _errcode(ack)
                if code != 0:
                    log.error(
                        "WeCom AI bot %s: subscribe rejected: errcode=%s errmsg=%s",
                        self.bot_id,
                        code,
                        ack.get("errmsg", ""),
                    )
                    return "auth", f"subscribe rejected (errcode {code})"
                reached_ready = True
                self.connections += 1
                self._missed_pongs = 0
                log.info(
                    "WeCom AI bot %s: subscribed (connection %d)", self.bot_id, self.connections
                )
                self._set_state(LinkState.READY)
                heartbeat = asyncio.create_task(self._heartbeat(ws), name="wecom-aibot-heartbeat")
                try:
                    await self._pump(ws)
                finally:
                    heartbeat.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await heartbeat
                if ws.close_code is not None:
                    detail = f"connection closed (code {ws.close_code} {ws.close_reason!r})"
        except TimeoutError:
            detail = "no subscribe ack within the timeout"
        except ConnectionClosed as exc:
            detail = f"connection closed ({_close_reason(exc)})"
        except (OSError, WebSocketException) as exc:
            detail = f"cannot connect to {self.options.url}: {exc.__class__.__name__}: {exc}"
        finally:
            self._ws = None
            self.ready.clear()
            for future in self._acks.values():
                if not future.done():
                    future.set_exception(ConnectionError("connection closed"))
            if self.state is LinkState.READY:
                self._set_state(LinkState.CONNECTING)
        if self._kicked:
            return "kicked", "kicked by a newer connection"
        return ("lost" if reached_ready else "failed"), detail

    async def _await_subscribe_ack(self, ws: ClientConnection, sub_id: str) -> dict[str, Any]:
        async for raw in ws:
            frame = _parse(raw)
            if frame is None:
                continue
            if _req_id(frame) == sub_id and "cmd" not in frame:
                return frame
            log.warning(
                "WeCom AI bot %s: frame before the subscribe ack ignored: %s",
                self.bot_id,
                _preview(raw),
            )
        raise ConnectionClosed(None, None)

    async def _pump(self, ws: ClientConnection) -> None:
        async for raw in ws:
            frame = _parse(raw)
            if frame is None:
                continue
            cmd = frame.get("cmd")
            if cmd is None:
                self._on_ack(frame)
                continue
            if cmd == "aibot_event_callback" and _event_type(frame) == "disconnected_event":
                self._kicked = True
                log.warning(
                    "WeCom AI bot %s: received disconnected_event (a newer connection took over)",
                    self.bot_id,
                )
                await ws.close()
                return
            if cmd in ("aibot_msg_callback", "aibot_event_callback"):
                try:
                    await self.on_frame(frame)
                except Exception:
                    log.exception("WeCom AI bot %s: handling %s failed", self.bot_id, cmd)
                continue
            log.warning(
                "WeCom AI bot %s: unknown cmd %r ignored: %s", self.bot_id, cmd, _preview(raw)
            )

    def _on_ack(self, frame: dict[str, Any]) -> None:
        rid = _req_id(frame)
        if rid.startswith("ping"):
            if _errcode(frame) == 0:
                self._missed_pongs = 0
            else:
                log.warning("WeCom AI bot %s: heartbeat ack error: %s", self.bot_id, frame)
            return
        future = self._acks.get(rid)
        if future is not None and not future.done():
            future.set_result(frame)
            return
        log.warning("WeCom AI bot %s: unexpected ack ignored: %s", self.bot_id, _preview(frame))

    async def _heartbeat(self, ws: ClientConnection) -> None:
        while True:
            await asyncio.sleep(self.options.heartbeat_s)
            if self._missed_pongs >= self.options.max_missed_pongs:
                log.warning(
                    "WeCom AI bot %s: %d heartbeats without an ack; treating the connection as "
                    "dead",
                    self.bot_id,
                    self._missed_pongs,
                )
                await ws.close(code=4000, reason="heartbeat timeout")
                return
            self._missed_pongs += 1
            try:
                await ws.send(
                    json.dumps({"cmd": "ping", "headers": {"req_id": new_req_id("ping")}})
                )
            except ConnectionClosed:
                return

    def _set_state(self, state: LinkState) -> None:
        if state is self.state:
            return
        was_ready = self.state is LinkState.READY
        self.state = state
        if state is LinkState.READY:
            self.ready.set()
        if self.on_state is not None and (was_ready or state is LinkState.READY):
            try:
                self.on_state(state is LinkState.READY)
            except Exception:
                log.exception("WeCom AI bot %s: connection-state listener failed", self.bot_id)


# --- frame helpers --------------------------------------------------------------------------


def _parse(raw: str | bytes) -> dict[str, Any] | None:
    try:
        frame = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        log.warning("WeCom AI bot: malformed frame (not JSON) ignored: %s", _preview(raw))
        return None
    if not isinstance(frame, dict):
        log.warning("WeCom AI bot: malformed frame (not an object) ignored: %s", _preview(raw))
        return None
    return frame


def _req_id(frame: dict[str, Any]) -> str:
    headers = frame.get("headers")
    rid = headers.get("req_id") if isinstance(headers, dict) else None
    return rid if isinstance(rid, str) else ""


def _errcode(frame: dict[str, Any]) -> int:
    code = frame.get("errcode", -1)
    return code if isinstance(code, int) else -1


def _event_type(frame: dict[str, Any]) -> str:
    body = frame.get("body")
    event = body.get("event") if isinstance(body, dict) else None
    kind = event.get("eventtype") if isinstance(event, dict) else None
    return kind if isinstance(kind, str) else ""


def _preview(raw: object, limit: int = 200) -> str:
    text = raw if isinstance(raw, str) else repr(raw)
    return text if len(text) <= limit else text[:limit] + f"...({len(text)} chars)"


def _close_reason(exc: ConnectionClosed) -> str:
    frame = exc.rcvd or exc.sent
    return f"code {frame.code} {frame.reason!r}" if frame is not None else "no close frame"


# --- the transport --------------------------------------------------------------------------


class WeComAIBotTransport:
    """The AI bot in long-connection mode as a groupops Transport.

    Inbound group callbacks become `Message` events (group = chatid, sender = from.userid, the
    "@BotName" removed, mentions_bot=True), each msgid once. Outbound goes through an Outbox
    (30/min and 1000/h per chat, 20480 bytes per message): a message enqueued while the bot
    handles a callback carries that callback's req_id and answers it with `aibot_respond_msg`
    (a finished stream whose id is the outbox item id, so a retry updates the same message);
    any other message is proactive (`aibot_send_msg` markdown).
    """

    name = "wecom_aibot"
    capabilities = CAPABILITIES

    def __init__(
        self,
        settings: WecomAibotSettings,
        *,
        bot_id: str,
        secret: str,
        bot_names: tuple[str, ...] = (),
        clock: Clock | None = None,
        outbox: Outbox | None = None,
    ) -> None:
        self.settings = settings
        self.clock: Clock = clock or SystemClock()
        self.bot_names = bot_names
        self.outbox = outbox or Outbox(
            self.deliver,
            policy=outbox_policy(settings.outbox, mention_reserve_bytes=70),
            clock=self.clock,
            name=self.name,
            meta_for=self._meta_for,
            connected=False,
            persist=settings.outbox.persist,
            # after a restart a reply can only go out proactively, and aibot_send_msg keeps
            # no client id: a resend could post twice
            unknown_outcome=UnknownOutcome.GIVE_UP,
        )
        options = LinkOptions(
            url=settings.url,
            heartbeat_s=settings.heartbeat_s,
            ack_timeout_s=settings.ack_timeout_s,
            reconnect_base_s=settings.reconnect_initial_s,
            reconnect_max_s=settings.reconnect_max_s,
            max_auth_failures=settings.max_auth_failures,
        )
        self.link = AIBotLink(bot_id, secret, self._on_frame, options, self._on_state)
        self.seen = SeenIds()
        self._on_event: EventSink | None = None
        self._listed: Callable[[], Collection[str]] = lambda: ()
        self._groups = GroupNotes("WeCom AI bot", log)
        self._inbox: asyncio.Queue[tuple[Message, str]] = asyncio.Queue()
        self._answering: dict[str, str] = {}  # chatid -> req_id of the message being handled
        self._answered: SeenIds = SeenIds()  # req_ids already used by aibot_respond_msg
        self._dispatcher: asyncio.Task[None] | None = None

    @property
    def sender(self) -> Outbox:
        return self.outbox

    # --- lifecycle ------------------------------------------------------------------------

    async def run(self, app: App) -> None:
        """Run until closed; TransportError when kicked or when credentials are refused."""
        await start_outbox(self.outbox, app, persist=self.settings.outbox.persist)
        self._listed = lambda: app.config.groups
        await self.run_with(app.handle)

    async def run_with(self, on_event: EventSink) -> None:
        self._on_event = on_event
        self._dispatcher = asyncio.create_task(self._dispatch(), name="wecom-aibot-dispatch")
        try:
            state = await self.link.run()
        finally:
            self._dispatcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._dispatcher
        if state is LinkState.KICKED:
            raise TransportError(
                "WeCom AI bot: another connection took over this bot (one connection per bot); "
                "stop the other process using the same BotID, then restart"
            )
        if state is LinkState.FAILED:
            raise TransportError(
                "WeCom AI bot: the BotID/secret were refused; check WECOM_AIBOT_ID and "
                "WECOM_AIBOT_SECRET (long-connection API mode)"
            )

    async def close(self) -> None:
        await self.link.stop()
        await self.outbox.close()

    def _on_state(self, ready: bool) -> None:
        self.outbox.set_connected(ready)

    # --- inbound --------------------------------------------------------------------------

    async def _on_frame(self, frame: dict[str, Any]) -> None:
        cmd = frame.get("cmd")
        body = frame.get("body")
        if not isinstance(body, dict):
            log.warning("WeCom AI bot: %s without a body ignored: %s", cmd, _preview(frame))
            return
        msgid = body.get("msgid")
        if not isinstance(msgid, str) or not msgid:
            log.warning("WeCom AI bot: %s without msgid ignored: %s", cmd, _preview(frame))
            return
        if not self.seen.first_time(msgid):
            log.info("WeCom AI bot: duplicate msgid %s ignored (WeCom retry)", msgid)
            return
        if cmd == "aibot_event_callback":
            log.info("WeCom AI bot: event %r received (no action)", _event_type(frame) or "?")
            return
        message = to_message(body, self.bot_names, self.clock.now())
        if message is not None:
            self._inbox.put_nowait((message, _req_id(frame)))

    async def _dispatch(self) -> None:
        """Hand messages to the bot one at a time, in arrival order, off the socket reader."""
        while True:
            message, req_id = await self._inbox.get()
            self._groups.note(message.group_id, self._listed())
            self._answering[message.group_id] = req_id
            try:
                if self._on_event is not None:
                    await self._on_event(message)
            except Exception:
                log.exception(
                    "WeCom AI bot: handling message %s in %s failed",
                    message.message_id,
                    message.group_id,
                )
            finally:
                self._answering.pop(message.group_id, None)

    def _meta_for(self, chatid: str) -> dict[str, str]:
        req_id = self._answering.get(chatid)
        return {"req_id": req_id} if req_id else {}

    # --- outbound -------------------------------------------------------------------------

    async def deliver(self, item: OutboxItem) -> None:
        """Send one outbox item (raises the outbox's errors)."""
        if item.kind == "image":
            log.info(
                "WeCom AI bot: images are not sent; posting the caption to %s", item.conversation
            )
        content = with_mentions(item.text, item.mentions)
        size = utf8_len(content)
        if size > MAX_TEXT_BYTES:
            raise PermanentSendError(
                f"message of {size} bytes exceeds WeCom's {MAX_TEXT_BYTES}-byte limit"
            )
        if not content.strip():
            return
        req_id = item.meta.get("req_id", "")
        age = (self.clock.now() - item.created_at).total_seconds()
        if req_id and age <= self.settings.reply_window_s and self._answered.first_time(req_id):
            body = {
                "msgtype": "stream",
                "stream": {"id": item.id, "finish": True, "content": content},
            }
            try:
                await self.link.request("aibot_respond_msg", body, req_id=req_id)
                return
            except AckError as exc:
                log.warning(
                    "WeCom AI bot: reply in %s refused (%s); sending it proactively instead",
                    item.conversation,
                    exc,
                )
            except TransientSendError:
                self._answered.forget(req_id)  # the retry may answer again (same stream id)
                raise
        body = {
            "chatid": platform_id(item.conversation),
            "msgtype": "markdown",
            "markdown": {"content": content},
        }
        try:
            await self.link.request("aibot_send_msg", body)
        except AckError as exc:
            if exc.errcode in RETRYABLE_ERRCODES:
                raise TransientSendError(f"aibot_send_msg: {exc}", retry_after=60.0) from exc
            log.error(
                "WeCom AI bot: proactive message to %s refused (%s). WeCom allows proactive "
                "messages only in chats where a member already @-mentioned the bot.",
                item.conversation,
                exc,
            )
            raise PermanentSendError(f"aibot_send_msg to {item.conversation}: {exc}") from exc


def to_message(
    body: dict[str, Any],
    bot_names: tuple[str, ...],
    now: datetime,
    logger: logging.Logger = log,
) -> Message | None:
    """A bot Message from a callback body (both AI bot modes), or None (logged) when it is
    not one we serve."""
    msgid = str(body.get("msgid"))
    sender = body.get("from")
    userid = sender.get("userid") if isinstance(sender, dict) else None
    if not isinstance(userid, str) or not userid:
        logger.warning("WeCom: message %s without from.userid ignored", msgid)
        return None
    chattype = body.get("chattype")
    if chattype != "group":
        logger.info(
            "WeCom: %s-chat message %s from %s ignored (groupops serves group chats)",
            chattype,
            msgid,
            userid,
        )
        return None
    chatid = body.get("chatid")
    if not isinstance(chatid, str) or not chatid:
        logger.warning("WeCom: group message %s without chatid ignored", msgid)
        return None
    content = _text_of(body)
    if content is None:
        logger.info(
            "WeCom: unsupported message type %r (message %s in %s) ignored",
            body.get("msgtype"),
            msgid,
            chatid,
        )
        return None
    text, _ = strip_bot_mention(content, bot_names)
    quote = body.get("quote")
    return Message(
        group_id=chatid,
        sender_id=userid,
        message_id=msgid,
        text=text,
        time=now,
        mentions=(),  # WeCom gives display names only (never user ids) for other @s
        mentions_bot=True,
        sender_name=userid,
        quote_text=_text_of(quote) if isinstance(quote, dict) else None,
    )


def _text_of(body: dict[str, Any]) -> str | None:
    """The text of a text/mixed/voice payload; None for types without text."""
    kind = body.get("msgtype")
    if kind in ("text", "voice"):
        part = body.get(kind)
        content = part.get("content") if isinstance(part, dict) else None
        return content if isinstance(content, str) else None
    if kind == "mixed":
        mixed = body.get("mixed")
        items = mixed.get("msg_item") if isinstance(mixed, dict) else None
        if not isinstance(items, list):
            return None
        texts = [
            item["text"]["content"]
            for item in items
            if isinstance(item, dict)
            and item.get("msgtype") == "text"
            and isinstance(item.get("text"), dict)
            and isinstance(item["text"].get("content"), str)
        ]
        return "\n".join(texts) if texts else None
    return None


def build(config: AppConfig) -> WeComAIBotTransport:
    """The transport `transport.type: wecom_aibot` selects (secrets from the environment)."""
    settings = config.root.transport.wecom_aibot
    bot_id = resolve_secret(settings.bot_id, settings.bot_id_env, "the WeCom AI bot BotID")
    secret = resolve_secret(settings.secret, settings.secret_env, "the WeCom AI bot Secret")
    names = tuple(dict.fromkeys([*settings.mention_names, config.root.bot.name]))
    return WeComAIBotTransport(settings, bot_id=bot_id, secret=secret, bot_names=names)

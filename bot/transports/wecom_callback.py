"""The WeCom AI bot (智能机器人) in callback mode: an HTTP endpoint WeCom calls (needs a public URL).

Protocol (WeCom "回调和回复的加解密方案", "接收消息", "被动回复消息", "主动回复消息"):

- ``GET ?msg_signature&timestamp&nonce&echostr``: URL verification; answer the decrypted echostr
  as plain text within a second.
- ``POST ?msg_signature&timestamp&nonce`` with ``{"encrypt": ...}``: a message (text, mixed,
  ...), an event, or a stream refresh (``msgtype: "stream"``, ``stream.id``). The passive reply
  is the encrypted envelope ``{encrypt, msgsignature, timestamp, nonce}`` of a stream message
  ``{"msgtype": "stream", "stream": {"id", "finish", "content"}}``; while ``finish`` is false
  WeCom keeps sending refresh callbacks for that stream id (up to 6 minutes).
- Each message carries a ``response_url`` for one proactive markdown answer (used when a
  message for a chat is not an answer to a callback in progress).

Every request is checked in order: parameters, timestamp freshness (``max_clock_skew_s``,
injected clock), signature (constant time), body size, JSON, decryption, msgid (each handled
once). A failure is one clear log line and an HTTP error status, never a crash.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx
from aiohttp import web

from bot.clock import Clock, SystemClock
from bot.config import AppConfig
from bot.events import Message
from bot.settings.transport import WecomCallbackSettings, resolve_secret
from bot.transports.base import Capabilities, TransportError, Visibility, outbox_policy
from bot.transports.outbox import (
    Outbox,
    OutboxItem,
    PermanentSendError,
    TransientSendError,
    UnknownOutcome,
)
from bot.transports.outbox_store import start_outbox
from bot.transports.wecom_aibot import MAX_TEXT_BYTES, to_message
from bot.transports.wecom_common import (
    EventSink,
    GroupNotes,
    SeenIds,
    utf8_len,
    with_mentions,
)
from bot.transports.wecom_crypto import DecryptError, SignatureError, WeComCrypto

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger("groupops.transport.wecom_callback")

CAPABILITIES = Capabilities(
    sees=Visibility.MENTIONS, sees_joins=False, can_send_images=False, can_mention=True
)
STREAM_LIFETIME_S = 360.0  # WeCom stops refreshing a stream six minutes after the message


@dataclass
class _Stream:
    """The answer to one message: filled by deliver(), read by the reply and the refreshes."""

    id: str
    chatid: str
    msgid: str
    started: float  # loop time
    texts: list[str] = field(default_factory=list)
    delivered: set[str] = field(default_factory=set)  # outbox item ids appended
    handled: bool = False  # the bot finished handling the message
    finished: bool = False  # a reply with finish=true went out
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def content(self) -> str:
        return "\n\n".join(self.texts)


class BadRequest(Exception):
    def __init__(self, status: int, why: str) -> None:
        super().__init__(why)
        self.status = status
        self.why = why


class WeComCallbackTransport:
    """The AI bot's callback URL as a groupops Transport (aiohttp server + Outbox)."""

    name = "wecom_callback"
    capabilities = CAPABILITIES

    def __init__(
        self,
        settings: WecomCallbackSettings,
        *,
        token: str,
        aes_key: str,
        bot_names: tuple[str, ...] = (),
        clock: Clock | None = None,
        host: str | None = None,
        port: int | None = None,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        self.settings = settings
        self.crypto = WeComCrypto(token, aes_key, settings.receive_id)
        self.bot_names = bot_names
        self.clock: Clock = clock or SystemClock()
        self.host = host if host is not None else settings.host
        self.port = port if port is not None else settings.port
        self.outbox = Outbox(
            self.deliver,
            policy=outbox_policy(settings.outbox, mention_reserve_bytes=70),
            clock=self.clock,
            name=self.name,
            meta_for=self._meta_for,
            persist=settings.outbox.persist,
            # the HTTP response a reply belonged to is gone after a restart; response_url
            # keeps no client id
            unknown_outcome=UnknownOutcome.GIVE_UP,
        )
        self.seen = SeenIds()
        self._http = http
        self._streams: dict[str, _Stream] = {}  # stream id -> stream
        self._by_msgid: dict[str, str] = {}  # msgid -> stream id
        self._answering: dict[str, str] = {}  # chatid -> stream id being answered
        self._response_urls: dict[str, tuple[str, float]] = {}  # chatid -> (url, loop time)
        self._inbox: asyncio.Queue[tuple[Message, _Stream]] = asyncio.Queue()
        self._on_event: EventSink | None = None
        self._listed: Callable[[], Collection[str]] = lambda: ()
        self._groups = GroupNotes("WeCom callback", log)
        self._runner: web.AppRunner | None = None
        self._dispatcher: asyncio.Task[None] | None = None
        self._closed = asyncio.Event()

    @property
    def sender(self) -> Outbox:
        return self.outbox

    # --- lifecycle ------------------------------------------------------------------------

    def web_app(self) -> web.Application:
        app = web.Application(client_max_size=self.settings.max_body_bytes)
        app.router.add_get(self.settings.path, self._get)
        app.router.add_post(self.settings.path, self._post)
        return app

    async def run(self, app: App) -> None:
        await start_outbox(self.outbox, app, persist=self.settings.outbox.persist)
        self._listed = lambda: app.config.groups
        await self.serve(app.handle)
        await self._closed.wait()

    async def serve(self, on_event: EventSink) -> None:
        """Start listening (returns once the socket is bound; `port` is then the real port)."""
        self._on_event = on_event
        self._dispatcher = asyncio.create_task(self._dispatch(), name="wecom-callback-dispatch")
        self._runner = web.AppRunner(self.web_app(), access_log=None)  # URLs carry signatures
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        sockets = getattr(site._server, "sockets", None)
        if sockets:
            self.port = int(sockets[0].getsockname()[1])
        log.info(
            "WeCom callback: listening on http://%s:%d%s", self.host, self.port, self.settings.path
        )

    async def close(self) -> None:
        self._closed.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._dispatcher is not None:
            self._dispatcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._dispatcher
            self._dispatcher = None
        await self.outbox.close()
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    # --- HTTP -----------------------------------------------------------------------------

    def _params(self, request: web.Request, *names: str) -> dict[str, str]:
        return check_params(
            request.query, names, self.clock.now().timestamp(), self.settings.max_clock_skew_s
        )

    def _refuse(self, request: web.Request, exc: BadRequest) -> web.Response:
        log.warning(
            "WeCom callback: %s %s refused with HTTP %d: %s",
            request.method,
            request.path,
            exc.status,
            exc.why,
        )
        return web.Response(status=exc.status, text=exc.why)

    async def _get(self, request: web.Request) -> web.Response:
        """URL verification: the decrypted echostr, as plain text."""
        try:
            p = self._params(request, "msg_signature", "timestamp", "nonce", "echostr")
            echo = verify_echo(self.crypto, p)
        except BadRequest as exc:
            return self._refuse(request, exc)
        log.info("WeCom callback: URL verified")
        return web.Response(text=echo, content_type="text/plain")

    async def _post(self, request: web.Request) -> web.Response:
        try:
            p = self._params(request, "msg_signature", "timestamp", "nonce")
            try:
                raw = await request.read()
            except web.HTTPRequestEntityTooLarge:
                raise BadRequest(
                    413, f"body larger than max_body_bytes ({self.settings.max_body_bytes})"
                ) from None
            body = open_body(self.crypto, p, raw)
        except BadRequest as exc:
            return self._refuse(request, exc)
        try:
            reply = await self._on_callback(body)
        except Exception:
            log.exception("WeCom callback: handling a callback failed")
            return web.Response(text="")
        if reply is None:
            return web.Response(text="")  # "回复空包": acknowledged, nothing to show
        sealed = self.crypto.seal(
            json.dumps(reply, ensure_ascii=False),
            nonce=p["nonce"],
            timestamp=str(int(self.clock.now().timestamp())),
        )
        return web.json_response(sealed)

    # --- callbacks ------------------------------------------------------------------------

    async def _on_callback(self, body: dict[str, Any]) -> dict[str, Any] | None:
        msgtype = body.get("msgtype")
        if msgtype == "stream":
            stream_part = body.get("stream")
            sid = stream_part.get("id") if isinstance(stream_part, dict) else None
            stream = self._streams.get(sid) if isinstance(sid, str) else None
            if stream is None:
                log.warning("WeCom callback: refresh for unknown stream %r; finishing it", sid)
                return _stream_reply(str(sid or ""), "", finish=True)
            return await self._answer(stream, self.settings.refresh_wait_s)
        msgid = body.get("msgid")
        if not isinstance(msgid, str) or not msgid:
            log.warning("WeCom callback: %s callback without msgid ignored", msgtype)
            return None
        if not self.seen.first_time(msgid):
            sid = self._by_msgid.get(msgid)
            log.info("WeCom callback: duplicate msgid %s (WeCom retry) answered once", msgid)
            stream = self._streams.get(sid) if sid else None
            return await self._answer(stream, self.settings.refresh_wait_s) if stream else None
        if msgtype == "event":
            event = body.get("event")
            kind = event.get("eventtype") if isinstance(event, dict) else None
            log.info("WeCom callback: event %r received (no action)", kind)
            return None
        message = to_message(body, self.bot_names, self.clock.now(), log)
        if message is None:
            return None
        url = body.get("response_url")
        loop = asyncio.get_running_loop()
        if isinstance(url, str) and url:
            self._response_urls[message.group_id] = (url, loop.time())
        stream = _Stream(os.urandom(12).hex(), message.group_id, msgid, loop.time())
        self._streams[stream.id] = stream
        self._by_msgid[msgid] = stream.id
        self._prune(loop.time())
        self._inbox.put_nowait((message, stream))
        return await self._answer(stream, self.settings.reply_wait_s)

    async def _answer(self, stream: _Stream, wait_s: float) -> dict[str, Any]:
        """The stream's state, after waiting (bounded) for the bot to finish answering."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait_s
        while not self._settled(stream):
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            stream.changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stream.changed.wait(), remaining)
        expired = loop.time() - stream.started > STREAM_LIFETIME_S
        finish = self._settled(stream) or expired
        stream.finished = stream.finished or finish
        return _stream_reply(stream.id, stream.content, finish=finish)

    def _settled(self, stream: _Stream) -> bool:
        if not stream.handled:
            return False
        return all(
            item.id in stream.delivered
            for item in self.outbox.pending()
            if item.meta.get("stream_id") == stream.id
        )

    def _prune(self, now: float) -> None:
        for sid, stream in list(self._streams.items()):
            if now - stream.started > STREAM_LIFETIME_S * 2:
                del self._streams[sid]
                self._by_msgid.pop(stream.msgid, None)

    async def _dispatch(self) -> None:
        """Hand messages to the bot one at a time, in arrival order."""
        while True:
            message, stream = await self._inbox.get()
            self._groups.note(message.group_id, self._listed())
            self._answering[message.group_id] = stream.id
            try:
                if self._on_event is not None:
                    await self._on_event(message)
            except Exception:
                log.exception(
                    "WeCom callback: handling message %s in %s failed",
                    message.message_id,
                    message.group_id,
                )
            finally:
                self._answering.pop(message.group_id, None)
                stream.handled = True
                stream.changed.set()

    def _meta_for(self, chatid: str) -> dict[str, str]:
        sid = self._answering.get(chatid)
        return {"stream_id": sid} if sid else {}

    # --- outbound -------------------------------------------------------------------------

    async def deliver(self, item: OutboxItem) -> None:
        content = with_mentions(item.text, item.mentions)
        if not content.strip():
            return
        stream = self._streams.get(item.meta.get("stream_id", ""))
        fits = stream is not None and (
            utf8_len(stream.content) + utf8_len(content) + 2 <= MAX_TEXT_BYTES
        )
        if stream is not None and not stream.finished and fits:
            stream.texts.append(content)
            stream.delivered.add(item.id)
            stream.changed.set()
            return
        await self._proactive(item, content)

    async def _proactive(self, item: OutboxItem, content: str) -> None:
        """One markdown message through the chat's latest unused response_url."""
        entry = self._response_urls.pop(item.conversation, None)
        loop = asyncio.get_running_loop()
        if entry is None or loop.time() - entry[1] > self.settings.response_url_ttl_s:
            log.error(
                "WeCom callback: cannot post into %s: in callback mode the AI bot can only "
                "answer a member's message (each gives one response_url). For scheduled posts "
                "use the wecom_aibot (long connection) or wecom_webhook transport.",
                item.conversation,
            )
            raise PermanentSendError(f"no response_url for {item.conversation}")
        if utf8_len(content) > MAX_TEXT_BYTES:
            raise PermanentSendError(f"message of {utf8_len(content)} bytes is too long")
        client = self._http
        if client is None:
            client = self._http = httpx.AsyncClient(timeout=10.0)
        body = {"msgtype": "markdown", "markdown": {"content": content}}
        try:
            response = await client.post(entry[0], json=body)
            answer = response.json()
            errcode = int(answer.get("errcode", -1))
        except (httpx.HTTPError, ValueError, AttributeError, TypeError) as exc:
            # the url may or may not have been used: keep it for the retry
            self._response_urls.setdefault(item.conversation, entry)
            raise TransientSendError(f"response_url: {exc.__class__.__name__}") from exc
        if errcode != 0:
            log.error(
                "WeCom callback: response_url answer to %s refused: errcode %s %s",
                item.conversation,
                errcode,
                answer.get("errmsg", ""),
            )
            raise PermanentSendError(f"response_url refused: errcode {errcode}")


# --- the decoder: query parameters, envelope, signature, decryption, inner JSON -----------
#
# Pure functions over what the HTTP request carried; each failure is a BadRequest with the
# status and one line saying why (tests/test_wecom_callback_properties.py: any input gives
# a result or a BadRequest, never another exception).

_TIMESTAMP = re.compile(r"[0-9]{1,12}")  # Unix seconds; 12 digits reach the year 33658
_SIGNATURE = re.compile(r"[0-9a-fA-F]{40}")  # a sha1 hex digest
_PRINTABLE = re.compile(r"[\x21-\x7e]{1,256}")  # a nonce: printable ASCII
_ENVELOPE = 'body is not {"encrypt": "..."}'
_INNER = "decrypted body is not a JSON object"


def check_params(
    query: Mapping[str, str], names: Sequence[str], now: float, max_skew_s: float
) -> dict[str, str]:
    """The named query parameters, checked for shape and the timestamp for freshness."""
    values = {n: query.get(n, "") for n in names}
    missing = [n for n, v in values.items() if not v]
    if missing:
        raise BadRequest(400, f"missing query parameter(s): {', '.join(missing)}")
    if _TIMESTAMP.fullmatch(values["timestamp"]) is None:
        raise BadRequest(400, "timestamp is not a number of seconds (1 to 12 digits)")
    skew = abs(now - int(values["timestamp"]))
    if skew > max_skew_s:
        raise BadRequest(
            403,
            f"stale timestamp ({skew:.0f}s from our clock, allowed {max_skew_s:g}s): "
            "a replay, or a wrong clock",
        )
    if _SIGNATURE.fullmatch(values["msg_signature"]) is None:
        raise BadRequest(401, "msg_signature is not a sha1 hex digest")
    if _PRINTABLE.fullmatch(values["nonce"]) is None:
        raise BadRequest(400, "nonce is not 1 to 256 printable ASCII characters")
    if "echostr" in values and not values["echostr"].isascii():
        raise BadRequest(400, "echostr is not base64")
    return values


def verify_echo(crypto: WeComCrypto, params: Mapping[str, str]) -> str:
    """URL verification: the decrypted echostr."""
    try:
        return crypto.verify_url(
            params["msg_signature"], params["timestamp"], params["nonce"], params["echostr"]
        )
    except SignatureError:
        raise BadRequest(401, "bad msg_signature (check the Token)") from None
    except DecryptError as exc:
        raise BadRequest(400, f"echostr does not decrypt: {exc}") from None


def _json(data: bytes | str, what: str) -> Any:
    try:
        return json.loads(data)
    except RecursionError:
        raise BadRequest(400, f"{what}: nested too deeply") from None
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError
        raise BadRequest(400, f"{what}: {exc}") from None


def open_body(crypto: WeComCrypto, params: Mapping[str, str], raw: bytes) -> dict[str, Any]:
    """A POSTed body `{"encrypt": ...}`: signature checked, decrypted, parsed as an object."""
    envelope = _json(raw, _ENVELOPE)
    encrypted = envelope.get("encrypt") if isinstance(envelope, dict) else None
    if not isinstance(encrypted, str) or not encrypted.isascii():
        raise BadRequest(400, f"{_ENVELOPE}: no ASCII string field encrypt")
    try:
        plain = crypto.open(
            params["msg_signature"], params["timestamp"], params["nonce"], encrypted
        )
    except SignatureError:
        raise BadRequest(401, "bad msg_signature (check the Token)") from None
    except DecryptError as exc:
        raise BadRequest(400, f"does not decrypt (check the EncodingAESKey): {exc}") from None
    body = _json(plain, _INNER)
    if not isinstance(body, dict):
        raise BadRequest(400, f"{_INNER}: {type(body).__name__}")
    return body


def _stream_reply(stream_id: str, content: str, *, finish: bool) -> dict[str, Any]:
    return {"msgtype": "stream", "stream": {"id": stream_id, "finish": finish, "content": content}}


def build(config: AppConfig) -> WeComCallbackTransport:
    """The transport `transport.type: wecom_callback` selects (secrets from the environment)."""
    settings = config.root.transport.wecom_callback
    token = resolve_secret(settings.token, settings.token_env, "the WeCom callback Token")
    aes_key = resolve_secret(
        settings.aes_key, settings.aes_key_env, "the WeCom callback EncodingAESKey"
    )
    names = tuple(dict.fromkeys([*settings.mention_names, config.root.bot.name]))
    try:
        return WeComCallbackTransport(settings, token=token, aes_key=aes_key, bot_names=names)
    except ValueError as exc:
        raise TransportError(f"transport wecom_callback: {exc}") from exc

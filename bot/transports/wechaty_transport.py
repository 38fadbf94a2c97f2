"""The wechaty transport: python-wechaty (0.10.7) against a Wechaty puppet-service gateway.

One connection is one `Wechaty` instance talking gRPC to `endpoint` with `token`, over TLS
by default (bot/transports/wechaty_connection.py: the Wechaty root CA, the server name
from the token's prefix, `authorization: Wechaty <token>` on every call). Its puppet comes
from wechaty_shim.gateway_puppet(): it opens the event stream, then calls `Start`, and
never sends `Stop`, so connecting, reconnecting and shutting down leave the gateway's
puppet (the account) running, as the Node client does.

We do not call `Wechaty.start()`: it sleeps 60 s on a lost connection, restarts itself and
stops the whole event loop on a puppet error. Instead the supervisor here runs the same
steps (init_puppet, the event bridge, puppet.start) and owns the policy:

- start-up: the endpoint is checked with a TCP connect first; unreachable (or a gateway
  that fails before sending any event) is a TransportError that says what it looks like
  (unreachable, TLS mismatch, refused token, certificate) and what to set;
- later: a lost connection (the event stream ends, or a Ding heartbeat fails) is logged
  and retried with exponential backoff on a fresh Wechaty instance; meanwhile the outbox
  queues replies and sends them once after the next login.

The token never appears in what the transport logs or raises (wechaty_shim.redact).

Room messages (text type 7 on the wire, mapped to MESSAGE_TYPE_TEXT by the client),
mentions and joins/leaves become bot events with the platform's stable ids; the bot's
own messages and private chats are dropped. Events are handled one at a time, in order.
Replies go out through the outbox as `room.say(text, mention_ids)`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import socket
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from bot.app import App
from bot.clock import Clock, SystemClock
from bot.config import AppConfig
from bot.events import Event, MemberJoined, MemberLeft, Message, event_key
from bot.settings.transport import WechatyTransportSettings, resolve_secret
from bot.text.inbound import platform_id
from bot.text.quotes import split_wechat_quote
from bot.transports.base import Capabilities, TransportError, Visibility, outbox_policy
from bot.transports.outbox import (
    NotConnectedError,
    Outbox,
    OutboxItem,
    PermanentSendError,
    Sleep,
    TransientSendError,
    UnknownOutcome,
)
from bot.transports.outbox_store import start_outbox
from bot.transports.wechaty_connection import GatewayConnection, connection_for, diagnose, reason_of
from bot.transports.wechaty_shim import (
    gateway_puppet,
    import_wechaty,
    mask_secret,
    quiet_http2,
    redact,
    tame_loggers,
)

log = logging.getLogger("groupops.wechaty")

CAPABILITIES = Capabilities(sees=Visibility.ALL, sees_joins=True, can_send_images=True)
MENTION_RESERVE_BYTES = 64  # room.say() prepends "@<name>\u2005" per mention
TEXT_TYPES = ("MESSAGE_TYPE_TEXT",)
IMAGE_TYPES = ("MESSAGE_TYPE_IMAGE",)
SECONDS_LIMIT = 2145888000  # wechaty's rule: larger timestamps are milliseconds
FIRST_EVENT_WAIT_S = 5.0  # Start after the stream's first event or this long (Node client)


class Unreachable(OSError):
    """The endpoint did not accept a TCP connection."""


class ConnectionLost(Exception):
    """The heartbeat found the connection dead."""


def parse_endpoint(endpoint: str) -> tuple[str, int]:
    host, sep, port = endpoint.strip().rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise TransportError(
            f"wechaty endpoint {endpoint!r} is not host:port (e.g. 127.0.0.1:8788)"
        )
    return host.strip("[]"), int(port)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _time_of(timestamp: float | int | None, fallback: datetime) -> datetime:
    if not timestamp:
        return fallback
    seconds = timestamp / 1000 if timestamp > SECONDS_LIMIT else float(timestamp)
    return datetime.fromtimestamp(seconds, UTC)


def _aware(value: datetime | None, fallback: datetime) -> datetime:
    """wechaty hands out naive local datetimes."""
    if value is None:
        return fallback
    return value.astimezone(UTC)


def _type_name(value: Any) -> str:
    return str(getattr(value, "name", value))


# --- payload -> event (pure functions over what python-wechaty gives us) ------------------


def strip_bot_mention(text: str, names: Sequence[str]) -> str:
    """Remove "@<bot name>" (WeChat puts U+2005 after a mention) so "@小助手 打卡" reads
    as "打卡" to the handlers, like on the console."""
    for name in names:
        if name:
            text = re.sub(rf"@{re.escape(name)}(?:\u2005|\s|$)", "", text)
    return text.strip()


def message_event(
    msg: Any,
    self_id: str,
    now: datetime,
    talker_name: str = "",
    bot_names: Sequence[str] = (),
) -> Message | None:
    """A bot Message for a wechaty Message, or None when the bot should not see it."""
    payload = msg.payload
    room_id = payload.room_id or ""
    from_id = payload.from_id or ""
    if not room_id:
        return None  # a private chat: the bot operates groups only
    if from_id == self_id:
        return None  # the bot's own message
    kind = _type_name(payload.type)
    if kind in TEXT_TYPES:
        text, is_image = payload.text or "", False
    elif kind in IMAGE_TYPES:
        text, is_image = "", True
    else:
        log.debug("wechaty: message %s of type %s ignored", payload.id, kind)
        return None
    mention_ids = [m for m in (payload.mention_ids or []) if m]
    mentions_bot = self_id in mention_ids
    quote_text = None
    quoted = split_wechat_quote(text) if text.startswith("「") else None
    if quoted is not None:  # a quote reply: the quoted message travels as quote_text
        quote_text, text = quoted
    if mentions_bot:
        text = strip_bot_mention(text, bot_names)
    return Message(
        group_id=room_id,
        sender_id=from_id,
        message_id=payload.id or msg.message_id,
        text=text,
        time=_time_of(payload.timestamp, now),
        mentions=tuple(dict.fromkeys(m for m in mention_ids if m != self_id)),
        mentions_bot=mentions_bot,
        sender_name=talker_name,
        quote_text=quote_text,
        is_image=is_image,
    )


def join_events(
    room_id: str,
    member_ids: Sequence[tuple[str, str]],
    inviter_id: str | None,
    when: datetime,
    self_id: str,
) -> list[MemberJoined]:
    stamp = int(when.timestamp())
    return [
        MemberJoined(
            group_id=room_id,
            member_id=member_id,
            time=when,
            event_id=f"join:{room_id}:{member_id}:{stamp}",
            member_name=name,
            inviter_id=inviter_id or None,
        )
        for member_id, name in member_ids
        if member_id and member_id != self_id
    ]


def leave_events(
    room_id: str, member_ids: Sequence[str], when: datetime, self_id: str
) -> list[MemberLeft]:
    stamp = int(when.timestamp())
    return [
        MemberLeft(room_id, member_id, when, event_id=f"leave:{room_id}:{member_id}:{stamp}")
        for member_id in member_ids
        if member_id and member_id != self_id
    ]


# --- the transport -----------------------------------------------------------------------


class WechatyTransport:
    name = "wechaty"
    capabilities = CAPABILITIES

    def __init__(
        self,
        endpoint: str,
        token: str,
        settings: WechatyTransportSettings | None = None,
        *,
        clock: Clock | None = None,
        sleep: Sleep | None = None,
        outbox_sleep: Sleep | None = None,
        heartbeat_s: float | None = 30.0,
        heartbeat_sleep: Sleep | None = None,
        send_timeout_s: float = 30.0,
        first_event_wait_s: float = FIRST_EVENT_WAIT_S,
    ) -> None:
        self.settings = settings or WechatyTransportSettings()
        self.endpoint = endpoint
        self.host, self.port = parse_endpoint(endpoint)
        if not token:
            raise TransportError("the wechaty puppet service token is empty")
        mask_secret(token)
        self.connection: GatewayConnection = connection_for(
            self.host, self.port, token, self.settings
        )
        self.first_event_wait_s = first_event_wait_s
        self.clock: Clock = clock or SystemClock()
        self._sleep: Sleep = sleep or asyncio.sleep
        self.heartbeat_s = heartbeat_s
        self._heartbeat_sleep: Sleep = heartbeat_sleep or asyncio.sleep
        self.send_timeout_s = send_timeout_s
        self.outbox = Outbox(
            self._deliver,
            policy=outbox_policy(self.settings.outbox, MENTION_RESERVE_BYTES),
            clock=self.clock,
            sleep=outbox_sleep,
            name=self.name,
            connected=False,
            persist=self.settings.outbox.persist,
            # room.say() keeps no client id: a resend could post twice
            unknown_outcome=UnknownOutcome.GIVE_UP,
        )
        self._wechaty = import_wechaty()
        self._app: App | None = None
        self._bot: Any = None
        self._self_id = ""
        self._self_name = ""
        self._logged_in = asyncio.Event()
        self._heard_from_service = False
        self._ever_connected = False
        self._stopping = False
        self._inbox: asyncio.Queue[tuple[str, tuple[Any, ...]]] = asyncio.Queue()
        self._images_sent: set[str] = set()
        self._rooms_noted: set[str] = set()
        self._sent_id: str | None = None
        self.reconnects = 0
        self.backoffs: list[float] = []

    @property
    def sender(self) -> Outbox:
        return self.outbox

    @property
    def self_id(self) -> str:
        return self._self_id

    @property
    def logged_in(self) -> asyncio.Event:
        return self._logged_in

    # --- lifecycle ---------------------------------------------------------------------------

    async def run(self, app: App) -> None:
        """Connect and serve until close(); TransportError if the service is unusable."""
        self._app = app
        await start_outbox(self.outbox, app, persist=self.settings.outbox.persist)
        consumer = asyncio.create_task(self._consume(), name="wechaty-events")
        try:
            await self._supervise()
        finally:
            consumer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await consumer

    async def close(self) -> None:
        self._stopping = True
        self.outbox.set_connected(False)
        await self.outbox.close()
        bot, self._bot = self._bot, None
        if bot is not None:
            await self._teardown(bot)

    async def _supervise(self) -> None:
        log.info("wechaty: connecting to %s", self.connection.describe())
        attempt = 0
        while not self._stopping:
            self._heard_from_service = False
            hint: str | None = None
            try:
                await self._session()
                reason = "the puppet service ended the event stream"
            except asyncio.CancelledError:
                raise
            except Unreachable as exc:
                reason = f"cannot connect to {self.endpoint}: {exc}"
                if not self._ever_connected:
                    raise TransportError(
                        f"the wechaty puppet service at {self.endpoint} is unreachable ({exc}). "
                        f"Start the puppet service, or fix transport.wechaty.endpoint / "
                        f"the {self.settings.endpoint_env} environment variable."
                    ) from None
            except Exception as exc:
                reason = reason_of(exc)
                if not self._heard_from_service:
                    # a failure before the gateway said anything is a setup problem;
                    # an established connection that drops is not a TLS mismatch
                    hint = diagnose(exc, self.connection, self.settings.token_env)
                if not self._ever_connected and not self._heard_from_service:
                    raise TransportError(self._startup_failure(reason, hint)) from None
            if self._stopping:
                return
            if self._heard_from_service:
                self._ever_connected = True
                attempt = 0
            attempt += 1
            delay = min(
                self.settings.reconnect_max_s,
                self.settings.reconnect_initial_s * 2 ** (attempt - 1),
            )
            self.backoffs.append(delay)
            log.warning(
                "wechaty: connection to %s lost (%s%s); reconnecting in %.1fs (attempt %d, "
                "%d message(s) queued)",
                self.endpoint,
                reason,
                f"; {hint}" if hint else "",
                delay,
                attempt,
                len(self.outbox.pending()),
            )
            await self._sleep(delay)
            self.reconnects += 1

    def _startup_failure(self, reason: str, hint: str | None) -> str:
        where = f"the wechaty puppet service at {self.endpoint}"
        if hint:
            return f"{where} failed at start-up: {hint} ({reason})."
        tls = "with TLS" if self.connection.tls else "without TLS"
        return (
            f"{where} failed at start-up ({reason}). Check that it is a wechaty puppet "
            f"service, that it expects a connection {tls} (transport.wechaty.tls), and that "
            f"the token ({self.settings.token_env}) is valid."
        )

    async def _check_reachable(self) -> None:
        try:
            _reader, writer = await asyncio.wait_for(
                asyncio.open_connection(self.host, self.port), self.settings.connect_timeout_s
            )
        except (OSError, TimeoutError) as exc:
            raise Unreachable(str(exc) or type(exc).__name__) from exc
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()

    def _new_bot(self) -> Any:
        from apscheduler.schedulers.asyncio import AsyncIOScheduler

        w = self._wechaty
        puppet = gateway_puppet(self.connection, self.first_event_wait_s)
        options = w.WechatyOptions(
            puppet=puppet,
            puppet_options=puppet.options,
            host="127.0.0.1",
            port=_free_port(),  # its plugin server is never started (no plugins)
            scheduler=AsyncIOScheduler(),  # in memory, not a job.db file
        )
        bot = w.Wechaty(options)
        bot.on("login", self._on_login)
        bot.on("logout", self._on_logout)
        bot.on("scan", self._on_scan)
        bot.on("message", self._on_message)
        bot.on("room-join", self._on_room_join)
        bot.on("room-leave", self._on_room_leave)
        bot.on("error", self._on_error)
        return bot

    async def _session(self) -> None:
        """One connection: returns or raises when it ends."""
        await self._check_reachable()
        bot = self._new_bot()
        self._bot = bot
        tasks: list[asyncio.Task[None]] = []
        try:
            await bot.init_puppet()
            # Room/Contact/Tag caches are class attributes shared by every Wechaty instance:
            # a Room cached by an earlier connection would send through its dead puppet.
            for cls_name in ("Room", "Contact", "ContactSelf", "Tag"):
                getattr(bot, cls_name)._pool = {}
            await bot.init_puppet_event_bridge(bot.puppet)
            tame_loggers()
            quiet_http2()
            self._track_sends(bot.puppet)
            tasks.append(asyncio.create_task(bot.puppet.start(), name="wechaty-listen"))
            if self.heartbeat_s:
                tasks.append(asyncio.create_task(self._heartbeat(bot), name="wechaty-ding"))
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                task.result()  # raises what ended the connection
        finally:
            self._logged_in.clear()
            self.outbox.set_connected(False)
            for task in tasks:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            if self._bot is bot:
                self._bot = None
            await self._teardown(bot)

    async def _heartbeat(self, bot: Any) -> None:
        assert self.heartbeat_s
        while True:
            await self._heartbeat_sleep(self.heartbeat_s)
            if not self._logged_in.is_set():
                continue
            try:
                await asyncio.wait_for(bot.puppet.ding("groupops"), self.heartbeat_s)
            except Exception as exc:
                raise ConnectionLost(f"heartbeat failed: {reason_of(exc)}") from None

    async def _teardown(self, bot: Any) -> None:
        scheduler = getattr(getattr(bot, "_plugin_manager", None), "scheduler", None)
        if scheduler is not None and getattr(scheduler, "running", False):
            with contextlib.suppress(Exception):
                scheduler.shutdown(wait=False)
        puppet = getattr(bot, "_puppet", None)
        if puppet is None:
            return
        # gateway_puppet's stop() closes our connection and sends no Stop: the gateway's
        # puppet keeps the account logged in for the next connection
        try:
            await asyncio.wait_for(puppet.stop(), 3)
        except Exception as exc:
            log.debug("wechaty: closing the connection: %s", reason_of(exc))
        finally:
            channel = getattr(puppet, "channel", None)
            if channel is not None:
                channel.close()
                puppet.channel = None

    # --- wechaty events (only queue them; _consume handles them in order) -----------------

    async def _on_login(self, contact: Any) -> None:
        self._heard_from_service = True
        self._self_id = contact.contact_id
        self._self_name = _name(contact)
        self._logged_in.set()
        log.info("wechaty: logged in as %s via %s", self._self_id, self.endpoint)
        self.outbox.set_connected(True)

    async def _on_logout(self, contact: Any, *_args: Any) -> None:
        self._logged_in.clear()
        self.outbox.set_connected(False)
        log.warning("wechaty: %s logged out; replies are queued until it logs in", contact)

    async def _on_scan(self, qr_code: str, status: Any, *_args: Any) -> None:
        self._heard_from_service = True
        if qr_code:
            log.warning(
                "wechaty: log in by scanning https://wechaty.js.org/qrcode/%s (status %s)",
                quote(qr_code, safe=""),
                _type_name(status),
            )

    async def _on_message(self, msg: Any) -> None:
        self._inbox.put_nowait(("message", (msg,)))

    async def _on_room_join(self, room: Any, invitees: Any, inviter: Any, date: Any) -> None:
        self._inbox.put_nowait(("join", (room, invitees, inviter, date)))

    async def _on_room_leave(self, room: Any, leavers: Any, remover: Any, date: Any) -> None:
        self._inbox.put_nowait(("leave", (room, leavers, remover, date)))

    async def _on_error(self, error: Any) -> None:
        log.error("wechaty reported an error: %s", redact(str(error)))

    # --- events into the app --------------------------------------------------------------

    def _events(self, kind: str, args: tuple[Any, ...]) -> list[Event]:
        now = self.clock.now()
        if kind == "message":
            (msg,) = args
            talker_name = ""
            with contextlib.suppress(Exception):
                talker_name = msg.talker().name
            event = message_event(msg, self._self_id, now, talker_name, self._bot_names())
            if event is not None:
                self._note_room(event.group_id, msg)
            return [event] if event is not None else []
        room, people, actor, date = args
        when = _aware(date, now)
        if kind == "join":
            pairs = [(c.contact_id, _name(c)) for c in people]
            if any(pid == self._self_id for pid, _ in pairs):
                log.info("wechaty: the bot was added to room %s", room.room_id)
            inviter = getattr(actor, "contact_id", None)
            return list(join_events(room.room_id, pairs, inviter, when, self._self_id))
        ids = [c.contact_id for c in people]
        if self._self_id in ids:
            log.warning("wechaty: the bot was removed from room %s", room.room_id)
        return list(leave_events(room.room_id, ids, when, self._self_id))

    def _note_room(self, room_id: str, msg: Any) -> None:
        """Tell the operator the id of a room the config does not list (once per room)."""
        if room_id in self._rooms_noted or self._app is None:
            return
        self._rooms_noted.add(room_id)
        if room_id in self._app.config.groups:
            return
        topic = ""
        with contextlib.suppress(Exception):
            topic = msg.room().payload.topic or ""
        log.info(
            'wechaty: room %s ("%s") is not listed under groups: it runs on the defaults',
            room_id,
            topic,
        )

    def _bot_names(self) -> list[str]:
        names = [self._self_name]
        if self._app is not None:
            names.append(self._app.config.root.bot.name)
        return names

    async def _consume(self) -> None:
        while True:
            kind, args = await self._inbox.get()
            try:
                events = self._events(kind, args)
            except Exception:
                log.exception("wechaty: could not read a %s event (%s)", kind, _ident(args))
                continue
            for event in events:
                await self.dispatch(event)

    async def dispatch(self, event: Event) -> None:
        """Hand one event to the app; an error is logged with the event's id, never lost."""
        assert self._app is not None
        try:
            await self._app.handle(event)
        except Exception:
            log.exception("wechaty: handling %s failed", event_key(event))

    # --- sending ---------------------------------------------------------------------------

    def _track_sends(self, puppet: Any) -> None:
        """Remember the id the service gave a sent message: if room.say() fails after
        that (reading the message back), the message did go out and must not be resent.
        A gateway that answers with no id (wechaty-puppet-mock) sent it all the same:
        room.say() then skips reading back a message it cannot load."""
        for method in ("message_send_text", "message_send_file"):
            original: Callable[..., Awaitable[str]] = getattr(puppet, method)

            async def tracked(
                *args: Any, _original: Callable[..., Awaitable[str]] = original, **kw: Any
            ) -> str | None:
                sent_id = await _original(*args, **kw)
                self._sent_id = sent_id or ""
                return sent_id or None

            setattr(puppet, method, tracked)

    async def _say(self, room: Any, what: Any, mentions: list[str] | None) -> None:
        self._sent_id = None
        try:
            await asyncio.wait_for(room.say(what, mentions), self.send_timeout_s)
        except Exception as exc:
            if self._sent_id is None:
                raise
            log.warning(
                "wechaty: message %s was sent but reading it back failed: %s",
                self._sent_id,
                reason_of(exc),
            )

    async def _deliver(self, item: OutboxItem) -> None:
        bot = self._bot
        if bot is None or not self._logged_in.is_set():
            raise NotConnectedError("not connected to the puppet service")
        try:
            room = bot.Room.load(platform_id(item.conversation))
            await asyncio.wait_for(room.ready(), self.send_timeout_s)
            if item.kind == "image" and item.image_path and item.id not in self._images_sent:
                try:
                    box = self._wechaty.FileBox.from_file(item.image_path)
                except OSError as exc:
                    raise PermanentSendError(f"cannot read {item.image_path}: {exc}") from exc
                await self._say(room, box, None)
                self._images_sent.add(item.id)
            if item.text.strip() or (item.mentions and item.kind != "image"):
                mentions = [platform_id(m) for m in item.mentions]
                await self._say(room, item.text or " ", mentions or None)
            self._images_sent.discard(item.id)
        except PermanentSendError:
            raise
        except Exception as exc:
            if not self._logged_in.is_set() or self._bot is not bot:
                raise NotConnectedError(reason_of(exc)) from None
            raise TransientSendError(reason_of(exc)) from None


def _name(contact: Any) -> str:
    try:
        return str(contact.name or "")
    except Exception:
        return ""


def _ident(args: tuple[Any, ...]) -> str:
    first = args[0] if args else None
    for attr in ("message_id", "room_id", "contact_id"):
        value = getattr(first, attr, None)
        if value:
            return f"{attr}={value}"
    return "?"


def build(config: AppConfig) -> WechatyTransport:
    s = config.root.transport.wechaty
    endpoint = resolve_secret(s.endpoint, s.endpoint_env, "the wechaty puppet service endpoint")
    token = resolve_secret(s.token, s.token_env, "the wechaty puppet service token")
    return WechatyTransport(endpoint, token, s)

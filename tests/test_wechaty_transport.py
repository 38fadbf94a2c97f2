"""The real python-wechaty client against a fake puppet gRPC server on loopback.

The fake serves TLS with a throwaway CA and checks the authorization header, as the real
gateways do (tests/test_wechaty_gateway_interop.py runs the real ones from npm).
No sleeps: the tests wait for network events with bounded timeouts, and the transport's
reconnect backoff goes through an injected sleep that the test releases.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from bot.app import App
from bot.clock import FakeClock
from bot.config import parse_config
from bot.context import Context
from bot.events import Event, MemberJoined, MemberLeft, Message
from bot.router import CONTINUE, Flow, Route
from bot.settings.transport import WechatyTransportSettings
from bot.transports.base import TransportError
from bot.transports.registry import run_transport
from bot.transports.wechaty_transport import WechatyTransport, message_event
from handlers import ROUTES
from tests.support import at, config_from
from tests.transport_support import VirtualSleep
from tests.wechaty_fake import FakePuppet, FakePuppetServer, free_port, loopback_pki

# the prefix before the last "_" is the TLS server name, as with real tokens (insecure_...)
TOKEN = "groupops-test_0123456789abcdef"
T0 = at("2026-11-21 08:00")
MS = int(T0.timestamp() * 1000)
TIMEOUT = 10.0


@dataclass
class Seen:
    events: list[Event] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def record(self, event: Any, _ctx: Context) -> Flow:
        self.events.append(event)
        self.arrived.set()
        return CONTINUE

    def routes(self) -> list[Route[Any]]:
        always: Callable[[Any], bool] = lambda _e: True  # noqa: E731
        return [
            Route("test.seen.message", Message, always, self.record),
            Route("test.seen.joined", MemberJoined, always, self.record),
            Route("test.seen.left", MemberLeft, always, self.record),
        ]

    async def wait(self, count: int) -> list[Event]:
        async def reached() -> None:
            while len(self.events) < count:
                self.arrived.clear()
                await self.arrived.wait()

        await asyncio.wait_for(reached(), TIMEOUT)
        return self.events


async def wait_sent(server: FakePuppetServer, count: int) -> None:
    async def reached() -> None:
        while len(server.state.sent) < count:
            puppet = server.puppet
            puppet.got_send.clear()
            await puppet.got_send.wait()

    await asyncio.wait_for(reached(), TIMEOUT)


class GateSleep:
    """The transport's reconnect backoff: records the delay, then waits for the test."""

    def __init__(self) -> None:
        self.calls: list[float] = []
        self.called = asyncio.Event()
        self.release = asyncio.Event()

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        self.called.set()
        await self.release.wait()
        self.release.clear()


@dataclass
class Running:
    transport: WechatyTransport
    app: App
    seen: Seen
    server: FakePuppetServer
    clock: FakeClock


@asynccontextmanager
async def connected(
    server: FakePuppetServer,
    db: str,
    *,
    sleep: GateSleep | None = None,
    extra_routes: list[Route[Any]] | None = None,
    heartbeat_s: float | None = None,
    heartbeat_sleep: GateSleep | None = None,
    settings: WechatyTransportSettings | None = None,
    first_event_wait_s: float = 5.0,
) -> AsyncIterator[Running]:
    clock = FakeClock(T0)
    seen = Seen()
    transport = WechatyTransport(
        server.endpoint,
        TOKEN,
        settings or trusting(),
        clock=clock,
        sleep=sleep,
        outbox_sleep=VirtualSleep(clock),
        heartbeat_s=heartbeat_s,
        heartbeat_sleep=heartbeat_sleep,
        first_event_wait_s=first_event_wait_s,
    )
    routes = [*seen.routes(), *(extra_routes or []), *ROUTES]
    app = App(config_from(), sender=transport.sender, clock=clock, db_url=db, routes=routes)
    await app.start()
    task = asyncio.create_task(transport.run(app))
    try:
        await asyncio.wait_for(transport.logged_in.wait(), TIMEOUT)
        yield Running(transport, app, seen, server, clock)
    finally:
        await transport.close()
        task.cancel()
        with pytest.raises((asyncio.CancelledError, TransportError)):
            await task
        await app.close()


def trusting(**fields: Any) -> WechatyTransportSettings:
    """Settings that trust the fake's test CA (TLS on, as by default)."""
    return WechatyTransportSettings(tls_ca_cert=str(loopback_pki().ca_file), **fields)


@pytest.fixture
async def server() -> AsyncIterator[FakePuppetServer]:
    srv = FakePuppetServer(tls=True, token=TOKEN)
    puppet = await srv.start()
    puppet.add_room("room1", "写作群", {"alice": "Alice", "bob": "Bob"})
    try:
        yield srv
    finally:
        await srv.stop()


# --- in and out ---------------------------------------------------------------------------


async def test_room_message_in_and_reply_out_with_mention_ids(
    server: FakePuppetServer, sqlite_db: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="groupops.wechaty")
    async with connected(server, sqlite_db) as bot:
        assert bot.transport.self_id == "bot-self"
        mid = server.puppet.room_text(
            "room1",
            "alice",
            "@小助手\u2005打卡 今天写了1200字",
            mention_ids=["bot-self", "bob"],
            timestamp=MS,
        )
        (event,) = await bot.seen.wait(1)
        assert event == Message(
            group_id="room1",
            sender_id="alice",
            message_id=mid,
            text="打卡 今天写了1200字",  # the bot's own mention is taken out
            time=T0.astimezone(UTC),
            mentions=("bob",),
            mentions_bot=True,
            sender_name="Alice",
        )
        await wait_sent(server, 1)
        (reply,) = server.state.sent
        assert reply.conversation_id == "room1"
        assert reply.mention_ids == ["alice"]
        assert reply.text.startswith("@Alice ") and "打卡" in reply.text
        # the fake announced the bot's own reply as a message: it is dropped, not routed
        server.puppet.room_text("room1", "bob", "打卡", timestamp=MS + 1000)
        events = await bot.seen.wait(2)
        assert [e.sender_id for e in events if isinstance(e, Message)] == ["alice", "bob"]
    assert caplog.text.count('room room1 ("写作群") is not listed under groups') == 1


async def test_member_joining_and_leaving_become_events_with_stable_ids(
    server: FakePuppetServer, sqlite_db: str
) -> None:
    async with connected(server, sqlite_db) as bot:
        server.puppet.room_join("room1", "carol", "Carol", inviter_id="alice")
        await bot.seen.wait(1)
        server.puppet.room_leave("room1", "bob", remover_id="alice")
        joined, left = await bot.seen.wait(2)
    assert isinstance(joined, MemberJoined)
    assert (joined.group_id, joined.member_id, joined.member_name, joined.inviter_id) == (
        "room1",
        "carol",
        "Carol",
        "alice",
    )
    assert joined.event_id == "join:room1:carol:1795000000"
    assert joined.time == datetime.fromtimestamp(1_795_000_000, UTC)
    assert isinstance(left, MemberLeft)
    assert (left.group_id, left.member_id, left.event_id) == (
        "room1",
        "bob",
        "leave:room1:bob:1795000100",
    )


async def test_images_and_other_types_private_chats_and_own_messages(
    server: FakePuppetServer, sqlite_db: str
) -> None:
    async with connected(server, sqlite_db) as bot:
        server.puppet.room_text("room1", "alice", "", kind=6, timestamp=MS)  # image
        server.puppet.room_text("room1", "alice", "voice", kind=2, timestamp=MS)  # audio
        server.puppet.room_text("", "alice", "私聊", timestamp=MS)  # private chat
        server.puppet.room_text("room1", "bot-self", "我自己", timestamp=MS)
        server.puppet.room_text("room1", "bob", "收到", timestamp=MS)
        events = await bot.seen.wait(2)
    assert [(e.sender_id, e.text, e.is_image) for e in events if isinstance(e, Message)] == [
        ("alice", "", True),
        ("bob", "收到", False),
    ]


async def test_a_failing_handler_is_logged_with_the_message_id(
    server: FakePuppetServer, sqlite_db: str, caplog: pytest.LogCaptureFixture
) -> None:
    async def boom(message: Message, _ctx: Context) -> Flow:
        raise RuntimeError("handler bug")

    route = Route("test.boom", Message, lambda m: m.text == "boom", boom)
    async with connected(server, sqlite_db, extra_routes=[route]) as bot:
        mid = server.puppet.room_text("room1", "alice", "boom", timestamp=MS)
        server.puppet.room_text("room1", "alice", "after", timestamp=MS)
        await bot.seen.wait(2)  # the transport goes on after the failure
    assert "handler bug" in caplog.text and mid in caplog.text


async def test_a_send_refused_by_the_service_is_retried_once_more_not_twice(
    server: FakePuppetServer, sqlite_db: str
) -> None:
    async with connected(server, sqlite_db) as bot:
        server.puppet.fail_sends = 2
        await bot.transport.sender.send_text("room1", "公告：今晚八点直播", ["alice"])
        await wait_sent(server, 1)
        await asyncio.wait_for(bot.transport.outbox.join(), TIMEOUT)
        assert [s.text for s in server.state.sent] == ["@Alice 公告：今晚八点直播"]
        assert server.puppet.calls.count("MessageSendText") == 3
        assert bot.transport.outbox.retried == 2


async def test_an_image_goes_out_as_a_file_then_its_caption(
    server: FakePuppetServer, sqlite_db: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    card = tmp_path / "card.png"
    card.write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 32)
    async with connected(server, sqlite_db) as bot:
        await bot.transport.sender.send_image("room1", str(card), "今日榜单")
        await bot.transport.sender.send_image("room1", str(tmp_path / "missing.png"), "")
        await wait_sent(server, 2)
        await asyncio.wait_for(bot.transport.outbox.join(), TIMEOUT)
    image, caption = server.state.sent
    assert image.conversation_id == "room1" and "card.png" in image.filebox
    assert caption.text == "今日榜单"
    assert bot.transport.outbox.failed == 1 and "missing.png" in caplog.text


# --- supervision --------------------------------------------------------------------------


async def test_reconnect_after_the_server_restarts_delivers_queued_replies_once(
    server: FakePuppetServer, sqlite_db: str, caplog: pytest.LogCaptureFixture
) -> None:
    gate = GateSleep()
    async with connected(server, sqlite_db, sleep=gate) as bot:
        await server.stop()
        await asyncio.wait_for(gate.called.wait(), TIMEOUT)  # the loss was noticed
        assert not bot.transport.outbox.connected
        await bot.transport.sender.send_text("room1", "断线时的第一条", ["alice"])
        await bot.transport.sender.send_text("room1", "断线时的第二条")
        assert len(bot.transport.outbox.pending()) == 2

        gate.called.clear()
        gate.release.set()  # first retry: the server is still down
        await asyncio.wait_for(gate.called.wait(), TIMEOUT)
        assert gate.calls == [1.0, 2.0]  # exponential backoff

        await server.start()
        bot.transport.logged_in.clear()
        gate.release.set()
        await asyncio.wait_for(bot.transport.logged_in.wait(), TIMEOUT)
        await wait_sent(server, 2)
        await asyncio.wait_for(bot.transport.outbox.join(), TIMEOUT)
        assert [(s.text, s.mention_ids) for s in server.state.sent] == [
            ("@Alice 断线时的第一条", ["alice"]),
            ("断线时的第二条", []),
        ]
        # and the new connection receives again
        server.puppet.room_text("room1", "bob", "重连后", timestamp=MS)
        (event,) = await bot.seen.wait(1)
        assert isinstance(event, Message) and event.text == "重连后"
    assert "connection to 127.0.0.1" in caplog.text and "reconnecting in 1.0s" in caplog.text
    assert bot.transport.reconnects == 2


async def test_a_silent_connection_is_found_by_the_heartbeat_and_replaced(
    server: FakePuppetServer, sqlite_db: str, caplog: pytest.LogCaptureFixture
) -> None:
    beats, backoff = GateSleep(), GateSleep()
    async with connected(
        server, sqlite_db, sleep=backoff, heartbeat_s=0.5, heartbeat_sleep=beats
    ) as bot:
        await asyncio.wait_for(beats.called.wait(), TIMEOUT)
        beats.release.set()  # first beat: Ding answered
        await asyncio.wait_for(server.puppet.dinged.wait(), TIMEOUT)
        assert bot.transport.outbox.connected

        server.puppet.hang_ding = True  # the service stops answering, the socket stays open
        server.puppet.dinged.clear()
        beats.release.set()
        await asyncio.wait_for(backoff.called.wait(), TIMEOUT)  # Ding timed out (0.5 s)
        assert not bot.transport.outbox.connected
        assert "heartbeat failed" in caplog.text

        server.puppet.hang_ding = False
        bot.transport.logged_in.clear()
        backoff.release.set()
        await asyncio.wait_for(bot.transport.logged_in.wait(), TIMEOUT)
        assert bot.transport.outbox.connected and bot.transport.reconnects == 1


async def test_unreachable_endpoint_at_start_up_is_a_clear_error(sqlite_db: str) -> None:
    endpoint = f"127.0.0.1:{free_port()}"  # nothing listens there
    transport = WechatyTransport(endpoint, TOKEN, heartbeat_s=None)
    app = App(config_from(), sender=transport.sender, clock=FakeClock(T0), db_url=sqlite_db)
    await app.start()
    try:
        with pytest.raises(TransportError, match=rf"{endpoint} is unreachable .*Start the puppet"):
            await asyncio.wait_for(transport.run(app), TIMEOUT)
    finally:
        await transport.close()
        await app.close()
    assert asyncio.get_running_loop().is_running()  # the loop is alive


async def test_groupops_run_exits_2_with_the_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GO_TEST_ENDPOINT", f"127.0.0.1:{free_port()}")
    monkeypatch.setenv("GO_TEST_TOKEN", TOKEN)
    config = parse_config(
        f"storage: {{url: 'sqlite:///{tmp_path}/bot.db'}}\n"
        "transport:\n  type: wechaty\n  wechaty:\n"
        "    endpoint_env: GO_TEST_ENDPOINT\n    token: ${GO_TEST_TOKEN}\n"
    )
    assert await run_transport(config, argparse.Namespace()) == 2
    err = capsys.readouterr().err
    assert "is unreachable" in err and TOKEN not in err


async def test_a_service_that_is_not_a_puppet_fails_at_start_up(sqlite_db: str) -> None:
    async def not_grpc(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 400 Bad Request\r\n\r\n")
        await writer.drain()
        writer.close()

    srv = await asyncio.start_server(not_grpc, "127.0.0.1", 0)
    port = srv.sockets[0].getsockname()[1]
    transport = WechatyTransport(f"127.0.0.1:{port}", TOKEN, heartbeat_s=None)
    app = App(config_from(), sender=transport.sender, clock=FakeClock(T0), db_url=sqlite_db)
    await app.start()
    try:
        with pytest.raises(TransportError, match="failed at start-up"):
            await asyncio.wait_for(transport.run(app), TIMEOUT)
    finally:
        await transport.close()
        await app.close()
        srv.close()
        await srv.wait_closed()


async def test_the_token_is_never_logged(
    server: FakePuppetServer,
    sqlite_db: str,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    async with connected(server, sqlite_db) as bot:
        server.puppet.room_text("room1", "alice", "你好", timestamp=MS)
        await bot.seen.wait(1)
    captured = capsys.readouterr()
    assert TOKEN not in caplog.text
    assert TOKEN not in captured.err and TOKEN not in captured.out


# --- how the transport connects: TLS, authorization, no Stop ---------------------------------


async def test_every_call_is_authorized_over_tls_and_start_follows_the_event_stream(
    server: FakePuppetServer, sqlite_db: str
) -> None:
    async with connected(server, sqlite_db) as bot:
        server.puppet.room_text("room1", "alice", "打卡", timestamp=MS)
        await wait_sent(server, 1)
    # the stream first, then Start, as the Node client (the login on the stream may
    # already have the bot reading its own contact in between)
    assert server.calls[0] == "Event" and server.calls.count("Start") == 1
    assert {"ContactPayload", "MessagePayload", "MessageSendText"} <= set(server.calls)
    assert server.puppet.authorizations == [f"Wechaty {TOKEN}"] * len(server.calls)
    assert "Stop" not in server.calls
    assert bot.transport.connection.tls and bot.transport.connection.server_name == "groupops-test"


async def test_no_stop_on_connect_reconnect_or_shutdown(
    server: FakePuppetServer, sqlite_db: str
) -> None:
    """python-wechaty sends Stop before every Start and at shutdown; each Stop makes the
    gateway stop its puppet (a real account may be logged out)."""
    gate = GateSleep()
    async with connected(server, sqlite_db, sleep=gate) as bot:
        server.puppet.end_streams()  # the gateway ends the stream: the bot reconnects
        await asyncio.wait_for(gate.called.wait(), TIMEOUT)
        bot.transport.logged_in.clear()
        gate.release.set()
        await asyncio.wait_for(bot.transport.logged_in.wait(), TIMEOUT)
        assert server.calls.count("Start") == 2
    # after close(): the connection is gone and still no Stop was sent
    assert "Stop" not in server.calls
    assert server.calls.count("Event") == 2


async def test_a_gateway_silent_until_start_still_gets_start(sqlite_db: str) -> None:
    """The Node client calls Start after the stream's first event or, from gateways that
    send none first, after a few seconds; so does the bot (a short wait here)."""
    quiet = FakePuppetServer(tls=True, token=TOKEN, silent_until_start=True)
    await quiet.start()
    try:
        async with connected(quiet, sqlite_db, first_event_wait_s=0.2) as bot:
            assert bot.transport.self_id == "bot-self"
    finally:
        await quiet.stop()
    assert quiet.calls[:2] == ["Event", "Start"] and "Stop" not in quiet.calls


async def test_a_gateway_without_tls_with_tls_off(sqlite_db: str) -> None:
    plain = FakePuppetServer(token=TOKEN)
    puppet = await plain.start()
    puppet.add_room("room1", "写作群", {"alice": "Alice"})
    try:
        async with connected(plain, sqlite_db, settings=WechatyTransportSettings(tls=False)):
            plain.puppet.room_text("room1", "alice", "打卡", timestamp=MS)
            await wait_sent(plain, 1)
    finally:
        await plain.stop()
    assert plain.puppet.authorizations == [f"Wechaty {TOKEN}"] * len(plain.calls)


async def startup_error(
    server: FakePuppetServer, db: str, settings: WechatyTransportSettings, token: str = TOKEN
) -> str:
    transport = WechatyTransport(server.endpoint, token, settings, heartbeat_s=None)
    app = App(config_from(), sender=transport.sender, clock=FakeClock(T0), db_url=db)
    await app.start()
    try:
        with pytest.raises(TransportError) as caught:
            await asyncio.wait_for(transport.run(app), TIMEOUT)
    finally:
        await transport.close()
        await app.close()
    assert caught.value.__suppress_context__  # no traceback chain carries gateway text
    return str(caught.value)


@pytest.mark.parametrize(
    ("gateway_tls", "settings", "expected"),
    [
        (False, trusting(), r"TLS mismatch: the gateway does not speak TLS.*tls: off"),
        (True, WechatyTransportSettings(tls=False), r"TLS mismatch.*set transport.wechaty.tls: on"),
        (
            True,
            WechatyTransportSettings(),
            r"not signed by the bundled Wechaty root CA.*tls_ca_cert",
        ),
        (
            True,
            trusting(tls_server_name="other"),
            r"not for the server name 'other' \(transport.wechaty.tls_server_name\).*",
        ),
    ],
    ids=["tls-on-plain-gateway", "tls-off-tls-gateway", "unknown-ca", "wrong-server-name"],
)
async def test_start_up_failures_say_what_they_look_like_and_what_to_set(
    sqlite_db: str, gateway_tls: bool, settings: WechatyTransportSettings, expected: str
) -> None:
    gateway = FakePuppetServer(tls=gateway_tls, token=TOKEN)
    await gateway.start()
    try:
        message = await startup_error(gateway, sqlite_db, settings)
    finally:
        await gateway.stop()
    assert "failed at start-up" in message
    assert re.search(expected, message), message


async def test_a_wrong_token_is_named_as_such_and_never_shown(
    sqlite_db: str, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "groupops-test_this-one-is-wrong"
    gateway = FakePuppetServer(tls=True, token=TOKEN)
    await gateway.start()
    try:
        message = await startup_error(gateway, sqlite_db, trusting(), token=wrong)
    finally:
        await gateway.stop()
    assert "the gateway refused the token" in message
    assert "WECHATY_PUPPET_SERVICE_TOKEN" in message
    assert 'Invalid Wechaty TOKEN "***"' in message  # the gateway's echo, masked
    captured = capsys.readouterr()
    for text in (message, caplog.text, captured.err, captured.out):
        assert wrong not in text


async def test_groupops_run_with_a_wrong_token_exits_2_and_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    gateway = FakePuppetServer(tls=True, token=TOKEN)
    await gateway.start()
    wrong = "groupops-test_wrong-token-0000"
    monkeypatch.setenv("GO_TEST_ENDPOINT", gateway.endpoint)
    monkeypatch.setenv("GO_TEST_TOKEN", wrong)
    config = parse_config(
        f"storage: {{url: 'sqlite:///{tmp_path}/bot.db'}}\n"
        "transport:\n  type: wechaty\n  wechaty:\n"
        "    endpoint_env: GO_TEST_ENDPOINT\n    token_env: GO_TEST_TOKEN\n"
        f"    tls_ca_cert: {loopback_pki().ca_file}\n"
    )
    try:
        assert await run_transport(config, argparse.Namespace()) == 2
    finally:
        await gateway.stop()
    err = capsys.readouterr().err
    assert "refused the token" in err and "GO_TEST_TOKEN" in err and wrong not in err


def test_an_exception_logged_with_the_token_in_it_is_masked(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from bot.transports.wechaty_shim import mask_secret

    secret = "groupops-test_secret-in-a-traceback"
    mask_secret(secret)
    logger = logging.getLogger("groupops.test.mask")
    try:
        raise RuntimeError(f'Invalid Wechaty TOKEN "{secret}"')
    except RuntimeError:
        logger.exception("call failed for %s", secret)
    assert secret not in caplog.text
    assert 'RuntimeError: Invalid Wechaty TOKEN "***"' in caplog.text
    assert "call failed for ***" in caplog.text


# --- mapping, without a network -----------------------------------------------------------


def _msg(**payload: Any) -> Any:
    from wechaty_puppet import MessageType

    base: dict[str, Any] = {
        "id": "m1",
        "room_id": "r1",
        "from_id": "u1",
        "text": "hi",
        "timestamp": 1_795_000_000_000,
        "type": MessageType.MESSAGE_TYPE_TEXT,
        "mention_ids": [],
    }
    base.update(payload)
    return SimpleNamespace(message_id=base["id"], payload=SimpleNamespace(**base))


def test_message_mapping_rules() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    m = message_event(_msg(mention_ids=["me", "u2", "u2", ""]), "me", now)
    assert m is not None
    assert (m.mentions, m.mentions_bot) == (("u2",), True)
    assert m.time == datetime.fromtimestamp(1_795_000_000, UTC)  # milliseconds
    seconds = message_event(_msg(timestamp=1_795_000_000), "me", now)
    assert seconds is not None and seconds.time == datetime.fromtimestamp(1_795_000_000, UTC)
    no_time = message_event(_msg(timestamp=0), "me", now)
    assert no_time is not None and no_time.time == now
    assert message_event(_msg(room_id=""), "me", now) is None
    assert message_event(_msg(from_id="me"), "me", now) is None


def test_fake_puppet_exposes_the_rpcs_the_client_needs() -> None:
    names = {path.rsplit("/", 1)[1] for path in FakePuppet().__mapping__()}
    assert {"Start", "Stop", "Event", "ContactPayload", "MessagePayload", "RoomPayload"} <= names
    assert {"RoomMemberPayload", "MessageSendText", "Ding"} <= names


async def test_groupops_run_wires_the_wechaty_transport_end_to_end(
    server: FakePuppetServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    monkeypatch.setenv("GO_TEST_ENDPOINT", server.endpoint)
    monkeypatch.setenv("GO_TEST_TOKEN", TOKEN)
    config = parse_config(
        f"storage: {{url: 'sqlite:///{tmp_path}/bot.db'}}\n"
        "transport:\n  type: wechaty\n  wechaty:\n"
        "    endpoint_env: GO_TEST_ENDPOINT\n    token_env: GO_TEST_TOKEN\n"
        f"    tls_ca_cert: {loopback_pki().ca_file}\n"
    )
    run = asyncio.create_task(run_transport(config, argparse.Namespace()))
    try:
        await asyncio.wait_for(server.puppet.stream_opened.wait(), TIMEOUT)

        # the stream carries the login first, then a member checks in and gets a reply
        server.puppet.room_text("room1", "alice", "打卡")
        await wait_sent(server, 1)
        assert server.state.sent[0].mention_ids == ["alice"]
    finally:
        run.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await run
    assert "transport wechaty: sees every group message; joins yes" in caplog.text
    assert "logged in as bot-self" in caplog.text


def test_a_quote_reply_carries_the_quoted_text_apart() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    text = (
        "「小助手：❓提问1｜来自「二群」的bob：新手适合吗？」\n- - - - - - - - - - - - - - -\n适合"
    )
    m = message_event(_msg(text=text), "me", now)
    assert m is not None
    assert (m.text, m.quote_text) == ("适合", "❓提问1｜来自「二群」的bob：新手适合吗？")
    plain = message_event(_msg(text="「书名」值得一读"), "me", now)
    assert plain is not None and (plain.text, plain.quote_text) == ("「书名」值得一读", None)

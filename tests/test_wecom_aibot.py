"""The WeCom AI bot long-connection transport against a real local WebSocket server.

The server (tests/wecom_support.py) speaks the documented protocol; the bot is the real App
(router, handlers, SQLite) sending through the transport's real Outbox. Waits are bounded waits
on loopback events; nothing sleeps for timing.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.app import App
from bot.clock import FakeClock
from bot.transports.base import TransportError, Visibility
from bot.transports.outbox import OutboxItem, PermanentSendError
from bot.transports.wecom_aibot import (
    CAPABILITIES,
    AIBotLink,
    LinkOptions,
    LinkState,
    WeComAIBotTransport,
    build,
)
from bot.transports.wecom_common import strip_bot_mention
from tests.support import config_from
from tests.wecom_support import FakeAIBotServer, aibot_server, started_app

SECRET = "s3cret-do-not-log"


def aibot_config(url: str, **extra: Any) -> str:
    settings = {
        "url": url,
        "heartbeat_s": 30,
        "reconnect_initial_s": 0.01,
        "reconnect_max_s": 0.05,
        "ack_timeout_s": 2,
        "max_auth_failures": 2,
        "mention_names": ["群助手"],
        "outbox": {"persist": False, "max_text_bytes": 20480, "per_minute": 30, "per_hour": 1000},
    }
    settings.update(extra)
    return f"""
timezone: Asia/Shanghai
admins: [admin]
bot: {{name: 小助手, user_id: groupops-bot}}
transport:
  type: wecom_aibot
  wecom_aibot: {json.dumps(settings, ensure_ascii=False)}
groups:
  chat-1:
    name: 测试群
"""


@dataclass
class Running:
    server: FakeAIBotServer
    transport: WeComAIBotTransport
    app: App
    task: asyncio.Task[None]

    async def wait_sent(self, cmd: str, count: int = 1) -> list[dict[str, Any]]:
        await self.server.signal.until(
            lambda: len(self.server.sent(cmd)) >= count, f"{count} x {cmd}"
        )
        return self.server.sent(cmd)


@contextlib.asynccontextmanager
async def running(
    sqlite_db: str, monkeypatch: pytest.MonkeyPatch, **settings: Any
) -> AsyncIterator[Running]:
    monkeypatch.setenv("WECOM_AIBOT_ID", "bot-1")
    monkeypatch.setenv("WECOM_AIBOT_SECRET", settings.pop("secret", SECRET))
    async with aibot_server(bot_id="bot-1", secret=SECRET) as server:
        config = config_from(aibot_config(server.url, **settings))
        transport = build(config)  # secrets come from the environment
        clock = FakeClock(datetime(2026, 11, 21, 0, 0, tzinfo=UTC))
        async with started_app(config, transport.sender, sqlite_db, clock) as app:
            task = asyncio.create_task(transport.run(app))
            try:
                yield Running(server, transport, app, task)
            finally:
                await transport.close()
                with contextlib.suppress(TransportError, asyncio.CancelledError):
                    await asyncio.wait_for(task, 5)


async def subscribed(run: Running, count: int = 1) -> None:
    await run.server.signal.until(
        lambda: run.server.subscribes_ok >= count and run.server.has_live(), "subscribed"
    )
    await asyncio.wait_for(run.transport.link.ready.wait(), 5)


def content_of(frame: dict[str, Any]) -> str:
    body = frame["body"]
    if body["msgtype"] == "stream":
        return str(body["stream"]["content"])
    return str(body["markdown"]["content"])


# --- capabilities and parsing ---------------------------------------------------------------


def test_capabilities_only_mentions_no_joins() -> None:
    assert CAPABILITIES.sees is Visibility.MENTIONS
    assert CAPABILITIES.sees_joins is False


@pytest.mark.parametrize(
    ("content", "names", "expected"),
    [
        ("@小助手 打卡", ("小助手",), "打卡"),
        ("@小助手\u2005打卡 今天写了两千字", ("小助手",), "打卡 今天写了两千字"),
        ("打卡 @小助手", ("小助手",), "打卡"),
        ("@RobotA hello robot", ("小助手",), "hello robot"),  # unknown name: first @token
        ("@小助手2 打卡", ("小助手",), "打卡"),  # not the configured name: still the lead token
        ("/help", ("小助手",), "/help"),
    ],
)
def test_bot_mention_is_removed(content: str, names: tuple[str, ...], expected: str) -> None:
    assert strip_bot_mention(content, names)[0] == expected


# --- a mention in, the reply out ------------------------------------------------------------


async def test_mention_gets_a_reply_with_the_same_req_id(
    sqlite_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with running(sqlite_db, monkeypatch) as run:
        await subscribed(run)
        sub = run.server.sent("aibot_subscribe")[0]
        assert sub["body"] == {"bot_id": "bot-1", "secret": SECRET}
        req_id = await run.server.push_text("@小助手 打卡", chatid="chat-1", userid="alice")
        (reply,) = await run.wait_sent("aibot_respond_msg")
        assert reply["headers"]["req_id"] == req_id
        stream = reply["body"]["stream"]
        assert reply["body"]["msgtype"] == "stream" and stream["finish"] is True
        assert "打卡" in stream["content"] and "<@alice>" in stream["content"]
        # the App saw a check-in by alice in chat-1 (stable ids, @name removed)
        async with run.app.uow() as uow:
            days = await uow.checkins.count_days("chat-1", "alice")
        assert days == 1


async def test_group_messages_only_and_unknown_types_are_logged(
    sqlite_db: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="groupops.transport.wecom_aibot")
    async with running(sqlite_db, monkeypatch) as run:
        await subscribed(run)
        await run.server.push_text("@小助手 打卡", chattype="single", userid="bob")
        await run.server.push(
            {
                "cmd": "aibot_msg_callback",
                "headers": {"req_id": "img-1"},
                "body": {
                    "msgid": "img-1",
                    "chatid": "chat-1",
                    "chattype": "group",
                    "from": {"userid": "bob"},
                    "msgtype": "image",
                    "image": {"url": "http://127.0.0.1/x", "aeskey": "k"},
                },
            }
        )
        await run.server.push(
            {
                "cmd": "aibot_event_callback",
                "headers": {"req_id": "ev-9"},
                "body": {"msgid": "ev-9", "msgtype": "event", "event": {"eventtype": "enter_chat"}},
            }
        )
        req_id = await run.server.push_text("@小助手 打卡", userid="carol")
        (reply,) = await run.wait_sent("aibot_respond_msg")
        assert reply["headers"]["req_id"] == req_id  # the single chat and the image got none
        await run.server.push_text("@小助手 打卡", chatid="chat-new", userid="dave")
        await run.wait_sent("aibot_respond_msg", 2)
    text = caplog.text
    assert "chat chat-new is not listed under groups:" in text
    assert "chat chat-1 is not listed" not in text
    assert "single-chat message" in text and "unsupported message type 'image'" in text
    assert "event 'enter_chat' received" in text


# --- proactive sends ------------------------------------------------------------------------


async def test_proactive_send_uses_aibot_send_msg(
    sqlite_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with running(sqlite_db, monkeypatch) as run:
        await subscribed(run)
        await run.transport.sender.send_text("chat-7", "今晚八点分享会", mentions=("bob",))
        (frame,) = await run.wait_sent("aibot_send_msg")
        assert frame["body"] == {
            "chatid": "chat-7",
            "msgtype": "markdown",
            "markdown": {"content": "<@bob> 今晚八点分享会"},
        }
        assert frame["headers"]["req_id"].startswith("aibot_send_msg")


async def test_refused_reply_falls_back_to_proactive_and_refused_push_is_permanent(
    sqlite_db: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async with running(sqlite_db, monkeypatch) as run:
        await subscribed(run)
        run.server.ack_errcodes["aibot_respond_msg"] = [846605]  # e.g. req_id expired
        await run.server.push_text("@小助手 打卡", chatid="chat-1")
        (pushed,) = await run.wait_sent("aibot_send_msg")
        assert pushed["body"]["chatid"] == "chat-1" and "打卡" in content_of(pushed)
        # a chat where nobody spoke to the bot: WeCom refuses, no retries
        run.server.ack_errcodes["aibot_send_msg"] = [846609]
        await run.transport.sender.send_text("chat-unknown", "hello")
        await run.wait_sent("aibot_send_msg", 2)
        await asyncio.wait_for(run.transport.outbox.join(), 5)
        assert run.transport.outbox.failed == 1
        assert len(run.server.sent("aibot_send_msg")) == 2
    assert "only in chats where a member already @-mentioned the bot" in caplog.text


# --- heartbeat ------------------------------------------------------------------------------


async def test_heartbeat_pings_and_a_dead_link_is_replaced(
    sqlite_db: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async with running(sqlite_db, monkeypatch, heartbeat_s=0.02) as run:
        await subscribed(run)
        await run.wait_sent("ping", 3)
        pings = run.server.sent("ping")
        assert len({p["headers"]["req_id"] for p in pings}) == len(pings)
        assert all(p["headers"]["req_id"].startswith("ping") for p in pings)
        first = run.server.current
        run.server.ack_pings = False  # WeCom stops answering: the link is dead
        await run.server.signal.until(lambda: first.ws.closed, "the client drops a dead link")
        run.server.ack_pings = True
        await subscribed(run, 2)
    assert "heartbeats without an ack" in caplog.text


# --- reconnect: nothing lost, nothing twice -------------------------------------------------


async def test_reconnect_delivers_queued_messages_once(
    sqlite_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with running(sqlite_db, monkeypatch) as run:
        await subscribed(run)
        outbox = run.transport.outbox
        run.server.gate.clear()  # new connections wait at the door
        await run.server.drop()
        await run.server.signal.until(lambda: not outbox.connected, "outbox paused")
        for n in range(3):
            await outbox.send_text("chat-1", f"第{n + 1}条")
        assert run.server.sent("aibot_send_msg") == []
        assert [i.text for i in outbox.pending()] == ["第1条", "第2条", "第3条"]
        run.server.gate.set()
        await subscribed(run, 2)
        sent = await run.wait_sent("aibot_send_msg", 3)
        await asyncio.wait_for(outbox.join(), 5)
        assert [content_of(f) for f in run.server.sent("aibot_send_msg")] == [
            "第1条",
            "第2条",
            "第3条",
        ]
        assert all(f in run.server.current.frames for f in sent)  # on the new connection
        assert outbox.sent == 3 and outbox.pending() == []


async def test_backoff_grows_while_the_server_is_unreachable(
    sqlite_db: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="groupops.transport.wecom_aibot")
    async with running(sqlite_db, monkeypatch, reconnect_max_s=0.04) as run:
        await subscribed(run)
        run.server.refuse_connections = True
        await run.server.drop()
        await run.server.signal.until(lambda: run.server.refused >= 4, "reconnect attempts")
        run.server.refuse_connections = False
        await subscribed(run, 2)
    delays = [r.args[2] for r in caplog.records if "reconnecting in" in r.getMessage() and r.args]
    assert delays[:3] == [0.01, 0.02, 0.04]  # doubling, capped at reconnect_max_s
    assert all(d <= 0.04 for d in delays)


# --- kicked by a newer connection -----------------------------------------------------------


async def test_kicked_by_a_newer_connection_stops_without_fighting(
    sqlite_db: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async with running(sqlite_db, monkeypatch) as run:
        await subscribed(run)

        async def ignore(frame: dict[str, Any]) -> None:
            return None

        other = AIBotLink("bot-1", SECRET, ignore, LinkOptions(url=run.server.url))
        other_task = asyncio.create_task(other.run())
        try:
            with pytest.raises(TransportError, match="another connection took over"):
                await asyncio.wait_for(run.task, 5)
            assert run.transport.link.state is LinkState.KICKED
            assert not run.transport.outbox.connected  # queued messages wait, none are lost
            assert other.state is LinkState.READY  # the newer connection keeps the bot
            assert run.server.subscribes_ok == 2  # and we did not subscribe again
        finally:
            await other.stop()
            await other_task
    assert "a newer connection subscribed with the same BotID" in caplog.text


# --- WeCom retries, malformed and oversized frames ------------------------------------------


async def test_replayed_msgid_is_handled_once(
    sqlite_db: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="groupops.transport.wecom_aibot")
    async with running(sqlite_db, monkeypatch) as run:
        await subscribed(run)
        await run.server.push_text("@小助手 打卡", msgid="m-dup", req_id="r1")
        await run.server.push_text("@小助手 打卡", msgid="m-dup", req_id="r2")
        await run.server.push_text("@小助手 /help", msgid="m-next", req_id="r3")
        replies = await run.wait_sent("aibot_respond_msg", 2)
        assert [r["headers"]["req_id"] for r in replies] == ["r1", "r3"]
    assert "duplicate msgid m-dup ignored" in caplog.text


async def test_malformed_frames_are_logged_and_survived(
    sqlite_db: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async with running(sqlite_db, monkeypatch) as run:
        await subscribed(run)
        await run.server.push_raw("this is not json")
        await run.server.push_raw("[1, 2, 3]")
        await run.server.push({"cmd": "aibot_future_cmd", "headers": {"req_id": "x"}})
        await run.server.push({"cmd": "aibot_msg_callback", "headers": {"req_id": "y"}})
        await run.server.push(
            {"cmd": "aibot_msg_callback", "headers": {"req_id": "z"}, "body": {"msgtype": "text"}}
        )
        await run.server.push({"headers": {"req_id": "nobody-asked"}, "errcode": 0})
        req_id = await run.server.push_text("@小助手 打卡")
        (reply,) = await run.wait_sent("aibot_respond_msg")
        assert reply["headers"]["req_id"] == req_id
        assert run.server.subscribes_ok == 1  # all on the same connection: nothing crashed
    text = caplog.text
    assert "malformed frame (not JSON) ignored" in text
    assert "malformed frame (not an object) ignored" in text
    assert "unknown cmd 'aibot_future_cmd' ignored" in text
    assert "without a body ignored" in text and "without msgid ignored" in text
    assert "unexpected ack ignored" in text


async def test_oversized_frames_and_messages(
    sqlite_db: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async with running(sqlite_db, monkeypatch) as run:
        await subscribed(run)
        # an inbound frame over 1 MiB: the client closes (1009) and reconnects
        await run.server.push_text("@小助手 " + "长" * 400_000)
        await subscribed(run, 2)
        # an outbound text over 20480 bytes is split by the outbox, never mid-character
        await run.transport.sender.send_text("chat-1", "写" * 10_000)  # 30000 bytes
        frames = await run.wait_sent("aibot_send_msg", 2)
        parts = [content_of(f) for f in frames]
        assert "".join(parts) == "写" * 10_000
        assert all(len(p.encode()) <= 20480 for p in parts)
        # an item that is too long anyway is refused for good, not retried
        item = OutboxItem(
            id="big", conversation="chat-1", text="x" * 20481, created_at=datetime.now(UTC)
        )
        with pytest.raises(PermanentSendError, match="20480-byte limit"):
            await run.transport.deliver(item)
    assert "connection closed (code 1009" in caplog.text


async def test_refused_credentials_end_with_a_clear_error_and_no_secret_in_logs(
    sqlite_db: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with running(sqlite_db, monkeypatch, secret="wrong-secret-value") as run:
        with pytest.raises(TransportError, match="refused"):
            await asyncio.wait_for(run.task, 5)
        assert run.transport.link.state is LinkState.FAILED
        assert len(run.server.sent("aibot_subscribe")) == 2  # max_auth_failures
    assert "subscribe rejected" in caplog.text
    assert "wrong-secret-value" not in caplog.text and SECRET not in caplog.text


# --- through the registry, as `groupops run` does -----------------------------------------


async def test_groupops_run_path_start_up_report_reply_and_exit_code_when_kicked(
    sqlite_db: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import argparse

    from bot.transports.registry import run_transport

    caplog.set_level(logging.INFO)
    monkeypatch.setenv("WECOM_AIBOT_ID", "bot-1")
    monkeypatch.setenv("WECOM_AIBOT_SECRET", SECRET)
    async with aibot_server(bot_id="bot-1", secret=SECRET) as server:
        text = aibot_config(server.url) + f"storage: {{url: '{sqlite_db}'}}\n"
        config = config_from(text)
        run = asyncio.create_task(run_transport(config, argparse.Namespace()))
        await server.signal.until(server.has_live, "subscribed")
        req_id = await server.push_text("@小助手 打卡")
        await server.signal.until(lambda: bool(server.sent("aibot_respond_msg")), "reply")
        assert server.sent("aibot_respond_msg")[0]["headers"]["req_id"] == req_id

        async def ignore(frame: dict[str, Any]) -> None:
            return None

        other = AIBotLink("bot-1", SECRET, ignore, LinkOptions(url=server.url))
        other_task = asyncio.create_task(other.run())
        try:
            assert await asyncio.wait_for(run, 10) == 2  # a clear stop, exit code 2
        finally:
            await other.stop()
            await other_task
    assert "transport wecom_aibot: sees only messages that @-mention the bot" in caplog.text
    assert "cannot work on this transport" in caplog.text  # e.g. off-topic nudges
    assert SECRET not in caplog.text

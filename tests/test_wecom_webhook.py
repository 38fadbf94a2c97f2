"""The WeCom group-robot webhook transport against a real local HTTP server."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.clock import FakeClock
from bot.settings.transport import WecomWebhookSettings
from bot.transports.base import TransportError, Visibility, unsupported_features
from bot.transports.registry import build_transport
from bot.transports.wecom_webhook import CAPABILITIES, WeComWebhookTransport
from tests.support import config_from
from tests.wecom_support import FakeWebhookServer, started_app, webhook_server

KEY = "robot-key-1"
START = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)


def make(server: FakeWebhookServer, clock: FakeClock, **extra: Any) -> WeComWebhookTransport:
    settings = WecomWebhookSettings.model_validate(
        {"url": server.url, "outbox": {"persist": False}, **extra}
    )
    return WeComWebhookTransport(settings, key=KEY, clock=clock)


def test_capabilities_see_nothing() -> None:
    assert CAPABILITIES.sees is Visibility.NONE and not CAPABILITIES.sees_joins
    config = config_from("groups: {g1: {checkin: {enabled: true}}}")
    report = unsupported_features(config, CAPABILITIES, "wecom_webhook")
    assert any("receives no messages" in line for line in report)
    assert any("check-ins" in line for line in report)


async def test_text_with_mentions_and_markdown() -> None:
    async with webhook_server() as server:
        clock = FakeClock(START)
        transport = make(server, clock)
        await transport.outbox.send_text("g1", "今晚八点写作分享", mentions=("alice", "@all"))
        transport.outbox.enqueue("g1", "**本周精华**", kind="markdown", mentions=("bob",))
        assert await transport.outbox.deliver_ready() == 2
        assert server.posts == [
            (
                KEY,
                {
                    "msgtype": "text",
                    "text": {"content": "今晚八点写作分享", "mentioned_list": ["alice", "@all"]},
                },
            ),
            (KEY, {"msgtype": "markdown", "markdown": {"content": "<@bob> **本周精华**"}}),
        ]
        await transport.close()


async def test_long_text_is_split_under_2048_bytes() -> None:
    async with webhook_server() as server:
        transport = make(server, FakeClock(START))
        text = "第一段" + "字" * 600 + "\n" + "第二段" + "文" * 600  # 3600+ bytes, one newline
        await transport.outbox.send_text("g1", text)
        await transport.outbox.deliver_ready()
        parts = [body["text"]["content"] for _, body in server.posts]
        assert len(parts) == 2 and all(len(p.encode()) <= 2048 for p in parts)
        assert parts[0].startswith("第一段") and parts[1].startswith("第二段")
        await transport.close()


async def test_twenty_per_minute_is_respected_in_virtual_time() -> None:
    async with webhook_server() as server:
        clock = FakeClock(START)
        transport = make(server, clock)
        for n in range(25):
            await transport.outbox.send_text("g1", f"消息{n}")
        assert await transport.outbox.deliver_ready() == 20
        assert len(server.posts) == 20
        assert transport.outbox.seconds_until_next() == pytest.approx(60.0)
        clock.advance(timedelta(seconds=59))
        assert await transport.outbox.deliver_ready() == 0
        clock.advance(timedelta(seconds=1))
        assert await transport.outbox.deliver_ready() == 5
        assert [b["text"]["content"] for _, b in server.posts] == [f"消息{n}" for n in range(25)]
        await transport.close()


async def test_one_robot_limits_all_groups_together() -> None:
    async with webhook_server() as server:
        clock = FakeClock(START)
        transport = make(server, clock)
        for n in range(15):
            await transport.outbox.send_text("g1", f"a{n}")
            await transport.outbox.send_text("g2", f"b{n}")
        assert await transport.outbox.deliver_ready() == 20  # 20/min for the one robot
        await transport.close()


async def test_rate_limited_45009_is_retried_later_once(caplog: pytest.LogCaptureFixture) -> None:
    async with webhook_server() as server:
        clock = FakeClock(START)
        transport = make(server, clock)
        server.errcodes = [45009]
        await transport.outbox.send_text("g1", "打卡提醒")
        await transport.outbox.deliver_ready()
        assert server.posts == [] and len(transport.outbox.pending()) == 1
        clock.advance(timedelta(seconds=60))
        await transport.outbox.deliver_ready()
        assert [b["text"]["content"] for _, b in server.posts] == ["打卡提醒"]
        assert transport.outbox.pending() == [] and transport.outbox.sent == 1
        await transport.close()
    assert "rate limited (errcode 45009)" in caplog.text


async def test_invalid_key_93000_is_permanent_and_the_key_is_never_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    async with webhook_server(keys=("the-right-key",)) as server:
        clock = FakeClock(START)
        transport = make(server, clock)
        await transport.outbox.send_text("g1", "hello")
        await transport.outbox.deliver_ready()
        clock.advance(timedelta(hours=1))
        assert await transport.outbox.deliver_ready() == 0  # not retried
        assert transport.outbox.failed == 1 and server.posts == []
        await transport.close()
    assert "invalid (errcode 93000); check WECOM_WEBHOOK_KEY" in caplog.text
    assert "HTTP Request: POST" in caplog.text  # httpx logged the request ...
    assert KEY not in caplog.text  # ... with the key redacted
    assert "key=***" in caplog.text


async def test_server_errors_and_unreachable_server_are_transient() -> None:
    async with webhook_server() as server:
        clock = FakeClock(START)
        transport = make(server, clock, url=server.url.replace("/cgi-bin/", "/no-such/"))
        await transport.outbox.send_text("g1", "x")
        await transport.outbox.deliver_ready()  # 404 without JSON: retried later
        assert transport.outbox.retried == 1 and len(transport.outbox.pending()) == 1
        await transport.close()
    transport = make(server, clock)  # the server is gone now: connection refused
    await transport.outbox.send_text("g1", "y")
    await transport.outbox.deliver_ready()
    assert transport.outbox.retried == 1 and transport.outbox.failed == 0
    await transport.close()


async def test_per_group_robots(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WECOM_WEBHOOK_KEY", KEY)
    monkeypatch.setenv("G2_ROBOT", "robot-key-2")
    async with webhook_server(keys=(KEY, "robot-key-2")) as server:
        config = config_from(
            f"""
transport:
  type: wecom_webhook
  wecom_webhook:
    url: {server.url}
    group_key_envs: {{g2: G2_ROBOT}}
    outbox: {{persist: false}}
"""
        )
        transport = build_transport(config)
        assert isinstance(transport, WeComWebhookTransport)
        await transport.sender.send_text("g1", "一群")
        await transport.sender.send_text("g2", "二群")
        await transport.outbox.deliver_ready()
        assert [(k, b["text"]["content"]) for k, b in server.posts] == [
            (KEY, "一群"),
            ("robot-key-2", "二群"),
        ]
        await transport.close()


def test_missing_key_is_a_clear_startup_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WECOM_WEBHOOK_KEY", raising=False)
    config = config_from("transport: {type: wecom_webhook}")
    with pytest.raises(TransportError, match="WECOM_WEBHOOK_KEY"):
        build_transport(config)


async def test_the_real_app_posts_through_the_webhook(
    sqlite_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WECOM_WEBHOOK_KEY", KEY)
    async with webhook_server() as server:
        config = config_from(
            "transport:\n  type: wecom_webhook\n  wecom_webhook: "
            + json.dumps({"url": server.url, "outbox": {"persist": True}})
        )
        transport = build_transport(config)
        async with started_app(config, transport.sender, sqlite_db, FakeClock(START)) as app:
            task = asyncio.create_task(transport.run(app))
            await app.context("g1").sender.send_text("g1", "【今日仪式】晨读打卡开始啦")
            await server.signal.until(lambda: len(server.posts) == 1, "the post")
            assert server.posts[0][1]["text"]["content"] == "【今日仪式】晨读打卡开始啦"
            await transport.close()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(task, 5)

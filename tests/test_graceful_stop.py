"""`groupops run` stops gracefully on SIGTERM and SIGINT: exit 0 within 10 s, everything
handled stored (check-ins, activity rows, outbox states). The bot runs as a real subprocess:
the console transport reading a pipe, and the WeCom AI bot against the loopback WeCom
server of tests/wecom_support.py."""

from __future__ import annotations

import asyncio
import os
import queue
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.wecom_support import FakeAIBotServer

ROOT = Path(__file__).resolve().parent.parent
EXIT_LIMIT_S = 10.0
WAIT_S = 60.0  # start-up on a busy machine (imports, migrations), bounded

CONFIG = """
timezone: Asia/Shanghai
admins: [admin]
storage:
  url: sqlite:///bot.db
transport:
{transport}
groups:
  writers:
    name: 写作群
  chat-1:
    name: 企微群
"""


class Running:
    """A `groupops run` subprocess; its output lines arrive on queues (read by threads)."""

    def __init__(self, config: Path, env: dict[str, str] | None = None) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "run", "--config", str(config)],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**os.environ, **(env or {}), "PYTHONUNBUFFERED": "1"},
        )
        self.out: queue.Queue[str] = queue.Queue()
        self.err_lines: list[str] = []
        assert self.proc.stdout is not None and self.proc.stderr is not None
        threading.Thread(target=self._pump, args=(self.proc.stdout, True), daemon=True).start()
        threading.Thread(target=self._pump, args=(self.proc.stderr, False), daemon=True).start()

    def _pump(self, stream: object, stdout: bool) -> None:
        for raw in iter(stream.readline, b""):  # type: ignore[attr-defined]
            line = raw.decode("utf-8", "replace")
            if stdout:
                self.out.put(line)
            else:
                self.err_lines.append(line)

    def type(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write((line + "\n").encode("utf-8"))
        self.proc.stdin.flush()

    def wait_output(self, needle: str, count: int = 1) -> None:
        seen = 0
        deadline = time.monotonic() + WAIT_S
        while seen < count:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no {needle!r} in the output; stderr:\n{self.stderr}")
            try:
                line = self.out.get(timeout=remaining)
            except queue.Empty:
                continue
            seen += needle in line

    def stop(self, sig: int) -> tuple[int, float]:
        began = time.monotonic()
        self.proc.send_signal(sig)
        try:
            code = self.proc.wait(timeout=EXIT_LIMIT_S)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"still running {EXIT_LIMIT_S}s after the signal") from None
        return code, time.monotonic() - began

    @property
    def stderr(self) -> str:
        return "".join(self.err_lines)


@contextmanager
def running(config: Path, env: dict[str, str] | None = None) -> Iterator[Running]:
    bot = Running(config, env)
    try:
        yield bot
    finally:
        if bot.proc.poll() is None:
            bot.proc.kill()
            bot.proc.wait()


def stored(db: Path) -> dict[str, object]:
    with sqlite3.connect(db) as conn:
        return {
            "checkins": sorted(conn.execute("select member_id from checkins").fetchall()),
            "activity": conn.execute("select count(*) from activity_log").fetchone()[0],
            "outbox": sorted(conn.execute("select status from outbox").fetchall()),
        }


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_console_stops_gracefully_with_everything_stored(tmp_path: Path, sig: int) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(
        CONFIG.format(transport="  type: console\n  console: {group: writers, user: alice}"),
        encoding="utf-8",
    )
    with running(config) as bot:
        bot.type("打卡 800字")
        bot.type(":as bob")
        bot.type("打卡")
        bot.type("今天写了一首诗")
        bot.type("大家晚安")
        bot.wait_output("打卡成功", count=2)
        bot.type("/我的")  # answered: handled before the signal
        bot.wait_output("我的成长档案")
        code, took = bot.stop(sig)
    assert code == 0, bot.stderr
    assert took < EXIT_LIMIT_S
    assert "stopping gracefully" in bot.stderr and "Traceback" not in bot.stderr
    assert stored(tmp_path / "bot.db") == {
        "checkins": [("alice",), ("bob",)],
        "activity": 5,  # every message, flushed at the stop (the periodic flush is 2 s)
        "outbox": [("sent",)] * 3,
    }


def test_wecom_aibot_stops_gracefully_with_everything_stored(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    server = FakeAIBotServer()
    loop = asyncio.new_event_loop()
    ready = threading.Event()

    def serve() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(server.start())
        ready.set()
        loop.run_forever()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    assert ready.wait(WAIT_S)

    def on_server(coro: object, timeout: float = WAIT_S) -> object:
        return asyncio.run_coroutine_threadsafe(coro, loop).result(timeout)  # type: ignore[arg-type]

    try:
        config.write_text(
            CONFIG.format(
                transport=f"  type: wecom_aibot\n  wecom_aibot: {{url: '{server.url}', "
                "mention_names: [小助手]}"
            ),
            encoding="utf-8",
        )
        env = {"WECOM_AIBOT_ID": server.bot_id, "WECOM_AIBOT_SECRET": server.secret}
        with running(config, env) as bot:
            on_server(server.signal.until(server.has_live, "the bot subscribed", WAIT_S))
            on_server(server.push_text("@小助手 打卡 500字", userid="alice"))
            on_server(server.push_text("@小助手 打卡", userid="bob"))
            on_server(server.push_text("@小助手 大家好", userid="carol"))
            on_server(
                server.signal.until(
                    lambda: len(server.sent("aibot_respond_msg")) == 2, "two replies", WAIT_S
                )
            )
            code, took = bot.stop(signal.SIGTERM)
        assert code == 0, bot.stderr
        assert took < EXIT_LIMIT_S
        on_server(server.signal.until(lambda: not server.has_live(), "the bot disconnected"))
    finally:
        on_server(server.stop())
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
    assert stored(tmp_path / "bot.db") == {
        "checkins": [("alice",), ("bob",)],
        "activity": 3,
        "outbox": [("sent",)] * 2,
    }


# --- in process: the same stop sequence (run_app with `stop`) on the other transports ------


async def _stored_async(db: Path) -> dict[str, object]:
    return await asyncio.to_thread(stored, db)


async def test_wechaty_stops_gracefully_with_everything_stored(tmp_path: Path) -> None:
    from bot.app import App
    from bot.clock import SystemClock
    from bot.settings.transport import WechatyTransportSettings
    from bot.transports.registry import run_app
    from bot.transports.wechaty_transport import WechatyTransport
    from tests.support import config_from
    from tests.test_wechaty_transport import wait_sent
    from tests.wechaty_fake import FakePuppetServer

    server = FakePuppetServer()
    puppet = await server.start()
    puppet.add_room("room1", "写作群", {"alice": "Alice", "bob": "Bob"})
    db = tmp_path / "bot.db"
    config = config_from(f"storage: {{url: 'sqlite:///{db}'}}\ngroups: {{room1: {{name: 写作群}}}}")
    # the fake serves plaintext: say so where the settings know about TLS
    plain = {"tls": False} if "tls" in WechatyTransportSettings.model_fields else {}
    settings = WechatyTransportSettings.model_validate(plain)
    transport = WechatyTransport(server.endpoint, "token-1", settings)
    app = App(config, sender=transport.sender, clock=SystemClock())
    stop = asyncio.Event()
    run = asyncio.create_task(run_app(config, transport, app, stop=stop))
    try:
        await asyncio.wait_for(transport.logged_in.wait(), WAIT_S)
        puppet.room_text("room1", "alice", "打卡")
        puppet.room_text("room1", "bob", "今天写了两千字")
        await wait_sent(server, 1)
        stop.set()
        await asyncio.wait_for(run, EXIT_LIMIT_S)
    finally:
        if not run.done():
            run.cancel()
        await server.stop()
    assert await _stored_async(db) == {
        "checkins": [("alice",)],
        "activity": 2,
        "outbox": [("sent",)],
    }


async def test_wecom_webhook_stops_gracefully_with_everything_stored(tmp_path: Path) -> None:
    from bot.app import App
    from bot.clock import SystemClock
    from bot.settings.transport import WecomWebhookSettings
    from bot.transports.registry import run_app
    from bot.transports.wecom_webhook import WeComWebhookTransport
    from tests.support import config_from
    from tests.wecom_support import webhook_server

    db = tmp_path / "bot.db"
    config = config_from(f"storage: {{url: 'sqlite:///{db}'}}")
    async with webhook_server() as server:
        settings = WecomWebhookSettings.model_validate({"url": server.url})
        transport = WeComWebhookTransport(settings, key="robot-key-1")
        app = App(config, sender=transport.sender, clock=SystemClock())
        stop = asyncio.Event()
        run = asyncio.create_task(run_app(config, transport, app, stop=stop))
        await server.signal.until(lambda: transport.outbox.persistent, "started", WAIT_S)
        await transport.outbox.send_text("g1", "今晚八点写作分享")
        await transport.outbox.send_text("g1", "明早七点半晨写")
        stop.set()  # the second one may still be queued: the stop lets it go out
        await asyncio.wait_for(run, EXIT_LIMIT_S)
    assert [b["text"]["content"] for _, b in server.posts] == ["今晚八点写作分享", "明早七点半晨写"]
    assert (await _stored_async(db))["outbox"] == [("sent",)] * 2

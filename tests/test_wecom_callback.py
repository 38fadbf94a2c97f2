"""The WeCom AI bot callback transport as a real local HTTP server.

The "WeCom side" of these tests encrypts and signs with wechatpy (an independent
implementation of the scheme), posts over real HTTP on loopback, and decrypts the replies
with wechatpy again. The bot is the real App sending through the transport's Outbox.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from bot.app import App
from bot.clock import FakeClock
from bot.settings.transport import WecomCallbackSettings
from bot.transports.base import Visibility
from bot.transports.wecom_callback import CAPABILITIES, WeComCallbackTransport
from tests.support import config_from
from tests.wecom_support import FakeWebhookServer, started_app, webhook_server

wechatpy_crypto = pytest.importorskip("wechatpy.crypto")

TOKEN = "cb-token"
AES_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
NOW = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)
TS = str(int(NOW.timestamp()))
_n = itertools.count(1)


class WeComSide:
    """Builds callbacks the way WeCom does (with wechatpy) and reads the passive replies."""

    def __init__(self, base_url: str) -> None:
        self.url = base_url
        self.prp = wechatpy_crypto.PrpCrypto(base64.b64decode(AES_KEY + "="))
        self.http = httpx.AsyncClient(timeout=10)

    def sign(self, timestamp: str, nonce: str, encrypted: str) -> str:
        return str(wechatpy_crypto._get_signature(TOKEN, timestamp, nonce, encrypted))

    def encrypt(self, plain: str) -> str:
        return str(self.prp.encrypt(plain, "").decode())

    async def verify(self, echo: str, *, timestamp: str = TS, signature: str | None = None):  # type: ignore[no-untyped-def]
        encrypted = self.encrypt(echo)
        nonce = f"n{next(_n)}"
        params = {
            "msg_signature": signature or self.sign(timestamp, nonce, encrypted),
            "timestamp": timestamp,
            "nonce": nonce,
            "echostr": encrypted,
        }
        return await self.http.get(self.url, params=params)

    async def post(  # type: ignore[no-untyped-def]
        self,
        body: dict[str, Any] | str,
        *,
        timestamp: str = TS,
        signature: str | None = None,
        raw: bytes | None = None,
    ):
        plain = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)
        encrypted = self.encrypt(plain)
        nonce = f"n{next(_n)}"
        params = {
            "msg_signature": signature or self.sign(timestamp, nonce, encrypted),
            "timestamp": timestamp,
            "nonce": nonce,
        }
        content = raw if raw is not None else json.dumps({"encrypt": encrypted}).encode()
        response = await self.http.post(self.url, params=params, content=content)
        response.nonce = nonce  # type: ignore[attr-defined]
        return response

    def open_reply(self, response: httpx.Response) -> dict[str, Any]:
        envelope = response.json()
        assert envelope["nonce"] == response.nonce  # type: ignore[attr-defined]
        expected = self.sign(str(envelope["timestamp"]), envelope["nonce"], envelope["encrypt"])
        assert envelope["msgsignature"] == expected
        return dict(json.loads(self.prp.decrypt(envelope["encrypt"], "")))

    async def mention(
        self,
        content: str,
        *,
        msgid: str | None = None,
        chatid: str = "chat-1",
        userid: str = "alice",
        response_url: str = "",
    ) -> httpx.Response:
        body = {
            "msgid": msgid or f"m{next(_n)}",
            "aibotid": "AIBOT",
            "chatid": chatid,
            "chattype": "group",
            "from": {"userid": userid},
            "response_url": response_url,
            "msgtype": "text",
            "text": {"content": content},
        }
        return await self.post(body)  # type: ignore[no-any-return]


@dataclass
class Running:
    transport: WeComCallbackTransport
    wecom: WeComSide
    app: App
    hooks: FakeWebhookServer


@contextlib.asynccontextmanager
async def running(sqlite_db: str, **extra: Any) -> AsyncIterator[Running]:
    settings = WecomCallbackSettings.model_validate(
        {"path": "/wecom/callback", "outbox": {"persist": False}, **extra}
    )
    clock = FakeClock(NOW)
    transport = WeComCallbackTransport(
        settings,
        token=TOKEN,
        aes_key=AES_KEY,
        bot_names=("小助手",),
        clock=clock,
        host="127.0.0.1",
        port=0,
    )
    config = config_from("groups: {chat-1: {name: 测试群}}")
    async with (
        webhook_server() as hooks,
        started_app(config, transport.sender, sqlite_db, clock) as app,
    ):
        await transport.outbox.start()
        await transport.serve(app.handle)
        wecom = WeComSide(f"http://127.0.0.1:{transport.port}/wecom/callback")
        try:
            yield Running(transport, wecom, app, hooks)
        finally:
            await wecom.http.aclose()
            await transport.close()


def test_capabilities_only_mentions() -> None:
    assert CAPABILITIES.sees is Visibility.MENTIONS and not CAPABILITIES.sees_joins


# --- URL verification -----------------------------------------------------------------------


async def test_url_verification(sqlite_db: str, caplog: pytest.LogCaptureFixture) -> None:
    async with running(sqlite_db) as run:
        ok = await run.wecom.verify("1616140317555161061")
        assert ok.status_code == 200 and ok.text == "1616140317555161061"
        bad = await run.wecom.verify("x", signature="0" * 40)
        assert bad.status_code == 401
        stale = await run.wecom.verify("x", timestamp=str(int(TS) - 301))
        assert stale.status_code == 403
        missing = await run.wecom.http.get(run.wecom.url, params={"timestamp": TS})
        assert missing.status_code == 400
    assert "refused with HTTP 401: bad msg_signature" in caplog.text
    assert "refused with HTTP 403: stale timestamp" in caplog.text
    assert "missing query parameter(s): msg_signature, nonce, echostr" in caplog.text


# --- messages and passive replies -----------------------------------------------------------


async def test_mention_gets_an_encrypted_stream_reply(sqlite_db: str) -> None:
    async with running(sqlite_db) as run:
        response = await run.wecom.mention("@小助手 打卡", userid="alice")
        assert response.status_code == 200
        reply = run.wecom.open_reply(response)
        stream = reply["stream"]
        assert reply["msgtype"] == "stream" and stream["finish"] is True
        assert "<@alice>" in stream["content"] and "打卡" in stream["content"]
        async with run.app.uow() as uow:
            assert await uow.checkins.count_days("chat-1", "alice") == 1


async def test_replayed_msgid_is_handled_once(
    sqlite_db: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="groupops.transport.wecom_callback")
    async with running(sqlite_db) as run:
        first = run.wecom.open_reply(await run.wecom.mention("@小助手 打卡", msgid="same"))
        again = run.wecom.open_reply(await run.wecom.mention("@小助手 打卡", msgid="same"))
        assert again["stream"] == first["stream"]  # the same answer, not a second check-in
        assert run.transport.outbox.sent == 1
        async with run.app.uow() as uow:
            assert await uow.checkins.count_days("chat-1", "alice") == 1
    assert "duplicate msgid same (WeCom retry) answered once" in caplog.text


async def test_slow_answers_finish_through_stream_refreshes(sqlite_db: str) -> None:
    async with running(sqlite_db, reply_wait_s=0, refresh_wait_s=5) as run:
        first = run.wecom.open_reply(await run.wecom.mention("@小助手 打卡"))
        assert first["stream"]["finish"] is False and first["stream"]["content"] == ""
        refresh = {
            "msgid": "refresh-1",
            "chatid": "chat-1",
            "chattype": "group",
            "from": {"userid": "alice"},
            "msgtype": "stream",
            "stream": {"id": first["stream"]["id"]},
        }
        done = run.wecom.open_reply(await run.wecom.post(refresh))
        assert done["stream"]["id"] == first["stream"]["id"]
        assert done["stream"]["finish"] is True and "打卡" in done["stream"]["content"]
        unknown = dict(refresh, stream={"id": "no-such-stream"})
        late = run.wecom.open_reply(await run.wecom.post(unknown))
        assert late["stream"] == {"id": "no-such-stream", "finish": True, "content": ""}


async def test_later_messages_use_the_response_url_once(
    sqlite_db: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with running(sqlite_db) as run:
        url = f"{run.hooks.url}?key=robot-key-1"
        run.wecom.open_reply(await run.wecom.mention("@小助手 打卡", response_url=url))
        await run.transport.sender.send_text("chat-1", "稍后补充：今晚八点分享", mentions=("bob",))
        await run.hooks.signal.until(lambda: len(run.hooks.posts) == 1, "the proactive answer")
        assert run.hooks.posts[0][1] == {
            "msgtype": "markdown",
            "markdown": {"content": "<@bob> 稍后补充：今晚八点分享"},
        }
        await run.transport.sender.send_text("chat-1", "再来一条")  # the url was used up
        await asyncio.wait_for(run.transport.outbox.join(), 5)
        assert run.transport.outbox.failed == 1 and len(run.hooks.posts) == 1
    assert "in callback mode the AI bot can only answer a member's message" in caplog.text


# --- what must be refused, each with a log line ----------------------------------------------


async def test_bad_requests_are_refused_with_a_log_line(
    sqlite_db: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="groupops.transport.wecom_callback")
    async with running(sqlite_db, max_body_bytes=4096) as run:
        body = {
            "msgid": "x1",
            "chattype": "group",
            "chatid": "c",
            "from": {"userid": "u"},
            "msgtype": "text",
        }
        assert (await run.wecom.post(body, signature="f" * 40)).status_code == 401
        assert (await run.wecom.post(body, timestamp=str(int(TS) + 3600))).status_code == 403
        assert (await run.wecom.post(body, raw=b"not json")).status_code == 400
        assert (await run.wecom.post(body, raw=b'{"nothing": 1}')).status_code == 400
        garbage = base64.b64encode(bytes(48)).decode()
        signed = run.wecom.sign(TS, "n-g", garbage)
        response = await run.wecom.http.post(
            run.wecom.url,
            params={"msg_signature": signed, "timestamp": TS, "nonce": "n-g"},
            content=json.dumps({"encrypt": garbage}),
        )
        assert response.status_code == 400
        assert (await run.wecom.post("[1, 2]")).status_code == 400  # decrypts, not an object
        huge = {"msgid": "big", "msgtype": "text", "text": {"content": "长" * 5000}}
        assert (await run.wecom.post(huge)).status_code == 413
        # well-formed but nothing to answer: 200 with an empty body
        image = dict(body, msgid="img", msgtype="image", image={"url": "u"})
        empty = await run.wecom.post(image)
        assert empty.status_code == 200 and empty.text == ""
        event = {"msgid": "ev", "msgtype": "event", "event": {"eventtype": "enter_chat"}}
        assert (await run.wecom.post(event)).text == ""
        # and the endpoint still works
        ok = run.wecom.open_reply(await run.wecom.mention("@小助手 打卡"))
        assert ok["stream"]["finish"] is True
    text = caplog.text
    for expected in [
        "HTTP 401: bad msg_signature",
        "HTTP 403: stale timestamp",
        'HTTP 400: body is not {"encrypt": "..."}',
        "HTTP 400: does not decrypt",
        "HTTP 400: decrypted body is not a JSON object",
        "HTTP 413: body larger than max_body_bytes",
        "unsupported message type 'image'",
        "event 'enter_chat' received",
    ]:
        assert expected in text, expected

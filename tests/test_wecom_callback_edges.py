"""Hostile requests to the WeCom callback URL: each is answered 400/401/403 with one log
line, never a 500 or a traceback (real HTTP on loopback)."""

from __future__ import annotations

import json
import logging

import pytest

from tests.test_wecom_callback import TS, running

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def refusals(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name.startswith("groupops")]


async def test_a_400_digit_timestamp_is_refused(
    sqlite_db: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with running(sqlite_db) as run:
        caplog.clear()
        caplog.set_level(logging.INFO)
        for stamp in ("9" * 400, "1" * 13, "-1", "+" + TS, " " + TS, "١٧٩٣", TS + ".5"):
            response = await run.wecom.post({"msgid": "t"}, timestamp=stamp)
            assert response.status_code == 400, stamp
            assert "timestamp" in response.text
        records = refusals(caplog)
        assert len(records) == 7
        assert all(r.levelno == logging.WARNING and r.exc_info is None for r in records)
        get = await run.wecom.verify("echo", timestamp="9" * 400)
        assert get.status_code == 400


async def test_a_deeply_nested_json_body_is_refused(
    sqlite_db: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with running(sqlite_db, max_body_bytes=1024 * 1024) as run:
        caplog.clear()
        caplog.set_level(logging.INFO)
        deep = b"[" * 100_000 + b"]" * 100_000
        response = await run.wecom.post({"msgid": "d"}, raw=deep)
        assert response.status_code == 400
        assert "nested too deeply" in response.text
        objects = b'{"a":' * 100_000 + b"1" + b"}" * 100_000
        assert (await run.wecom.post({"msgid": "d"}, raw=objects)).status_code == 400
        # the same depth inside a correctly signed and encrypted body
        inner = await run.wecom.post("[" * 100_000 + "]" * 100_000)
        assert inner.status_code == 400
        records = refusals(caplog)
        assert len(records) == 3
        assert all("refused with HTTP 400" in r.getMessage() for r in records)
        assert all(r.exc_info is None for r in records)
        # and the endpoint still answers
        ok = run.wecom.open_reply(await run.wecom.mention("@小助手 打卡"))
        assert ok["stream"]["finish"] is True


async def test_malformed_parameters_and_envelopes_are_refused(
    sqlite_db: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with running(sqlite_db) as run:
        caplog.clear()
        caplog.set_level(logging.INFO)
        cases = [
            ({"msg_signature": "é" * 40}, None, 401),
            ({"msg_signature": "a" * 41}, None, 401),
            ({"nonce": "a b"}, None, 400),
            ({"nonce": "\x00"}, None, 400),
            ({}, json.dumps({"encrypt": "加密"}).encode(), 400),
            ({}, json.dumps({"encrypt": ["x"]}).encode(), 400),
            ({}, json.dumps({"encrypt": "A" * 20}).encode(), 401),
            ({}, b"\xff\xfe{}", 400),
            ({}, b"", 400),
        ]
        for override, raw, status in cases:
            params = {"msg_signature": "0" * 40, "timestamp": TS, "nonce": "n1", **override}
            body = raw if raw is not None else json.dumps({"encrypt": "AAAA"}).encode()
            response = await run.wecom.http.post(run.wecom.url, params=params, content=body)
            assert response.status_code == status, (override, raw, response.text)
        assert len(refusals(caplog)) == len(cases)
        assert all(r.exc_info is None for r in refusals(caplog))


async def test_an_echostr_that_is_not_utf8_is_refused(sqlite_db: str) -> None:
    async with running(sqlite_db) as run:
        encrypted = run.wecom.prp.encrypt(b"\xff\xfe", "").decode()
        nonce = "n-echo"
        params = {
            "msg_signature": run.wecom.sign(TS, nonce, encrypted),
            "timestamp": TS,
            "nonce": nonce,
            "echostr": encrypted,
        }
        response = await run.wecom.http.get(run.wecom.url, params=params)
        assert response.status_code == 400
        assert "not UTF-8" in response.text


async def test_a_long_user_id_is_bounded_inside_and_original_outside(sqlite_db: str) -> None:
    long_user = "user-" + "x" * 120
    async with running(sqlite_db) as run:
        reply = run.wecom.open_reply(await run.wecom.mention("@小助手 打卡", userid=long_user))
        content = reply["stream"]["content"]
        assert content.startswith(f"<@{long_user}> ✅ 打卡成功")
        async with run.app.uow() as uow:
            from sqlalchemy import select

            from storage.models import Checkin

            stored = (await uow.session.execute(select(Checkin.member_id))).scalar_one()
        assert len(stored) <= 80 and stored.startswith("user-xxx") and stored != long_user

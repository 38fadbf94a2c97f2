"""Hostile input at the transport edge, through the real router on SQLite and PostgreSQL:
NUL bytes, control characters, zero-width and bidi marks, lone surrogates and ids longer
than the database columns reach every handler cleaned and bounded, and nothing fails."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import select

from bot.events import Message
from handlers.activity import ActivityLog
from storage.models import (
    ActivityEntry,
    Checkin,
    Highlight,
    LedgerEntry,
    Violation,
    WhitelistedMember,
)
from tests.fuzz_support import router_failures
from tests.moderation_support import moderation_config
from tests.support import at, config_from, msg, running_bot
from tests.test_spam_flow import AD_1, AD_2, AD_3

LONG_USER = "wxid_" + "长" * 300  # longer than any id column
LONG_GROUP = "room-" + "x" * 500 + "@chatroom"
NUL_USER = "bob\x00evil"

CONFIG = """
timezone: Asia/Shanghai
admins: [admin]
defaults:
  rewards:
    reward: {max_points: 50, admin_daily_cap: 60, member_daily_cap: 40}
groups:
  g1:
    name: 测试群
"""


@contextmanager
def no_failures() -> Iterator[None]:
    with router_failures() as failures:
        yield
        crashed = failures.take()
    assert not crashed, crashed[0]


async def test_nul_bytes_and_long_ids_reach_every_handler(db_url: str) -> None:
    async with running_bot(db_url, config_from(CONFIG)) as bot:
        with no_failures():
            r = await bot.say("打卡\x00 今天写了 1200字\x00", user=LONG_USER)
            assert r[0].startswith("✅ 打卡成功！连续打卡 1 天，今日 1200 字")
            r = await bot.say("打卡", user=NUL_USER, when=at("2026-11-21 08:01"))
            assert r[0].startswith("✅ 打卡成功")
            r = await bot.say("打卡", user="carol", group=LONG_GROUP)
            assert r[0].startswith("✅ 打卡成功")
            r = await bot.say("/精华 好句子\x00要\x07摘抄", user="admin")
            assert r == ["✅ 已收录精华 #1（admin）"]
            r = await bot.say("/精华 搜索 句子\x00", user="admin")
            assert r[0].startswith("🔎 包含「句子」的精华")
            r = await bot.say(f"/白名单 @{LONG_USER}", user="admin", mentions=(LONG_USER,))
            assert r == ["已加入白名单，其消息不再按广告处理。"]
            r = await bot.say(
                f"/红包 @{LONG_USER} 20 写得好\x00", user="admin", mentions=(LONG_USER,)
            )
            assert r[0].startswith("🧧 admin 发来一个红包：+20 分\n理由：写得好")
            await bot.app.services.get(ActivityLog).flush()
        async with bot.app.uow() as uow:
            checkins = (await uow.session.execute(select(Checkin))).scalars().all()
            ledger = (await uow.session.execute(select(LedgerEntry))).scalars().all()
            kept = (await uow.session.execute(select(Highlight))).scalars().one()
            listed = (await uow.session.execute(select(WhitelistedMember))).scalars().one()
            logged = (await uow.session.execute(select(ActivityEntry))).scalars().all()
    from bot.text.inbound import MAX_ID_CHARS, bound_id

    long_id = bound_id(LONG_USER)
    assert len(long_id) <= MAX_ID_CHARS and long_id.startswith("wxid_长长")
    assert {c.member_id for c in checkins} == {long_id, bound_id(NUL_USER), "carol"}
    assert all("\x00" not in c.content and "\x00" not in c.member_id for c in checkins)
    assert {c.group_id for c in checkins} == {"g1", bound_id(LONG_GROUP)}
    assert kept.text == "好句子要摘抄"
    assert listed.member_id == long_id
    assert sorted(e.delta for e in ledger if e.member_id == long_id) == [10, 20]
    assert len(logged) == 7  # every message counted, none lost to a failed flush


async def test_a_long_id_keeps_one_identity(db_url: str) -> None:
    async with running_bot(db_url, config_from(CONFIG)) as bot:
        await bot.say("打卡", user=LONG_USER, when=at("2026-11-21 08:00"))
        r = await bot.say("打卡", user=LONG_USER, when=at("2026-11-22 08:00"))
        assert r[0].startswith("✅ 打卡成功！连续打卡 2 天")
        other = LONG_USER[:-1] + "短"  # the same prefix, another member
        r = await bot.say("打卡", user=other, when=at("2026-11-22 08:01"))
        assert r[0].startswith("✅ 打卡成功！连续打卡 1 天")
        r = await bot.say("/我的", user=LONG_USER, when=at("2026-11-22 09:00"))
        assert "连续打卡 2 天（累计 2 天）" in r[0]


async def test_an_ad_ending_in_nul_is_caught_by_the_spam_ladder(db_url: str) -> None:
    async with running_bot(db_url, moderation_config()) as bot:
        with no_failures():
            first = await bot.say(AD_1 + "\x00", user="spammer", when=at("2026-11-21 10:00"))
            second = await bot.say(AD_2 + "\x00", user="spammer", when=at("2026-11-21 11:00"))
            third = await bot.say("\u200b" + AD_3, user="spammer", when=at("2026-11-21 12:00"))
        assert first[0].startswith("温馨提示：本群不欢迎广告和引流信息")
        assert second[0].startswith("⚠️ 第 2 次发现该成员发布疑似广告")
        assert third[0].startswith("🚫 该成员已第 3 次发布广告")
        async with bot.app.uow() as uow:
            rows = (await uow.session.execute(select(Violation).order_by(Violation.id))).scalars()
            stored = [(v.action, v.excerpt) for v in rows]
    assert stored == [("warn", AD_1), ("notify_admins", AD_2), ("ask_remove", AD_3)]


@pytest.mark.parametrize(
    "text",
    [
        "\u200b打卡",  # zero-width space
        "\u202e打卡",  # right-to-left override
        "\u200f\u200e打卡 1200字",  # right-to-left and left-to-right marks
        "\ufeff打卡",  # byte-order mark
        "\u2066打卡\u2069",  # isolates
        "打\u200b卡",
        "\x00打卡",
        "\x07\x7f打卡",  # bell and delete
    ],
)
async def test_invisible_marks_before_a_keyword_still_check_in(db_url: str, text: str) -> None:
    async with running_bot(db_url, config_from(CONFIG)) as bot:
        with no_failures():
            r = await bot.say(text, user="alice")
        assert r and r[0].startswith("✅ 打卡成功")


async def test_lone_surrogates_are_stored_as_replacement_characters(db_url: str) -> None:
    async with running_bot(db_url, config_from(CONFIG)) as bot:
        with no_failures():
            r = await bot.say("打卡 写了\udce5\udc8d半句", user="alice")
            assert r[0].startswith("✅ 打卡成功")
            r = await bot.say("/精华 \ud83d\ude00好\ud800", user="admin")
            assert r == ["✅ 已收录精华 #1（admin）"]
        async with bot.app.uow() as uow:
            checkin = (await uow.session.execute(select(Checkin))).scalars().one()
            kept = (await uow.session.execute(select(Highlight))).scalars().one()
    assert checkin.content == "写了\ufffd\ufffd半句"
    assert kept.text == "😀好\ufffd"


def test_every_event_is_cleaned_where_it_is_built() -> None:
    from bot.text.inbound import MAX_ID_CHARS, bound_id

    message = Message(
        group_id="g\x00",
        sender_id="u" * 200,
        message_id="m\n1",
        text="a\x00b\r\nc\u2028d\u200be",
        time=at("2026-11-21 08:00"),
        mentions=("x" * 300, "ok", "x" * 300),
        sender_name="名字\n" * 40,
        quote_text="q\x00",
        quote_sender_id="\udcff",
    )
    assert message.text == "ab\nc\nde"
    assert all(len(i) <= MAX_ID_CHARS for i in (message.group_id, message.sender_id))
    assert "\x00" not in message.group_id and "\n" not in message.message_id
    assert message.mentions == (bound_id("x" * 300), "ok")
    assert len(message.sender_name) <= 64 and "\n" not in message.sender_name
    assert message.quote_text == "q" and message.quote_sender_id == bound_id("\udcff")
    assert msg("ok").text == "ok"  # clean input is kept as it is

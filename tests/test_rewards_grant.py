"""/红包 grants with daily caps, refusals, /账本, and redelivery."""

from __future__ import annotations

from bot.events import Message
from tests.rewards_support import (
    assert_ledger_consistent,
    ledger_lines,
    lines_of,
    rewards_config,
    seen,
)
from tests.support import at, msg, running_bot

USAGE = "用法：/红包 @成员 N 理由，例如：/红包 @小明 20 优秀作业"


def reward(
    text: str, target: str, *, user: str = "coach", when: str = "2026-11-21 09:00", **kw: str
) -> Message:
    return msg(text, user=user, mentions=(target,), when=at(when), **kw)


async def test_red_packet_is_posted_mentioning_the_member_and_recorded(db_url: str) -> None:
    async with running_bot(db_url, rewards_config()) as bot:
        await seen(bot, "bob")
        r = await bot.push(reward("/红包 @bob 20 优秀作业", "bob"))
        assert r == ["🧧 coach 发来一个红包：+20 分\n理由：优秀作业\n当前积分 20"]
        assert bot.sender.sent[-1].mentions == ("bob",)
        r = await bot.push(reward("/reward @bob 5分 认真点评", "bob", user="admin"))
        assert r[0].endswith("当前积分 25")
        lines = await ledger_lines(bot)
        assert [(ln.member_id, ln.delta, ln.kind, ln.actor_id, ln.reason) for ln in lines] == [
            ("bob", 20, "reward", "coach", "优秀作业"),
            ("bob", 5, "reward", "admin", "认真点评"),
        ]
        assert await assert_ledger_consistent(bot) == {("g1", "bob"): 25}


async def test_daily_caps_per_admin_and_per_member_in_the_local_day(db_url: str) -> None:
    # caps: 50 per packet, 60 per admin a day, 40 per member a day
    async with running_bot(db_url, rewards_config()) as bot:
        await seen(bot, "bob", "carol")
        assert "+30 分" in (await bot.push(reward("/红包 @bob 30 作业", "bob")))[0]
        r = await bot.push(reward("/红包 @bob 15 作业", "bob", when="2026-11-21 09:01"))
        assert r == ["这位成员今天已收到 30 分红包，每人每天最多 40 分，还能收 10 分。"]
        assert "+10 分" in (await bot.push(reward("/红包 @bob 10 作业", "bob")))[0]
        # another admin may still reward bob? no: the member cap counts every admin's packets
        r = await bot.push(reward("/红包 @bob 1 作业", "bob", user="admin"))
        assert r[0].startswith("这位成员今天已收到 40 分红包")
        # coach has granted 40; 25 more would pass the admin cap of 60
        r = await bot.push(reward("/红包 @carol 25 作业", "carol", when="2026-11-21 23:59"))
        assert r == ["今天你已发出 40 分红包，每位管理员每天最多 60 分，还能发 20 分。"]
        assert "+20 分" in (await bot.push(reward("/红包 @carol 20 作业", "carol")))[0]
        # 00:01 Shanghai is a new local day (16:01 UTC the previous calendar day)
        r = await bot.push(reward("/红包 @carol 25 次日", "carol", when="2026-11-22 00:01"))
        assert "+25 分" in r[0] and r[0].endswith("当前积分 45")
        assert await lines_of(bot, "reward") == [
            ("bob", 30),
            ("bob", 10),
            ("carol", 20),
            ("carol", 25),
        ]
        await assert_ledger_consistent(bot)


async def test_caps_follow_the_groups_own_timezone(sqlite_db: str) -> None:
    ny = "America/New_York"
    from zoneinfo import ZoneInfo

    tz = ZoneInfo(ny)
    async with running_bot(sqlite_db, rewards_config()) as bot:
        await seen(bot, "bob", group="ny", when=at("2026-11-21 07:00", tz))
        first = msg(
            "/红包 @bob 40 作业",
            user="admin",
            group="ny",
            mentions=("bob",),
            when=at("2026-11-21 23:00", tz),
        )
        assert "+40 分" in (await bot.push(first))[0]
        # 13:00 Shanghai on 11-22 is still 11-22 00:00 New York: a new day there
        nxt = msg(
            "/红包 @bob 40 作业",
            user="admin",
            group="ny",
            mentions=("bob",),
            when=at("2026-11-22 00:00", tz),
        )
        assert "+40 分" in (await bot.push(nxt))[0]
        same = msg(
            "/红包 @bob 1 作业",
            user="admin",
            group="ny",
            mentions=("bob",),
            when=at("2026-11-22 23:59", tz),
        )
        assert (await bot.push(same))[0].startswith("这位成员今天已收到 40 分红包")


async def test_refusals_for_members_self_rewards_and_malformed_commands(sqlite_db: str) -> None:
    async with running_bot(sqlite_db, rewards_config()) as bot:
        r = await bot.push(reward("/红包 @bob 20 作业", "bob", user="alice"))
        assert r == ["抱歉，这个命令只有管理员可以使用。"]
        r = await bot.push(reward("/红包 @coach 20 辛苦了", "coach"))
        assert r == ["不能给自己发红包哦。"]
        r = await bot.push(msg("/红包 20 作业", user="coach", when=at("2026-11-21 09:00")))
        assert r == [f"请 @ 一位成员。\n{USAGE}"]
        r = await bot.push(reward("/红包 @bob 很多 作业", "bob"))
        assert r == [f"积分要写成正整数，例如 20。\n{USAGE}"]
        r = await bot.push(reward("/红包 @bob -5 作业", "bob"))
        assert r == [f"积分要写成正整数，例如 20。\n{USAGE}"]
        r = await bot.push(reward("/红包 @bob 0 作业", "bob"))
        assert r == [f"一个红包要在 1 到 50 分之间。\n{USAGE}"]
        r = await bot.push(reward("/红包 @bob 51 作业", "bob"))
        assert r == [f"一个红包要在 1 到 50 分之间。\n{USAGE}"]
        r = await bot.push(reward("/红包 @bob 20", "bob"))
        assert r == [f"请写明理由。\n{USAGE}"]
        assert await ledger_lines(bot) == []


async def test_redelivered_command_pays_once_even_after_a_restart(db_url: str) -> None:
    config = rewards_config()
    async with running_bot(db_url, config) as bot:
        await seen(bot, "bob")
        command = reward("/红包 @bob 20 优秀作业", "bob", mid="wx-1")
        assert len(await bot.push(command)) == 1
        assert await bot.push(command) == []  # the router's memory drops the retry
    async with running_bot(db_url, config, start=at("2026-11-21 09:05")) as bot:
        assert await bot.push(command) == []  # the ledger's idem_key refuses it after restart
        assert await lines_of(bot, "reward") == [("bob", 20)]
        assert await assert_ledger_consistent(bot) == {("g1", "bob"): 20}


async def test_ledger_command_lists_reasons_and_granters(db_url: str) -> None:
    async with running_bot(db_url, rewards_config()) as bot:
        await bot.push(msg("打卡", user="bob", when=at("2026-11-21 08:00")))
        await bot.push(reward("/红包 @bob 20 优秀作业", "bob"))
        await bot.push(
            msg("/积分 @bob -5 迟到", user="admin", mentions=("bob",), when=at("2026-11-21 10:00"))
        )
        r = await bot.push(
            msg("/账本 @bob", user="coach", mentions=("bob",), when=at("2026-11-21 11:00"))
        )
        assert r == [
            "📒 bob 的积分账本：共 3 条，当前积分 25（最近 3 条）\n"
            "11-21 10:00 -5 管理员调整：迟到（admin 发放）\n"
            "11-21 09:00 +20 红包：优秀作业（coach 发放）\n"
            "11-21 08:00 +10 打卡 2026-11-21"
        ]
        r = await bot.push(
            msg("/账本 @bob", user="bob", mentions=("bob",), when=at("2026-11-21 11:00"))
        )
        assert r == ["抱歉，这个命令只有管理员可以使用。"]
        r = await bot.push(msg("/账本", user="coach", when=at("2026-11-21 11:00")))
        assert r == ["请 @ 一位成员。\n用法：/账本 @成员"]
        r = await bot.push(
            msg("/账本 @dave", user="coach", mentions=("dave",), when=at("2026-11-21 11:00"))
        )
        assert r == ["dave 还没有积分记录。"]
        balance = (
            await bot.push(
                msg("/积分 @bob", user="alice", mentions=("bob",), when=at("2026-11-21 11:01"))
            )
        )[0]
        assert balance == "该成员当前积分：25"
        assert await assert_ledger_consistent(bot) == {("g1", "bob"): 25}


async def test_disabled_rewards_refuse_politely(sqlite_db: str) -> None:
    config = rewards_config("admins: [admin]\ndefaults:\n  rewards:\n    enabled: false\n")
    async with running_bot(sqlite_db, config) as bot:
        r = await bot.push(reward("/红包 @bob 20 作业", "bob", user="admin"))
        assert r == ["本群没有开启红包玩法。"]
        assert await ledger_lines(bot) == []
        for command_text in ("/抢答 2+2=? | 4", "/通知 明晚开会 前3名 5分", "/抽奖 1名 5分"):
            replies = await bot.push(msg(command_text, user="admin"))
            assert replies == ["本群没有开启红包玩法。"], command_text
        assert await ledger_lines(bot) == []

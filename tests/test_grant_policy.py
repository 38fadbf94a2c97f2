"""The grant policy shared by /积分, /红包 and the games: a maximum per grant and per day,
no balance below zero unless allowed, grants only to members seen in the group."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from bot.config import ConfigError, parse_config
from bot.events import Message
from storage.models import Member, RewardDraw
from tests.rewards_support import (
    REWARDS_CONFIG,
    assert_ledger_consistent,
    ledger_lines,
    lines_of,
    rewards_config,
    seen,
)
from tests.support import at, joined, msg, running_bot

POINTS_USAGE = "用法：/积分 @成员；/积分 @成员 +N|-N 理由"  # an admin sees the adjusting form
GHOST = "还没有在本群见过这位成员（没有发言、入群或打卡记录），不能{what}。请确认 @ 的是本群成员。"


def points(
    text: str, target: str, *, user: str = "admin", when: str = "2026-11-21 10:00"
) -> Message:
    return msg(text, user=user, mentions=(target,), when=at(when))


async def test_adjustments_have_a_maximum_and_never_go_below_zero(db_url: str) -> None:
    async with running_bot(db_url, rewards_config()) as bot:
        await bot.push(msg("打卡", user="bob", when=at("2026-11-21 08:00")))  # 10 points
        r = await bot.push(points("/积分 @bob +100000 手滑", "bob"))
        assert r == [f"一次最多调整 500 分（加或减）。\n{POINTS_USAGE}"]
        r = await bot.push(points("/积分 @bob -9999999 手滑", "bob"))
        assert r == [f"一次最多调整 500 分（加或减）。\n{POINTS_USAGE}"]
        r = await bot.push(points("/积分 @bob -50 违规", "bob"))
        assert r == ["该成员当前积分 10，扣除 50 分后会低于 0，最多可扣 10 分。"]
        r = await bot.push(points("/积分 @bob -10 违规", "bob"))
        assert r == ["积分调整：-10（违规），当前积分 0"]
        assert await lines_of(bot, "admin_adjust") == [("bob", -10)]
        assert await assert_ledger_consistent(bot) == {("g1", "bob"): 0}


async def test_an_operator_may_allow_negative_balances(sqlite_db: str) -> None:
    config = rewards_config(
        REWARDS_CONFIG.replace("  rewards:\n", "  rewards:\n    allow_negative_balance: true\n", 1)
    )
    async with running_bot(sqlite_db, config) as bot:
        await seen(bot, "bob")
        r = await bot.push(points("/积分 @bob -30 违规", "bob"))
        assert r == ["积分调整：-30（违规），当前积分 -30"]


async def test_adjustments_have_daily_caps_per_admin_and_per_member(db_url: str) -> None:
    config = rewards_config(
        REWARDS_CONFIG.replace(
            "  rewards:\n",
            "  rewards:\n    adjust: {max_points: 50, admin_daily_cap: 80, member_daily_cap: 60}\n",
            1,
        )
    )
    async with running_bot(db_url, config) as bot:
        await seen(bot, "bob", "carol")
        assert (await bot.push(points("/积分 @bob +40 分享", "bob")))[0].endswith("当前积分 40")
        r = await bot.push(points("/积分 @bob -30 更正", "bob"))  # |−30| counts too
        assert r == ["这位成员今天的积分已被调整 40 分，每人每天最多 60 分，还能调整 20 分。"]
        assert (await bot.push(points("/积分 @carol +30 分享", "carol")))[0].endswith("积分 30")
        r = await bot.push(points("/积分 @carol +20 分享", "carol"))
        assert r == ["今天你已调整 70 分，每位管理员每天最多调整 80 分，还能调整 10 分。"]
        r = await bot.push(points("/积分 @carol +20 分享", "carol", user="coach"))
        assert r[0].endswith("当前积分 50")  # another admin has a cap of their own
        r = await bot.push(points("/积分 @bob +51 分享", "bob"))
        assert r == [f"一次最多调整 50 分（加或减）。\n{POINTS_USAGE}"]
        # the next local day starts again
        r = await bot.push(points("/积分 @bob +50 分享", "bob", when="2026-11-22 00:01"))
        assert r[0].endswith("当前积分 90")
        await assert_ledger_consistent(bot)


async def test_grants_only_go_to_members_seen_in_the_group(db_url: str) -> None:
    async with running_bot(db_url, rewards_config()) as bot:
        r = await bot.push(points("/红包 @ghost 10 好", "ghost", user="coach"))
        assert r == [GHOST.format(what="发红包")]
        r = await bot.push(points("/积分 @ghost +10 好", "ghost"))
        assert r == [GHOST.format(what="调整积分")]
        # seen in another group is not seen here
        await bot.push(msg("你好", user="ghost", group="ny", when=at("2026-11-21 10:01")))
        r = await bot.push(points("/积分 @ghost +10 好", "ghost", when="2026-11-21 10:02"))
        assert r == [GHOST.format(what="调整积分")]
        assert await ledger_lines(bot) == []
        # a join, or a message still in the buffered activity log, makes a member seen
        await bot.push(joined("newbie", when=at("2026-11-21 10:03")))
        await bot.push(msg("大家好", user="talker", when=at("2026-11-21 10:04")))
        r = await bot.push(
            points("/红包 @newbie 10 欢迎", "newbie", user="coach", when="2026-11-21 10:05")
        )
        assert r[0].startswith("🧧 coach 发来一个红包：+10 分")
        r = await bot.push(points("/积分 @talker +5 好", "talker", when="2026-11-21 10:06"))
        assert r == ["积分调整：+5（好），当前积分 5"]


async def test_a_redelivered_grant_sees_the_group_as_it_was_when_sent(db_url: str) -> None:
    """A command refused because its member had not been seen yet stays refused when it is
    delivered again after a restart, though the member has spoken since (as in a run with
    no restart): a member counts as seen only by facts dated no later than the command."""
    config = rewards_config()
    red_packet = points("/红包 @late 10 欢迎", "late", user="coach", when="2026-11-21 10:00")
    adjust = msg(
        "/积分 @late +5 好", user="admin", mentions=("late",), when=at("2026-11-21 10:00:30")
    )
    async with running_bot(db_url, config) as bot:
        assert await bot.push(red_packet) == [GHOST.format(what="发红包")]
        assert await bot.push(adjust) == [GHOST.format(what="调整积分")]
        await bot.push(joined("late", when=at("2026-11-21 10:05")))
        await bot.push(msg("大家好", user="late", when=at("2026-11-21 10:06")))
        await bot.push(msg("打卡", user="late", when=at("2026-11-21 10:07")))
    async with running_bot(db_url, config, start=at("2026-11-21 10:10")) as bot:
        await bot.push(red_packet)  # the same message ids, delivered again
        await bot.push(adjust)
        assert await lines_of(bot, "reward") == []
        assert await lines_of(bot, "admin_adjust") == []
        # a command sent after the member was seen pays
        r = await bot.push(
            points("/红包 @late 10 欢迎", "late", user="coach", when="2026-11-21 10:11")
        )
        assert r[0].startswith("🧧 coach 发来一个红包：+10 分")
        assert await lines_of(bot, "reward") == [("late", 10)]


async def test_a_member_is_first_seen_at_the_earliest_message_however_late_it_arrives(
    db_url: str,
) -> None:
    async with running_bot(db_url, rewards_config()) as bot:
        async with bot.app.uow() as uow:
            await uow.members.seen("g1", "bob", "Bob", at("2026-11-21 10:00"))
            await uow.members.seen("g1", "bob", "", at("2026-11-21 09:00"))  # delivered late
            await uow.members.seen("g1", "bob", "Bobby", at("2026-11-21 11:00"))
        async with bot.app.uow() as uow:
            assert not await uow.members.known("g1", "bob", at("2026-11-21 08:59"))
            assert await uow.members.known("g1", "bob", at("2026-11-21 09:00"))
            row = await uow.session.get(Member, ("g1", "bob"))
            assert row is not None
            assert (row.display_name, row.first_seen, row.last_seen) == (
                "Bobby",
                at("2026-11-21 09:00"),
                at("2026-11-21 11:00"),
            )


GAMES_CAPPED = REWARDS_CONFIG.replace(
    "  rewards:\n", "  rewards:\n    game_member_daily_cap: 25\n", 1
)


async def test_games_share_a_members_daily_cap(db_url: str) -> None:
    async with running_bot(db_url, rewards_config(GAMES_CAPPED)) as bot:
        await bot.push(msg("/抢答 1+1=? | 2", user="coach", when=at("2026-11-21 20:00")))
        assert "恭喜" in (await bot.push(msg("2", user="bob", when=at("2026-11-21 20:00:05"))))[0]
        await bot.push(msg("/抢答 2+2=? | 4", user="coach", when=at("2026-11-21 20:01")))
        r = await bot.push(msg("4", user="bob", when=at("2026-11-21 20:01:05")))
        assert r == ["你今天在群游戏里已获得 20 分，每人每天最多 25 分，这次的奖励留给其他成员吧。"]
        assert "恭喜" in (await bot.push(msg("4", user="carol", when=at("2026-11-21 20:01:06"))))[0]
        # notice: 5 points each; bob has 20, so 5 more fit once, then no more today
        await bot.push(msg("/通知 明天停课 前3名 5分", user="coach", when=at("2026-11-21 20:02")))
        assert (
            "+5 分" in (await bot.push(msg("收到", user="bob", when=at("2026-11-21 20:02:01"))))[0]
        )
        await bot.push(msg("/通知 后天补课 前3名 5分", user="coach", when=at("2026-11-21 20:03")))
        r = await bot.push(msg("收到", user="bob", when=at("2026-11-21 20:03:01")))
        assert r == ["你今天在群游戏里已获得 25 分，每人每天最多 25 分，这次的奖励留给其他成员吧。"]
        assert (
            "+5 分" in (await bot.push(msg("收到", user="dave", when=at("2026-11-21 20:03:02"))))[0]
        )
        # draw: bob (25) cannot win 10 more; carol (20) cannot either; dave (5) can
        await bot.push(msg("/抽奖 3名 10分", user="coach", when=at("2026-11-21 20:04")))
        async with bot.app.uow() as uow:
            (draw,) = (await uow.session.execute(select(RewardDraw))).scalars()
        assert json.loads(draw.candidates) == ["dave"]
        assert await lines_of(bot, "draw") == [("dave", 10)]
        # a new local day: the cap starts again
        await bot.push(msg("/抢答 3+3=? | 6", user="coach", when=at("2026-11-22 08:00")))
        assert "恭喜" in (await bot.push(msg("6", user="bob", when=at("2026-11-22 08:00:05"))))[0]
        await assert_ledger_consistent(bot)


@pytest.mark.parametrize(
    ("snippet", "expected"),
    [
        (
            "    adjust: {max_points: 0}\n",
            "<config>:3: defaults.rewards.adjust.max_points: Input should be greater than or equal to 1",
        ),
        (
            "    game_member_daily_cap: 0\n",
            "<config>:3: defaults.rewards.game_member_daily_cap: Input should be greater than or equal to 1",
        ),
        (
            "    adjust: {member_daily_cap: 1000000000}\n",
            "<config>:3: defaults.rewards.adjust.member_daily_cap: Input should be less than or equal to 100000000",
        ),
    ],
)
def test_grant_settings_are_bounded(snippet: str, expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config("defaults:\n  rewards:\n" + snippet)
    assert [str(p) for p in caught.value.problems] == [expected]

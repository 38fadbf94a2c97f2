"""Boards across a group set through the real router: `/排行 SET` (anyone in a group of the
set), `/统计 SET` (set admins), one row per (group, member) with the group's name."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from bot.commands import REFUSAL
from bot.config import AppConfig
from handlers.activity import flushed
from handlers.set_boards import (
    SET_STATS_REFUSAL,
    collect_set_stats,
    collect_set_week,
    set_period,
)
from handlers.stats import collect_stats, collect_week
from tests.support import at, config_from, running_bot

SET_CONFIG = """
timezone: Asia/Shanghai
admins: [root]
defaults:
  checkin:
    points: 10
    streak_bonus: []
groups:
  g1: {name: 一群, admins: [coach, both]}
  g2: {name: 二群, admins: [both]}
  g3: {name: 三群}
  la: {name: 洛杉矶群, timezone: America/Los_Angeles, admins: [both]}
sets:
  camp: [g1, g2]
  west: [g1, la]
"""


def set_config(extra: str = "") -> AppConfig:
    return config_from(SET_CONFIG + extra)


async def test_set_board_lists_group_and_member_pairs_with_group_names(db_url: str) -> None:
    async with running_bot(db_url, set_config(), at("2026-11-16 07:00")) as bot:
        await bot.say("打卡", user="alice", group="g1", when=at("2026-11-16 08:00"))
        await bot.say("打卡", user="alice", group="g1", when=at("2026-11-17 08:00"))
        await bot.say("打卡", user="alice", group="g2", when=at("2026-11-17 08:01"))
        await bot.say("打卡", user="bob", group="g2", when=at("2026-11-17 08:02"))
        await bot.say("打卡", user="carol", group="g3", when=at("2026-11-17 08:03"))
        (board,) = await bot.say("/排行 camp", user="dave", group="g2", when=at("2026-11-17 09:00"))
        assert board.splitlines() == [
            "🏆 集合「camp」本周积分榜（2 个群）",
            "🥇 alice（一群）20 分",
            "🥈 alice（二群）10 分",  # the same member, once per group: no merging
            "🥉 bob（二群）10 分",
            "📜 集合「camp」总积分榜",
            "🥇 alice（一群）20 分",
            "🥈 alice（二群）10 分",
            "🥉 bob（二群）10 分",
        ]
        assert "carol" not in board  # g3 is not in the set
        # the group's own board is unchanged
        (own,) = await bot.say("/排行", user="dave", group="g2", when=at("2026-11-17 09:01"))
        assert own.splitlines()[1:3] == ["🥇 alice 10 分", "🥈 bob 10 分"]
        # set names are matched case-insensitively, as configured sets are
        (again,) = await bot.say("/排行 CAMP", user="x", group="g1", when=at("2026-11-17 09:02"))
        assert again == board


async def test_set_board_refuses_outside_the_set_and_hints_unknown_names(sqlite_db: str) -> None:
    async with running_bot(sqlite_db, set_config(), at("2026-11-16 07:00")) as bot:
        (outside,) = await bot.say(
            "/排行 camp", user="carol", group="g3", when=at("2026-11-16 08:00")
        )
        assert outside == "本群不在集合「camp」里，只能在集合内的群里查看它。"
        (unknown,) = await bot.say(
            "/排行 camps", user="carol", group="g1", when=at("2026-11-16 08:01")
        )
        assert (
            unknown == "没有叫「camps」的群集合。本群所在的集合：camp、west\n用法：/排行 [集合名]"
        )
        (empty,) = await bot.say(
            "/排行 camp", user="carol", group="g1", when=at("2026-11-16 08:02")
        )
        assert empty == "🏆 集合「camp」还没有人获得积分，发送「打卡」开始吧～"


async def test_set_board_weeks_follow_each_groups_own_timezone(sqlite_db: str) -> None:
    pacific = ZoneInfo("America/Los_Angeles")
    async with running_bot(sqlite_db, set_config(), at("2026-11-15 07:00")) as bot:
        # Sunday 2026-11-22 20:00 in Los Angeles is Monday 11-23 12:00 in Shanghai: a new week
        # in g1, still last week in la
        await bot.say("打卡", user="erin", group="la", when=at("2026-11-22 20:00", pacific))
        await bot.say("打卡", user="alice", group="g1", when=at("2026-11-23 12:30"))
        (board,) = await bot.say("/排行 west", user="x", group="g1", when=at("2026-11-23 13:00"))
        lines = board.splitlines()
        week = lines[: lines.index("📜 集合「west」总积分榜")]
        assert week == [
            "🏆 集合「west」本周积分榜（2 个群）",
            "🥇 alice（一群）10 分",
            "🥈 erin（洛杉矶群）10 分",
        ]
        # Monday 11-23 in Los Angeles: erin's Sunday line is last week's
        (later,) = await bot.say(
            "/排行 west", user="x", group="g1", when=at("2026-11-23 09:00", pacific)
        )
        assert later.splitlines()[:3] == [
            "🏆 集合「west」本周积分榜（2 个群）",
            "🥇 alice（一群）10 分",
            "📜 集合「west」总积分榜",
        ]


async def test_set_stats_is_for_set_admins_and_adds_up_the_groups(db_url: str) -> None:
    async with running_bot(db_url, set_config(), at("2026-11-16 07:00")) as bot:
        await bot.say("打卡", user="alice", group="g1", when=at("2026-11-16 08:00"))
        await bot.say("早", user="bob", group="g1", when=at("2026-11-16 08:01"))
        await bot.say("打卡", user="alice", group="g2", when=at("2026-11-16 08:02"))
        await bot.say("大家好", user="carol", group="g3", when=at("2026-11-16 08:03"))
        # not an admin of the group: the group's /统计 refusal
        assert await bot.say("/统计 camp", user="bob", group="g1", when=at("2026-11-16 08:30")) == [
            REFUSAL
        ]
        # an admin of g1 only: not a set admin
        (refused,) = await bot.say(
            "/统计 camp", user="coach", group="g1", when=at("2026-11-16 09:00")
        )
        assert refused == SET_STATS_REFUSAL
        (bad,) = await bot.say(
            "/统计 camp 一周", user="both", group="g1", when=at("2026-11-16 09:01")
        )
        assert bad == "天数要写成数字，例如「7天」或「30天」。\n用法：/统计 [集合名] [7天|30天]"
        (reply,) = await bot.say(
            "/统计 camp 3天", user="both", group="g2", when=at("2026-11-16 09:02")
        )
        lines = reply.splitlines()
        assert lines[0] == "📊 集合「camp」近 3 天数据（2 个群，11-14 至 11-16，各群按本群日期）"
        # messages: in g1 alice, bob, and the three /统计 of bob, coach and both (4 members);
        # in g2 alice and both's /统计 (2 members); carol in g3 is not counted
        assert lines[2] == "　11-14 0｜11-15 0｜11-16 7"
        assert "👥 活跃成员 6 人次（按群计，新加入 0 人，退群 0 人）" in lines
        assert "✅ 打卡 2 人次（2 人），打卡率 33%（2 ÷ 6 个成员日）" in lines
        assert "🔥 最长连续打卡：alice（一群）1 天、alice（二群）1 天" in lines
        assert lines[lines.index("🏘 各群：") + 1 :] == [
            "　一群：消息 5 条，活跃 4 人，打卡 1 人次，打卡率 25%",
            "　二群：消息 2 条，活跃 2 人，打卡 1 人次，打卡率 50%",
        ]
        # a global admin may ask too; outside the set it is refused
        (outside,) = await bot.say(
            "/统计 camp", user="root", group="g3", when=at("2026-11-16 09:03")
        )
        assert outside == "本群不在集合「camp」里，只能在集合内的群里查看它。"
        (days,) = await bot.say("/统计 7天", user="root", group="g1", when=at("2026-11-16 09:04"))
        assert days.startswith("📊 「一群」近 7 天数据")  # a number of days stays the group's


def test_set_period_fits_its_column() -> None:
    assert set_period("2026-W47", "camp") == "2026-W47:camp"
    long_name = "很长的集合名字" * 5
    period = set_period("2026-W47", long_name)
    assert len(period) <= 32 and period != set_period("2026-W47", long_name + "x")


async def test_set_figures_of_each_group_are_its_own_stats(db_url: str) -> None:
    """`/统计 SET` reads each figure once per timezone over `group_id IN (...)`; per group
    it must say exactly what `/统计` says in that group."""
    pacific = ZoneInfo("America/Los_Angeles")
    async with running_bot(db_url, set_config(), at("2026-11-14 07:00")) as bot:
        await bot.say("打卡", user="alice", group="g1", when=at("2026-11-14 08:00"))
        await bot.say("打卡", user="alice", group="g1", when=at("2026-11-15 08:00"))
        await bot.say("请问怎么打卡？", user="bob", group="g1", when=at("2026-11-15 09:00"))
        await bot.say("打卡", user="erin", group="la", when=at("2026-11-15 07:00", pacific))
        await bot.say("大家好", user="frank", group="la", when=at("2026-11-15 08:00", pacific))
        await bot.say("打卡", user="alice", group="g1", when=at("2026-11-16 08:00"))
        now = at("2026-11-16 10:00")
        bot.clock.set(now)
        await flushed(bot.app.context("g1"))
        west = bot.app.config.group_set("west")
        assert west is not None
        async with bot.app.uow() as uow:
            together = await collect_set_stats(
                uow, bot.app.config, west, 7, now, bot.app.config.group("g1")
            )
            alone = [
                await collect_stats(uow, g, now.astimezone(g.tz).date(), 7, now)
                for g in (bot.app.config.group("g1"), bot.app.config.group("la"))
            ]
        assert together.groups == alone
        assert alone[0].questions.logged == 1 and alone[0].streaks[0].days == 3
        assert alone[1].last == date(2026, 11, 15)  # still Sunday in Los Angeles
        assert together.total("checkins") == 4 and together.total("active_members") == 4


async def test_the_set_week_adds_up_each_groups_own_week(sqlite_db: str) -> None:
    pacific = ZoneInfo("America/Los_Angeles")
    async with running_bot(sqlite_db, set_config(), at("2026-11-10 07:00")) as bot:
        await bot.say("早", user="bob", group="g1", when=at("2026-11-10 08:00"))  # week 46
        await bot.say("打卡", user="alice", group="g1", when=at("2026-11-16 08:00"))
        await bot.say("打卡", user="alice", group="g1", when=at("2026-11-17 08:00"))
        await bot.say("早", user="bob", group="g1", when=at("2026-11-17 09:00"))
        # la starts in week 47 (no week before), on its own Sunday
        await bot.say("打卡", user="erin", group="la", when=at("2026-11-22 07:00", pacific))
        await bot.say("你好", user="erin", group="la", when=at("2026-11-22 08:00", pacific))
        west = bot.app.config.group_set("west")
        assert west is not None
        await flushed(bot.app.context("g1"))  # the activity log's buffered rows
        async with bot.app.uow() as uow:
            together = await collect_set_week(uow, bot.app.config, west, 2026, 47, 5)
            alone = [
                await collect_week(uow, bot.app.config.group(g), 2026, 47) for g in ("g1", "la")
            ]
    assert together.messages == tuple(map(sum, zip(*(w.messages for w in alone), strict=True)))
    assert together.checkins == tuple(map(sum, zip(*(w.checkins for w in alone), strict=True)))
    assert together.messages == (1, 2, 0, 0, 0, 0, 2)
    assert together.active_members == sum(w.active_members for w in alone) == 3
    assert together.member_days == sum(w.active_members * w.recorded_days for w in alone)
    assert together.previous == alone[0].previous and alone[1].previous is None
    # ties by group id, then member id
    assert together.top_members == (
        ("alice（一群）", 2),
        ("erin（洛杉矶群）", 2),
        ("bob（一群）", 1),
    )

"""Check-ins pushed through the real router and storage, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from storage.models import Badge, Checkin, LedgerEntry
from tests.support import at, config_from, running_bot

NY = ZoneInfo("America/New_York")


async def ledger_total(bot, group: str, member: str) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    async with bot.app.uow() as uow:
        lines = (
            await uow.session.execute(
                select(func.count(), func.coalesce(func.sum(LedgerEntry.delta), 0)).where(
                    LedgerEntry.group_id == group, LedgerEntry.member_id == member
                )
            )
        ).one()
        return int(lines[0]), int(lines[1])


async def test_first_checkin_replies_with_streak_points_and_total(db_url: str) -> None:
    async with running_bot(db_url) as bot:
        replies = await bot.say("打卡 1200字", when=at("2026-11-21 08:00"))
        assert len(replies) == 1
        assert "连续打卡 1 天" in replies[0]
        assert "今日 1200 字" in replies[0]
        assert "+10 分" in replies[0] and "总积分 10" in replies[0]
        assert bot.sender.sent[-1].mentions == ("alice",)
        async with bot.app.uow() as uow:
            row = (await uow.session.execute(select(Checkin))).scalar_one()
        assert (row.day, row.word_count, row.streak, row.points) == (
            date(2026, 11, 21),
            1200,
            1,
            10,
        )


async def test_second_checkin_same_day_gets_no_points(db_url: str) -> None:
    async with running_bot(db_url) as bot:
        await bot.say("打卡", when=at("2026-11-21 08:00"))
        replies = await bot.say("签到", when=at("2026-11-21 22:00"))
        assert replies == ["今天已经打过卡啦（连续打卡 1 天），明天继续加油～"]
        assert await ledger_total(bot, "g1", "alice") == (1, 10)


async def test_same_message_id_delivered_twice_is_handled_once(db_url: str) -> None:
    async with running_bot(db_url) as bot:
        first = await bot.say("打卡", mid="dup-1", when=at("2026-11-21 08:00"))
        again = await bot.say("打卡", mid="dup-1", when=at("2026-11-21 08:00"))
        assert len(first) == 1 and again == []
        assert await ledger_total(bot, "g1", "alice") == (1, 10)


async def test_streak_counts_consecutive_local_days_and_breaks_on_a_gap(sqlite_db: str) -> None:
    async with running_bot(sqlite_db) as bot:
        await bot.say("打卡", when=at("2026-11-18 23:59"))
        await bot.say("打卡", when=at("2026-11-19 00:01"))  # next local day, 2 minutes later
        r3 = await bot.say("打卡", when=at("2026-11-20 12:00"))
        assert "连续打卡 3 天" in r3[0] and "含连续奖励 2 分" in r3[0]
        # 11-21 missed (the bot could have been down: nothing runs at midnight)
        r = await bot.say("打卡", when=at("2026-11-22 09:00"))
        assert "连续打卡 1 天" in r[0]


async def test_makeup_card_repairs_the_streak_within_window_and_allowance(sqlite_db: str) -> None:
    async with running_bot(sqlite_db) as bot:
        for day in ("2026-11-17", "2026-11-18", "2026-11-20"):
            await bot.say("打卡", when=at(f"{day} 08:00"))
        replies = await bot.say("补卡 11-19", when=at("2026-11-20 09:00"))
        assert "补卡成功（11-19）" in replies[0]
        assert "当前连续打卡 4 天" in replies[0]
        assert "本月还剩 1 次" in replies[0]
        r = await bot.say("打卡", when=at("2026-11-21 08:00"))
        assert "连续打卡 5 天" in r[0]
        async with bot.app.uow() as uow:
            rows = list(
                (await uow.session.execute(select(Checkin).order_by(Checkin.day))).scalars()
            )
        assert [(r.day.day, r.streak, r.makeup) for r in rows] == [
            (17, 1, False),
            (18, 2, False),
            (19, 3, True),
            (20, 4, False),
            (21, 5, False),
        ]


async def test_makeup_card_by_relative_day(sqlite_db: str) -> None:
    """Members say 昨天 / 前天 rather than a date; the day is the group's calendar day."""
    async with running_bot(sqlite_db) as bot:
        await bot.say("打卡", when=at("2026-11-18 08:00"))
        await bot.say("打卡", when=at("2026-11-21 08:00"))
        first = await bot.say("补卡 昨天", when=at("2026-11-21 09:00"))
        assert "补卡成功（11-20）" in first[0]
        second = await bot.say("补卡 前天", when=at("2026-11-21 09:05"))
        assert "补卡成功（11-19）" in second[0]
        assert "当前连续打卡 4 天" in second[0]
        async with bot.app.uow() as uow:
            days = list(
                (await uow.session.execute(select(Checkin.day).order_by(Checkin.day))).scalars()
            )
        assert [d.day for d in days] == [18, 19, 20, 21]


async def test_makeup_refusals(sqlite_db: str) -> None:
    async with running_bot(sqlite_db) as bot:
        await bot.say("打卡", when=at("2026-11-19 08:00"))
        assert (await bot.say("补卡", when=at("2026-11-20 09:00")))[0].startswith(
            "用法：补卡 MM-DD"
        )
        assert "不需要补卡" in (await bot.say("补卡 11-19", when=at("2026-11-20 09:01")))[0]
        assert "最近 7 天" in (await bot.say("补卡 11-01", when=at("2026-11-20 09:02")))[0]
        assert "今天的请直接" in (await bot.say("补卡 11-21", when=at("2026-11-21 09:03")))[0]
        await bot.say("补卡 11-18", when=at("2026-11-21 09:04"))
        await bot.say("补卡 11-17", when=at("2026-11-21 09:05"))
        r = await bot.say("补卡 11-16", when=at("2026-11-21 09:06"))
        assert "本月的 2 次补卡机会已经用完" in r[0]
        assert await bot.say("补卡怎么操作？", when=at("2026-11-21 09:07")) == []


async def test_badge_and_level_announced_once(sqlite_db: str) -> None:
    config = config_from(
        "defaults:\n  checkin:\n    points: 20\n    streak_bonus: []\n"
        "    badges: [{days: 3, name: 小坚持}]\n"
        "    levels: [{name: 新手, min_points: 0}, {name: 进阶, min_points: 50}]\n"
    )
    async with running_bot(sqlite_db, config) as bot:
        await bot.say("打卡", when=at("2026-11-19 08:00"))
        await bot.say("打卡", when=at("2026-11-20 08:00"))
        r = await bot.say("打卡", when=at("2026-11-21 08:00"))
        assert "获得新勋章「小坚持」" in r[0] and "升级为「进阶」" in r[0]
        r = await bot.say("打卡", when=at("2026-11-22 08:00"))
        assert "勋章" not in r[0] and "升级" not in r[0]
        async with bot.app.uow() as uow:
            assert (await uow.session.execute(select(func.count(Badge.id)))).scalar_one() == 1


async def test_group_timezone_decides_the_day(sqlite_db: str) -> None:
    async with running_bot(sqlite_db) as bot:
        # 23:30 and 00:30 New York time are two days there (but one day in Shanghai)
        await bot.say("打卡", group="ny", when=at("2026-11-20 23:30", NY))
        r = await bot.say("打卡", group="ny", when=at("2026-11-21 00:30", NY))
        assert "连续打卡 2 天" in r[0]
        async with bot.app.uow() as uow:
            days = list((await uow.session.execute(select(Checkin.day))).scalars())
        assert days == [date(2026, 11, 20), date(2026, 11, 21)]


async def test_questions_about_checkins_are_not_checkins(sqlite_db: str) -> None:
    async with running_bot(sqlite_db) as bot:
        assert await bot.say("打卡规则是什么？") == []
        assert await bot.say("打卡要怎么打？") == []
        assert await bot.say("签到了吗？") == []
        assert len(await bot.say("#打卡 今天写了散文")) == 1


async def test_me_and_rank(db_url: str) -> None:
    async with running_bot(db_url) as bot:
        await bot.say("打卡", user="alice", when=at("2026-11-20 08:00"))
        await bot.say("打卡", user="alice", when=at("2026-11-21 08:00"))
        await bot.say("打卡", user="bob", when=at("2026-11-21 08:00"))
        me = await bot.say("/我的", user="alice", when=at("2026-11-21 09:00"))
        assert "连续打卡 2 天（累计 2 天），今天已打卡" in me[0]
        assert "总积分 20" in me[0] and "等级：新手写手" in me[0]
        rank = (await bot.say("/rank", user="bob", when=at("2026-11-21 09:01")))[0]
        week, total = rank.split("📜 总积分榜")
        assert week.index("alice 20 分") < week.index("bob 10 分")
        assert "alice 20 分" in total

"""Camp posts on a schedule: the day's task, reminders for those not done (never in quiet
hours, at most 20 mentions), the closing post with certificates; each exactly once across
restarts, reloads and two processes."""

from __future__ import annotations

import asyncio
import logging
import os
from datetime import timedelta
from pathlib import Path

import pytest

from bot.config import AppConfig
from scheduler.camps import out_of_quiet
from tests.camps_support import CAMP_CONFIG, camp_config, camp_runs, local, run_until, say
from tests.support import PG_ENV, Bot, at, fresh_pg_database, msg, running_bot

START = at("2026-11-15 10:00")


def with_reports(tmp_path: Path, text: str = CAMP_CONFIG) -> AppConfig:
    """The camp config writing its pictures under tmp_path."""
    return camp_config(
        text.replace(
            "    admins: [coach]\n",
            f"    admins: [coach]\n    stats: {{report_dir: {tmp_path}}}\n",
            1,
        )
    )


def posted(bot: Bot, config: AppConfig, prefix: str) -> list[str]:
    return [
        local(m, config)
        for m in bot.sender.sent
        if m.text.startswith(prefix) and m.group_id == "g1"
    ]


async def a_week(bot: Bot) -> None:
    """alice every day; bob misses day 5 (made up) and day 7; carol days 1-3; dave never."""
    for user in ("alice", "bob", "carol", "dave"):
        await say(bot, "/报名 early", user, "2026-11-15 10:00")
    for n in range(1, 8):
        day = f"2026-11-{15 + n}"
        await say(bot, f"打卡 alice第{n}天", "alice", f"{day} 06:00")
        if n not in (5, 7):
            await say(bot, f"打卡 bob第{n}天", "bob", f"{day} 06:10")
        if n <= 3:
            await say(bot, f"打卡 carol第{n}天", "carol", f"{day} 06:20")
        if n == 3:
            await say(bot, "/点评 @alice 很有画面感", "teacher", f"{day} 12:00", to="alice")
        if n == 4:
            await say(bot, "/优秀 @bob", "coach", f"{day} 12:00", to="bob")
        if n == 6:
            await say(bot, "补卡 11-20", "bob", f"{day} 12:00")


CLOSING = (
    "🎓 「早起营」结营啦！（11月16日—11月22日，共 7 天）\n"
    "👥 报名 4 人，2 人完成 5 天以上，完成率 50%\n"
    "🏅 结营名单：alice（7 天）、bob（6 天）\n"
    "🏆 坚持之星：\n"
    "🥇 alice 7 天，点评 5 分\n"
    "🥈 bob 6 天\n"
    "🥉 carol 3 天\n"
    "✨ 优秀作业：\n"
    "1. bob 第 4 天：bob第4天（优秀）\n"
    "2. alice 第 3 天：alice第3天（1 条点评，5 分）\n"
    "🎁 结营证书已经生成，恭喜各位！"
)


async def test_a_camp_week_posts_tasks_reminders_and_the_closing_post(
    db_url: str, tmp_path: Path
) -> None:
    config = with_reports(tmp_path)
    async with running_bot(db_url, config, START) as bot:
        await a_week(bot)
        await run_until(bot, at("2026-11-24 00:00"))
        sent = [m for m in bot.sender.sent if m.group_id == "g1"]
        tasks = [(local(m, config), m.text) for m in sent if m.text.startswith("📝 「早起营」")]
        assert [t for t, _ in tasks] == [f"11-{d} 05:00" for d in range(16, 23)]
        assert tasks[1][1] == (
            "📝 「早起营」第 2 天（11月17日 星期二）今日任务：写三行晨间日记\n"
            "完成后请在 05:00-08:00 之间发送「打卡 + 你的作业」，计入营内天数～"
        )
        reminders = [(local(m, config), m.mentions) for m in sent if m.text.startswith("⏰")]
        assert reminders == [
            ("11-16 07:30", ("dave",)),
            ("11-17 07:30", ("dave",)),
            ("11-18 07:30", ("dave",)),
            ("11-19 07:30", ("carol", "dave")),
            ("11-20 07:30", ("bob", "carol", "dave")),
            ("11-21 07:30", ("carol", "dave")),
            ("11-22 07:30", ("bob", "carol", "dave")),
        ]
        closing = [m for m in sent if m.text.startswith("🎓")]
        assert [(local(m, config), m.text, m.mentions) for m in closing] == [
            ("11-23 09:00", CLOSING, ("alice", "bob"))
        ]
        images = [m for m in sent if m.image_path]
        folder = tmp_path / "camps" / "g1"
        assert [(m.image_path, m.text, local(m, config)) for m in images] == [
            (str(folder / "early-alice.png"), "", "11-23 09:00"),
            (str(folder / "early-bob.png"), "", "11-23 09:00"),
        ]
        assert sorted(p.name for p in folder.iterdir()) == [
            "early-alice.png",
            "early-bob.png",
            "early-calendar.png",  # for the operators, not posted
        ]
        assert (folder / "early-bob.png").read_bytes()[:4] == b"\x89PNG"
        runs = await camp_runs(bot)
        assert len(runs) == 7 + 7 + 1 and {r[3] for r in runs} == {"posted"}


async def test_a_reminder_mentions_at_most_20_then_counts_and_none_when_all_are_done(
    sqlite_db: str, tmp_path: Path
) -> None:
    config = with_reports(tmp_path)
    members = [f"m{i:02d}" for i in range(25)]
    async with running_bot(sqlite_db, config, START) as bot:
        for n, member in enumerate(members):
            await say(bot, "/报名 early", member, f"2026-11-15 10:{n:02d}")
        for member in members[:3]:
            await say(bot, "打卡", member, "2026-11-16 06:00")
        (reminder,) = [
            m for m in await run_until(bot, at("2026-11-16 07:30")) if m.group_id == "g1"
        ]
        assert reminder.mentions == tuple(members[3:23])
        assert reminder.text == (
            "⏰ 「早起营」第 1 天还没打卡的同学看这里～ 记得在 08:00 前打卡哦！\n"
            "另外还有 2 位同学也还没打卡，一起加油！"
        )
        for member in members:
            await say(bot, "打卡", member, "2026-11-17 06:00")
        sent = await run_until(bot, at("2026-11-17 08:00"))
        assert [m.text for m in sent if m.text.startswith("⏰")] == []
        assert ("camp:early", "remind", at("2026-11-17 00:00").date(), "posted") in await camp_runs(
            bot
        )


QUIET = """
timezone: Asia/Shanghai
admins: [admin]
groups:
  g1:
    name: 测试群
    quiet_hours: ["22:00-07:00"]
    camps:
      - {id: dawn, title: 晨跑营, start: 2026-11-16, days: 2, window: "06:00-09:00", remind_at: "06:30"}
      - {id: early, title: 早起营, start: 2026-11-16, days: 2, window: "05:00-07:00", remind_at: "05:30"}
"""


async def test_reminders_wait_for_the_end_of_quiet_hours_or_are_skipped(
    sqlite_db: str, tmp_path: Path
) -> None:
    config = with_reports(tmp_path, QUIET)
    async with running_bot(sqlite_db, config, START) as bot:
        await say(bot, "/报名 dawn", "alice", "2026-11-15 10:00")
        await say(bot, "/报名 early", "alice", "2026-11-15 10:01")
        sent = await run_until(bot, at("2026-11-18 00:00"))
        reminders = [(local(m, config), m.text[:7]) for m in sent if m.text.startswith("⏰")]
        # dawn: 06:30 is quiet until 07:00, still inside its window: moved to 07:00.
        # early: quiet until 07:00, when its window has closed: no reminder at all.
        assert reminders == [("11-16 07:00", "⏰ 「晨跑营」"), ("11-17 07:00", "⏰ 「晨跑营」")]
        assert not any(
            j.id == "camp:g1:early:remind" and j.next_at for j in bot.app.scheduler.jobs()
        )


def test_out_of_quiet_follows_chained_ranges_and_refuses_an_always_quiet_day() -> None:
    config = camp_config(QUIET.replace('["22:00-07:00"]', '["22:00-07:00", "07:00-07:30"]'))
    ranges = tuple(config.group("g1").features.quiet_hours)
    assert out_of_quiet(ranges, at("2026-11-16 06:30")) == at("2026-11-16 07:30")
    assert out_of_quiet(ranges, at("2026-11-16 23:00")) == at("2026-11-17 07:30")
    assert out_of_quiet(ranges, at("2026-11-16 12:00")) == at("2026-11-16 12:00")
    always = camp_config(QUIET.replace('["22:00-07:00"]', '["00:00-12:00", "12:00-24:00"]'))
    assert (
        out_of_quiet(tuple(always.group("g1").features.quiet_hours), at("2026-11-16 06:30")) is None
    )


async def test_a_restart_mid_camp_posts_late_within_the_window_and_never_twice(
    sqlite_db: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = with_reports(tmp_path)
    async with running_bot(sqlite_db, config, START) as first:
        await say(first, "/报名 early", "alice", "2026-11-15 10:00")
        await say(first, "打卡", "alice", "2026-11-16 06:00")
        await run_until(first, at("2026-11-17 04:00"))
        before = posted(first, config, "📝") + posted(first, config, "⏰")
    assert before == ["11-16 05:00"]  # alice was done before the reminder
    caplog.set_level(logging.WARNING, logger="groupops.camps")
    # Down from 04:00 to 07:45 on day 2: the 05:00 task post is late but the window is
    # open: posted now; the 07:30 reminder too.
    async with running_bot(sqlite_db, config, at("2026-11-17 07:45")) as second:
        await run_until(second, at("2026-11-17 07:45"))
        assert posted(second, config, "📝") == ["11-17 07:45"]
        assert posted(second, config, "⏰") == ["11-17 07:45"]
    # Down again from 07:45 on day 2 to 09:30 on day 3: the window closed at 08:00, so the
    # day's task post and reminder are recorded as missed, not posted.
    async with running_bot(sqlite_db, config, at("2026-11-18 09:30")) as third:
        await run_until(third, at("2026-11-18 09:30"))
        assert third.sender.sent == []
        runs = await camp_runs(third)
    day3 = at("2026-11-18 00:00").date()
    assert ("camp:early", "task", day3, "missed") in runs
    assert ("camp:early", "remind", day3, "missed") in runs
    assert sum("was missed and skipped" in r.message for r in caplog.records) == 2
    # A fourth start right after: nothing again.
    async with running_bot(sqlite_db, config, at("2026-11-18 09:31")) as fourth:
        await run_until(fourth, at("2026-11-18 09:31"))
        assert fourth.sender.sent == []


async def test_moving_the_reminder_by_a_reload_does_not_remind_twice(
    sqlite_db: str, tmp_path: Path
) -> None:
    config = with_reports(tmp_path)
    async with running_bot(sqlite_db, config, START) as bot:
        await say(bot, "/报名 early", "alice", "2026-11-15 10:00")
        await run_until(bot, at("2026-11-16 07:40"))
        assert posted(bot, config, "⏰") == ["11-16 07:30"]
        moved = with_reports(
            tmp_path, CAMP_CONFIG.replace('remind_at: "07:30"', 'remind_at: "07:50"')
        )
        await bot.app.apply_config(moved)
        await run_until(bot, at("2026-11-17 08:00"))
        assert posted(bot, config, "⏰") == ["11-16 07:30", "11-17 07:50"]


UNLISTED = """
timezone: Asia/Shanghai
admins: [admin]
defaults:
  camps:
    - {id: early, title: 早起营, start: 2026-11-16, days: 7, window: "05:00-08:00", remind_at: "07:30", tasks: [读书]}
groups:
  other:
    name: 别的群
"""


async def test_unlisted_and_paused_groups_get_no_camp_posts(sqlite_db: str, tmp_path: Path) -> None:
    async with running_bot(sqlite_db, camp_config(UNLISTED), START) as bot:
        (joined,) = await say(bot, "/报名 early", "alice", "2026-11-15 10:00")
        assert joined.startswith("🎉 报名成功")  # the commands work in any group
        (counted,) = await say(bot, "打卡", "alice", "2026-11-16 06:00")
        assert counted.endswith("🏕 「早起营」第 1 天完成（1/7 天）")
        assert not [j for j in bot.app.scheduler.jobs() if j.id.startswith("camp:g1:")]
        sent = await run_until(bot, at("2026-11-24 00:00"))
        assert [m for m in sent if m.group_id == "g1"] == []
        assert len([m for m in sent if m.group_id == "other"]) == 6  # listed: days 2-7 posted
    config = with_reports(tmp_path)
    async with running_bot(sqlite_db, config, START) as bot:
        await say(bot, "/pause", "coach", "2026-11-15 10:00")
        await run_until(bot, at("2026-11-16 08:00"))
        assert [m for m in bot.sender.sent if m.text.startswith(("📝", "⏰"))] == []
        assert {r[3] for r in await camp_runs(bot)} == {"paused"}


async def test_a_camp_nobody_joined_closes_without_a_post(sqlite_db: str, tmp_path: Path) -> None:
    config = with_reports(tmp_path)
    async with running_bot(sqlite_db, config, START) as bot:
        await run_until(bot, at("2026-11-24 00:00"))
        assert [m for m in bot.sender.sent if m.text.startswith(("🎓", "⏰"))] == []
        assert posted(bot, config, "📝") != []  # task posts are for everyone
        assert not (tmp_path / "camps").exists()


@pytest.mark.skipif(not os.environ.get(PG_ENV), reason=f"needs {PG_ENV}")
async def test_two_bot_processes_on_one_postgresql_database_post_each_camp_run_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="groupops.camps")
    config = with_reports(tmp_path)
    async with fresh_pg_database() as url:
        async with running_bot(url, config, START) as one, running_bot(url, config, START) as two:
            await one.push(msg("/报名 early", user="alice", when=START))
            await two.push(msg("/报名 early", user="bob", when=START))
            step = START
            while step < at("2026-11-24 00:00"):
                step += timedelta(hours=1)
                # Both processes fire every job at the same moment; one insert wins.
                await asyncio.gather(run_until(one, step), run_until(two, step))
                if step.hour == 6 and step < at("2026-11-23 00:00"):
                    await one.push(msg("打卡", user="alice", when=step))
                    if step < at("2026-11-21 00:00"):
                        await two.push(msg("打卡", user="bob", when=step))
            runs = await camp_runs(one)
        sent = [m for m in one.sender.sent + two.sender.sent if m.group_id == "g1"]
    tasks = sorted(local(m, config) for m in sent if m.text.startswith("📝 「早起营」"))
    assert tasks == [f"11-{d} 05:00" for d in range(16, 23)]
    reminders = sorted((local(m, config), m.mentions) for m in sent if m.text.startswith("⏰"))
    assert reminders == [("11-21 07:30", ("bob",)), ("11-22 07:30", ("bob",))]
    closing = [m for m in sent if m.text.startswith("🎓")]
    assert len(closing) == 1 and "🏅 结营名单：alice（7 天）、bob（5 天）" in closing[0].text
    assert len([m for m in sent if m.image_path]) == 2
    assert len(runs) == 15 and {r[3] for r in runs} == {"posted"}
    losers = [r for r in caplog.records if "already recorded; not posting" in r.getMessage()]
    assert len(losers) == 15  # every run was fired by both processes: the loser posted nothing

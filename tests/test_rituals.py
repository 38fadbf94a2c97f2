"""Rituals in virtual time: local times, exactly once, reminders, follow-ups, restarts,
hot reload, pause, /仪式 commands, templates and digests."""

from __future__ import annotations

import asyncio
import logging
import os
from datetime import date, timedelta
from pathlib import Path

import pytest

from bot.app import App
from bot.clock import FakeClock
from bot.config import ConfigError, load_config, parse_config
from bot.schedule_expr import parse_duration, parse_schedule
from bot.sender import RecordingSender
from handlers.rituals import host_of_week, today_topic
from scheduler.service import SchedulerService, ShiftedTrigger
from tests.rituals_support import (
    RITUALS_CONFIG,
    WEEK_END,
    WEEK_START,
    posts,
    rituals_config,
    run_until,
    runs,
    starting,
)
from tests.support import PG_ENV, at, fresh_pg_database, msg, running_bot

DAYS = [f"11-{d}" for d in range(16, 23)]


async def test_a_week_of_rituals_posts_each_at_its_local_time_exactly_once(db_url: str) -> None:
    config = rituals_config()
    async with running_bot(db_url, config, WEEK_START) as bot:
        await bot.say("打卡", user="alice", when=at("2026-11-16 08:00"))  # the digest has data
        await run_until(bot, WEEK_END)
        await run_until(bot, WEEK_END)  # running again posts nothing more
        lines = [line for line in posts(bot.sender.sent, config) if "打卡成功" not in line]
        assert starting(lines, "☀️") == [f"{d} 07:30" for d in DAYS]
        assert starting(lines, "⏰ 预告：「周三分享会」将在1天后开始") == ["11-17 20:00"]
        assert starting(lines, "⏰ 预告：「周三分享会」将在1小时后开始") == ["11-18 19:00"]
        assert starting(lines, "🎤 周三分享会开始啦") == ["11-18 20:00"]
        assert starting(lines, "「周三分享会」结束啦") == ["11-18 22:00"]
        assert starting(lines, "📰 本周社群周报") == ["11-22 21:00"]
        assert len(lines) == 7 + 4 + 1
        # New York mornings at 07:30 New York time (20:30 or 21:30 in Shanghai)
        ny = posts(bot.sender.sent, config, "ny")
        assert [line[:11] for line in ny] == [f"11-{d} 07:30" for d in range(16, 23)]
        recorded = await runs(bot)
        assert len(recorded) == 12 and {r[3] for r in recorded} == {"posted"}


async def test_templates_rotate_topics_daily_and_hosts_weekly(sqlite_db: str) -> None:
    config = rituals_config()
    group = config.group("g1")
    assert [today_topic(group, date(2026, 11, d)) for d in range(16, 20)] == [
        "散文",
        "小说",
        "诗歌",
        "散文",
    ]
    assert host_of_week(group, date(2026, 11, 22)) == "小王"  # Sunday: same ISO week
    assert host_of_week(group, date(2026, 11, 23)) == "小李"
    assert host_of_week(group, date(2026, 11, 30)) == "小王"
    assert today_topic(config.group("unlisted"), date(2026, 11, 16)) == "散文"  # defaults
    assert today_topic(parse_config("{}").group("x"), date(2026, 11, 16)) is None
    async with running_bot(sqlite_db, config, WEEK_START) as bot:
        await run_until(bot, at("2026-11-26 00:00"))
        lines = posts(bot.sender.sent, config)
        assert "11-16 07:30 ☀️ 11月16日 星期一 早安！今日话题：散文" in lines
        assert "11-19 07:30 ☀️ 11月19日 星期四 早安！今日话题：散文" in lines
        assert "11-18 20:00 🎤 周三分享会开始啦！本周主持：小王" in lines
        assert "11-25 20:00 🎤 周三分享会开始啦！本周主持：小李" in lines


async def test_restart_mid_week_posts_within_grace_late_and_never_twice(
    sqlite_db: str, caplog: pytest.LogCaptureFixture
) -> None:
    config = rituals_config()
    async with running_bot(sqlite_db, config, WEEK_START) as first:
        await run_until(first, at("2026-11-18 10:00"))
        before = posts(first.sender.sent, config)
    # Down from Wednesday 10:00 to 20:20: the 19:00 reminder is 80 minutes late (grace
    # 30 minutes: skipped and logged); the 20:00 post is 20 minutes late (posted now).
    caplog.set_level(logging.WARNING, logger="groupops.rituals")
    async with running_bot(sqlite_db, config, at("2026-11-18 20:20")) as second:
        await run_until(second, at("2026-11-18 20:20"))
        late = posts(second.sender.sent, config)
        assert late == ["11-18 20:20 🎤 周三分享会开始啦！本周主持：小王"]
        await run_until(second, at("2026-11-19 12:00"))
        after = posts(second.sender.sent, config)
        recorded = await runs(second)
    assert ("share", "remind-3600", "11-18 19:00", "missed") in recorded
    assert any("was missed and skipped" in r.message for r in caplog.records)
    # A third start just after the late post: nothing is posted twice.
    async with running_bot(sqlite_db, config, at("2026-11-18 20:25")) as third:
        await run_until(third, at("2026-11-18 20:25"))
        assert third.sender.sent == []
    lines = before + after
    assert starting(lines, "☀️") == [f"{d} 07:30" for d in DAYS[:4]]
    assert starting(lines, "🎤") == ["11-18 20:20"]
    assert starting(lines, "⏰") == ["11-17 20:00"]
    assert starting(lines, "「周三分享会」结束啦") == ["11-18 22:00"]


async def test_restart_right_after_a_post_does_not_repost_it(sqlite_db: str) -> None:
    config = rituals_config()
    async with running_bot(sqlite_db, config, WEEK_START) as first:
        await run_until(first, at("2026-11-16 07:31"))
        assert len(first.sender.sent) == 1
    async with running_bot(sqlite_db, config, at("2026-11-16 07:40")) as second:
        await run_until(second, at("2026-11-17 07:31"))
        assert starting(posts(second.sender.sent, config), "☀️") == ["11-17 07:30"]


async def test_a_long_outage_skips_and_logs_runs_beyond_the_grace(sqlite_db: str) -> None:
    config = rituals_config()
    async with running_bot(sqlite_db, config, WEEK_START) as first:
        await run_until(first, at("2026-11-16 08:00"))
    async with running_bot(sqlite_db, config, at("2026-11-19 07:45")) as second:
        await run_until(second, at("2026-11-19 08:00"))
        lines = posts(second.sender.sent, config)
        recorded = await runs(second)
    assert lines == ["11-19 07:45 ☀️ 11月19日 星期四 早安！今日话题：散文"]  # 15 min late
    missed = [r for r in recorded if r[3] == "missed"]
    assert [r[2] for r in missed if r[0] == "morning"] == ["11-17 07:30", "11-18 07:30"]
    assert ("share", "post", "11-18 20:00", "missed") in missed


async def test_hot_reload_moves_adds_and_removes_rituals(sqlite_db: str) -> None:
    config = rituals_config()
    moved = RITUALS_CONFIG.replace("每周三 20:00", "每周四 21:00").replace(
        '      - id: morning\n        schedule: 每天 07:30\n        text: "☀️',
        '      - id: evening\n        schedule: 每天 22:00\n        text: "🌙',
        1,
    )
    async with running_bot(sqlite_db, config, WEEK_START) as bot:
        await run_until(bot, at("2026-11-17 12:00"))
        await bot.app.apply_config(rituals_config(moved))
        await run_until(bot, WEEK_END)
        lines = posts(bot.sender.sent, bot.app.config)
    assert starting(lines, "☀️") == ["11-16 07:30", "11-17 07:30"]  # removed after the reload
    assert starting(lines, "🌙") == [f"{d} 22:00" for d in DAYS[1:]]  # added
    assert starting(lines, "⏰ 预告：「周三分享会」将在1天后开始") == ["11-18 21:00"]
    assert starting(lines, "⏰ 预告：「周三分享会」将在1小时后开始") == ["11-19 20:00"]
    assert starting(lines, "🎤") == ["11-19 21:00"]  # moved from Wednesday 20:00
    assert starting(lines, "「周三分享会」结束啦") == ["11-19 23:00"]


async def test_reload_from_the_edited_file_reschedules(tmp_path: Path, sqlite_db: str) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(RITUALS_CONFIG, encoding="utf-8")
    config = load_config(path)
    clock = FakeClock(WEEK_START)
    sender = RecordingSender(clock)
    async with App(config, sender=sender, clock=clock, db_url=sqlite_db) as app:
        path.write_text(RITUALS_CONFIG.replace("每天 07:30", "每天 06:45"), encoding="utf-8")
        await app.handle(msg("/reload", user="admin", when=WEEK_START))
        assert sender.texts("g1") == ["✅ 配置已重新加载。"]
        await app.scheduler.run_due(at("2026-11-17 08:00"), on_fire=clock.set)
    times = starting(posts(sender.sent, app.config), "☀️")
    assert times == ["11-16 06:45", "11-17 06:45"]


async def test_paused_group_gets_no_ritual_posts(sqlite_db: str) -> None:
    config = rituals_config()
    async with running_bot(sqlite_db, config, WEEK_START) as bot:
        await bot.say("/pause", user="coach", when=at("2026-11-16 12:00"))
        await run_until(bot, at("2026-11-17 12:00"))
        await bot.say("/resume", user="coach", when=at("2026-11-17 12:00"))
        await run_until(bot, at("2026-11-18 08:00"))
        lines = posts(bot.sender.sent, config)
        recorded = await runs(bot)
    assert starting(lines, "☀️") == ["11-16 07:30", "11-18 07:30"]
    assert ("morning", "post", "11-17 07:30", "paused") in recorded


async def test_ritual_command_lists_runs_now_and_skips_the_next_run(sqlite_db: str) -> None:
    config = rituals_config()
    async with running_bot(sqlite_db, config, WEEK_START) as bot:
        await run_until(bot, at("2026-11-16 09:00"))  # the 07:30 morning post
        listing = await bot.say("/仪式", user="coach", when=at("2026-11-16 09:00"))
        assert len(listing) == 1
        assert "share「周三分享会」 每周三 20:00（提前1天、1小时提醒；2小时后跟进）" in listing[0]
        assert "下次：11月18日 星期三 20:00" in listing[0]
        assert "下次：11月17日 星期二 07:30" in listing[0]
        assert "weekly 每周日 21:00（周报）" in listing[0]
        refused = await bot.say("/仪式 skip share", user="alice", when=at("2026-11-16 09:01"))
        assert refused == ["抱歉，这个命令只有管理员可以使用。"]
        skip = await bot.say("/仪式 skip share", user="coach", when=at("2026-11-16 09:02"))
        assert skip == [
            "⏭ 已跳过「周三分享会」11月18日 星期三 20:00 这一次（它的提醒和跟进也不再发送），之后照常。"
        ]
        again = await bot.say("/仪式 skip share", user="coach", when=at("2026-11-16 09:03"))
        assert again == ["「周三分享会」11月18日 星期三 20:00 这一次已经跳过了。"]
        listing = await bot.say("/仪式", user="admin", when=at("2026-11-16 09:04"))
        assert "下次：11月25日 星期三 20:00（11月18日 星期三 20:00 已跳过）" in listing[0]
        now = await bot.say("/仪式 run morning", user="admin", when=at("2026-11-16 09:05"))
        assert now == ["☀️ 11月16日 星期一 早安！今日话题：散文"]
        unknown = await bot.say("/仪式 run nope", user="admin", when=at("2026-11-16 09:06"))
        assert unknown[0].startswith("没有找到仪式「nope」")
    # The skip is in the database: a restart still skips the event, its reminders and
    # its follow-up; the next week's run happens.
    async with running_bot(sqlite_db, config, at("2026-11-16 10:00")) as again_bot:
        await run_until(again_bot, at("2026-11-26 00:00"))
        lines = posts(again_bot.sender.sent, config)
        recorded = await runs(again_bot)
    assert starting(lines, "🎤") == ["11-25 20:00"]
    assert starting(lines, "⏰") == ["11-24 20:00", "11-25 19:00"]
    assert starting(lines, "「周三分享会」结束啦") == ["11-25 22:00"]
    assert ("share", "remind-86400", "11-17 20:00", "skipped") in recorded
    assert ("share", "follow_up", "11-18 22:00", "skipped") in recorded


async def test_unlisted_group_lists_defaults_but_schedules_nothing(sqlite_db: str) -> None:
    text = (
        "admins: [admin]\n"
        "defaults:\n  rituals:\n    - {id: hello, schedule: 每天 09:00, text: 早}\n"
        "groups:\n  g1: {name: 一群}\n"
    )
    config = parse_config(text)
    async with running_bot(sqlite_db, config, WEEK_START) as bot:
        await run_until(bot, at("2026-11-17 10:00"))
        assert posts(bot.sender.sent, config) == ["11-16 09:00 早", "11-17 09:00 早"]
        listing = await bot.say("/仪式", user="admin", group="other", when=at("2026-11-17 10:00"))
        assert "不会自动发布" in listing[0]
        await run_until(bot, at("2026-11-18 10:00"))
        assert [m.group_id for m in bot.sender.sent].count("other") == 1  # only the listing


async def test_digest_posts_the_periods_highlights_checkins_streaks_and_leaderboard(
    db_url: str,
) -> None:
    config = rituals_config()
    async with running_bot(db_url, config, at("2026-11-09 00:00")) as bot:
        await bot.say("/精华 上周的一条精华", user="coach", when=at("2026-11-15 10:00"))
        for day in range(16, 23):
            await bot.say("打卡", user="alice", when=at(f"2026-11-{day} 08:00"))
        for day in (18, 19):
            await bot.say("打卡", user="bob", when=at(f"2026-11-{day} 09:00"))
        await bot.say("打卡", user="carol", when=at("2026-11-22 09:30"))
        await bot.say("/精华 标题要短而有力", user="coach", when=at("2026-11-17 10:00"))
        await bot.say("#精华 开头先抛出冲突", user="bob", when=at("2026-11-18 10:00"))
        await bot.say("/精华 确认 3", user="admin", when=at("2026-11-18 11:00"))
        await bot.say("#精华 只是推荐还没确认", user="carol", when=at("2026-11-19 10:00"))
        await bot.say("/积分 @bob +20 分享会主讲", user="admin", mentions=("bob",), when=at("2026-11-19 12:00"))  # fmt: skip
        await run_until(bot, WEEK_END)
        digest = [m.text for m in bot.sender.sent if m.text.startswith("📰")]
    assert digest[0].startswith("📰 本周社群周报（11月9日—11月15日）\n✨ 本周精华（1 条）：")
    assert digest[1:] == [
        "\n".join(
            [
                "📰 本周社群周报（11月16日—11月22日）",
                "✨ 本周精华（2 条）：",
                "1. 标题要短而有力 ——coach",
                "2. 开头先抛出冲突 ——bob",
                "📅 打卡：3 人打卡，共 10 次",
                "🔥 最长连续打卡：alice 7 天、bob 2 天、carol 1 天",
                "🏆 本周积分榜：",
                # alice 10+10+12+12+12+12+15; bob 10+10 and 20 from an admin
                "🥇 alice 83 分",
                "🥈 bob 40 分",
                "🥉 carol 10 分",
            ]
        )
    ]


async def test_daily_digest_of_the_previous_day_and_template_variables(sqlite_db: str) -> None:
    text = """
admins: [admin]
groups:
  g1:
    name: 测试群
    rituals:
      - id: daily
        schedule: 每天 09:00
        action: digest
        text: "🗞 昨日回顾 {date}"
        digest: {period: day, of: previous, leaderboard: 1, streaks: 0}
      - id: board
        schedule: 每天 23:00
        text: "{leaderboard}\\n{highlights}"
"""
    config = parse_config(text)
    async with running_bot(sqlite_db, config, at("2026-11-16 00:00")) as bot:
        await bot.say("打卡", user="alice", when=at("2026-11-16 08:00"))
        await bot.say("打卡", user="bob", when=at("2026-11-16 10:00"))
        await bot.say("/精华 写作先写结构", user="admin", when=at("2026-11-16 11:00"))
        await run_until(bot, at("2026-11-17 09:30"))
        lines = [m.text for m in bot.sender.sent]
    assert lines[-1] == "\n".join(
        [
            "🗞 昨日回顾 11月17日",
            "✨ 昨日精华（1 条）：",
            "1. 写作先写结构 ——admin",
            "📅 打卡：2 人打卡，共 2 次",
            "🏆 昨日积分榜：",
            "🥇 alice 10 分",
        ]
    )
    board = lines[-2]
    assert board.startswith("🏆 本周积分榜\n🥇 alice 10 分\n🥈 bob 10 分")
    assert board.endswith("· 写作先写结构 ——admin")


async def test_quiz_ritual_starts_a_round_from_the_bank(sqlite_db: str) -> None:
    text = """
admins: [admin]
defaults:
  rewards:
    quiz:
      bank:
        - {question: 「床前明月光」的作者是谁？, answers: [李白]}
groups:
  g1:
    name: 测试群
    rituals:
      - {id: quiz, schedule: 每周五 20:00, action: quiz, text: "🎯 周五抢答时间到！"}
"""
    config = parse_config(text)
    async with running_bot(sqlite_db, config, WEEK_START) as bot:
        await run_until(bot, at("2026-11-20 20:00"))
        texts = [m.text for m in bot.sender.sent]
        assert texts[0] == "🎯 周五抢答时间到！"
        assert len(texts) == 2 and "「床前明月光」的作者是谁？" in texts[1]
        replies = await bot.say("李白", user="bob", when=at("2026-11-20 20:01"))
        assert len(replies) == 1 and "+20 分" in replies[0]
        await run_until(bot, at("2026-11-27 19:00"))
    # Down over the next Friday's 20:00: back at 20:15, within the grace time, the round
    # starts then and still has its full 10 minutes.
    async with running_bot(sqlite_db, config, at("2026-11-27 20:15")) as late:
        await run_until(late, at("2026-11-27 20:15"))
        assert late.sender.texts()[0] == "🎯 周五抢答时间到！"
        replies = await late.say("李白", user="carol", when=at("2026-11-27 20:24"))
        assert len(replies) == 1 and "+20 分" in replies[0]


def test_config_errors_name_the_line_and_explain() -> None:
    bad = (
        "defaults:\n"
        "  rituals:\n"
        "    - id: a\n"
        "      schedule: 每周三 20:00\n"
        "      text: '今日 {topik}'\n"
        "      reminders: [{before: soon}]\n"
    )
    with pytest.raises(ConfigError) as err:
        parse_config(bad, "c.yaml")
    found = [str(p) for p in err.value.problems]
    assert found == [
        "c.yaml:5: defaults.rituals[0].text: unknown variable {topik} (did you mean {topic}?)",
        "c.yaml:6: defaults.rituals[0].reminders[0].before: not a duration: 'soon' "
        "(use 1d, 1h, 30m, 1天, 2小时, 30分钟)",
    ]
    twice = "defaults:\n  rituals:\n    - {id: a, schedule: 每天 07:30, text: x}\n    - {id: a, schedule: 每天 08:30, text: y}\n"  # fmt: skip
    with pytest.raises(ConfigError, match="ritual id 'a' is used twice"):
        parse_config(twice)
    with pytest.raises(ConfigError, match="needs a text"):
        parse_config("defaults:\n  rituals:\n    - {id: a, schedule: 每天 07:30}\n")


def test_durations_and_schedules() -> None:
    assert parse_duration("1d") == timedelta(days=1)
    assert parse_duration("1小时30分钟") == timedelta(hours=1, minutes=30)
    assert parse_duration("2 hours") == timedelta(hours=2)
    assert parse_duration(90) == timedelta(seconds=90)
    with pytest.raises(ValueError):
        parse_duration("1h later")
    trigger = parse_schedule("每周三、五 20:00", "Asia/Shanghai")
    first = trigger.get_next_fire_time(None, WEEK_START)
    assert first == at("2026-11-18 20:00")
    assert trigger.get_next_fire_time(first, first) == at("2026-11-20 20:00")


async def test_shifted_trigger_and_catch_up_never_move_the_clock_back() -> None:
    base = parse_schedule("每周三 20:00", "Asia/Shanghai")
    before = ShiftedTrigger(base, -timedelta(days=1))
    assert before.get_next_fire_time(None, WEEK_START) == at("2026-11-17 20:00")
    after = ShiftedTrigger(base, timedelta(hours=2))
    assert after.get_next_fire_time(None, at("2026-11-18 21:00")) == at("2026-11-18 22:00")
    clock = FakeClock(at("2026-11-18 21:00"))
    scheduler = SchedulerService(clock)
    fired: list[tuple[str, str]] = []

    async def job(when: object) -> None:
        fired.append((str(when)[:16], clock.now().isoformat()[:16]))

    scheduler.set_job("late", base, job, since=at("2026-11-18 00:00"))
    await scheduler.run_due(at("2026-11-18 21:00"), on_fire=clock.set)
    assert fired == [("2026-11-18 20:00", "2026-11-18T21:00")]  # due at once, clock kept


async def test_a_first_start_posts_nothing_from_before_it(sqlite_db: str) -> None:
    config = rituals_config()
    async with running_bot(sqlite_db, config, at("2026-11-16 07:45")) as bot:
        await run_until(bot, at("2026-11-16 08:00"))
        assert bot.sender.sent == []


@pytest.mark.skipif(not os.environ.get(PG_ENV), reason=f"needs {PG_ENV}")
async def test_two_bot_processes_on_one_postgresql_database_post_each_run_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="groupops.rituals")
    config = rituals_config()
    async with fresh_pg_database() as url:
        async with (
            running_bot(url, config, WEEK_START) as one,
            running_bot(url, config, WEEK_START) as two,
        ):
            await one.say("打卡", user="alice", when=WEEK_START)  # the digest has data
            step = WEEK_START
            while step < WEEK_END:
                step += timedelta(hours=1)
                # Both processes fire every job at the same moment; one insert wins.
                await asyncio.gather(run_until(one, step), run_until(two, step))
            recorded = await runs(one)
        sent = one.sender.sent + two.sender.sent
        g1 = sorted(line for line in posts(sent, config) if "打卡成功" not in line)
        ny = posts(sent, config, "ny")
    assert len(g1) == len(set(g1)) == 12
    assert starting(sorted(g1), "☀️") == [f"{d} 07:30" for d in DAYS]
    assert starting(g1, "🎤") == ["11-18 20:00"]
    assert len(ny) == len(set(ny)) == 7
    assert len(recorded) == 12 and {r[3] for r in recorded} == {"posted"}
    # Every run was fired by both processes: the loser of each claim posted nothing.
    losers = [r for r in caplog.records if "already recorded; not posting" in r.getMessage()]
    assert len(losers) == 12 + 7


async def test_a_quiet_group_gets_no_digest_or_empty_board(sqlite_db: str) -> None:
    text = """
admins: [admin]
groups:
  g1:
    name: 测试群
    rituals:
      - {id: daily, schedule: 每天 09:00, action: digest, digest: {period: day, of: previous}}
      - {id: board, schedule: 每天 23:00, text: "{leaderboard}\\n{highlights}"}
      - {id: hello, schedule: 每天 08:00, text: "早安 {date}"}
"""
    config = parse_config(text)
    async with running_bot(sqlite_db, config, at("2026-11-16 00:00")) as bot:
        await run_until(bot, at("2026-11-17 09:30"))
        texts = [m.text for m in bot.sender.sent]
        # the plain greeting is posted; the digest and the board of nothing are not
        assert texts == ["早安 11月16日", "早安 11月17日"]
        assert "暂无" not in "".join(texts)
        await bot.say("打卡", user="alice", when=at("2026-11-17 10:00"))
        await run_until(bot, at("2026-11-18 09:30"))
        texts = [m.text for m in bot.sender.sent]
        assert texts[-1].startswith("📰") or "打卡：1 人打卡，共 1 次" in texts[-1]
        assert any(t.startswith("🏆 本周积分榜\n🥇 alice") for t in texts)
        (reply,) = await bot.say("/排行", user="bob", group="g2", when=at("2026-11-18 10:00"))
        assert reply == "🏆 还没有人获得积分，发送「打卡」开始吧～"

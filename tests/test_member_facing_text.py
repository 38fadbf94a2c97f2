"""What members and admins read: Chinese labels for every point kind, ledger lines without
doubled prefixes, and a check-in rate that does not count days before the bot started."""

from __future__ import annotations

import re

from sqlalchemy import text

from tests.rewards_support import rewards_config
from tests.support import at, msg, running_bot

ASCII_WORD = re.compile(r"[A-Za-z]{2,}")


async def test_stats_name_every_point_kind_in_chinese(db_url: str) -> None:
    async with running_bot(db_url, rewards_config(), at("2026-11-21 07:00")) as bot:
        await bot.say("打卡", user="bob", when=at("2026-11-21 08:00"))
        await bot.say("打卡", user="carol", when=at("2026-11-21 08:01"))
        await bot.push(
            msg(
                "/红包 @bob 20 优秀作业",
                user="coach",
                mentions=("bob",),
                when=at("2026-11-21 09:00"),
            )
        )
        await bot.say("/通知 今晚八点分享会 前3名 5分", user="coach", when=at("2026-11-21 09:10"))
        await bot.say("收到", user="carol", when=at("2026-11-21 09:11"))
        await bot.say("/抽奖 1名 7分", user="coach", when=at("2026-11-21 10:00"))
        (report,) = await bot.say("/统计", user="coach", when=at("2026-11-21 11:00"))
        points_line = report.splitlines()[-1]
        assert points_line.startswith("🎁 积分发放")
        assert "红包 20" in points_line
        assert "通知红包 5" in points_line
        assert "抽奖 7" in points_line
        assert ASCII_WORD.search(points_line) is None, points_line


async def test_ledger_lines_do_not_repeat_their_kind(db_url: str) -> None:
    async with running_bot(db_url, rewards_config(), at("2026-11-21 07:00")) as bot:
        await bot.say("/通知 今晚八点分享会 前3名 5分", user="coach", when=at("2026-11-21 09:10"))
        await bot.say("收到", user="carol", when=at("2026-11-21 09:11"))
        await bot.say("/抢答 2+2=? | 4", user="coach", when=at("2026-11-21 09:20"))
        await bot.say("4", user="carol", when=at("2026-11-21 09:21"))
        replies = await bot.push(
            msg("/账本 @carol", user="coach", mentions=("carol",), when=at("2026-11-21 11:00"))
        )
        reply = replies[-1]
        lines = reply.splitlines()[1:]
        assert any("通知红包：今晚八点分享会" in line for line in lines), reply
        assert any("抢答：2+2=?" in line for line in lines), reply
        assert "通知红包：通知红包" not in reply
        assert "抢答：抢答" not in reply


async def test_checkin_rate_counts_only_days_since_the_bot_started(db_url: str) -> None:
    async with running_bot(db_url, rewards_config(), at("2026-11-19 07:00")) as bot:
        for day in ("2026-11-19", "2026-11-20", "2026-11-21"):
            await bot.say("打卡", user="bob", when=at(f"{day} 08:00"))
        (report,) = await bot.say("/统计 30天", user="coach", when=at("2026-11-21 11:00"))
        rate_line = next(line for line in report.splitlines() if line.startswith("✅"))
        # bob and coach posted; 3 check-ins over the 3 days the bot has been in the group
        assert "打卡率 50%（3 ÷ (2 人 × 3 天)，从 11-19 有记录起算）" in rate_line, rate_line


async def test_stats_count_only_ads_acted_on_not_private_notes(db_url: str) -> None:
    async with running_bot(db_url, rewards_config(), at("2026-11-21 07:00")) as bot:
        await bot.say(
            "兼职日结，宝妈在家也能做，想了解的私聊我", user="eve", when=at("2026-11-21 08:00")
        )
        await bot.say(
            "加V：abc12345 兼职日结，每天两百", user="mallory", when=at("2026-11-21 08:05")
        )
        async with bot.app.uow() as uow:
            actions = sorted(
                r[0]
                for r in await uow.session.execute(text("SELECT action FROM moderation_violations"))
            )
        assert actions == ["note", "warn"]
        (report,) = await bot.say("/统计", user="coach", when=at("2026-11-21 11:00"))
        assert "🛡 拦截广告 1 条" in report, report

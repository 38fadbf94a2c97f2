"""What members actually type to check in: long pasted articles, word counts written every
way, `/打卡`, `@小助手 打卡` in the console, a line cut mid-character."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.transports.console import ConsoleSender, ConsoleSession
from storage.models import Checkin
from tests.support import at, config_from, running_bot

CONFIG = """
timezone: Asia/Shanghai
admins: [admin]
bot: {name: 小助手, user_id: groupops-bot}
groups:
  g1: {name: 测试群}
"""

ARTICLE = "今天的练笔。\n" + "落日把老街的青石板染成了橘色，巷口的阿婆还在剥毛豆。" * 120


async def stored_checkin(bot) -> Checkin:  # type: ignore[no-untyped-def]
    async with bot.app.uow() as uow:
        return (await uow.session.execute(select(Checkin))).scalars().one()


async def test_a_long_pasted_article_checks_in(db_url: str) -> None:
    text = "打卡 1500字\n" + ARTICLE
    assert len(text) > 3000
    async with running_bot(db_url, config_from(CONFIG)) as bot:
        replies = await bot.say(text)
        assert replies and replies[0].startswith("✅ 打卡成功！连续打卡 1 天，今日 1500 字")
        row = await stored_checkin(bot)
    assert row.word_count == 1500 and len(row.content) == 2000


@pytest.mark.parametrize(
    ("text", "shown", "stored"),
    [
        ("打卡 99999999字", "今日 99999999 字", 99999999),
        ("打卡 1200字", "今日 1200 字", 1200),
        ("打卡 三千字", "今日 3000 字", 3000),
        ("签到 2,000字", "今日 2000 字", 2000),
        ("签到 2，000字", "今日 2000 字", 2000),
        ("打卡 ２０００字", "今日 2000 字", 2000),
        ("打卡 两千五百字", "今日 2500 字", 2500),
        ("打卡 一万二字", "今日 12000 字", 12000),
        ("打卡 1.2万字", "今日 12000 字", 12000),
        ("打卡 第3天，写了 800 字", "今日 800 字", 800),
    ],
)
async def test_word_counts_as_members_write_them(
    sqlite_db: str, text: str, shown: str, stored: int
) -> None:
    async with running_bot(sqlite_db, config_from(CONFIG)) as bot:
        replies = await bot.say(text)
        assert replies[0].startswith(f"✅ 打卡成功！连续打卡 1 天，{shown}")
        assert (await stored_checkin(bot)).word_count == stored


async def test_a_word_count_above_the_cap_is_said_and_not_stored(db_url: str) -> None:
    async with running_bot(db_url, config_from(CONFIG)) as bot:
        replies = await bot.say("打卡 " + "9" * 30 + "字")
        assert replies[0].startswith(
            "✅ 打卡成功！连续打卡 1 天，字数超过上限（99999999 字），没有记录"
        )
        assert (await stored_checkin(bot)).word_count is None


async def test_slash_checkin_and_makeup(sqlite_db: str) -> None:
    async with running_bot(sqlite_db, config_from(CONFIG)) as bot:
        r = await bot.say("/打卡 1200字", when=at("2026-11-21 08:00"))
        assert r[0].startswith("✅ 打卡成功！连续打卡 1 天，今日 1200 字")
        r = await bot.say("／签到", when=at("2026-11-22 08:00"))
        assert r[0].startswith("✅ 打卡成功！连续打卡 2 天")
        r = await bot.say("/补卡 11-20", when=at("2026-11-22 09:00"))
        assert r[0].startswith("✅ 补卡成功（11-20）")
        assert await bot.say("/打卡规则是什么", when=at("2026-11-22 10:00")) == []


async def console(tmp_path: Path, lines: list[str]) -> list[str]:
    out = io.StringIO()
    async with running_bot(f"sqlite+aiosqlite:///{tmp_path / 'c.db'}", config_from(CONFIG)) as bot:
        bot.app.sender = ConsoleSender(out, color=False)
        session = ConsoleSession(bot.app, group="g1", user="alice", out=out)
        bot.clock.set(at("2026-11-21 08:00"))
        for line in lines:
            assert await session.feed(line)
    return [line for line in out.getvalue().splitlines() if line.startswith("🤖 bot →")]


async def test_console_mentions_and_slash_commands_check_in(tmp_path: Path) -> None:
    replies = await console(
        tmp_path, ["@小助手 打卡 1200字", ":as bob", "/打卡", ":as carol", "@小助手\u2005签到"]
    )
    assert [r.split(" ✅ ")[0] for r in replies] == [
        "🤖 bot → [g1] @alice",
        "🤖 bot → [g1] @bob",
        "🤖 bot → [g1] @carol",
    ]
    assert all("打卡成功" in r for r in replies)
    assert "今日 1200 字" in replies[0]


async def test_console_line_cut_mid_character_still_checks_in(tmp_path: Path) -> None:
    # what a terminal delivers for a pasted line cut inside a character: stdin decodes the
    # stray bytes to lone surrogates (surrogateescape)
    cut = "打卡 今天写了".encode() + "散文".encode()[:4]
    line = cut.decode("utf-8", "surrogateescape")
    replies = await console(tmp_path, [line, ":as \udce5bob", "打卡"])
    assert len(replies) == 2 and all("打卡成功" in r for r in replies)


async def test_console_reads_stdin_that_is_not_utf8(tmp_path: Path) -> None:
    raw = io.BytesIO("打卡 ".encode() + b"\xe6\x95\n:quit\n")
    stdin = io.TextIOWrapper(raw, encoding="utf-8", errors="strict")
    out = io.StringIO()
    async with running_bot(f"sqlite+aiosqlite:///{tmp_path / 'c.db'}", config_from(CONFIG)) as bot:
        bot.app.sender = ConsoleSender(out, color=False)
        await ConsoleSession(bot.app, group="g1", user="alice", out=out).run(stdin)
    assert "✅ 打卡成功" in out.getvalue()

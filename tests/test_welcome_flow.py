"""Welcomes batched per minute, /群规, and the first-week newcomer guide."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, parse_config
from bot.events import MemberLeft
from bot.replay import run_replay
from tests.health_support import health_config, newcomer_states, run_until
from tests.support import at, joined, running_bot

HERE = Path(__file__).parent
WELCOME = "欢迎加入「测试群」！\n📜 群规：\n1. 友善交流\n2. 不发广告"


async def test_joins_within_a_minute_are_welcomed_in_one_message(db_url: str) -> None:
    async with running_bot(db_url, health_config(), at("2026-11-16 09:00")) as bot:
        for member, when in (("bob", "10:00:00"), ("carol", "10:00:20"), ("dave", "10:00:50")):
            assert await bot.push(joined(member, when=at(f"2026-11-16 {when}"))) == []
        assert await run_until(bot, at("2026-11-16 10:00:59")) == []
        sent = await run_until(bot, at("2026-11-16 10:01:00"))
        assert [(m.text, m.mentions, m.at) for m in sent] == [
            (WELCOME, ("bob", "carol", "dave"), at("2026-11-16 10:01:00"))
        ]
        # a later join starts a new batch of its own
        await bot.push(joined("erin", when=at("2026-11-16 10:01:30")))
        sent = await run_until(bot, at("2026-11-16 10:10"))
        assert [(m.mentions, m.at) for m in sent] == [(("erin",), at("2026-11-16 10:02:30"))]
        assert await run_until(bot, at("2026-11-16 12:00")) == []  # nobody is welcomed twice


async def test_a_redelivered_join_is_welcomed_once(sqlite_db: str) -> None:
    async with running_bot(sqlite_db, health_config(), at("2026-11-16 09:00")) as bot:
        event = joined("bob", when=at("2026-11-16 10:00"))
        await bot.push(event)
        await bot.push(event)
        sent = await run_until(bot, at("2026-11-16 10:05"))
        assert [m.mentions for m in sent] == [("bob",)]


async def test_a_restart_within_the_minute_still_welcomes_once(sqlite_db: str) -> None:
    async with running_bot(sqlite_db, health_config(), at("2026-11-16 09:00")) as bot:
        await bot.push(joined("bob", when=at("2026-11-16 10:00:10")))
    async with running_bot(sqlite_db, health_config(), at("2026-11-16 10:00:40")) as bot:
        sent = await run_until(bot, at("2026-11-16 10:05"))
        assert [(m.mentions, m.at) for m in sent] == [(("bob",), at("2026-11-16 10:01:10"))]
    async with running_bot(sqlite_db, health_config(), at("2026-11-16 10:06")) as bot:
        assert await run_until(bot, at("2026-11-16 10:30")) == []


async def test_rules_command_and_disabled_welcome(sqlite_db: str) -> None:
    config = health_config("    welcome: {enabled: false}\n")
    async with running_bot(sqlite_db, config, at("2026-11-16 09:00")) as bot:
        await bot.push(joined("bob", when=at("2026-11-16 10:00")))
        assert await run_until(bot, at("2026-11-16 10:10")) == []
        replies = await bot.say("/群规", user="bob", when=at("2026-11-16 10:11"))
        assert replies == ["「测试群」📜 群规：\n1. 友善交流\n2. 不发广告"]
        assert bot.sender.sent[-1].mentions == ("bob",)
    config = health_config("    welcome: {rules: []}\n")
    async with running_bot(sqlite_db, config, at("2026-11-17 09:00")) as bot:
        assert await bot.say("/群规", when=at("2026-11-17 11:00")) == ["本群还没有设置群规。"]


async def test_day_three_guide_goes_once_and_only_to_the_silent(db_url: str) -> None:
    async with running_bot(db_url, health_config(), at("2026-11-16 09:00")) as bot:
        for member in ("bob", "carol", "dave", "erin"):
            await bot.push(joined(member, when=at("2026-11-16 10:00")))
        await bot.say("大家好", user="carol", when=at("2026-11-16 12:00"))
        await bot.say("打卡", user="dave", when=at("2026-11-17 08:00"))
        await run_until(bot, at("2026-11-18 08:00"))
        await bot.app.handle(MemberLeft("g1", "erin", at("2026-11-18 08:00"), event_id="left-1"))
        assert [m.mentions for m in await run_until(bot, at("2026-11-19 09:59"))] == []
        sent = await run_until(bot, at("2026-11-19 10:00"))
        assert [(m.mentions, m.at) for m in sent] == [(("bob",), at("2026-11-19 10:00"))]
        assert sent[0].text.startswith("来群里 3 天啦")
        assert await run_until(bot, at("2026-11-30 10:00")) == []
        states = await newcomer_states(bot)
    assert {m: s for m, (s, _) in states.items()} == {
        "bob": "sent",
        "carol": "spoke",
        "dave": "spoke",
        "erin": "left",
    }
    assert states["bob"][1] == at("2026-11-19 10:00")


async def test_guide_is_persisted_once_across_restarts(sqlite_db: str) -> None:
    async with running_bot(sqlite_db, health_config(), at("2026-11-16 09:00")) as bot:
        await bot.push(joined("bob", when=at("2026-11-16 10:00")))
        await run_until(bot, at("2026-11-16 11:00"))
    # the bot is down when the guide falls due; it catches up at start, once
    async with running_bot(sqlite_db, health_config(), at("2026-11-20 09:00")) as bot:
        sent = await run_until(bot, at("2026-11-20 09:00"))
        assert [m.mentions for m in sent] == [("bob",)]
    async with running_bot(sqlite_db, health_config(), at("2026-11-20 10:00")) as bot:
        assert await run_until(bot, at("2026-11-23 10:00")) == []
        # a re-join is welcomed again, but the guide never repeats
        await bot.push(joined("bob", when=at("2026-11-23 11:00")))
        sent = await run_until(bot, at("2026-11-30 11:00"))
        assert [m.text for m in sent] == [WELCOME]


async def test_guide_waits_for_the_end_of_quiet_hours(sqlite_db: str) -> None:
    config = health_config('    quiet_hours: ["22:00-08:30"]\n')
    async with running_bot(sqlite_db, config, at("2026-11-16 09:00")) as bot:
        await bot.push(joined("bob", when=at("2026-11-16 23:00")))
        sent = await run_until(bot, at("2026-11-20 08:29"))
        assert [m.mentions for m in sent] == [("bob",)]  # only the welcome (at 23:01)
        sent = await run_until(bot, at("2026-11-21 08:00"))
        assert [(m.mentions, m.at) for m in sent] == [(("bob",), at("2026-11-20 08:30"))]
        assert sent[0].text.startswith("来群里 3 天啦")


async def test_guide_can_be_turned_off_and_is_not_sent_after_the_first_week(
    sqlite_db: str,
) -> None:
    config = health_config("    welcome: {newcomer: {enabled: false}}\n")
    async with running_bot(sqlite_db, config, at("2026-11-16 09:00")) as bot:
        await bot.push(joined("bob", when=at("2026-11-16 10:00")))
        sent = await run_until(bot, at("2026-11-30 10:00"))
        assert [m.text for m in sent] == [WELCOME]
        assert (await newcomer_states(bot))["bob"][0] == "off"
    # the bot was down for the whole first week: the late guide is dropped, not sent
    async with running_bot(sqlite_db, health_config(), at("2026-11-16 09:00")) as bot:
        await bot.push(joined("carol", when=at("2026-11-16 10:00")))
        await run_until(bot, at("2026-11-16 10:30"))
    async with running_bot(sqlite_db, health_config(), at("2026-11-24 09:00")) as bot:
        assert await run_until(bot, at("2026-11-25 09:00")) == []
        assert (await newcomer_states(bot))["carol"][0] == "expired"


def test_welcome_templates_are_checked_with_their_line() -> None:
    text = 'defaults:\n  welcome:\n    text: "欢迎 {name}"\n'
    with pytest.raises(ConfigError) as info:
        parse_config(text, "c.yaml")
    assert [str(p) for p in info.value.problems] == [
        "c.yaml:3: defaults.welcome.text: unknown variable {name} (allowed: {group})"
    ]
    with pytest.raises(ConfigError):
        parse_config("defaults:\n  welcome:\n    newcomer: {after_days: 9}\n")


async def test_welcome_transcript(tmp_path: Path) -> None:
    transcript = (HERE / "transcripts" / "welcome_week.txt").read_text(encoding="utf-8")
    sent = await run_replay(
        transcript,
        health_config(),
        f"sqlite+aiosqlite:///{tmp_path / 'replay.db'}",
        until=at("2026-11-30 00:00"),
    )
    lines = [(m.at, m.mentions, m.text.splitlines()[0]) for m in sent]
    assert lines == [
        (at("2026-11-16 10:01:00"), ("bob", "carol", "dave"), "欢迎加入「测试群」！"),
        (at("2026-11-16 10:06:00"), ("erin",), "欢迎加入「测试群」！"),
        (at("2026-11-17 21:00:00"), ("dave",), "✅ 打卡成功！连续打卡 1 天，今日 500 字"),
        (at("2026-11-19 09:00:00"), ("alice",), "「测试群」📜 群规："),
        (
            at("2026-11-19 10:00:00"),
            ("bob",),
            "来群里 3 天啦，还没来得及打个招呼？送你一份新人指南 👋",
        ),
    ]

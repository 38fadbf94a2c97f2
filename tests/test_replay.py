"""The replay command: a transcript in virtual time through the real bot."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import parse_config
from bot.replay import TranscriptError, parse_transcript, run_replay
from bot.transports.console import ConsoleSender, ConsoleSession
from tests.support import at, config_from, running_bot

HERE = Path(__file__).parent
CONFIG = """
timezone: Asia/Shanghai
admins: [admin]
defaults:
  checkin:
    points: 10
    streak_bonus: [{min_days: 3, points: 2}]
    badges: [{days: 5, name: 五日坚持}]
    levels: [{name: 新手写手, min_points: 0}, {name: 进阶写手, min_points: 60}]
groups:
  writers: {name: 写作群}
  writers-us: {name: 北美群, timezone: America/Los_Angeles}
"""


async def test_week_of_checkins_gives_right_streaks_points_levels_badges(tmp_path: Path) -> None:
    transcript = (HERE / "transcripts" / "checkins_week.txt").read_text(encoding="utf-8")
    db = tmp_path / "replay.db"
    sent = await run_replay(transcript, parse_config(CONFIG), f"sqlite+aiosqlite:///{db}")
    texts = [(m.group_id, m.mentions, m.text) for m in sent]
    alice = [t for g, who, t in texts if g == "writers" and who == ("alice",)]
    bob = [t for g, who, t in texts if g == "writers" and who == ("bob",)]
    carol = [t for g, who, t in texts if g == "writers-us"]

    assert len(bob) == 2  # the duplicate delivery of wx-100 was handled once
    assert "连续打卡 1 天" in bob[0] and "连续打卡 1 天" in bob[1]  # a missed day broke it
    assert "连续打卡 1 天" in alice[0]
    assert "连续打卡 2 天" in alice[1]  # 23:59:30 on 11-17
    assert "连续打卡 3 天" in alice[2] and "含连续奖励 2 分" in alice[2]  # 00:00:30 on 11-18
    assert alice[3].startswith("今天已经打过卡啦")
    assert "连续打卡 1 天" in alice[4]  # 11-20: 11-19 was missed
    assert "补卡成功（11-19）" in alice[5] and "当前连续打卡 5 天" in alice[5]
    assert "获得新勋章「五日坚持」" in alice[5]
    assert "连续打卡 6 天" in alice[6] and "总积分 59" in alice[6] and "升级" not in alice[6]
    assert "连续打卡 7 天" in alice[7] and "升级为「进阶写手」" in alice[7]  # 71 >= 60
    # points: 10, 10, 12, (none), 10 (streak was 1), makeup 5, 12, 12 = 71
    assert "连续打卡 7 天（累计 7 天），今天已打卡" in alice[8]
    assert "总积分 71" in alice[8] and "进阶写手" in alice[8] and "五日坚持" in alice[8]
    assert "连续打卡 2 天" in carol[1]
    assert "连续打卡 2 天（累计 2 天），今天已打卡" in carol[2]

    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "select day, streak, points, makeup from checkins where member_id='alice' order by day"
        ).fetchall()
        ledger = conn.execute(
            "select sum(delta), count(*) from ledger where member_id='alice'"
        ).fetchone()
        us_days = conn.execute(
            "select day from checkins where group_id='writers-us' order by day"
        ).fetchall()
    assert rows == [
        ("2026-11-16", 1, 10, 0),
        ("2026-11-17", 2, 10, 0),
        ("2026-11-18", 3, 12, 0),
        ("2026-11-19", 4, 5, 1),
        ("2026-11-20", 5, 10, 0),
        ("2026-11-21", 6, 12, 0),
        ("2026-11-22", 7, 12, 0),
    ]
    assert ledger == (71, 7)
    assert us_days == [("2026-11-20",), ("2026-11-21",)]


def test_transcript_errors_name_the_line() -> None:
    config = config_from()
    with pytest.raises(TranscriptError) as info:
        parse_transcript("# ok\n2026-11-21T08:00:00 g1 alice: hi\nnot a line\n", config)
    assert info.value.line_no == 3
    with pytest.raises(TranscriptError, match="line 2: time goes backwards"):
        parse_transcript(
            "2026-11-21T08:00:00 g1 alice: a\n2026-11-21T07:00:00 g1 alice: b\n", config
        )


def test_transcript_parses_joins_mentions_and_explicit_ids() -> None:
    lines = parse_transcript(
        "2026-11-21T08:00:00 g1 +carol\n"
        "2026-11-21T08:01:00 g1 admin#m9: /积分 @bob +5 好 @小助手\n"
        "2026-11-21T08:02:00 g1 -carol\n",
        config_from(),
    )
    joined, message, left = (line.event for line in lines)
    assert type(joined).__name__ == "MemberJoined" and joined.member_id == "carol"
    assert message.message_id == "m9"  # type: ignore[union-attr]
    assert message.mentions == ("bob",)  # type: ignore[union-attr]
    assert message.mentions_bot  # type: ignore[union-attr]
    assert message.time == at("2026-11-21 08:01")
    assert type(left).__name__ == "MemberLeft"


def test_replay_cli_json_output_and_kept_database(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(CONFIG, encoding="utf-8")
    transcript = tmp_path / "t.txt"
    transcript.write_text(
        "2026-11-21T08:00:00 writers alice: 打卡\n2026-11-21T08:01:00 writers bob: 你好\n",
        encoding="utf-8",
    )
    db = tmp_path / "kept.db"
    cmd = [sys.executable, "-m", "bot.cli", "replay", str(transcript), "--config", str(config)]
    done = subprocess.run(
        [*cmd, "--json", "--db", str(db)], capture_output=True, text=True, check=True
    )
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(lines) == 1
    assert lines[0]["at"] == "2026-11-21T08:00:00+08:00"
    assert lines[0]["group"] == "writers" and lines[0]["mentions"] == ["alice"]
    assert "连续打卡 1 天" in lines[0]["text"]
    with sqlite3.connect(db) as conn:
        assert conn.execute("select count(*) from checkins").fetchone() == (1,)
    bad = tmp_path / "bad.txt"
    bad.write_text("2026-11-21T08:00:00 writers alice: ok\ngarbage\n", encoding="utf-8")
    failed = subprocess.run([*cmd[:4], str(bad), *cmd[5:]], capture_output=True, text=True)
    assert failed.returncode == 1
    assert f"{bad}:2:" in failed.stderr


async def test_console_session_switches_speaker_and_group(tmp_path: Path) -> None:
    import io

    out = io.StringIO()
    async with running_bot(f"sqlite+aiosqlite:///{tmp_path / 'c.db'}") as bot:
        bot.app.sender = ConsoleSender(out, color=False)  # what `groupops run` prints
        session = ConsoleSession(bot.app, group="g1", user="alice", out=out)
        bot.clock.set(at("2026-11-21 08:00"))
        assert await session.feed("打卡")
        assert await session.feed(":as bob")
        assert await session.feed(":group ny")
        assert await session.feed("签到")
        assert not await session.feed(":quit")
    lines = out.getvalue().splitlines()
    bot_lines = [line for line in lines if line.startswith("🤖 bot →")]
    assert bot_lines[0].startswith("🤖 bot → [g1] @alice ✅ 打卡成功")
    assert bot_lines[1].startswith("🤖 bot → [ny] @bob ✅ 打卡成功")
    assert "(now speaking as bob)" in out.getvalue().replace("   ", "")


async def test_console_join_says_when_the_welcome_comes(tmp_path: Path) -> None:
    import io

    out = io.StringIO()
    config = config_from(CONFIG + "  quiet: {name: 安静群, welcome: {enabled: false}}\n")
    async with running_bot(f"sqlite+aiosqlite:///{tmp_path / 'c.db'}", config) as bot:
        bot.app.sender = ConsoleSender(out, color=False)
        session = ConsoleSession(bot.app, group="writers", user="alice", out=out)
        bot.clock.set(at("2026-11-21 08:00"))
        assert await session.feed(":join bob")
        assert await session.feed(":group quiet")
        assert await session.feed(":join carol")
        assert await session.feed(":leave carol")
    notes = [line.strip() for line in out.getvalue().splitlines() if line.startswith("   (")]
    assert (
        "(bob joined group writers; the welcome is posted 60 s after the first join, "
        "for everyone who joined by then)" in notes
    )
    assert "(carol joined group quiet (welcomes are off for this group))" in notes
    assert "(carol left group quiet)" in notes

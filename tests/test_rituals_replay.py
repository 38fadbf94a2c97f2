"""Replay transcripts over a virtual week: the same ritual jobs as live, in virtual time."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import parse_config
from bot.replay import run_replay
from tests.rituals_support import posts, starting
from tests.support import at

HERE = Path(__file__).parent
CONFIG = """
timezone: Asia/Shanghai
admins: [admin]
defaults:
  calendar:
    topics: [写一个童年场景, 写一段对话, 写一封信]
    hosts: [小王, 小李]
    start: 2026-11-16
groups:
  writers:
    name: 写作群
    admins: [coach]
    rituals:
      - id: morning
        schedule: 每天 07:30
        text: "☀️ 早安！今日写作话题：{topic}"
      - id: share
        title: 周三分享会
        schedule: 每周三 20:00
        text: "🎤 {title}开始啦，本周主持：{host}"
        reminders: [{before: 1d}, {before: 1h}]
        follow_up: {after: 2h, text: "「{title}」结束啦，说说你学到了什么～"}
      - id: friday
        title: 周五晒成就
        schedule: 每周五 21:00
        text: "🏅 {title}：这周你完成了什么？"
      - id: weekly
        schedule: 每周日 21:00
        action: digest
"""
DAYS = [f"11-{d}" for d in range(16, 23)]


def transcript(name: str) -> str:
    return (HERE / "transcripts" / name).read_text(encoding="utf-8")


async def test_a_week_of_rituals_and_highlights_replays_in_virtual_time(tmp_path: Path) -> None:
    config = parse_config(CONFIG)
    db = f"sqlite+aiosqlite:///{tmp_path / 'replay.db'}"
    sent = await run_replay(
        transcript("rituals_week.txt"), config, db, until=at("2026-11-22 23:00")
    )
    lines = posts(sent, config, "writers")
    assert starting(lines, "☀️ 早安！今日写作话题") == [f"{d} 07:30" for d in DAYS]
    assert "11-18 07:30 ☀️ 早安！今日写作话题：写一封信" in lines
    assert starting(lines, "⏰ 预告：「周三分享会」") == ["11-17 20:00", "11-18 19:00"]
    assert "11-18 20:00 🎤 周三分享会开始啦，本周主持：小王" in lines
    assert starting(lines, "「周三分享会」结束啦") == ["11-18 22:00"]
    assert starting(lines, "🏅") == []  # skipped on Wednesday with /仪式 skip friday
    listing = next(line for line in lines if "本群的仪式" in line)
    assert "friday「周五晒成就」 每周五 21:00\n  下次：11月20日 星期五 21:00" in listing
    assert "⏭ 已跳过「周五晒成就」11月20日 星期五 21:00 这一次" in "\n".join(lines)
    search = next(line for line in lines if line[12:].startswith("🔎"))
    assert search.endswith("#2 11-17 bob：开头先抛出冲突，读者才会往下看")
    digest = [line for line in lines if line[12:].startswith("📰")]
    assert digest == [
        "11-22 21:00 📰 本周社群周报（11月16日—11月22日）\n"
        "✨ 本周精华（2 条）：\n"
        "1. 好标题=具体场景+反差 ——coach\n"
        "2. 开头先抛出冲突，读者才会往下看 ——bob\n"
        "📅 打卡：3 人打卡，共 8 次\n"
        "🔥 最长连续打卡：alice 4 天、bob 1 天、carol 1 天\n"
        "🏆 本周积分榜：\n"
        "🥇 alice 64 分\n"
        "🥈 bob 10 分\n"
        "🥉 carol 10 分"
    ]


async def test_a_restart_mid_week_in_replay_loses_nothing_within_grace_and_repeats_nothing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = parse_config(CONFIG)
    db = f"sqlite+aiosqlite:///{tmp_path / 'replay.db'}"
    before, after = transcript("rituals_restart.txt").split("# --- restart ---")
    first = await run_replay(before, config, db)
    caplog.set_level(logging.WARNING, logger="groupops.rituals")
    second = await run_replay(after, config, db, until=at("2026-11-19 12:00"))
    lines = posts(first, config, "writers") + posts(second, config, "writers")
    assert starting(lines, "☀️") == [f"{d} 07:30" for d in DAYS[:4]]
    assert starting(lines, "⏰") == ["11-17 20:00"]  # the 19:00 reminder was beyond grace
    assert starting(lines, "🎤") == ["11-18 20:20"]  # 20 minutes late, within grace
    assert starting(lines, "「周三分享会」结束啦") == ["11-18 22:00"]
    assert any("remind-3600" in r.message and "missed" in r.message for r in caplog.records)
    # A third replay over the same hours posts none of it again.
    third = await run_replay(after, config, db, until=at("2026-11-19 12:00"))
    assert [line for line in posts(third, config, "writers") if line[12:13] in "☀⏰🎤「"] == []


def test_replay_cli_runs_the_rituals_until_the_given_time(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(CONFIG, encoding="utf-8")
    week = str(HERE / "transcripts" / "rituals_week.txt")
    args = ["replay", week, "--config", str(path), "--until", "2026-11-22T21:00"]
    run = subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        capture_output=True,
        text=True,
        cwd=HERE.parent,
    )
    assert run.returncode == 0, run.stderr
    assert "[2026-11-22 21:00:00] writers 🤖 📰 本周社群周报（11月16日—11月22日）" in run.stdout
    assert run.stdout.count("☀️ 早安") == 7

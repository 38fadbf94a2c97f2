"""Boards across a set from a replayed week in three groups (tests/transcripts/
set_boards_week.txt, counted by hand there): the set's board and figures in the chat,
`groupops stats --set`, `groupops report --set`, and the weekly set picture."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from bot.cli import main
from bot.config import ConfigError, load_config, parse_config
from bot.events import OutgoingMessage
from bot.replay import run_replay
from scheduler.report_chart import chart_texts
from tests.support import at

HERE = Path(__file__).parent
TRANSCRIPT = HERE / "transcripts" / "set_boards_week.txt"

CONFIG = """\
timezone: Asia/Shanghai
admins: [root]
defaults:
  checkin:
    points: 10
    streak_bonus: []
  stats:
    report_dir: REPORTS
    weekly_report:
      enabled: true
      schedule: 每周一 09:00
      sets: [camp]
groups:
  g1: {name: 一群, admins: [both]}
  g2: {name: 二群, admins: [both]}
  g3: {name: 三群}
sets:
  camp: [g1, g2]
"""

BOARD = """🏆 集合「camp」本周积分榜（2 个群）
🥇 alice（一群）50 分
🥈 carol（二群）30 分
🥉 bob（一群）10 分
4. alice（二群）10 分
📜 集合「camp」总积分榜
🥇 alice（一群）50 分
🥈 carol（二群）30 分
🥉 bob（一群）10 分
4. alice（二群）10 分"""

STATS = """📊 集合「camp」近 7 天数据（2 个群，11-16 至 11-22，各群按本群日期）
💬 每日消息（各群合计）：
　11-16 4｜11-17 3｜11-18 2｜11-19 0｜11-20 0｜11-21 1｜11-22 4
消息合计 14 条，日均 2.0 条
👥 活跃成员 6 人次（按群计，新加入 0 人，退群 0 人）
✅ 打卡 10 人次（4 人），打卡率 24%（10 ÷ 42 个成员日）
🔥 最长连续打卡：alice（一群）2 天、carol（二群）1 天
❓ 问答：机器人没能自动回答的问题 0 个，其中管理员已解答 0 个，仍未回答 0 个
🛡 拦截广告 0 条；跑题提醒累计 0 次（全部时间）
🎁 积分发放 100 分（打卡 100）
🏘 各群：
　一群：消息 8 条，活跃 3 人，打卡 6 人次，打卡率 29%
　二群：消息 6 条，活跃 3 人，打卡 4 人次，打卡率 19%"""

SET_CAPTION = (
    "📈 集合「camp」第 47 周群活跃周报（11-16 至 11-22）：消息 14 条，打卡 10 人次，"
    "活跃成员 6 人次（按群计）"
)


def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(CONFIG.replace("REPORTS", str(tmp_path / "reports")), encoding="utf-8")
    return path


def replay(tmp_path: Path, until: datetime | None = None) -> list[OutgoingMessage]:
    config = load_config(config_file(tmp_path))
    db = f"sqlite+aiosqlite:///{tmp_path / 'replay.db'}"
    text = TRANSCRIPT.read_text(encoding="utf-8")
    return asyncio.run(run_replay(text, config, db, until=until))


def test_the_replayed_week_shows_the_set_board_and_figures(tmp_path: Path) -> None:
    sent = replay(tmp_path, until=at("2026-11-23 09:00"))
    texts = [(m.group_id, m.text) for m in sent if not m.image_path]
    assert ("g2", BOARD) in texts
    assert ("g3", "本群不在集合「camp」里，只能在集合内的群里查看它。") in texts
    assert ("g1", STATS) in texts
    images = sorted((m.group_id, m.text) for m in sent if m.image_path)
    # each group's own picture; the set's picture only to the groups of the set
    assert [g for g, _ in images] == ["g1", "g1", "g2", "g2", "g3"]
    assert ("g1", SET_CAPTION) in images and ("g2", SET_CAPTION) in images
    set_pictures = {m.image_path for m in sent if m.image_path and m.text == SET_CAPTION}
    assert set_pictures == {str(tmp_path / "reports" / "set-camp-2026-W47.png")}
    with Image.open(set_pictures.pop() or "") as image:
        assert image.format == "PNG" and image.size == (800, 1000)


def test_replaying_again_posts_no_set_picture_twice(tmp_path: Path) -> None:
    first = replay(tmp_path, until=at("2026-11-23 09:00"))
    again = replay(tmp_path, until=at("2026-11-23 09:00"))
    assert sum(1 for m in first if m.text == SET_CAPTION) == 2
    assert [m for m in again if m.image_path] == []


def test_stats_and_report_for_a_set_from_the_cli(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    replay(tmp_path)
    config = config_file(tmp_path)
    common = ["--config", str(config), "--db", str(tmp_path / "replay.db")]
    assert main(["stats", "--set", "camp", "--today", "2026-11-22", *common]) == 0
    assert capsys.readouterr().out.strip() == STATS
    assert main(["stats", "--set", "camp", "--today", "2026-11-22", "--json", *common]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["messages"] == 14 and data["checkins"] == 10
    assert data["checkin_rate"] == round(10 / 42, 4)
    assert [g["group_id"] for g in data["groups"]] == ["g1", "g2"]
    assert data["streaks"][0] == {"member_id": "alice", "name": "alice", "days": 2, "group": "一群"}
    assert main(["stats", "--set", "nope", *common]) == 2
    assert "no group set 'nope' in the config (sets: camp)" in capsys.readouterr().err

    out = tmp_path / "camp.png"
    assert main(["report", "--set", "camp", "--week", "2026-W47", "--out", str(out), *common]) == 0
    assert capsys.readouterr().out.strip() == str(out)
    with Image.open(out) as image:
        assert image.format == "PNG" and image.size == (800, 1000)
        pixels = np.asarray(image.convert("RGB")).astype(int)
    # messages (blue), check-ins (green) and top members (orange) are drawn
    for colour in ((0x4C, 0x78, 0xA8), (0x54, 0xA2, 0x4B), (0xF5, 0x85, 0x18)):
        assert (np.abs(pixels - colour).sum(axis=2) < 10).sum() > 500


async def test_the_set_picture_adds_up_the_groups(tmp_path: Path) -> None:
    from handlers.set_boards import collect_set_week
    from storage.operator import open_database

    await run_replay(
        TRANSCRIPT.read_text(encoding="utf-8"),
        load_config(config_file(tmp_path)),
        f"sqlite+aiosqlite:///{tmp_path / 'r.db'}",
    )
    config = load_config(config_file(tmp_path))
    camp = config.group_set("camp")
    assert camp is not None
    async with open_database(f"sqlite:///{tmp_path / 'r.db'}") as uow, uow() as work:
        data = await collect_set_week(work, config, camp, 2026, 47, 5)
    assert data.messages == (4, 3, 2, 0, 0, 1, 4)
    assert data.checkins == (3, 3, 1, 0, 0, 1, 2)
    assert data.top_members[:2] == (("alice（一群）", 5), ("carol（二群）", 4))
    assert data.checkin_rate == pytest.approx(10 / 42)
    texts = chart_texts(data)
    assert texts[0] == "集合「camp」（2 个群） · 第 47 周群活跃周报"
    assert "alice（一群）" in texts and "三群" not in "".join(texts)


def test_weekly_report_sets_must_name_a_configured_set(tmp_path: Path) -> None:
    bad = CONFIG.replace("sets: [camp]", "sets: [camps]")
    with pytest.raises(ConfigError) as caught:
        parse_config(bad, "c.yaml")
    assert "c.yaml:12: defaults.stats.weekly_report.sets[0]: unknown group set 'camps'" in str(
        caught.value
    )
    per_group = CONFIG.replace(
        "g3: {name: 三群}", "g3: {name: 三群, stats: {weekly_report: {sets: [camp, nope]}}}"
    )
    with pytest.raises(ConfigError) as caught:
        parse_config(per_group, "c.yaml")
    assert "c.yaml:16: groups.g3.stats.weekly_report.sets[1]: unknown group set 'nope'" in str(
        caught.value
    )

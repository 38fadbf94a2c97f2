"""A 21-day camp replayed from a transcript in virtual time, with a restart in the middle:
joining, window refusals, make-up cards within the camp's limit, reminders that mention only
those not done, teacher reviews with points, a peer-review day and the closing post."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

from sqlalchemy import func, select

from bot.config import AppConfig, parse_config
from bot.events import OutgoingMessage
from bot.replay import run_replay
from storage.db import create_engine, session_factory
from storage.models import CampDay, LedgerEntry
from tests.support import at

HERE = Path(__file__).parent
CONFIG = """
timezone: Asia/Shanghai
admins: [admin]
defaults:
  stats: {report_dir: REPORTS}
groups:
  writers:
    name: 写作群
    admins: [coach]
    quiet_hours: ["23:00-07:00"]
    camps:
      - id: write21
        title: 21天写作营
        start: 2026-11-16
        days: 21
        window: "06:00-23:00"
        task_at: "07:00"
        remind_at: "21:00"
        finish_days: 18
        makeup_limit: 2
        tasks: [写一个童年场景, 写一段对话, 写一封信, 描写一种气味, 改写一个经典开头, 写一首短诗, 自由写作]
        reviewers: [teacher]
        review_points: 5
        review_max_points: 10
        excellent_points: 3
        peer_points: 2
"""
CLOSING = (
    "🎓 「21天写作营」结营啦！（11月16日—12月6日，共 21 天）\n"
    "👥 报名 4 人，3 人完成 18 天以上，完成率 75%\n"
    "🏅 结营名单：alice（21 天）、bob（20 天）、carol（19 天）\n"
    "🏆 坚持之星：\n"
    "🥇 alice 21 天，点评 8 分\n"
    "🥈 bob 20 天\n"
    "🥉 carol 19 天，点评 5 分\n"
    "✨ 优秀作业：\n"
    "1. carol 第 8 天：carol今天写了一段对话（优秀，1 条点评，5 分）\n"
    "2. alice 第 8 天：第8天的作业写完了，680字（1 条点评，8 分）\n"
    "3. alice 第 7 天：第7天的作业写完了，670字（1 条点评）\n"
    "🎁 结营证书已经生成，恭喜各位！"
)


def config_for(tmp_path: Path) -> AppConfig:
    return parse_config(CONFIG.replace("REPORTS", str(tmp_path / "reports")))


def stamp(out: OutgoingMessage) -> str:
    assert out.at is not None
    return out.at.strftime("%m-%d %H:%M")


def transcript() -> str:
    return (HERE / "transcripts" / "camp_21_days.txt").read_text(encoding="utf-8")


async def stored(
    url: str,
) -> tuple[
    dict[str, list[int]], dict[tuple[str, int], int], list[tuple[str, int, str]], dict[str, int]
]:
    """Camp days per member (make-ups negative), their row ids by (member, day), the camp
    ledger lines, and every member's balance."""
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session:
            days: dict[str, list[int]] = {}
            ids: dict[tuple[str, int], int] = {}
            rows = await session.execute(select(CampDay).order_by(CampDay.member_id, CampDay.day))
            for row in rows.scalars():
                ids[row.member_id, row.day_index] = row.id
                days.setdefault(row.member_id, []).append(
                    -row.day_index if row.makeup else row.day_index
                )
            lines = await session.execute(
                select(LedgerEntry.member_id, LedgerEntry.delta, LedgerEntry.idem_key)
                .where(LedgerEntry.kind.startswith("camp_"))
                .order_by(LedgerEntry.id)
            )
            balances = await session.execute(
                select(LedgerEntry.member_id, func.sum(LedgerEntry.delta)).group_by(
                    LedgerEntry.member_id
                )
            )
            return (
                days,
                ids,
                [(m, int(d), str(k)) for m, d, k in lines.all()],
                {m: int(total) for m, total in balances.all()},
            )
    finally:
        await engine.dispose()


async def test_a_21_day_camp_with_a_restart_replays_to_the_right_days_points_and_posts(
    tmp_path: Path,
) -> None:
    config = config_for(tmp_path)
    url = f"sqlite+aiosqlite:///{tmp_path / 'camp.db'}"
    before, after = transcript().split("# --- restart ---")
    # keep the lines' numbers (a line's message id is its number): a restarted bot sees the
    # platform's ids, which never repeat
    after = "\n" * before.count("\n") + after
    first = await run_replay(before, config, url)
    second = await run_replay(after, config, url, until=at("2026-12-07 12:00"))
    sent = [m for m in first + second if m.group_id == "writers"]
    texts = [m.text for m in sent]

    # the day's task, once a day; day 12's was due while the bot was down: posted at 07:30
    tasks = [stamp(m) for m in sent if m.text.startswith("📝 「21天写作营」第")]
    assert tasks == [
        f"{d:%m-%d} {'07:30' if d == date(2026, 11, 27) else '07:00'}"
        for d in (date(2026, 11, 16 + i) if i < 15 else date(2026, 12, i - 14) for i in range(21))
    ]
    assert "📝 「21天写作营」第 2 天（11月17日 星期二）今日任务：写一段对话\n" in "\n".join(texts)

    # window refusal, then the same day inside the window
    assert (
        "✅ 打卡成功！连续打卡 2 天\n本次 +10 分，总积分 20，等级：新手写手\n"
        "🏕 「21天写作营」的打卡时间是 06:00-23:00，这次不计入营内天数"
    ) in texts
    assert (
        "今天已经打过卡啦（连续打卡 2 天），明天继续加油～\n🏕 「21天写作营」第 2 天完成（2/21 天）"
    ) in texts

    # reminders at 21:00 mention exactly those not done (erin until she left, then bob on
    # the days he missed, dave from day 11 on)
    reminders = [(stamp(m), m.mentions) for m in sent if m.text.startswith("⏰")]
    expected = [("11-16 21:00", ("erin",)), ("11-17 21:00", ("erin",)), ("11-18 21:00", ("erin",))]
    expected.append(("11-20 21:00", ("bob",)))
    for day in [*range(26, 31), *range(1, 7)]:
        month = "11" if day > 20 else "12"
        who = ("bob", "dave") if (month, day) in (("11", 29), ("12", 1)) else ("dave",)
        expected.append((f"{month}-{day:02d} 21:00", who))
    assert reminders == expected

    # make-up cards: two count for the camp, the third does not
    assert any(
        t.endswith("🏕 已为「21天写作营」补上第 5 天（6/21 天，本营还能补卡 1 次）") for t in texts
    )
    assert any(t.endswith("本营还能补卡 0 次）") and "第 14 天" in t for t in texts)
    assert any(
        t.startswith("✅ 补卡成功（12-01）")
        and t.endswith("🏕 「21天写作营」的补卡机会（每人 2 次）已经用完，这天不计入营内")
        for t in texts
    )

    # the peer-review day: pairs announced once, partners paid once, the teacher's points
    pairs = [m for m in sent if m.text.startswith("🤝 「21天写作营」第 7 天互评开始")]
    assert len(pairs) == 1
    assert pairs[0].text.splitlines()[1:5] == [
        "bob → dave",
        "dave → alice",
        "alice → carol",
        "carol → bob",
    ]
    assert "📝 你在「21天写作营」第 8 天的作业收到了 teacher 的点评，+8 分（当前积分 108）" in texts

    # the closing post, then one certificate per finisher
    closing = [m for m in sent if m.text.startswith("🎓")]
    assert [(stamp(m), m.text, m.mentions) for m in closing] == [
        ("12-07 09:00", CLOSING, ("alice", "bob", "carol"))
    ]
    folder = tmp_path / "reports" / "camps" / "writers"
    assert [m.image_path for m in sent if m.image_path] == [
        str(folder / f"write21-{member}.png") for member in ("alice", "bob", "carol")
    ]

    days, _ids, camp_points, balances = await stored(url)
    assert days == {
        "alice": list(range(1, 22)),
        "bob": [*range(1, 5), -5, *range(6, 14), -14, 15, *range(17, 22)],
        "carol": list(range(3, 22)),
        "dave": list(range(1, 11)),
    }
    assert camp_points == [
        ("bob", 2, "camp-peer:writers:write21:2026-11-22:bob"),
        ("dave", 2, "camp-peer:writers:write21:2026-11-22:dave"),
        ("alice", 2, "camp-peer:writers:write21:2026-11-22:alice"),
        ("alice", 8, "camp-review:writers:rv1"),
        ("carol", 5, "camp-review:writers:rv2"),
        ("carol", 3, "camp-excellent:writers:write21:carol:2026-11-23"),  # camp day 8
    ]
    profile = next(m.text for m in sent if m.text.startswith("📒") and m.mentions == ("carol",))
    assert f"总积分 {balances['carol']}，" in profile
    assert profile.endswith("📝 作业点评：收到 2 条，给出 0 条")

    # A third replay over the same hours posts none of the camp's posts again.
    third = await run_replay(after, config, url, until=at("2026-12-07 12:00"))
    assert [
        m for m in third if m.text.startswith(("📝 「", "⏰", "🎓", "🤝")) or m.image_path
    ] == []


def test_replay_cli_runs_the_whole_camp(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(CONFIG.replace("REPORTS", str(tmp_path / "reports")), encoding="utf-8")
    camp = str(HERE / "transcripts" / "camp_21_days.txt")
    args = ["replay", camp, "--config", str(path), "--until", "2026-12-07T10:00"]
    run = subprocess.run(
        [sys.executable, "-m", "bot.cli", *args], capture_output=True, text=True, cwd=HERE.parent
    )
    assert run.returncode == 0, run.stderr
    assert (
        "[2026-12-07 09:00:00] writers 🤖 @alice @bob @carol 🎓 「21天写作营」结营啦！"
        in run.stdout
    )
    assert run.stdout.count("今日任务：") == 21
    assert run.stdout.count("[图片: ") == 3

"""Replay transcripts for the feature's end-to-end scenarios, through the real bot."""

from __future__ import annotations

import json
import re
from pathlib import Path

from sqlalchemy import select

from bot.config import parse_config
from bot.events import OutgoingMessage
from bot.replay import format_outgoing, run_replay
from handlers.rewards_draw import pick_winners, verify_draw
from storage.db import create_engine, session_factory
from storage.models import LedgerEntry, RewardDraw, RewardQuiz
from tests.support import at

HERE = Path(__file__).parent / "transcripts"
CONFIG = """
timezone: Asia/Shanghai
admins: [admin]
defaults:
  rewards:
    reward: {max_points: 50, admin_daily_cap: 60, member_daily_cap: 40}
    quiz:
      bank:
        - {question: 2+2=？, answers: ["4", 四]}
    notice: {places: 3, points: 5}
groups:
  writers:
    name: 写作群
    admins: [coach]
"""


async def replay(name: str, tmp_path: Path) -> tuple[list[OutgoingMessage], str]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'replay.db'}"
    text = (HERE / name).read_text(encoding="utf-8")
    sent = await run_replay(text, parse_config(CONFIG), url, until=at("2026-11-22 12:00"))
    return sent, url


async def ledger(url: str) -> list[LedgerEntry]:
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session:
            stmt = select(LedgerEntry).order_by(LedgerEntry.id)
            return list((await session.execute(stmt)).scalars())
    finally:
        await engine.dispose()


def balances_in_posts_match_ledger(sent: list[OutgoingMessage], lines: list[LedgerEntry]) -> None:
    """Every "…当前积分 N" post equals the sum of that member's ledger lines at that time."""
    checked = 0
    for out in sent:
        found = re.search(r"当前积分 (\d+)$", out.text)
        if found is None or len(out.mentions) != 1:
            continue
        assert out.at is not None
        member = out.mentions[0]
        total = sum(ln.delta for ln in lines if ln.member_id == member and ln.created_at <= out.at)
        assert int(found.group(1)) == total, (out.text, total)
        checked += 1
    assert checked, "no balance was posted"


async def test_red_packets_with_caps_refusals_and_a_redelivery(tmp_path: Path) -> None:
    sent, url = await replay("rewards_red_packets.txt", tmp_path)
    shown = [format_outgoing(m, as_json=False) for m in sent]
    assert shown == [
        "[2026-11-21 09:00:00] writers 🤖 @bob 🧧 coach 发来一个红包：+30 分\n    理由：优秀作业\n    当前积分 30",
        "[2026-11-21 09:01:00] writers 🤖 @coach 这位成员今天已收到 30 分红包，每人每天最多 40 分，还能收 10 分。",
        "[2026-11-21 09:02:00] writers 🤖 @bob 🧧 coach 发来一个红包：+10 分\n    理由：认真点评\n    当前积分 40",
        "[2026-11-21 09:03:00] writers 🤖 @coach 今天你已发出 40 分红包，每位管理员每天最多 60 分，还能发 20 分。",
        "[2026-11-21 09:04:00] writers 🤖 @carol 🧧 coach 发来一个红包：+20 分\n    理由：好选题\n    当前积分 20",
        "[2026-11-21 09:05:00] writers 🤖 @bob 抱歉，这个命令只有管理员可以使用。",
        "[2026-11-21 09:06:00] writers 🤖 @coach 不能给自己发红包哦。",
        "[2026-11-21 09:07:00] writers 🤖 @coach 积分要写成正整数，例如 20。\n    用法：/红包 @成员 N 理由，例如：/红包 @小明 20 优秀作业",
        "[2026-11-21 09:08:00] writers 🤖 @coach 请写明理由。\n    用法：/红包 @成员 N 理由，例如：/红包 @小明 20 优秀作业",
        "[2026-11-21 09:09:00] writers 🤖 @coach 还没有在本群见过这位成员（没有发言、入群或打卡记录），不能发红包。请确认 @ 的是本群成员。",
        "[2026-11-22 00:01:00] writers 🤖 @carol 🧧 coach 发来一个红包：+25 分\n    理由：次日奖励\n    当前积分 45",
        "[2026-11-22 08:00:00] writers 🤖 @coach 📒 carol 的积分账本：共 2 条，当前积分 45（最近 2 条）\n"
        "    11-22 00:01 +25 红包：次日奖励（coach 发放）\n"
        "    11-21 09:04 +20 红包：好选题（coach 发放）",
    ]
    lines = await ledger(url)
    assert [(ln.member_id, ln.delta, ln.kind) for ln in lines] == [
        ("bob", 30, "reward"),
        ("bob", 10, "reward"),
        ("carol", 20, "reward"),
        ("carol", 25, "reward"),
    ]
    assert lines[0].idem_key == "reward:writers:r-1"
    balances_in_posts_match_ledger(sent, lines)


async def test_quiz_rounds_one_winner_reveal_and_bank(tmp_path: Path) -> None:
    sent, url = await replay("rewards_quiz.txt", tmp_path)
    texts = [(m.mentions, m.text) for m in sent]
    assert texts[1] == ((("bob",), "🎉 恭喜抢答成功！答案：北京\n+30 分，当前积分 30"))
    assert texts[3] == ((), "⏰ 抢答时间到，没有人答对。\n题目：《红楼梦》的作者是？\n答案：曹雪芹")
    assert sent[3].at == at("2026-11-21 20:32")  # revealed by the scheduler at the deadline
    assert "题目：2+2=？" in texts[4][1]
    assert texts[5] == (("erin",), "🎉 恭喜抢答成功！答案：4\n+20 分，当前积分 20")
    assert len(sent) == 6  # carol's same-second answer, the late answer and the admin's: silent
    lines = await ledger(url)
    assert [(ln.member_id, ln.delta, ln.kind) for ln in lines] == [
        ("bob", 30, "quiz"),
        ("erin", 20, "quiz"),
    ]
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session:
            rows = list(
                (await session.execute(select(RewardQuiz).order_by(RewardQuiz.id))).scalars()
            )
    finally:
        await engine.dispose()
    assert [(q.status, q.winner_id, q.source) for q in rows] == [
        ("won", "bob", "command"),
        ("expired", None, "command"),
        ("won", "erin", "bank"),
    ]
    balances_in_posts_match_ledger(sent, lines)


async def test_notice_red_packet_with_more_repliers_than_places(tmp_path: Path) -> None:
    sent, url = await replay("rewards_notice.txt", tmp_path)
    assert [(m.mentions, m.text) for m in sent[1:]] == [
        (("bob",), "🧧 抢到通知红包 +8 分（1/3），当前积分 8"),
        (("carol",), "🧧 抢到通知红包 +8 分（2/3），当前积分 8"),
        (("dave",), "🧧 抢到通知红包 +8 分（3/3），当前积分 8"),
        (
            ("bob", "carol", "dave"),
            "🧧 通知红包已领完（3/3），以下成员各得 8 分：\n1. bob\n2. carol\n3. dave",
        ),
    ]
    lines = await ledger(url)
    assert [(ln.member_id, ln.delta, ln.kind) for ln in lines] == [
        ("bob", 8, "notice"),
        ("carol", 8, "notice"),
        ("dave", 8, "notice"),
    ]
    balances_in_posts_match_ledger(sent, lines)


async def test_lucky_draw_is_audited_and_paid_once(tmp_path: Path) -> None:
    sent, url = await replay("rewards_draw.txt", tmp_path)
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session:
            draw = (await session.execute(select(RewardDraw))).scalar_one()
    finally:
        await engine.dispose()
    candidates, winners = json.loads(draw.candidates), json.loads(draw.winners)
    assert candidates == ["bob", "carol", "dave", "erin"]  # zoe spoke yesterday; admins excluded
    assert pick_winners(draw.seed, candidates, 2) == winners and verify_draw(draw)
    results = [m for m in sent if m.text.startswith("🎲")]
    assert len(results) == 1  # the redelivered command drew nothing new
    assert results[0].mentions == tuple(winners)
    assert f"随机种子 {draw.seed}" in results[0].text
    assert sent[-1].text == "抱歉，这个命令只有管理员可以使用。"
    lines = await ledger(url)
    assert sorted((ln.member_id, ln.delta) for ln in lines if ln.kind == "draw") == sorted(
        (w, 10) for w in winners
    )

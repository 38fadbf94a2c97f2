"""/统计 figures against a hand-counted transcript, /潜水 for admins only, and the
`groupops stats` / `groupops report` operator commands."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from bot.cli import main
from bot.commands import REFUSAL
from bot.events import MemberLeft
from bot.replay import run_replay
from storage.models.moderation import Violation
from storage.repos.faq import FaqRepo, mark_answered
from storage.repos.moderation import ModerationRepo
from tests.health_support import HEALTH_CONFIG, health_config, run_until
from tests.support import at, joined, running_bot

HERE = Path(__file__).parent
TRANSCRIPT = HERE / "transcripts" / "stats_week.txt"

EXPECTED = """📊 「测试群」近 7 天数据（11-16 至 11-22）
💬 每日消息：
　11-16 3｜11-17 3｜11-18 0｜11-19 3｜11-20 4｜11-21 1｜11-22 2
消息合计 16 条，日均 2.3 条
👥 活跃成员 5 人（新加入 1 人，退群 1 人）
✅ 打卡 9 人次（2 人），打卡率 26%（9 ÷ (5 人 × 7 天)）
🔥 最长连续打卡：alice 7 天
❓ 问答：机器人没能自动回答的问题 1 个，其中管理员已解答 0 个，仍未回答 1 个
🛡 拦截广告 0 条；跑题提醒累计 0 次（全部时间）
🎁 积分发放 112 分（打卡 87，管理员调整 20，补卡 5）"""


async def replay_stats_week(db: Path) -> list[str]:
    sent = await run_replay(
        TRANSCRIPT.read_text(encoding="utf-8"), health_config(), f"sqlite+aiosqlite:///{db}"
    )
    return [m.text for m in sent if m.mentions == ("admin",) and m.text.startswith("📊")]


async def test_stats_match_the_hand_counted_transcript(tmp_path: Path) -> None:
    assert await replay_stats_week(tmp_path / "replay.db") == [EXPECTED]


async def test_stats_is_for_admins_and_checks_its_argument(sqlite_db: str) -> None:
    async with running_bot(sqlite_db, health_config(), at("2026-11-16 09:00")) as bot:
        assert await bot.say("/统计", user="bob", when=at("2026-11-16 10:00")) == [REFUSAL]
        replies = await bot.say("/统计 一周", user="coach", when=at("2026-11-16 10:01"))
        assert replies == ["天数要写成数字，例如「7天」或「30天」。\n用法：/统计 [7天|30天]"]
        replies = await bot.say("/统计 400天", user="coach", when=at("2026-11-16 10:02"))
        assert replies == ["天数要在 1 到 90 之间。\n用法：/统计 [7天|30天]"]
        (month,) = await bot.say("/统计 30天", user="coach", when=at("2026-11-16 10:03"))
        assert month.startswith("📊 「测试群」近 30 天数据（10-18 至 11-16）")
        assert month.count("｜") == 30 - 5  # 30 days in rows of 7: 5 rows
        assert "消息合计 4 条" in month  # bob's refused /统计 counts as a message too


async def test_lurkers_are_listed_to_the_admin_only(db_url: str) -> None:
    async with running_bot(db_url, health_config(), at("2026-10-01 09:00")) as bot:
        await bot.say("早", user="alice", when=at("2026-10-01 10:00"))  # silent since
        await bot.say("早", user="bob", when=at("2026-10-20 10:00"))  # 27 days
        await bot.push(joined("carol", when=at("2026-10-25 10:00")))  # never spoke
        await bot.say("在", user="dave", when=at("2026-11-10 10:00"))  # 6 days: active
        await bot.say("早", user="erin", when=at("2026-10-02 10:00"))
        await run_until(bot, at("2026-10-03 10:00"))
        await bot.app.handle(MemberLeft("g1", "erin", at("2026-10-03 10:00"), event_id="x"))
        await bot.say("早", user="coach", when=at("2026-10-02 11:00"))  # an admin: not listed
        assert await bot.say("/潜水", user="frank", when=at("2026-11-16 10:00")) == [REFUSAL]
        before = len(bot.sender.sent)
        (reply,) = await bot.say("/潜水", user="coach", when=at("2026-11-16 10:00"))
        assert bot.sender.sent[before].mentions == ("coach",)  # nobody listed is mentioned
        assert reply.splitlines() == [
            "🔍 已 14 天以上没有发言的成员共 3 位（仅供管理员参考，建议私下关心，不要公开点名）：",
            "1. alice — 46 天未发言",
            "2. bob — 27 天未发言",
            "3. carol — 加入 22 天，还没发过言",
        ]
        (reply,) = await bot.say("/潜水 30天", user="coach", when=at("2026-11-16 10:01"))
        assert reply.splitlines()[1:] == ["1. alice — 46 天未发言"]
        (reply,) = await bot.say("/潜水 1天", user="coach", when=at("2026-11-16 10:02"))
        assert "dave — 6 天未发言" in reply


def test_stats_cli_prints_the_same_figures(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "ops.db"
    asyncio.run(replay_stats_week(db))
    config = tmp_path / "config.yaml"
    config.write_text(HEALTH_CONFIG, encoding="utf-8")
    args = ["stats", "--group", "g1", "--config", str(config), "--db", str(db)]
    assert main([*args, "--today", "2026-11-22"]) == 0
    assert capsys.readouterr().out.strip() == EXPECTED
    assert main([*args, "--today", "2026-11-22", "--days", "3", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["first"] == "2026-11-20" and data["last"] == "2026-11-22"
    assert [d["messages"] for d in data["per_day"]] == [4, 1, 2]
    assert [d["checkins"] for d in data["per_day"]] == [1, 1, 1]
    assert data["messages"] == 7 and data["active_members"] == 2  # alice and admin
    assert data["checkin_rate"] == round(3 / (2 * 3), 4)
    assert data["points_granted"] == 10 + 5 + 12 + 15 + 20  # the make-up was used on 11-20
    assert data["streaks"] == [{"member_id": "alice", "name": "alice", "days": 7}]
    assert data["questions"] == {"logged": 0, "answered": 0, "unanswered": 0}
    assert data["moderation"] == {"spam": 0, "nudges_total": 0, "last_nudge_at": None}


def test_report_cli_writes_a_png(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "ops.db"
    asyncio.run(replay_stats_week(db))
    config = tmp_path / "config.yaml"
    config.write_text(HEALTH_CONFIG, encoding="utf-8")
    out = tmp_path / "week.png"
    common = ["--group", "g1", "--config", str(config), "--db", str(db)]
    assert main(["report", *common, "--week", "2026-W47", "--out", str(out)]) == 0
    assert capsys.readouterr().out.strip() == str(out)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert main(["report", *common, "--week", "2026-W60", "--out", str(out)]) == 2
    assert "no week 60 in 2026" in capsys.readouterr().err


async def test_stats_count_questions_spam_and_nudges_from_their_records(db_url: str) -> None:
    """The Q&A backlog and the moderation records, read in the window."""
    async with running_bot(db_url, health_config(), at("2026-11-20 09:00")) as bot:
        async with bot.app.uow() as uow:
            faq, moderation = FaqRepo(uow.session), ModerationRepo(uow.session)
            for n, when in enumerate(("2026-11-10 10:00", "2026-11-18 10:00", "2026-11-19 10:00")):
                await faq.log_unanswered(
                    group_id="g1",
                    message_id=f"q{n}",
                    asker_id="bob",
                    asker_name="bob",
                    question=f"问题{n}",
                    at=at(when),
                )
            for n, when in enumerate(("2026-11-01 10:00", "2026-11-17 10:00", "2026-11-20 08:00")):
                moderation.add_violation(
                    Violation(
                        group_id="g1",
                        member_id="spammer",
                        message_id=f"s{n}",
                        excerpt="加微信",
                        reasons="ad",
                        score=9,
                        action="warn",
                        created_at=at(when),
                    )
                )
            await moderation.record_nudge("g1", at("2026-11-12 15:00"))
            await moderation.record_nudge("g1", at("2026-11-19 15:30"))
            await moderation.record_nudge("other", at("2026-11-19 16:00"))
        async with bot.app.uow() as uow:
            item = (await FaqRepo(uow.session).open_backlog("g1", 1))[0]  # asked 11-19
            row = await FaqRepo(uow.session).backlog_item("g1", item.id)
            assert row is not None
            mark_answered(row, "coach", at("2026-11-20 08:30"), "e1")
        (reply,) = await bot.say("/统计", user="coach", when=at("2026-11-20 10:00"))
    lines = reply.splitlines()
    assert (
        lines[7] == "❓ 问答：机器人没能自动回答的问题 2 个，其中管理员已解答 1 个，仍未回答 1 个"
    )
    assert lines[8] == "🛡 拦截广告 2 条；跑题提醒累计 2 次（全部时间，最近一次 11-19 15:30）"


def test_operator_commands_explain_a_missing_or_empty_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(HEALTH_CONFIG, encoding="utf-8")
    missing = tmp_path / "nope.db"
    assert main(["stats", "--group", "g1", "--config", str(config), "--db", str(missing)]) == 1
    assert f"no database file at {missing}" in capsys.readouterr().err
    assert not missing.exists()  # not created as an empty file
    empty = tmp_path / "empty.db"
    empty.touch()
    out = tmp_path / "w.png"
    args = ["--group", "g1", "--config", str(config), "--db", str(empty)]
    assert main(["report", *args, "--week", "2026-W47", "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "has no schema yet" in err and "run `groupops db upgrade` first" in err
    assert not out.exists()

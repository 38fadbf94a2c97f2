"""Red packets, quiz prizes, notice red packets, draws, camp points and payouts leave out
members with open spam violations (the grant policy, handlers/grants.py; payouts apart)."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.cli import main
from bot.config import load_config
from storage.models import RewardDraw, Violation
from tests.rewards_support import ledger_lines, lines_of
from tests.support import Bot, at, config_from, running_bot

CONFIG = """
timezone: Asia/Shanghai
admins: [admin]
defaults:
  camps:
    - {id: early, title: 早起营, start: 2026-11-16, days: 7, window: "05:00-08:00",
       review_points: 5, review_max_points: 10, excellent_points: 3}
  theme:
    name: 写作成长营
    keywords: [写作, 日更, 文章, 稿子, 投稿]
  rewards:
    notice: {places: 5, points: 5, minutes: 30}
    draw: {max_winners: 10, max_points: 50}
groups:
  g1: {name: 测试群}
"""
# hard evidence each time: a contact handle with an id
ADS = [
    "公众号涨粉，一千粉只要20元，真实活粉，vx：fen888",
    "代写代发，加V：xiezuo_2024 详聊",
    "兼职日结，手机操作，加薇 rijie_886",
]


async def _spam_to_removal(bot: Bot, member: str, start: datetime) -> None:
    for i, ad in enumerate(ADS):
        await bot.say(ad, user=member, when=start.replace(minute=i))
    async with bot.app.uow() as uow:
        rows = (await uow.session.execute(select(Violation.action))).scalars().all()
    assert rows[-1] == "ask_remove"


async def test_a_member_asked_to_be_removed_never_wins_a_draw(db_url: str) -> None:
    async with running_bot(db_url, config_from(CONFIG)) as bot:
        for user in ["bob", "carol", "dave"]:
            await bot.say("今天写了两千字", user=user, when=at("2026-11-21 08:00"))
        await _spam_to_removal(bot, "spammer", at("2026-11-21 09:00"))
        said = await bot.say("/抽奖 10名 10分", user="admin", when=at("2026-11-21 21:00"))
        assert "spammer" not in said[0] and "3 位成员中抽出 3 位" in said[0]
        async with bot.app.uow() as uow:
            draw = (await uow.session.execute(select(RewardDraw))).scalar_one()
        assert json.loads(draw.candidates) == ["bob", "carol", "dave"]
        assert sorted(m for m, _ in await lines_of(bot, "draw")) == ["bob", "carol", "dave"]


async def test_one_warning_does_not_bar_but_whitelisting_clears(sqlite_db: str) -> None:
    async with running_bot(sqlite_db, config_from(CONFIG)) as bot:
        await bot.say(ADS[0], user="once", when=at("2026-11-21 08:00"))  # warned once
        await _spam_to_removal(bot, "spammer", at("2026-11-21 09:00"))
        await bot.say("/白名单 @spammer", user="admin", mentions=("spammer",))
        said = await bot.say("/抽奖 10名 10分", user="admin", when=at("2026-11-21 21:00"))
        assert "2 位成员中抽出 2 位" in said[0]
        assert sorted(m for m, _ in await lines_of(bot, "draw")) == ["once", "spammer"]


async def test_the_exclusion_can_be_switched_off(sqlite_db: str) -> None:
    text = CONFIG.replace(
        "  rewards:", "  nudge: {spam: {exclude_from_rewards: false}}\n  rewards:"
    )
    async with running_bot(sqlite_db, config_from(text)) as bot:
        await _spam_to_removal(bot, "spammer", at("2026-11-21 09:00"))
        said = await bot.say("/抽奖 10名 10分", user="admin", when=at("2026-11-21 21:00"))
        assert "1 位成员中抽出 1 位" in said[0]
        assert await lines_of(bot, "draw") == [("spammer", 10)]


async def test_a_spammer_takes_no_notice_red_packet(sqlite_db: str) -> None:
    async with running_bot(sqlite_db, config_from(CONFIG)) as bot:
        await _spam_to_removal(bot, "spammer", at("2026-11-21 09:00"))
        await bot.say("/通知 今晚八点分享会", user="admin", when=at("2026-11-21 10:00"))
        assert await bot.say("收到", user="spammer", when=at("2026-11-21 10:01")) == []
        took = await bot.say("收到", user="bob", when=at("2026-11-21 10:02"))
        assert took[0].startswith("🧧 抢到通知红包 +5 分（1/5）")
        assert await lines_of(bot, "notice") == [("bob", 5)]


BARRED = (
    "这位成员近期有未处理的广告违规，暂时不能领取红包和奖励。"
    "可以用 /违规 @成员 查看记录；确认是误判的话，加入白名单后再发。"
)


async def test_a_red_packet_to_a_spammer_is_refused_to_the_admin_only(db_url: str) -> None:
    async with running_bot(db_url, config_from(CONFIG)) as bot:
        await bot.say("今天写了两千字", user="bob", when=at("2026-11-21 08:00"))
        await _spam_to_removal(bot, "spammer", at("2026-11-21 09:00"))
        before = len(bot.sender.sent)
        r = await bot.say(
            "/红包 @spammer 20 辛苦了",
            user="admin",
            mentions=("spammer",),
            when=at("2026-11-21 10:00"),
        )
        assert r == [BARRED]
        (sent,) = bot.sender.sent[before:]
        assert sent.mentions == ("admin",)  # a reply to the admin; nobody else is mentioned
        assert await lines_of(bot, "reward") == []
        # /积分 stays the admins' correction, for violators too
        r = await bot.say(
            "/积分 @spammer +5 更正",
            user="admin",
            mentions=("spammer",),
            when=at("2026-11-21 10:01"),
        )
        assert r == ["积分调整：+5（更正），当前积分 5"]
        r = await bot.say(
            "/红包 @bob 20 好文", user="admin", mentions=("bob",), when=at("2026-11-21 10:02")
        )
        assert r[0].startswith("🧧 admin 发来一个红包：+20 分")
        # whitelisted after a false alarm: a red packet sent afterwards is paid
        await bot.say(
            "/白名单 @spammer", user="admin", mentions=("spammer",), when=at("2026-11-21 10:03")
        )
        r = await bot.say(
            "/红包 @spammer 20 辛苦了",
            user="admin",
            mentions=("spammer",),
            when=at("2026-11-21 10:04"),
        )
        assert r[0].startswith("🧧 admin 发来一个红包：+20 分")
        assert await lines_of(bot, "reward") == [("bob", 20), ("spammer", 20)]


async def test_a_spammer_wins_no_quiz_and_the_round_stays_open(db_url: str) -> None:
    async with running_bot(db_url, config_from(CONFIG)) as bot:
        await _spam_to_removal(bot, "spammer", at("2026-11-21 09:00"))
        await bot.say("/抢答 1+1=? | 2", user="admin", when=at("2026-11-21 10:00"))
        assert await bot.say("2", user="spammer", when=at("2026-11-21 10:00:05")) == []
        won = await bot.say("2", user="bob", when=at("2026-11-21 10:00:06"))
        assert won[0].startswith("🎉 恭喜抢答成功！答案：2\n+20 分")
        assert await lines_of(bot, "quiz") == [("bob", 20)]


async def test_red_packets_and_quizzes_pay_spammers_when_the_exclusion_is_off(
    sqlite_db: str,
) -> None:
    text = CONFIG.replace(
        "  rewards:", "  nudge: {spam: {exclude_from_rewards: false}}\n  rewards:"
    )
    async with running_bot(sqlite_db, config_from(text)) as bot:
        await _spam_to_removal(bot, "spammer", at("2026-11-21 09:00"))
        r = await bot.say(
            "/红包 @spammer 20 辛苦了",
            user="admin",
            mentions=("spammer",),
            when=at("2026-11-21 10:00"),
        )
        assert r[0].startswith("🧧 admin 发来一个红包：+20 分")
        await bot.say("/抢答 1+1=? | 2", user="admin", when=at("2026-11-21 10:01"))
        won = await bot.say("2", user="spammer", when=at("2026-11-21 10:01:05"))
        assert won[0].startswith("🎉 恭喜抢答成功")
        assert await lines_of(bot, "reward") == [("spammer", 20)]
        assert await lines_of(bot, "quiz") == [("spammer", 20)]


async def test_a_spammer_gets_no_camp_points(db_url: str) -> None:
    async with running_bot(db_url, config_from(CONFIG)) as bot:
        for member in ["alice", "spammer"]:
            await bot.say("/报名 early", user=member, when=at("2026-11-15 10:00"))
            await bot.say("打卡 今天写了五百字", user=member, when=at("2026-11-16 06:00"))
        await _spam_to_removal(bot, "spammer", at("2026-11-16 09:00"))
        (review,) = await bot.say(
            "/点评 @spammer 不错",
            user="admin",
            mentions=("spammer",),
            when=at("2026-11-16 12:00"),
        )
        assert review == "📝 你在「早起营」第 1 天的作业收到了 admin 的点评"
        (excellent,) = await bot.say(
            "/优秀 @spammer", user="admin", mentions=("spammer",), when=at("2026-11-16 12:01")
        )
        assert excellent == "🌟 「早起营」第 1 天的作业被评为优秀作业，已收录为精华 #1！"
        (paid,) = await bot.say(
            "/点评 @alice 不错", user="admin", mentions=("alice",), when=at("2026-11-16 12:02")
        )
        assert paid.endswith("+5 分（当前积分 15）")
        camp_lines = [
            (ln.member_id, ln.delta)
            for ln in await ledger_lines(bot)
            if ln.kind.startswith("camp_")
        ]
        assert camp_lines == [("alice", 5)]


PAYOUT_CONFIG = """
timezone: Asia/Shanghai
admins: [admin]
storage: {url: "sqlite:///bot.db"}
groups:
  writers: {name: 写作群}
"""


async def _populate(config_path: Path) -> None:
    config = load_config(config_path)
    async with running_bot(config.storage_url, config) as bot:
        for member in ["bob", "spammer"]:
            async with bot.app.uow() as uow:
                await uow.ledger.append(
                    group_id="writers",
                    member_id=member,
                    delta=10,
                    kind="draw",
                    reason="test",
                    at=at("2026-11-21 08:00"),
                )
        for i, ad in enumerate(ADS):
            await bot.say(ad, user="spammer", group="writers", when=at(f"2026-11-22 09:0{i}"))


@pytest.fixture
def payout_config(tmp_path: Path) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(PAYOUT_CONFIG, encoding="utf-8")
    asyncio.run(_populate(path))
    return path


def test_payouts_leave_out_a_spammer(
    payout_config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["payouts", "--since", "2026-11-21", "--format", "csv"]
    assert main([*args, "--config", str(payout_config)]) == 0
    captured = capsys.readouterr()
    assert captured.out.splitlines() == [
        "group_id,group_name,member_id,name,reward,quiz,notice,draw,total",
        "writers,写作群,bob,,0,0,0,10,10",
    ]
    assert "withheld: writers spammer (10 points): open spam violations" in captured.err

"""The round rule: a message counts only for a round that was open at the message's own time."""

from __future__ import annotations

import json

from sqlalchemy import select

from bot.replay import run_replay
from storage.models import RewardDraw
from storage.rounds import RoundWindow
from tests.rewards_support import assert_ledger_consistent, lines_of, rewards_config
from tests.support import at, msg, running_bot

DAYS_ONE_AND_TWO = """\
2026-11-21T19:00:00 g1 coach#d1-notice: /通知 今晚分享会 前1名 5分 限时1440分钟
2026-11-21T19:00:10 g1 bob#d1-bob: 收到
2026-11-21T20:00:00 g1 coach#d1-quiz: /抢答 中国的首都是？ | 北京 20分 限时1440分钟
2026-11-21T20:00:10 g1 carol#d1-carol: 北京
2026-11-22T19:00:00 g1 coach#d2-notice: /通知 明晚分享会 前1名 5分 限时1440分钟
2026-11-22T20:00:00 g1 coach#d2-quiz: /抢答 中国的首都是？ | 北京 20分 限时1440分钟
"""

# After a restart the platform redelivers bob's and carol's day-1 messages (same ids, their
# original times), then the day-2 rounds get their rightful replies.
REDELIVERED_THEN_DAY_TWO = """\
2026-11-21T19:00:10 g1 bob#d1-bob: 收到
2026-11-21T20:00:10 g1 carol#d1-carol: 北京
2026-11-22T20:30:00 g1 dave#d2-dave: 收到
2026-11-22T20:30:05 g1 erin#d2-erin: 北京
"""


def test_the_window_is_half_open() -> None:
    window = RoundWindow(at("2026-11-21 20:00"), at("2026-11-21 20:05"))
    assert window.contains(at("2026-11-21 20:00"))
    assert window.contains(at("2026-11-21 20:04:59"))
    assert not window.contains(at("2026-11-21 19:59:59"))
    assert not window.contains(at("2026-11-21 20:05"))  # the deadline itself is too late


async def test_redelivered_old_messages_do_not_win_later_rounds(db_url: str) -> None:
    config = rewards_config()
    first = await run_replay(DAYS_ONE_AND_TWO, config, db_url)
    assert next(m.text for m in first if m.mentions == ("bob",)).startswith("🧧 抢到通知红包")
    assert next(m.text for m in first if m.mentions == ("carol",)).startswith("🎉 恭喜抢答成功")
    second = await run_replay(REDELIVERED_THEN_DAY_TWO, config, db_url)
    paid_again = [m for m in second if m.mentions in (("bob",), ("carol",))]
    assert paid_again == []
    to_dave = [m.text for m in second if m.mentions == ("dave",)]
    to_erin = [m.text for m in second if m.mentions == ("erin",)]
    assert to_dave == [
        "🧧 抢到通知红包 +5 分（1/1），当前积分 5",
        "🧧 通知红包已领完（1/1），以下成员各得 5 分：\n1. dave",
    ]
    assert to_erin == ["🎉 恭喜抢答成功！答案：北京\n+20 分，当前积分 20"]
    async with running_bot(db_url, config, start=at("2026-11-23 09:00")) as bot:
        assert await lines_of(bot, "notice") == [("bob", 5), ("dave", 5)]
        assert await lines_of(bot, "quiz") == [("carol", 20), ("erin", 20)]
        await assert_ledger_consistent(bot)


async def test_a_late_draw_ignores_messages_sent_after_it(db_url: str) -> None:
    async with running_bot(db_url, rewards_config()) as bot:
        await bot.push(msg("早上好", user="bob", when=at("2026-11-21 08:00")))
        await bot.push(msg("晚上好", user="zed", when=at("2026-11-21 21:00")))
        # the draw command was sent at 20:00 but is handled after zed's 21:00 message
        draw = msg("/抽奖 2名 5分", user="coach", when=at("2026-11-21 20:00"), mid="late-draw")
        await bot.app.handle(draw)
        async with bot.app.uow() as uow:
            (row,) = (await uow.session.execute(select(RewardDraw))).scalars()
        assert json.loads(row.candidates) == ["bob"]
        assert await lines_of(bot, "draw") == [("bob", 5)]

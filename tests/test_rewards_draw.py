"""Lucky draws (抽奖): today's active members, a recorded seed, re-derivable winners."""

from __future__ import annotations

import json

from sqlalchemy import select

from handlers.rewards_draw import DRAW_METHOD, draw_seed, pick_winners, verify_draw
from storage.models import RewardDraw
from tests.rewards_support import assert_ledger_consistent, lines_of, rewards_config
from tests.support import at, msg, running_bot

DRAW_USAGE = "用法：/抽奖 N名 M分，例如：/抽奖 3名 10分"


def test_pick_winners_is_a_stable_function_of_seed_and_candidates() -> None:
    people = [f"u{i}" for i in range(10)]
    # A golden value: changing the algorithm would make stored draws unverifiable.
    assert pick_winners(12345, people, 3) == ["u4", "u1", "u8"]
    assert pick_winners(12345, list(reversed(people)), 3) == ["u4", "u1", "u8"]  # order-free
    assert pick_winners(12345, people, 30)[:3] == ["u4", "u1", "u8"]  # all of them, same start
    assert sorted(pick_winners(12345, people, 30)) == people
    assert len(set(pick_winners(7, people, 10))) == 10
    assert pick_winners(7, [], 3) == []
    assert draw_seed("draw:g1:m1") == draw_seed("draw:g1:m1") < 2**60


async def test_audited_draw_among_todays_active_members(db_url: str) -> None:
    async with running_bot(db_url, rewards_config()) as bot:
        await bot.push(msg("昨天的消息", user="old", when=at("2026-11-20 22:00")))
        await bot.push(msg("打卡", user="zoe", when=at("2026-11-20 23:00")))  # yesterday only
        for user in ["bob", "carol", "dave", "erin"]:
            await bot.push(msg("早上好", user=user, when=at("2026-11-21 08:00")))
        await bot.push(msg("打卡", user="frank", when=at("2026-11-21 08:30")))
        await bot.push(msg("大家好", user="coach", when=at("2026-11-21 08:40")))  # an admin
        other_group = msg("你好", user="gina", group="ny", when=at("2026-11-21 08:40"))
        await bot.push(other_group)
        # another group drew first: this group's first draw is still its 第 1 次 (members
        # see the ordinal in their group, not a row id that may skip)
        await bot.push(msg("早", user="hank", group="ny", when=at("2026-11-21 19:00")))
        await bot.push(msg("/抽奖 1名 5分", user="admin", group="ny", when=at("2026-11-21 20:00")))
        r = await bot.push(
            msg("/抽奖 3名 10分", user="admin", when=at("2026-11-21 21:00"), mid="d-1")
        )
        async with bot.app.uow() as uow:
            draw = (
                await uow.session.execute(select(RewardDraw).where(RewardDraw.group_id == "g1"))
            ).scalar_one()
        candidates = json.loads(draw.candidates)
        winners = json.loads(draw.winners)
        assert candidates == ["bob", "carol", "dave", "erin", "frank"]
        assert (draw.method, draw.wanted, draw.points, draw.created_by) == (
            DRAW_METHOD,
            3,
            10,
            "admin",
        )
        assert draw.seed == draw_seed("draw:g1:d-1")
        # the audit: re-running the draw from the stored seed and candidates gives the winners
        assert pick_winners(draw.seed, candidates, draw.wanted) == winners
        assert verify_draw(draw)
        assert len(set(winners)) == 3 and set(winners) <= set(candidates)
        assert draw.id == 2
        assert r == [
            "🎲 抽奖结果：从今天发言或打卡的 5 位成员中抽出 3 位，各得 10 分！\n"
            f"🧧 {'、'.join(winners)}\n"
            f"（本群第 1 次抽奖，随机种子 {draw.seed}，可复核）"
        ]
        assert bot.sender.sent[-1].mentions == tuple(winners)
        assert await lines_of(bot, "draw") == [("hank", 5)] + [(w, 10) for w in winners]
        # redelivered: no second draw, no second payment
        again = msg("/抽奖 3名 10分", user="admin", when=at("2026-11-21 21:00"), mid="d-1")
        bot.app.router.seen = type(bot.app.router.seen)()  # as after a restart
        assert await bot.push(again) == []
        assert len(await lines_of(bot, "draw")) == 4
        await assert_ledger_consistent(bot)


async def test_fewer_candidates_than_places_and_nobody_active(sqlite_db: str) -> None:
    async with running_bot(sqlite_db, rewards_config()) as bot:
        r = await bot.push(msg("/抽奖 2名 10分", user="admin", when=at("2026-11-21 07:00")))
        assert r == ["今天还没有可以参与抽奖的成员（发言或打卡过的成员才能参与）。"]
        await bot.push(msg("在吗", user="bob", when=at("2026-11-21 08:00")))
        r = await bot.push(msg("/draw 5 20", user="admin", when=at("2026-11-21 09:00")))
        assert "从今天发言或打卡的 1 位成员中抽出 1 位，各得 20 分" in r[0]
        assert await lines_of(bot, "draw") == [("bob", 20)]


async def test_malformed_draw_commands(sqlite_db: str) -> None:
    async with running_bot(sqlite_db, rewards_config()) as bot:

        async def ask(text: str, user: str = "admin") -> list[str]:
            return await bot.push(msg(text, user=user, when=at("2026-11-21 09:00")))

        assert await ask("/抽奖") == [f"请写明抽几名、每人几分。\n{DRAW_USAGE}"]
        assert await ask("/抽奖 三名 10分") == [f"请写明抽几名、每人几分。\n{DRAW_USAGE}"]
        assert await ask("/抽奖 9名 10分") == [f"一次最多抽 5 名，至少 1 名。\n{DRAW_USAGE}"]
        assert await ask("/抽奖 2名 99分") == [f"每人积分要在 1 到 50 之间。\n{DRAW_USAGE}"]
        assert await ask("/抽奖 2名 10分", user="bob") == ["抱歉，这个命令只有管理员可以使用。"]

"""Quiz rounds (抢答): one winner decided in the database, reveals, bank, restarts."""

from __future__ import annotations

import asyncio
from datetime import datetime

from apscheduler.triggers.date import DateTrigger
from sqlalchemy import select

from bot.app import App
from bot.clock import FakeClock
from bot.sender import RecordingSender
from handlers.rewards import start_quiz_from_bank
from handlers.rewards_state import RewardsService, normalize_answer
from storage.models import RewardQuiz
from tests.rewards_support import assert_ledger_consistent, lines_of, rewards_config
from tests.support import at, msg, running_bot

QUIZ_USAGE = "用法：/抢答 题目 | 答案[|答案2…] [N分] [限时M分钟]，或只发 /抢答 从题库出题"


async def quizzes(bot_app: App) -> list[RewardQuiz]:
    async with bot_app.uow() as uow:
        return list(
            (await uow.session.execute(select(RewardQuiz).order_by(RewardQuiz.id))).scalars()
        )


def test_answers_are_normalised() -> None:
    assert normalize_answer("ＢＥＩ　Ｊｉｎｇ！") == "beijing"
    assert normalize_answer(" bei jing。") == "beijing"
    assert normalize_answer("@小助手 Beijing~") == "beijing"
    assert normalize_answer("《红楼梦》") == "红楼梦"
    assert normalize_answer("４２") == "42"
    assert normalize_answer("C++") == "c++"
    assert normalize_answer("北京市") != normalize_answer("北京")


async def test_two_answers_in_the_same_second_make_one_winner(db_url: str) -> None:
    async with running_bot(db_url, rewards_config()) as bot:
        r = await bot.push(
            msg(
                "/抢答 中国的首都是？ | 北京 | Beijing 30分 限时3分钟",
                user="coach",
                when=at("2026-11-21 20:00"),
            )
        )
        assert r == [
            "🧧 抢答红包来啦！\n题目：中国的首都是？\n第一个答对的成员得 30 分，限时 3 分钟，直接在群里回复答案～"
        ]
        assert await bot.push(msg("上海", user="dave", when=at("2026-11-21 20:00:05"))) == []
        same = at("2026-11-21 20:00:09")
        first = await bot.push(msg("ＢＥＩＪＩＮＧ！", user="bob", when=same))
        second = await bot.push(msg("北京", user="carol", when=same))
        assert first == ["🎉 恭喜抢答成功！答案：北京\n+30 分，当前积分 30"]
        assert bot.sender.sent[-1].mentions == ("bob",)
        assert second == []
        # the deadline passes: no reveal, the round was won
        assert await bot.push(msg("北京", user="erin", when=at("2026-11-21 20:10"))) == []
        (quiz,) = await quizzes(bot.app)
        assert (quiz.status, quiz.winner_id, quiz.points) == ("won", "bob", 30)
        assert await lines_of(bot, "quiz") == [("bob", 30)]
        assert await assert_ledger_consistent(bot) == {("g1", "bob"): 30}


async def test_winner_is_decided_once_in_the_database_across_two_processes(db_url: str) -> None:
    """Two bot processes share the database; each holds the open round in memory."""
    config = rewards_config()
    clock = FakeClock(at("2026-11-21 20:00"))
    one = App(config, sender=RecordingSender(clock), clock=clock, db_url=db_url)
    await one.start()
    two = App(config, sender=RecordingSender(clock), clock=clock, db_url=db_url)
    try:
        await one.handle(msg("/抢答 1+1=? | 2", user="coach", when=at("2026-11-21 20:00")))
        await two.start(migrate_db=False)  # loads the open round from the database
        assert set(two.services.get(RewardsService).quizzes) == {"g1"}
        clock.set(at("2026-11-21 20:00:03"))
        a = msg("2", user="bob", when=at("2026-11-21 20:00:03"))
        b = msg("２", user="carol", when=at("2026-11-21 20:00:03"))
        if db_url.startswith("postgresql"):
            await asyncio.gather(one.handle(a), two.handle(b))  # truly concurrent transactions
        else:
            await one.handle(a)  # one SQLite writer at a time: the second finds it decided
            await two.handle(b)
        sent = [m for app in (one, two) for m in app.sender.sent if "恭喜" in m.text]  # type: ignore[attr-defined]
        assert len(sent) == 1
        async with one.uow() as uow:
            rows = list((await uow.session.execute(select(RewardQuiz))).scalars())
        assert len(rows) == 1 and rows[0].winner_id in ("bob", "carol")
        assert sent[0].mentions == (rows[0].winner_id,)
        # both processes stopped matching the round
        assert not one.services.get(RewardsService).quizzes
        assert not two.services.get(RewardsService).quizzes
    finally:
        await two.close()
        await one.close()
    async with running_bot(db_url, config, start=at("2026-11-21 20:01")) as bot:
        assert len(await lines_of(bot, "quiz")) == 1
        await assert_ledger_consistent(bot)


async def test_timed_out_quiz_reveals_the_answer_once(db_url: str) -> None:
    async with running_bot(db_url, rewards_config()) as bot:
        await bot.push(
            msg(
                "/quiz 《红楼梦》的作者是？ | 曹雪芹 限时2分钟",
                user="admin",
                when=at("2026-11-21 20:00"),
            )
        )
        assert await bot.push(msg("高鹗", user="bob", when=at("2026-11-21 20:01"))) == []
        await bot.app.scheduler.run_due(at("2026-11-21 20:02"), on_fire=bot.clock.set)
        assert (
            bot.sender.texts()[-1]
            == "⏰ 抢答时间到，没有人答对。\n题目：《红楼梦》的作者是？\n答案：曹雪芹"
        )
        assert bot.clock.now() == at("2026-11-21 20:02")
        count = len(bot.sender.sent)
        assert await bot.push(msg("曹雪芹", user="bob", when=at("2026-11-21 20:02:30"))) == []
        await bot.app.scheduler.run_due(at("2026-11-21 21:00"))
        assert len(bot.sender.sent) == count  # revealed once
        (quiz,) = await quizzes(bot.app)
        assert (quiz.status, quiz.winner_id) == ("expired", None)
        assert await lines_of(bot, "quiz") == []


async def test_the_admin_who_asked_cannot_win_but_another_admin_can(sqlite_db: str) -> None:
    async with running_bot(sqlite_db, rewards_config()) as bot:
        await bot.push(msg("/抢答 2+2=? | 4", user="coach", when=at("2026-11-21 20:00")))
        assert await bot.push(msg("4", user="coach", when=at("2026-11-21 20:00:01"))) == []
        assert "恭喜" in (await bot.push(msg("4", user="admin", when=at("2026-11-21 20:00:02"))))[0]


async def test_open_quiz_survives_a_restart_and_overdue_reveal_fires(sqlite_db: str) -> None:
    config = rewards_config()
    async with running_bot(sqlite_db, config) as bot:
        await bot.push(msg("/抢答 2+2=? | 4 限时10分钟", user="coach", when=at("2026-11-21 20:00")))
    async with running_bot(sqlite_db, config, start=at("2026-11-21 20:05")) as bot:
        # "四" is not an accepted answer of this round; "4" is
        assert await bot.push(msg("四", user="bob", when=at("2026-11-21 20:05"))) == []
        assert "恭喜" in (await bot.push(msg("4", user="bob", when=at("2026-11-21 20:06"))))[0]
    async with running_bot(sqlite_db, config) as bot:
        await bot.push(msg("/抢答 3+3=? | 6 限时1分钟", user="coach", when=at("2026-11-21 21:00")))
    # the bot was down past the deadline: the reveal fires at the next scheduler run
    async with running_bot(sqlite_db, config, start=at("2026-11-21 22:00")) as bot:
        await bot.app.scheduler.run_due(bot.clock.now())
        assert bot.sender.texts() == ["⏰ 抢答时间到，没有人答对。\n题目：3+3=?\n答案：6"]
        assert await lines_of(bot, "quiz") == [("bob", 20)]


async def test_bank_questions_rotate_and_a_second_round_waits(sqlite_db: str) -> None:
    async with running_bot(sqlite_db, rewards_config()) as bot:
        r = await bot.push(msg("/抢答", user="coach", when=at("2026-11-21 20:00")))
        assert "题目：中国的首都是哪座城市？" in r[0] and "得 20 分" in r[0]
        r = await bot.push(msg("/抢答 题库", user="coach", when=at("2026-11-21 20:01")))
        assert r == ["还有一道抢答题没有结束，等它结束后再出新题吧。"]
        assert "恭喜" in (await bot.push(msg("北京市", user="bob", when=at("2026-11-21 20:02"))))[0]
        r = await bot.push(msg("/抢答", user="coach", when=at("2026-11-21 20:03")))
        assert "题目：一年有几个季节？" in r[0] and "得 30 分" in r[0]
        assert "+30 分" in (await bot.push(msg("４", user="carol", when=at("2026-11-21 20:04"))))[0]
        r = await bot.push(msg("/抢答", user="coach", when=at("2026-11-21 20:05")))
        assert "题目：中国的首都是哪座城市？" in r[0]  # the least recently asked comes back


async def test_a_scheduled_job_starts_a_bank_quiz_once(sqlite_db: str) -> None:
    started: list[bool] = []
    async with running_bot(sqlite_db, rewards_config()) as bot:

        async def ritual(fire: datetime) -> None:
            started.append(await start_quiz_from_bank(bot.app.context("g1"), fire))

        fire = at("2026-11-21 21:00")
        bot.app.scheduler.set_job("test:ritual", DateTrigger(run_date=fire), ritual)
        await bot.app.scheduler.run_due(fire, on_fire=bot.clock.set)
        assert started == [True]
        assert "题目：中国的首都是哪座城市？" in bot.sender.texts()[-1]
        # a retried job (same fire time) starts nothing; a busy group starts nothing
        assert await start_quiz_from_bank(bot.app.context("g1"), fire) is False
        assert await start_quiz_from_bank(bot.app.context("g1"), at("2026-11-21 21:01")) is False
        assert "恭喜" in (await bot.push(msg("北京", user="bob", when=at("2026-11-21 21:02"))))[0]
        (quiz,) = await quizzes(bot.app)
        assert (quiz.source, quiz.created_by, quiz.winner_id) == ("job", None, "bob")
        lines = await lines_of(bot, "quiz")
        assert lines == [("bob", 20)]


async def test_malformed_quiz_commands_get_usage_hints(sqlite_db: str) -> None:
    config = rewards_config("admins: [admin]\n")
    async with running_bot(sqlite_db, config) as bot:

        async def ask(text: str) -> list[str]:
            return await bot.push(msg(text, user="admin", when=at("2026-11-21 20:00")))

        assert await ask("/抢答 中国的首都是哪里") == [f"题目和答案之间用 | 隔开。\n{QUIZ_USAGE}"]
        assert await ask("/抢答 | 北京") == [f"请写上题目。\n{QUIZ_USAGE}"]
        assert await ask("/抢答 首都？ | 20分") == [f"请至少写一个答案。\n{QUIZ_USAGE}"]
        assert await ask("/抢答 首都？ | 北京 999分") == [
            f"奖励积分要在 1 到 200 之间。\n{QUIZ_USAGE}"
        ]
        assert await ask("/抢答 首都？ | 北京 限时0分钟") == [
            f"限时要在 1 到 1440 分钟之间。\n{QUIZ_USAGE}"
        ]
        assert await ask("/抢答") == [
            f"题库是空的：请写上题目和答案，或在配置文件的抢答题库里添加题目。\n{QUIZ_USAGE}"
        ]
        r = await bot.push(msg("/抢答 首都？ | 北京", user="bob", when=at("2026-11-21 20:00")))
        assert r == ["抱歉，这个命令只有管理员可以使用。"]
        assert await quizzes(bot.app) == []


async def test_answer_matching_does_not_touch_the_database_for_other_messages(
    sqlite_db: str,
) -> None:
    """Chatter while a round is open costs no rewards query (only a match does)."""
    from sqlalchemy import event

    async with running_bot(sqlite_db, rewards_config()) as bot:
        await bot.push(msg("/抢答 2+2=? | 4", user="coach", when=at("2026-11-21 20:00")))
        statements: list[str] = []

        def count(*args: object) -> None:
            statements.append(str(args[2]))

        event.listen(bot.app.engine.sync_engine, "before_cursor_execute", count)
        try:
            for i in range(20):
                await bot.push(msg(f"闲聊 {i}", user="bob", when=at("2026-11-21 20:01")))
        finally:
            event.remove(bot.app.engine.sync_engine, "before_cursor_execute", count)
        assert [s for s in statements if "reward_" in s or "ledger" in s] == []
        assert "恭喜" in (await bot.push(msg("4", user="bob", when=at("2026-11-21 20:02"))))[0]


async def test_a_late_job_gives_members_the_full_time(sqlite_db: str) -> None:
    async with running_bot(sqlite_db, rewards_config(), start=at("2026-11-21 21:30")) as bot:
        # a ritual due at 21:00 catches up at 21:30 (the bot was down)
        assert await start_quiz_from_bank(bot.app.context("g1"), at("2026-11-21 21:00"))
        (quiz,) = await quizzes(bot.app)
        assert (quiz.started_at, quiz.deadline) == (at("2026-11-21 21:30"), at("2026-11-21 21:35"))
        assert "恭喜" in (await bot.push(msg("北京", user="bob", when=at("2026-11-21 21:34"))))[0]


async def test_a_paused_group_gets_no_scheduled_reveal(sqlite_db: str) -> None:
    async with running_bot(sqlite_db, rewards_config()) as bot:
        await bot.push(msg("/quiz 2+2=? | 4 限时2分钟", user="admin", when=at("2026-11-21 20:00")))
        await bot.push(msg("/pause", user="admin", when=at("2026-11-21 20:01")))
        count = len(bot.sender.sent)
        await bot.app.scheduler.run_due(at("2026-11-21 20:05"), on_fire=bot.clock.set)
        assert len(bot.sender.sent) == count  # the reveal job ran but posted nothing
        (quiz,) = await quizzes(bot.app)
        assert quiz.status == "expired"

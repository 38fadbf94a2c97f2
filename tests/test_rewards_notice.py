"""Notice red packets (通知红包): first N keyword replies get points, once each."""

from __future__ import annotations

from sqlalchemy import select

from handlers.rewards_state import RewardsService, is_notice_reply
from storage.models import RewardNotice, RewardNoticeClaim
from tests.rewards_support import assert_ledger_consistent, lines_of, rewards_config
from tests.support import at, msg, running_bot

NOTICE_USAGE = "用法：/通知 内容 [前N名] [M分] [限时M分钟]，例如：/通知 今晚八点分享会 前10名 5分"


def test_keyword_replies() -> None:
    keys = ["收到"]
    for text in ["收到", "收到！", "收到啦～", "收到收到", " 收到。", "@小助手 收到"]:
        assert is_notice_reply(text, keys), text
    for text in ["收到了吗，什么时候开始", "没收到", "收", "好的", "收到请回复"]:
        assert not is_notice_reply(text, keys), text
    assert is_notice_reply("OK!", ["收到", "ok"])


async def test_more_repliers_than_places(db_url: str) -> None:
    async with running_bot(db_url, rewards_config()) as bot:
        r = await bot.push(
            msg(
                "/通知 今晚八点线上分享会\n主题：如何写好开头 前3名 8分",
                user="coach",
                when=at("2026-11-21 19:00"),
            )
        )
        assert r == [
            "📢 通知\n今晚八点线上分享会\n主题：如何写好开头\n\n"
            "🧧 通知红包：前 3 位回复「收到」的成员各得 8 分（30 分钟内有效）"
        ]
        assert await bot.push(msg("收到", user="coach", when=at("2026-11-21 19:00:01"))) == []
        replies = {}
        for i, user in enumerate(["bob", "carol", "bob", "dave", "erin", "frank"]):
            replies[(user, i)] = await bot.push(
                msg("收到！", user=user, when=at("2026-11-21 19:00:05"))
            )
        assert replies[("bob", 0)] == ["🧧 抢到通知红包 +8 分（1/3），当前积分 8"]
        assert replies[("carol", 1)] == ["🧧 抢到通知红包 +8 分（2/3），当前积分 8"]
        assert replies[("bob", 2)] == []  # once each
        assert replies[("dave", 3)] == [
            "🧧 抢到通知红包 +8 分（3/3），当前积分 8",
            "🧧 通知红包已领完（3/3），以下成员各得 8 分：\n1. bob\n2. carol\n3. dave",
        ]
        assert bot.sender.sent[-1].mentions == ("bob", "carol", "dave")
        assert replies[("erin", 4)] == [] and replies[("frank", 5)] == []
        # the deadline passes: the closing list was posted once already
        count = len(bot.sender.sent)
        await bot.app.scheduler.run_due(at("2026-11-21 20:00"))
        assert len(bot.sender.sent) == count
        assert await lines_of(bot, "notice") == [("bob", 8), ("carol", 8), ("dave", 8)]
        async with bot.app.uow() as uow:
            notice = (await uow.session.execute(select(RewardNotice))).scalar_one()
        assert (notice.status, notice.claimed, notice.places) == ("closed", 3, 3)
        await assert_ledger_consistent(bot)


async def test_time_up_closes_with_whoever_replied(sqlite_db: str) -> None:
    async with running_bot(sqlite_db, rewards_config()) as bot:
        await bot.push(
            msg("/notice 明天停课一天 限时10分钟", user="admin", when=at("2026-11-21 19:00"))
        )
        assert (
            "前 3 位" in bot.sender.texts()[-1]
            and "各得 5 分（10 分钟内有效）" in bot.sender.texts()[-1]
        )
        assert await bot.push(msg("好的", user="bob", when=at("2026-11-21 19:01"))) == []
        assert len(await bot.push(msg("收到啦", user="carol", when=at("2026-11-21 19:02")))) == 1
        r = await bot.push(msg("收到", user="dave", when=at("2026-11-21 19:10:01")))
        assert r == [
            "⏰ 通知红包已结束（1/3），以下成员各得 5 分：\n1. carol"
        ]  # posted by the job first
        assert await lines_of(bot, "notice") == [("carol", 5)]


async def test_nobody_replied(sqlite_db: str) -> None:
    async with running_bot(sqlite_db, rewards_config()) as bot:
        await bot.push(msg("/通知 周末休息", user="admin", when=at("2026-11-21 19:00")))
        await bot.app.scheduler.run_due(at("2026-11-21 19:30"))
        assert bot.sender.texts()[-1] == "⏰ 通知红包已结束，没有成员领取。"


async def test_open_notice_survives_restart_with_its_claims(sqlite_db: str) -> None:
    config = rewards_config()
    async with running_bot(sqlite_db, config) as bot:
        await bot.push(msg("/通知 交作业啦 前2名", user="coach", when=at("2026-11-21 19:00")))
        await bot.push(msg("收到", user="bob", when=at("2026-11-21 19:01"), mid="m-bob"))
    async with running_bot(sqlite_db, config, start=at("2026-11-21 19:02")) as bot:
        service = bot.app.services.get(RewardsService)
        assert service.notices["g1"].claimed == {"bob"}
        # bob's message is redelivered after the restart: no second place, no second line
        assert (
            await bot.push(msg("收到", user="bob", when=at("2026-11-21 19:01"), mid="m-bob")) == []
        )
        r = await bot.push(msg("收到", user="carol", when=at("2026-11-21 19:03")))
        assert r[-1] == "🧧 通知红包已领完（2/2），以下成员各得 5 分：\n1. bob\n2. carol"
        assert await lines_of(bot, "notice") == [("bob", 5), ("carol", 5)]
        async with bot.app.uow() as uow:
            claims = list((await uow.session.execute(select(RewardNoticeClaim))).scalars())
        assert [c.member_id for c in claims] == ["bob", "carol"]
        await assert_ledger_consistent(bot)


async def test_a_new_notice_closes_the_previous_one(sqlite_db: str) -> None:
    async with running_bot(sqlite_db, rewards_config()) as bot:
        await bot.push(msg("/通知 第一条", user="coach", when=at("2026-11-21 19:00")))
        await bot.push(msg("收到", user="bob", when=at("2026-11-21 19:01")))
        r = await bot.push(msg("/通知 第二条 前1名", user="coach", when=at("2026-11-21 19:05")))
        assert r[0] == "⏰ 通知红包已结束（1/3），以下成员各得 5 分：\n1. bob"
        assert r[1].startswith("📢 通知\n第二条")
        assert len(await bot.push(msg("收到", user="bob", when=at("2026-11-21 19:06")))) == 2
        assert await lines_of(bot, "notice") == [("bob", 5), ("bob", 5)]


async def test_malformed_notice_commands(sqlite_db: str) -> None:
    async with running_bot(sqlite_db, rewards_config()) as bot:

        async def ask(text: str, user: str = "coach") -> list[str]:
            return await bot.push(msg(text, user=user, when=at("2026-11-21 19:00")))

        assert await ask("/通知") == [f"请写上通知内容。\n{NOTICE_USAGE}"]
        assert await ask("/通知 前3名 5分") == [f"请写上通知内容。\n{NOTICE_USAGE}"]
        assert await ask("/通知 开会 前0名") == [f"名额要在 1 到 200 之间。\n{NOTICE_USAGE}"]
        assert await ask("/通知 开会 500分") == [f"每人积分要在 1 到 50 之间。\n{NOTICE_USAGE}"]
        assert await ask("/通知 开会", user="bob") == ["抱歉，这个命令只有管理员可以使用。"]
        assert not bot.app.services.get(RewardsService).notices

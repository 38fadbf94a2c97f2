"""`/通知 集合 …`: one notice red packet across a set of groups. The announcement reaches
every group once; the first N `收到` across all groups are paid once each, into the ledger
of the group each member replied in; redelivered replies, a restart and a closing by time
change nothing; the closing list goes to every group once."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from storage.models import LedgerEntry, NoticePool, NoticePoolClaim, Violation
from tests.broadcast_support import sets_config
from tests.support import Bot, at, msg, running_bot

CONFIG = """
timezone: Asia/Shanghai
admins: [boss]
defaults:
  rewards:
    notice: {places: 3, points: 5, minutes: 30}
groups:
  g1: {name: 一群, admins: [coach]}
  g2: {name: 二群, admins: [coach]}
  g3: {name: 三群, admins: [coach]}
  g4: {name: 四群}
sets:
  camp: [g1, g2, g3]
"""
T0 = at("2026-12-01 20:00")


async def notice_lines(bot: Bot) -> list[tuple[str, str, int]]:
    async with bot.app.uow() as uow:
        rows = await uow.session.scalars(
            select(LedgerEntry).where(LedgerEntry.kind == "notice").order_by(LedgerEntry.id)
        )
        return [(r.group_id, r.member_id, r.delta) for r in rows]


async def greet(bot: Bot, *who: tuple[str, str]) -> None:
    for group, member in who:
        await bot.push(msg("大家好", user=member, group=group, when=T0 - timedelta(hours=1)))


async def test_the_first_n_replies_across_the_set_are_paid_once_each(db_url: str) -> None:
    config = sets_config(CONFIG)
    async with running_bot(db_url, config, T0 - timedelta(hours=2)) as bot:
        members = [("g1", "a1"), ("g2", "b1"), ("g2", "b2"), ("g3", "c1"), ("g1", "a2")]
        await greet(bot, *members, ("g3", "b1"))
        opened = await bot.say(
            "/通知 camp 明晚读书会改到八点半 前3名 5分", user="coach", group="g1", when=T0
        )
        assert "3 个群共享前 3 个名额" in opened[0]
        await bot.app.scheduler.run_due(T0 + timedelta(seconds=30), on_fire=bot.clock.set)
        announced = [m.group_id for m in bot.sender.sent if "明晚读书会改到八点半" in m.text]
        assert sorted(announced) == ["g1", "g2", "g3"]
        reply = msg("收到", user="b1", group="g2", when=T0 + timedelta(minutes=1))
        first = await bot.push(reply)
        assert first == ["🧧 抢到跨群通知红包 +5 分（1/3），当前积分 5"]
        assert await bot.push(reply) == []  # redelivered
        # b1 again, in another group of the set: one place per member
        assert await bot.say("收到", user="b1", group="g3", when=T0 + timedelta(minutes=2)) == []
        assert await bot.say("收到！", user="c1", group="g3", when=T0 + timedelta(minutes=3))
        assert await bot.say("收到", user="coach", group="g1", when=T0 + timedelta(minutes=3)) == []
        last = await bot.say("收到啦", user="a1", group="g1", when=T0 + timedelta(minutes=4))
        assert last == ["🧧 抢到跨群通知红包 +5 分（3/3），当前积分 5"]
        late = await bot.say("收到", user="b2", group="g2", when=T0 + timedelta(minutes=5))
        assert not any("抢到" in t for t in late)  # (the closing list goes out meanwhile)
        assert await notice_lines(bot) == [("g2", "b1", 5), ("g3", "c1", 5), ("g1", "a1", 5)]
        await bot.app.scheduler.run_due(T0 + timedelta(hours=1), on_fire=bot.clock.set)
        closing = [m for m in bot.sender.sent if "跨群通知红包已领完" in m.text]
        assert sorted(m.group_id for m in closing) == ["g1", "g2", "g3"]
        assert "1. b1（二群）\n2. c1（三群）\n3. a1（一群）" in closing[0].text
        # the admin's delivery report for the announcement
        report = [m for m in bot.sender.sent if "通知红包" in m.text and "已完成" in m.text]
        assert len(report) == 1 and report[0].group_id == "g1"
    # a restart: nothing is paid again, nothing is posted again
    async with running_bot(db_url, config, T0 + timedelta(hours=2)) as bot:
        assert await bot.say("收到", user="a2", group="g1", when=T0 + timedelta(hours=2)) == []
        await bot.app.scheduler.run_due(T0 + timedelta(hours=3), on_fire=bot.clock.set)
        assert bot.sender.sent == []
        assert len(await notice_lines(bot)) == 3


async def test_time_up_closes_the_whole_pool_once(sqlite_db: str) -> None:
    async with running_bot(sqlite_db, sets_config(CONFIG), T0 - timedelta(hours=2)) as bot:
        await greet(bot, ("g2", "b1"))
        await bot.say("/通知 camp 周末停课 前5名 限时10分钟", user="boss", group="g4", when=T0)
        assert await bot.say("收到", user="b1", group="g2", when=T0 + timedelta(minutes=1))
        await bot.app.scheduler.run_due(T0 + timedelta(minutes=30), on_fire=bot.clock.set)
        ended = [m for m in bot.sender.sent if "跨群通知红包已结束" in m.text]
        assert sorted(m.group_id for m in ended) == ["g1", "g2", "g3"]
        assert "（1/5）" in ended[0].text and "b1（二群）" in ended[0].text
        assert await bot.say("收到", user="b1", group="g1", when=T0 + timedelta(minutes=9)) == []
        async with bot.app.uow() as uow:
            pool = (await uow.session.scalars(select(NoticePool))).one()
            claims = list(await uow.session.scalars(select(NoticePoolClaim)))
        assert (pool.status, pool.claimed, len(claims)) == ("closed", 1, 1)


async def test_only_set_admins_open_a_shared_notice(sqlite_db: str) -> None:
    config = sets_config(CONFIG.replace("g3: {name: 三群, admins: [coach]}", "g3: {name: 三群}"))
    async with running_bot(sqlite_db, config, T0) as bot:
        refused = await bot.say("/通知 camp 停课", user="coach", group="g1", when=T0)
        assert "只有" in refused[0] and "跨群通知" in refused[0]
        # a word that names no set is an ordinary notice in this group
        local = await bot.say("/通知 明天停课", user="coach", group="g1", when=T0)
        assert local and local[0].startswith("📢 通知\n明天停课")


async def test_groups_without_the_games_are_left_out(sqlite_db: str) -> None:
    config = sets_config(
        CONFIG.replace(
            "g3: {name: 三群, admins: [coach]}",
            "g3: {name: 三群, admins: [coach], rewards: {enabled: false}}",
        )
    )
    async with running_bot(sqlite_db, config, T0 - timedelta(hours=2)) as bot:
        await greet(bot, ("g3", "c1"), ("g2", "b1"))
        opened = await bot.say("/通知 camp 停课一天", user="boss", group="g1", when=T0)
        assert "2 个群共享" in opened[0]
        await bot.app.scheduler.run_due(T0 + timedelta(seconds=30), on_fire=bot.clock.set)
        announced = sorted(m.group_id for m in bot.sender.sent if "停课一天" in m.text)
        assert announced == ["g1", "g2"]
        assert await bot.say("收到", user="c1", group="g3", when=T0 + timedelta(minutes=1)) == []
        assert await bot.say("收到", user="b1", group="g2", when=T0 + timedelta(minutes=1))
        assert await notice_lines(bot) == [("g2", "b1", 5)]


async def test_a_spammer_takes_no_place_in_a_shared_notice(sqlite_db: str) -> None:
    from tests.test_rewards_spam_exclusion import ADS

    async with running_bot(sqlite_db, sets_config(CONFIG), T0 - timedelta(hours=2)) as bot:
        await greet(bot, ("g2", "b1"))
        for i, ad in enumerate(ADS):  # three ads: asked to leave, an open violation
            await bot.say(ad, user="spammer", group="g2", when=T0 - timedelta(minutes=30 - i))
        async with bot.app.uow() as uow:
            actions = (await uow.session.execute(select(Violation.action))).scalars().all()
        assert actions[-1] == "ask_remove"
        await bot.say("/通知 camp 周末停课 前2名", user="boss", group="g1", when=T0)
        said = await bot.say("收到", user="spammer", group="g2", when=T0 + timedelta(minutes=1))
        assert not any("抢到" in t for t in said)
        assert await bot.say("收到", user="b1", group="g2", when=T0 + timedelta(minutes=2))
        assert await notice_lines(bot) == [("g2", "b1", 5)]

"""Q&A through the real router and storage: answers, silence, the backlog loop, cooldown."""

from __future__ import annotations

from sqlalchemy import select

from handlers.qa import UNSURE
from storage.models import FaqAlias, FaqEntry, QaBacklog
from storage.repos.faq import FaqRepo
from tests.qa_support import qa_config
from tests.support import at, running_bot


async def test_a_paraphrase_is_answered_mentioning_the_asker(db_url: str) -> None:
    async with running_bot(db_url, qa_config()) as bot:
        replies = await bot.say("请问入群要交多少钱", when=at("2026-11-21 08:00"))
        assert replies == ["年费会员 365 元，季度会员 128 元。"]
        assert bot.sender.sent[-1].mentions == ("alice",)
        replies = await bot.say("昨晚的分享没赶上，有录播吗", user="bob")
        assert replies == ["有的，回放会在分享结束后 24 小时内整理到群精华里。"]


async def test_chitchat_statements_and_checkins_get_no_answer(sqlite_db: str) -> None:
    async with running_bot(sqlite_db, qa_config()) as bot:
        for text in ("哈哈哈哈", "早上好各位！", "今天天气真不错", "收到", "这篇文章写得太好了"):
            assert await bot.say(text) == []
        checkin = await bot.say("打卡 1200字")
        assert len(checkin) == 1 and "打卡成功" in checkin[0]  # the check-in, not an FAQ
        assert await bot.say("有人中午一起吃饭吗") == []
        async with bot.app.uow() as uow:
            logged = (await uow.session.execute(select(QaBacklog))).scalars().all()
        assert logged == []  # chit-chat questions are not backlog material


async def test_backlog_then_faq_answer_then_answered_next_time(db_url: str) -> None:
    async with running_bot(db_url, qa_config()) as bot:
        asked = await bot.say("训练营的证书怎么领取？", user="bob", when=at("2026-11-21 09:00"))
        assert asked == []  # not confident: silence
        todo = await bot.say("/faq todo", user="coach", when=at("2026-11-21 09:05"))
        assert "训练营的证书怎么领取？" in todo[0] and "bob" in todo[0]
        async with bot.app.uow() as uow:
            item = (await uow.session.execute(select(QaBacklog))).scalar_one()
        assert (item.asker_id, item.status) == ("bob", "open")

        before = len(bot.sender.sent)
        await bot.say(f"/faq answer {item.id} 结营后在群公告里填表即可领取电子证书。", user="coach")
        posted, confirm = bot.sender.sent[before:]
        assert posted.mentions == ("bob",) and "填表即可领取电子证书" in posted.text
        assert "已回复" in confirm.text

        async with bot.app.uow() as uow:
            item = (await uow.session.execute(select(QaBacklog))).scalar_one()
            entry = (await uow.session.execute(select(FaqEntry))).scalar_one()
        assert item.status == "answered" and item.entry_key == str(entry.id)

        again = await bot.say("证书怎么领？", user="carol", when=at("2026-11-22 10:00"))
        assert again == ["结营后在群公告里填表即可领取电子证书。"]


async def test_backlog_answer_close_to_an_entry_becomes_its_alias(sqlite_db: str) -> None:
    async with running_bot(sqlite_db, qa_config()) as bot:
        async with bot.app.uow() as uow:  # a question that was logged while it was unanswered
            await FaqRepo(uow.session).log_unanswered(
                group_id="g1",
                message_id="m-old",
                asker_id="dan",
                asker_name="dan",
                question="会员费到底是多少钱",
                at=at("2026-11-20 09:00"),
            )
        before = len(bot.sender.sent)
        async with bot.app.uow() as uow:
            item = (await FaqRepo(uow.session).open_backlog("g1", 5))[0]
        await bot.say(f"/faq answer {item.id} 年费 365 元。", user="coach")
        posted, confirm = bot.sender.sent[before:]
        assert posted.mentions == ("dan",) and "年费 365 元" in posted.text
        assert "[fee] 的相似问法" in confirm.text
        async with bot.app.uow() as uow:
            aliases = (await uow.session.execute(select(FaqAlias))).scalars().all()
            entries = (await uow.session.execute(select(FaqEntry))).scalars().all()
            assert await FaqRepo(uow.session).open_backlog("g1", 5) == []
        assert [(a.entry_key, a.text) for a in aliases] == [("fee", "会员费到底是多少钱")]
        assert entries == []


async def test_same_entry_in_cooldown_points_to_the_earlier_answer(sqlite_db: str) -> None:
    async with running_bot(sqlite_db, qa_config()) as bot:
        first = await bot.say("会员多少钱？", user="bob", when=at("2026-11-21 08:00"))
        assert first == ["年费会员 365 元，季度会员 128 元。"]
        second = await bot.say("会员费用是多少", user="carol", when=at("2026-11-21 08:03"))
        assert len(second) == 1 and "08:00" in second[0] and "会员费多少钱" in second[0]
        other_group = await bot.say("会员多少钱？", group="g2", when=at("2026-11-21 08:04"))
        assert other_group == ["年费会员 365 元，季度会员 128 元。"]
        later = await bot.say("会员多少钱？", user="dan", when=at("2026-11-21 08:11"))
        assert later == ["年费会员 365 元，季度会员 128 元。"]


async def test_admin_commands_refuse_non_admins(sqlite_db: str) -> None:
    async with running_bot(sqlite_db, qa_config()) as bot:
        for text in ("/faq", "/faq add 问题 | 答案", "/faq del 1", "/faq todo", "/faq answer 1 好"):
            assert await bot.say(text, user="mallory") == ["抱歉，这个命令只有管理员可以使用。"]
        async with bot.app.uow() as uow:
            assert (await uow.session.execute(select(FaqEntry))).scalars().all() == []


async def test_add_alias_del_and_list(sqlite_db: str) -> None:
    async with running_bot(sqlite_db, qa_config()) as bot:
        added = await bot.say(
            "/faq add 群里可以发广告吗 | 每周日晚上可以推广，其他时间不行。", user="coach"
        )
        assert added[0].startswith("✅ 已添加常见问答 [")
        key = added[0].split("[")[1].split("]")[0]
        assert await bot.say("群里能打广告吗？") == ["每周日晚上可以推广，其他时间不行。"]
        assert (
            "已为 [fee] 添加问法" in (await bot.say("/faq alias fee 学费贵不贵", user="coach"))[0]
        )
        listing = (await bot.say("/faq", user="admin"))[0]
        assert "[fee] 会员费多少钱？（另有 1 种问法）" in listing and f"[{key}]" in listing
        assert "写在配置文件里" in (await bot.say("/faq del fee", user="coach"))[0]
        assert "已删除" in (await bot.say(f"/faq del {key}", user="coach"))[0]
        assert (await bot.say("/faq add 没有竖线", user="coach"))[0].startswith("请用竖线")


async def test_mentioned_with_an_unknown_question_says_so_and_logs_it(sqlite_db: str) -> None:
    async with running_bot(sqlite_db, qa_config()) as bot:
        replies = await bot.say("@小助手 明天的直播嘉宾是谁？", mentions_bot=True)
        assert replies == [UNSURE]
        async with bot.app.uow() as uow:
            item = (await uow.session.execute(select(QaBacklog))).scalar_one()
        assert item.mentioned_bot and item.asker_id == "alice"

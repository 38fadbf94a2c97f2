"""Q&A checks intent, not only topic, through the real router: a question that shares an
entry's words but asks something else stays silent and reaches the admins in /faq todo."""

from __future__ import annotations

from sqlalchemy import select

from storage.models import FaqEntry, QaBacklog
from tests.qa_support import qa_config
from tests.support import at, running_bot

# A writing community's FAQ (as in shared/eval/qa_dev.yaml) that has no refund, replay or
# payout entry: the nearest entries share the words, not the question.
WRITING_FAQ = """
timezone: Asia/Shanghai
admins: [admin]
defaults:
  theme:
    name: 写作成长营
    keywords: [写作, 日更, 文章, 稿子, 投稿, 选题, 稿费, 训练营, 打卡]
  qa:
    faq:
      - id: fee
        question: 会员费多少钱？
        answer: 年费会员 365 元，季度会员 128 元，新人首月 19.9 元体验。
      - id: share-time
        question: 每周的主题分享会是什么时候？
        answer: 每周三晚上 8 点在群里进行主题分享，提前一天会发预告。
      - id: submit
        question: 在哪里投稿？
        answer: 投稿请发到社群投稿邮箱 tougao@example.com，邮件标题写「投稿-昵称-文章标题」。
      - id: leave
        question: 怎么退出社群？
        answer: 直接退群即可；如需保留积分和等级，请先私信班长登记。
      - id: checkin-makeup
        question: 忘记打卡了可以补卡吗？
        answer: 每月有 2 次补卡机会，发送「补卡 日期」即可，例如「补卡 11-20」。
      - id: join
        question: 怎么加入社群？
        answer: 扫群公告里的二维码报名，审核通过后拉你进群。
groups:
  g1:
    name: 写作群
    admins: [coach]
"""

NEAR_MISSES = (
    "会员可以退款吗？",  # refund, not the price
    "每周分享会有回访吗？",  # a replay (typed 回访), not the meeting time
    "投稿稿费一般多少？",  # a fee the member receives, not the membership fee
)

STORIES = (
    "我以前在别的群，后来群主天天发广告，我就退出了，不知道大家有没有遇到过",
    "她后来离开了这个群，不知道去哪了",
    "我当时也不知道为什么就退出了那个群",
    "昨天离开的时候忘了打卡，有人看到我发的截图吗",
)


async def _backlog(bot: object) -> list[str]:
    async with bot.app.uow() as uow:  # type: ignore[attr-defined]
        rows = (await uow.session.execute(select(QaBacklog))).scalars().all()
    return [row.question for row in rows]


async def test_questions_that_share_an_entrys_words_but_ask_else_go_to_the_backlog(
    db_url: str,
) -> None:
    async with running_bot(db_url, qa_config(WRITING_FAQ)) as bot:
        for n, text in enumerate(NEAR_MISSES):
            assert await bot.say(text, user=f"m{n}", when=at(f"2026-11-21 09:0{n}")) == []
        todo = await bot.say("/faq todo", user="coach", when=at("2026-11-21 09:10"))
        for text in NEAR_MISSES:
            assert text in todo[0]
        # The entries they were near are still answered when asked.
        assert await bot.say("会员费多少钱？") == [
            "年费会员 365 元，季度会员 128 元，新人首月 19.9 元体验。"
        ]
        assert await bot.say("分享会每周几点开始？", user="bob") == [
            "每周三晚上 8 点在群里进行主题分享，提前一天会发预告。"
        ]


async def test_answering_a_near_miss_makes_a_new_entry_not_an_alias_of_the_near_one(
    sqlite_db: str,
) -> None:
    async with running_bot(sqlite_db, qa_config(WRITING_FAQ)) as bot:
        assert await bot.say("会员可以退款吗？", user="bob", when=at("2026-11-21 09:00")) == []
        async with bot.app.uow() as uow:
            item = (await uow.session.execute(select(QaBacklog))).scalar_one()
        done = await bot.say(f"/faq answer {item.id} 加入 7 天内可以全额退款。", user="coach")
        assert "已收录为常见问答" in done[-1] and "相似问法" not in done[-1]
        async with bot.app.uow() as uow:
            entry = (await uow.session.execute(select(FaqEntry))).scalar_one()
        assert entry.question == "会员可以退款吗"
        assert await bot.say("会员能退款吗", user="carol", when=at("2026-11-22 10:00")) == [
            "加入 7 天内可以全额退款。"
        ]


async def test_stories_that_mention_leaving_get_no_answer_and_no_backlog(
    sqlite_db: str,
) -> None:
    async with running_bot(sqlite_db, qa_config(WRITING_FAQ)) as bot:
        for text in STORIES:
            assert await bot.say(text) == [], text
        assert await _backlog(bot) == []
        # A real question about leaving is still answered.
        assert await bot.say("想退群怎么操作") == [
            "直接退群即可；如需保留积分和等级，请先私信班长登记。"
        ]


async def test_a_single_character_a_synonym_family_knows_does_not_answer(
    sqlite_db: str,
) -> None:
    async with running_bot(sqlite_db, qa_config(WRITING_FAQ)) as bot:
        for text in ("加个微信好吗？", "能加你好友吗？"):  # 加 adds a friend, not joining
            assert await bot.say(text) == [], text
        assert await bot.say("怎么加入社群？") == ["扫群公告里的二维码报名，审核通过后拉你进群。"]

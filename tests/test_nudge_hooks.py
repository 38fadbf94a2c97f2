"""A nudge offers something on-theme: today's ritual topic, a highlight, an open question."""

from __future__ import annotations

from datetime import timedelta

from storage.repos.faq import FaqRepo
from storage.repos.highlights import HighlightRepo
from tests.moderation_support import DRIFT, MODERATION_CONFIG, moderation_config
from tests.support import at, running_bot
from tests.test_nudge_flow import talk

START = at("2026-11-21 10:00")


def _hooks(hooks: str, extra: str = "") -> str:
    return MODERATION_CONFIG.replace("    hooks: [theme]\n", f"    hooks: {hooks}\n" + extra)


async def test_ritual_topic_of_the_day(sqlite_db: str) -> None:
    calendar = "  calendar:\n    start: 2026-11-20\n    topics: [写人物, 写风景, 写对话]\n"
    text = _hooks("[ritual, theme]").replace("  quiet_hours:", calendar + "  quiet_hours:")
    async with running_bot(sqlite_db, moderation_config(text)) as bot:
        said = await talk(bot, DRIFT[:4], START)
        assert said == ["提醒A：回到「写作成长营」～\n今天的话题是「写风景」，来聊聊你的看法？"]


async def test_recent_highlight(sqlite_db: str) -> None:
    async with running_bot(sqlite_db, moderation_config(_hooks("[highlight, theme]"))) as bot:
        async with bot.app.uow() as uow:
            await HighlightRepo(uow.session).add(
                group_id="g1",
                text="开头先抛冲突，读者才会往下读",
                author_id="bob",
                author_name="bob",
                posted_at=START - timedelta(days=1),
                source_message_id="h1",
                status="saved",
                at=START - timedelta(days=1),
            )
        said = await talk(bot, DRIFT[:4], START)
        assert said[0].endswith("最近的精华「开头先抛冲突，读者才会往下读」还没看的可以去翻翻～")


async def test_open_question_about_the_theme_not_the_drift(sqlite_db: str) -> None:
    async with running_bot(sqlite_db, moderation_config(_hooks("[faq]"))) as bot:
        async with bot.app.uow() as uow:
            repo = FaqRepo(uow.session)
            for i, question in enumerate(["人物对话怎么写才自然？", "这周末去哪里露营比较好？"]):
                await repo.log_unanswered(
                    group_id="g1",
                    message_id=f"q{i}",
                    asker_id="carol",
                    asker_name="carol",
                    question=question if i else "选题总是太窄怎么办？",
                    at=START - timedelta(hours=1 - i),
                )
        said = await talk(bot, DRIFT[:4], START)
        # the camping question is newer but off-topic: the writing question is offered
        assert said == [
            "提醒A：回到「写作成长营」～\n群里还有个问题等大家来答：「选题总是太窄怎么办？」"
        ]


async def test_no_hook_available_leaves_the_phrasing_alone(sqlite_db: str) -> None:
    async with running_bot(sqlite_db, moderation_config(_hooks("[ritual, highlight, faq]"))) as bot:
        assert await talk(bot, DRIFT[:4], START) == ["提醒A：回到「写作成长营」～"]


async def test_keywords_when_the_theme_has_no_examples(sqlite_db: str) -> None:
    async with running_bot(sqlite_db, moderation_config()) as bot:
        said = await talk(bot, DRIFT[:4], START)
        assert said == [
            "提醒A：回到「写作成长营」～\n比如聊聊：写作、日更、文章 方面最近有什么新收获？"
        ]

"""What the shared tokenizer knows is a function of the config, not of the process's history:
a restarted bot (whose topic classifiers are built at start) cuts messages exactly like the
process that ran before it, whatever admins added to the FAQ in between."""

from __future__ import annotations

import pytest

from bot.text import normalize
from tests.qa_support import qa_config
from tests.support import at, running_bot

# Two characters jieba does not know as one word, twice side by side in the entry's texts:
# discovery would make them one token.
ENTRY = "/faq add 鲸笺怎么领？ | 鲸笺在前台领，每人一张鲸笺。"


async def test_an_entry_admins_add_does_not_change_how_a_restarted_bot_cuts(
    sqlite_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(normalize, "_shared", None)  # a fresh process
    async with running_bot(sqlite_db, qa_config()) as bot:
        at_start = normalize.shared_analyzer().tokens("鲸笺在哪")
        await bot.say(ENTRY, user="coach")
        after_add = normalize.shared_analyzer().tokens("鲸笺在哪")
    monkeypatch.setattr(normalize, "_shared", None)  # killed and started again
    async with running_bot(sqlite_db, qa_config()) as bot:
        restarted = normalize.shared_analyzer().tokens("鲸笺在哪")
        # the entry is still answered after the restart
        assert await bot.say("鲸笺怎么领？", user="bob") == ["鲸笺在前台领，每人一张鲸笺。"]
    assert at_start == after_add == restarted


async def test_the_faq_cooldown_holds_across_a_restart(db_url: str) -> None:
    async with running_bot(db_url, qa_config()) as bot:
        first = await bot.say("会员费多少钱？", user="bob", when=at("2026-11-21 09:00"))
        assert first and "回答过" not in first[0]
    async with running_bot(db_url, qa_config(), start=at("2026-11-21 09:01")) as bot:
        again = await bot.say("会员费多少钱？", user="carol", when=at("2026-11-21 09:05"))
    # what an uninterrupted bot says within the cooldown
    assert again and "刚在 09:00 回答过" in again[0]


async def test_the_answered_message_delivered_again_after_a_restart_is_no_repeat(
    db_url: str,
) -> None:
    async with running_bot(db_url, qa_config()) as bot:
        first = await bot.say("会员费多少钱？", user="bob", mid="q1", when=at("2026-11-21 09:00"))
        assert first and "回答过" not in first[0]
    async with running_bot(db_url, qa_config(), start=at("2026-11-21 09:01")) as bot:
        # the platform delivers the answered message again: it is the same question, not a
        # second asker within the cooldown (its reply was sent once, under the same key)
        again = await bot.say("会员费多少钱？", user="bob", mid="q1", when=at("2026-11-21 09:00"))
        assert not any("回答过" in text for text in again)
        later = await bot.say("会员费多少钱？", user="carol", mid="q2", when=at("2026-11-21 09:04"))
        assert later and "刚在 09:00 回答过" in later[0]
    async with running_bot(db_url, qa_config(), start=at("2026-11-21 09:30")) as bot:
        # past the cooldown (10 minutes in this config) the entry is answered in full again
        fresh = await bot.say("会员费多少钱？", user="dave", mid="q3", when=at("2026-11-21 09:30"))
        assert fresh and "回答过" not in fresh[0]

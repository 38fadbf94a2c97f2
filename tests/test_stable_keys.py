"""Keys that make state changes idempotent come from what made the change, never from a row
id (PostgreSQL skips the ids of transactions that died, so a re-run gets other ids), and
fit their columns whatever the platform's ids are (storage/keys.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from sqlalchemy import func, select, text

from storage.keys import LEDGER_KEY_CHARS, fit_key, round_key
from storage.models import (
    CampPair,
    CampReview,
    FaqEntry,
    LedgerEntry,
    QaBacklog,
    RelayLine,
    RelayQuestion,
)
from tests.camps_support import CAMP_CONFIG, camp_config, ledger_lines, say
from tests.qa_support import qa_config
from tests.relay_support import START as RELAY_START
from tests.relay_support import line, relay_config
from tests.support import Bot, at, msg, running_bot

START = at("2026-11-15 10:00")
LONG_GROUP = "g" * 80  # the longest platform id the bot keeps (bot/text/inbound.py)
LONG_MEMBER = "m" * 79 + "1"
LONG_PARTNER = "m" * 79 + "2"
LONG_CAMP = "c" * 40


def test_a_key_that_fits_stays_itself() -> None:
    assert fit_key("checkin:g1:alice:2026-11-21") == "checkin:g1:alice:2026-11-21"
    assert len(round_key("quiz:g1:m1")) == 16
    assert round_key("quiz:g1:m1") == round_key("quiz:g1:m1") != round_key("quiz:g1:m2")


def test_a_long_key_fits_and_stays_distinct() -> None:
    one = "camp-peer:" + "x" * 300 + ":a"
    two = "camp-peer:" + "x" * 300 + ":b"
    assert len(fit_key(one)) == LEDGER_KEY_CHARS
    assert fit_key(one) == fit_key(one) != fit_key(two)
    assert fit_key(one).startswith("camp-peer:xxx")


async def _skip_ids(bot: Bot, by: int = 1000) -> None:
    """PostgreSQL: every sequence skips `by` ids, as after transactions that died."""
    async with bot.app.uow() as uow:
        if uow.session.get_bind().dialect.name != "postgresql":
            return
        names = (await uow.session.execute(text("select sequencename from pg_sequences"))).all()
        for (name,) in names:
            await uow.session.execute(text(f"select setval('{name}', nextval('{name}') + {by})"))


async def test_excellent_points_are_keyed_by_the_camp_day_not_its_row_id(db_url: str) -> None:
    async with running_bot(db_url, camp_config(), START) as bot:
        await say(bot, "/报名 early", "alice", "2026-11-15 10:00")
        await _skip_ids(bot)
        await say(bot, "打卡 晨读", "alice", "2026-11-16 06:00")
        await say(bot, "/优秀 @alice", "teacher", "2026-11-16 12:00", to="alice")
        assert await ledger_lines(bot) == [
            ("alice", 3, "camp_excellent", "camp-excellent:g1:early:alice:2026-11-16")
        ]


async def test_camp_points_with_the_longest_ids_are_stored(db_url: str) -> None:
    """A group, a camp and a member at their longest name a key longer than the ledger's
    key column: PostgreSQL refused it (and the review with it) before keys were fitted."""
    config = camp_config(
        CAMP_CONFIG.replace("  g1:\n", f"  {LONG_GROUP}:\n").replace(
            "id: early", f"id: {LONG_CAMP}"
        )
    )
    async with running_bot(db_url, config, START) as bot:
        for user in (LONG_MEMBER, LONG_PARTNER):
            await bot.push(
                msg(f"/报名 {LONG_CAMP}", user=user, group=LONG_GROUP, when=at("2026-11-15 10:00"))
            )
            await bot.push(
                msg("打卡 晨读", user=user, group=LONG_GROUP, when=at("2026-11-16 06:00"))
            )
        replies = await bot.push(
            msg(
                "/优秀 @x",
                user="coach",
                group=LONG_GROUP,
                when=at("2026-11-16 12:00"),
                mentions=(LONG_MEMBER,),
            )
        )
        assert any("+3 分" in r for r in replies), replies
        async with bot.app.uow() as uow:
            keys = list((await uow.session.execute(select(LedgerEntry.idem_key))).scalars())
        excellent = [k for k in keys if k and k.startswith("camp-excellent:")]
        assert len(excellent) == 1 and len(excellent[0]) <= LEDGER_KEY_CHARS
        # delivered again: the fitted key is the same, nothing is paid twice
        await bot.push(
            msg(
                "/优秀 @x",
                user="coach",
                group=LONG_GROUP,
                when=at("2026-11-16 12:00"),
                mid="again",
                mentions=(LONG_MEMBER,),
            )
        )
        assert [line[1] for line in await ledger_lines(bot)] == [3]


async def test_an_faq_entry_is_added_once_when_its_command_comes_again(db_url: str) -> None:
    command = msg(
        "/faq add 群里可以发广告吗 | 每周日晚上可以推广。",
        user="coach",
        mid="faq-1",
        when=at("2026-11-21 09:00"),
    )
    for _ in range(2):  # the second start gets the same message again (a redelivery)
        async with running_bot(db_url, qa_config()) as bot:
            await bot.push(command)
            async with bot.app.uow() as uow:
                count = (await uow.session.execute(select(func.count(FaqEntry.id)))).scalar_one()
            assert count == 1


# --- a message delivered again decides as of its own time ------------------------------------


async def test_a_review_delivered_again_never_finds_later_work(db_url: str) -> None:
    """`/点评` at 05:30, before the member's first work: no review. Delivered again after a
    restart, when later work is stored, it must not review (and pay) that later work."""
    review = replace(
        msg("/点评 @alice 写得好", user="teacher", mid="early-review", when=at("2026-11-16 05:30")),
        mentions=("alice",),
    )
    async with running_bot(db_url, camp_config(), START) as bot:
        await say(bot, "/报名 early", "alice", "2026-11-15 10:00")
        assert (await bot.push(review))[-1] == "alice 还没有交过营内作业。"
        await say(bot, "打卡 晨读", "alice", "2026-11-16 06:00")
        await say(bot, "打卡 晨跑", "alice", "2026-11-17 06:00")
    async with running_bot(db_url, camp_config(), at("2026-11-17 07:00")) as bot:
        await bot.push(review)  # the same message again, after a restart
        assert await ledger_lines(bot) == []
        async with bot.app.uow() as uow:
            assert (await uow.session.execute(select(func.count(CampReview.id)))).scalar_one() == 0


async def test_a_pairing_delivered_again_never_pairs_a_later_make_up_card(db_url: str) -> None:
    """`/互评 开始` when only alice had handed in: no pairs. Delivered again after a restart,
    when bob's make-up card for that day (handed in the next day) is stored, it must not
    pair them: as of its own time there was one submitter."""
    pairing = msg("/互评 开始", user="coach", mid="pair-early", when=at("2026-11-16 07:00"))
    async with running_bot(db_url, camp_config(), START) as bot:
        await say(bot, "/报名 early", "alice", "2026-11-15 10:00")
        await say(bot, "/报名 early", "bob", "2026-11-15 10:01")
        await say(bot, "打卡 晨读", "alice", "2026-11-16 06:00")
        assert "还不到 2 位" in (await bot.push(pairing))[-1]
        (made_up, *_) = await say(bot, "补卡 11-16", "bob", "2026-11-17 06:05")
        assert made_up.startswith("✅ 补卡成功")
    async with running_bot(db_url, camp_config(), at("2026-11-17 07:00")) as bot:
        await bot.push(pairing)  # the same message again, after a restart
        async with bot.app.uow() as uow:
            assert (await uow.session.execute(select(func.count(CampPair.id)))).scalar_one() == 0


async def test_a_question_delivered_again_after_the_relay_ended_stays_the_relays(
    db_url: str,
) -> None:
    question = line("#提问 新手适合吗？", 3, user="bob", group="g2", mid="q1")
    async with running_bot(db_url, relay_config(), RELAY_START - timedelta(minutes=1)) as bot:
        await bot.push(line("/转播 开始 camp", 0, user="root"))
        assert len(await bot.push(question)) == 2  # to the speaker, and the asker's receipt
        await bot.push(line("/转播 结束", 10, user="root"))
    async with running_bot(db_url, relay_config(), RELAY_START + timedelta(minutes=1)) as bot:
        assert await bot.push(question) == []  # delivered again after a restart: nothing new
        async with bot.app.uow() as uow:
            backlog = (await uow.session.execute(select(func.count(QaBacklog.id)))).scalar_one()
            asked = (await uow.session.execute(select(func.count(RelayQuestion.id)))).scalar_one()
        assert (backlog, asked) == (0, 1)


async def test_a_peer_review_delivered_again_never_takes_a_later_pairing(db_url: str) -> None:
    peer = replace(
        msg("#点评 @bob 写得真好", user="alice", mid="peer-early", when=at("2026-11-16 06:30")),
        mentions=("bob",),
    )
    async with running_bot(db_url, camp_config(), START) as bot:
        await say(bot, "/报名 early", "alice", "2026-11-15 10:00")
        await say(bot, "/报名 early", "bob", "2026-11-15 10:01")
        await say(bot, "打卡 晨读", "alice", "2026-11-16 06:00")
        assert (await bot.push(peer))[-1] == "bob 还没有交过营内作业。"
        await say(bot, "打卡 晨读", "alice", "2026-11-17 06:00")
        await say(bot, "打卡 晨跑", "bob", "2026-11-17 06:01")
        await say(bot, "/互评 开始", "admin", "2026-11-17 06:10")
    async with running_bot(db_url, camp_config(), at("2026-11-17 06:20")) as bot:
        await bot.push(peer)  # the same message again, after a restart
        assert await ledger_lines(bot) == []
        async with bot.app.uow() as uow:
            assert (await uow.session.execute(select(func.count(CampReview.id)))).scalar_one() == 0


async def test_a_speakers_line_delivered_again_after_the_relay_ended_is_not_chat(
    db_url: str,
) -> None:
    asked = line("大家觉得新手适合吗？", 3, user="teacher", mid="l1")  # a question mark
    async with running_bot(db_url, relay_config(), RELAY_START - timedelta(minutes=1)) as bot:
        await bot.push(line("/转播 开始 camp @teacher", 0, user="root", mentions=("teacher",)))
        await bot.push(asked)
        await bot.push(line("/转播 结束", 10, user="root"))
    async with running_bot(db_url, relay_config(), RELAY_START + timedelta(minutes=1)) as bot:
        assert await bot.push(asked) == []  # delivered again after a restart: nothing new
        async with bot.app.uow() as uow:
            backlog = (await uow.session.execute(select(func.count(QaBacklog.id)))).scalar_one()
            lines = (await uow.session.execute(select(func.count(RelayLine.id)))).scalar_one()
        assert (backlog, lines) == (0, 1)

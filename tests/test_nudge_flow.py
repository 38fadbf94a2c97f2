"""Off-topic nudges through the real router: drift, cooldown, chit-chat, admins, quiet hours."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from storage.models import ModerationState
from tests.moderation_support import DRIFT, ON_TOPIC, moderation_config
from tests.support import Bot, at, running_bot


async def talk(
    bot: Bot, lines: list[tuple[str, str]], start: datetime, step_s: int = 30
) -> list[str]:
    """Members say lines, step_s apart; returns everything the bot said."""
    said: list[str] = []
    for i, (user, text) in enumerate(lines):
        said += await bot.say(text, user=user, when=start + timedelta(seconds=step_s * i))
    return said


async def test_drift_is_nudged_once_and_not_again_within_the_cooldown(db_url: str) -> None:
    async with running_bot(db_url, moderation_config()) as bot:
        start = at("2026-11-21 10:00")
        said = await talk(bot, DRIFT[:3], start)
        assert said == []  # three off-topic messages: below min_off
        said = await talk(bot, DRIFT[3:4], start + timedelta(minutes=2))
        assert len(said) == 1
        assert said[0].startswith("提醒A：回到「写作成长营」～")
        assert bot.sender.sent[-1].mentions == ()  # nobody is singled out
        # the drift goes on: no second nudge within the 60-minute cooldown
        again = DRIFT * 2
        said = await talk(bot, again, start + timedelta(minutes=5), step_s=60)
        assert said == []
        # after the cooldown a new drift gets the next phrasing
        said = await talk(bot, DRIFT[:4], start + timedelta(minutes=70))
        assert len(said) == 1 and said[0].startswith("提醒B：聊聊「写作成长营」吧")
        async with bot.app.uow() as uow:
            state = await uow.session.get(ModerationState, "g1")
        assert state is not None and state.nudge_count == 2


async def test_the_cooldown_survives_a_restart(sqlite_db: str) -> None:
    start = at("2026-11-21 10:00")
    async with running_bot(sqlite_db, moderation_config()) as bot:
        assert len(await talk(bot, DRIFT[:4], start)) == 1
    async with running_bot(
        sqlite_db, moderation_config(), start=start + timedelta(minutes=5)
    ) as bot:
        assert await talk(bot, DRIFT[:5], start + timedelta(minutes=10)) == []


async def test_on_topic_discussion_with_chit_chat_is_never_nudged(db_url: str) -> None:
    lines = [
        ON_TOPIC[0],
        ("carol", "哈哈哈哈"),
        DRIFT[0],  # one member mentions food
        ON_TOPIC[1],
        ("dave", "👍👍👍"),
        DRIFT[1],
        ("bob", "谢谢老师！"),
        ON_TOPIC[2],
        DRIFT[2],
        ("carol", "收到"),
        ON_TOPIC[3],
        DRIFT[3],
        ("dave", "晚安～"),
    ]
    async with running_bot(db_url, moderation_config()) as bot:
        assert await talk(bot, lines * 2, at("2026-11-21 20:00"), step_s=20) == []


async def test_greetings_do_not_dilute_nor_trigger_drift(sqlite_db: str) -> None:
    async with running_bot(sqlite_db, moderation_config()) as bot:
        lines = [("a", "早上好呀各位"), ("b", "收到"), ("c", "哈哈哈哈"), ("d", "👍👍👍")] * 3
        assert await talk(bot, lines, at("2026-11-21 09:00")) == []
        # social messages are not counted, so four off-topic ones among them still drift
        mixed = [DRIFT[0], ("c", "哈哈哈"), DRIFT[1], ("d", "👍"), DRIFT[2], DRIFT[3]]
        assert len(await talk(bot, mixed, at("2026-11-21 09:30"))) == 1


async def test_one_member_alone_does_not_count_as_a_drifting_conversation(sqlite_db: str) -> None:
    async with running_bot(sqlite_db, moderation_config()) as bot:
        alone = [("bob", text) for _, text in DRIFT]
        assert await talk(bot, alone, at("2026-11-21 10:00")) == []


async def test_admins_are_never_answered_with_a_nudge_nor_counted(db_url: str) -> None:
    async with running_bot(db_url, moderation_config()) as bot:
        start = at("2026-11-21 10:00")
        admins = [("admin", DRIFT[0][1]), ("coach", DRIFT[1][1])] * 3
        assert await talk(bot, admins, start) == []
        # three member messages after six admin ones: the admins' did not count
        assert await talk(bot, [*DRIFT[2:4], DRIFT[1]], start + timedelta(minutes=4)) == []
        # an admin's off-topic message is not counted and is never answered with a nudge
        assert await talk(bot, [("coach", DRIFT[5][1])], start + timedelta(minutes=6)) == []
        # the fourth member message tips the window
        assert len(await talk(bot, [DRIFT[5]], start + timedelta(minutes=7))) == 1


async def test_quiet_hours_are_respected(db_url: str) -> None:
    async with running_bot(db_url, moderation_config()) as bot:
        # 23:30 and 06:50 are inside 23:00-07:00 (the range wraps midnight)
        assert await talk(bot, DRIFT, at("2026-11-21 23:30")) == []
        assert await talk(bot, DRIFT, at("2026-11-22 06:50")) == []
        # 07:00 is the end of the range: the same drift is nudged
        said = await talk(bot, DRIFT[:4], at("2026-11-22 07:00"))
        assert len(said) == 1


async def test_window_forgets_old_messages(sqlite_db: str) -> None:
    async with running_bot(sqlite_db, moderation_config()) as bot:
        start = at("2026-11-21 10:00")
        assert await talk(bot, DRIFT[:3], start) == []
        # the fourth comes 20 minutes later: the others left the 15-minute window
        assert await talk(bot, DRIFT[3:4], start + timedelta(minutes=20)) == []


async def test_nudge_offers_a_theme_hook_and_rotates(sqlite_db: str) -> None:
    config = moderation_config(
        _with_examples(["今天写了什么？发来互评一下", "最近读到的好标题分享一个"])
    )
    async with running_bot(sqlite_db, config) as bot:
        first = await talk(bot, DRIFT[:4], at("2026-11-21 10:00"))
        assert first == ["提醒A：回到「写作成长营」～\n比如聊聊：今天写了什么？发来互评一下"]
        second = await talk(bot, DRIFT[:4], at("2026-11-21 12:00"))
        assert second == ["提醒B：聊聊「写作成长营」吧\n比如聊聊：最近读到的好标题分享一个"]


async def test_nudge_switch_is_admin_only_and_persisted(db_url: str) -> None:
    start = at("2026-11-21 10:00")
    async with running_bot(db_url, moderation_config()) as bot:
        assert await bot.say("/nudge off", user="bob", when=start) == [
            "抱歉，这个命令只有管理员可以使用。"
        ]
        assert await bot.say("/nudge off", user="coach", when=start) == ["✅ 已关闭歪楼提醒。"]
        assert await talk(bot, DRIFT, start + timedelta(minutes=1)) == []
        status = await bot.say("/nudge", user="admin", when=start + timedelta(minutes=9))
        assert status[0].startswith("歪楼提醒：关闭。")
        usage = await bot.say("/nudge maybe", user="admin", when=start + timedelta(minutes=9))
        assert usage == ["用法：/歪楼提醒 开|关"]
        async with bot.app.uow() as uow:
            rows = (await uow.session.execute(select(ModerationState))).scalars().all()
        assert [(r.group_id, r.nudge_enabled, r.updated_by) for r in rows] == [
            ("g1", False, "coach")
        ]
    later = start + timedelta(minutes=30)
    async with running_bot(db_url, moderation_config(), start=later) as bot:
        assert await talk(bot, DRIFT, later) == []  # still off after a restart
        assert await bot.say("/nudge on", user="admin", when=later + timedelta(minutes=5)) == [
            "✅ 已开启歪楼提醒。"
        ]
        assert len(await talk(bot, DRIFT[:4], later + timedelta(minutes=6))) == 1


def _with_examples(examples: list[str]) -> str:
    from tests.moderation_support import MODERATION_CONFIG

    listed = ", ".join(examples)
    return MODERATION_CONFIG.replace(
        "    keywords: [写作,", f"    examples: [{listed}]\n    keywords: [写作,"
    )

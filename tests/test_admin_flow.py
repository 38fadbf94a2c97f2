from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from bot.app import App
from bot.clock import FakeClock
from bot.config import load_config
from bot.context import Context
from bot.events import Message
from bot.router import Flow, Route
from bot.sender import RecordingSender
from handlers import ROUTES
from storage.models import LedgerEntry
from tests.camps_support import camp_config
from tests.support import at, config_from, msg, running_bot


async def test_non_admin_is_refused_and_nickname_does_not_grant_rights(sqlite_db: str) -> None:
    async with running_bot(sqlite_db) as bot:
        # "admin" is the admin's user id; a member whose *name* looks like an admin is not one
        r = await bot.say("/pause", user="alice")
        assert r == ["抱歉，这个命令只有管理员可以使用。"]
        assert "g1" not in bot.app.router.paused


async def test_points_adjustment_is_recorded_with_actor_and_reason(db_url: str) -> None:
    async with running_bot(db_url) as bot:
        await bot.say("大家好", user="bob", when=at("2026-11-21 07:00"))  # a member seen here
        r = await bot.say("/积分 @bob +15 优秀作业", user="coach", mentions=("bob",))
        assert r == ["积分调整：+15（优秀作业），当前积分 15"]
        assert bot.sender.sent[-1].mentions == ("bob",)
        async with bot.app.uow() as uow:
            line = (await uow.session.execute(select(LedgerEntry))).scalar_one()
        assert (line.member_id, line.delta, line.actor_id, line.reason, line.kind) == (
            "bob",
            15,
            "coach",
            "优秀作业",
            "admin_adjust",
        )


async def test_malformed_points_command_gets_usage_hint(sqlite_db: str) -> None:
    async with running_bot(sqlite_db) as bot:
        r = await bot.say("/积分 @bob 很多 理由", user="admin", mentions=("bob",))
        assert r == ["积分变动要写成 +N 或 -N。\n用法：/积分 @成员；/积分 @成员 +N|-N 理由"]
        r = await bot.say("/积分 +5 理由", user="admin")
        assert r[0].startswith("请 @ 一位成员。")
        r = await bot.say("/积分 @bob +5", user="admin", mentions=("bob",))
        assert r[0].startswith("请写明调整理由。")


async def test_pause_silences_the_group_until_resume_and_survives_restart(sqlite_db: str) -> None:
    async with running_bot(sqlite_db) as bot:
        assert len(await bot.say("/pause", user="admin")) == 1
        assert await bot.say("打卡", user="alice") == []
        assert await bot.say("打卡", user="alice", group="other") != []
    async with running_bot(sqlite_db) as bot:
        assert await bot.say("打卡", user="bob", when=at("2026-11-21 09:00")) == []
        assert "恢复" in (await bot.say("/resume", user="admin", when=at("2026-11-21 09:01")))[0]
        assert len(await bot.say("打卡", user="bob", when=at("2026-11-21 09:02"))) == 1


HELP_CONFIG = """
timezone: Asia/Shanghai
admins: [admin]
sets:
  camp: [g2, g3]
groups:
  g1: {name: 测试群, admins: [coach]}
  g2: {name: 二群, admins: [lead]}
  g3: {name: 三群, admins: [lead]}
"""
ADMIN_PART = "🔧 管理员命令："
ADMIN_COMMANDS = ("/群发", "/转播", "/通知", "/抽奖", "/红包", "/重载", "/积分 @成员 +N|-N 理由")


async def test_help_lists_only_what_the_asker_may_use(sqlite_db: str) -> None:
    async with running_bot(sqlite_db, config_from(HELP_CONFIG)) as bot:
        member = (await bot.say("/help", user="alice"))[0]
        group_admin = (await bot.say("/帮助", user="coach"))[0]
        global_admin = (await bot.say("/help", user="admin"))[0]
        set_admin = (await bot.say("/help", user="lead"))[0]  # admin of g2 and g3, not of g1
    assert "/我的" in member and "/积分 @成员 — 查看成员积分" in member and "打卡 / 签到" in member
    assert ADMIN_PART not in member
    for name in ADMIN_COMMANDS:
        assert name not in member, name
    for shown in (group_admin, global_admin):
        visible, _, admin_part = shown.partition(ADMIN_PART)
        assert "/我的" in visible and "打卡 / 签到" in visible
        for name in ADMIN_COMMANDS:
            assert name in admin_part and name not in visible, name
    # a set admin may address their set from any group, but is no admin here
    visible, _, admin_part = set_admin.partition(ADMIN_PART)
    assert "/群发" in admin_part and "/重载" not in set_admin and "/通知" not in set_admin
    assert "/我的" in visible


async def test_help_lists_the_review_commands_to_a_camps_reviewers(sqlite_db: str) -> None:
    async with running_bot(sqlite_db, camp_config()) as bot:
        member = (await bot.say("/帮助", user="alice"))[0]
        teacher = (await bot.say("/帮助", user="teacher"))[0]  # a reviewer of the camp
        coach = (await bot.say("/帮助", user="coach"))[0]
    assert "/点评" not in member and "/优秀" not in member
    assert "/点评 @营员" in teacher and "/优秀 @营员" in teacher and ADMIN_PART not in teacher
    assert "/点评 @营员" in coach.partition(ADMIN_PART)[2]


async def test_a_member_asking_for_usage_sees_no_admin_part(sqlite_db: str) -> None:
    async with running_bot(sqlite_db) as bot:
        member = await bot.say("/积分", user="alice")
        admin = await bot.say("/积分", user="coach")
    assert member == ["请 @ 一位成员。\n用法：/积分 @成员"]
    assert admin == ["请 @ 一位成员。\n用法：/积分 @成员；/积分 @成员 +N|-N 理由"]


async def test_handler_crash_is_isolated_and_checkin_kept(sqlite_db: str) -> None:
    calls: list[str] = []

    async def crash(message: Message, ctx: Context) -> Flow:
        calls.append(message.message_id)
        raise RuntimeError("boom")

    clock = FakeClock(at("2026-11-21 07:00"))
    sender = RecordingSender(clock)
    routes = [Route("crash", Message, lambda m: True, crash), *ROUTES]
    app = App(config_from(), sender=sender, clock=clock, db_url=sqlite_db, routes=routes)
    await app.start()
    try:
        ran = await app.handle(msg("打卡", mid="x1"))
        assert ran[0] == "crash" and "checkin.checkin" in ran
        assert len(sender.sent) == 1 and "打卡成功" in sender.sent[0].text
        assert calls == ["x1"]
    finally:
        await app.close()


async def test_reload_keeps_old_config_on_error_and_applies_good_edit(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("admins: [admin]\ndefaults:\n  checkin:\n    points: 10\n", encoding="utf-8")
    clock = FakeClock(at("2026-11-21 07:00"))
    sender = RecordingSender(clock)
    db_url = f"sqlite+aiosqlite:///{tmp_path / 'b.db'}"
    app = App(load_config(path), sender=sender, clock=clock, db_url=db_url)
    await app.start()
    try:
        assert await app.check_config_file() is None  # unchanged
        path.write_text(
            "admins: [admin]\ndefaults:\n  checkin:\n    points: ten\n", encoding="utf-8"
        )
        problems = await app.check_config_file()
        assert problems is not None and [str(p) for p in problems] == [
            f"{path.resolve()}:4: defaults.checkin.points: "
            "Input should be a valid integer, unable to parse string as an integer"
        ]
        assert app.config.group("g1").checkin.points == 10  # old config still running
        path.write_text("admins: [admin]\ndefaults:\n  checkin:\n    points: 3\n", encoding="utf-8")
        assert await app.check_config_file() == []
        assert app.config.group("g1").checkin.points == 3
        await app.handle(msg("打卡", when=at("2026-11-21 08:00")))
        assert "+3 分" in sender.sent[-1].text
    finally:
        await app.close()

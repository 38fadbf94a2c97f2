"""Caps, allowances and streaks are serialised per member in the database, and open rounds
are seen by every bot process at once: two App instances with their own engines on one
database, fed concurrently (truly concurrent transactions on PostgreSQL)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date

import pytest
from sqlalchemy import select, text

from bot.app import App
from bot.clock import FakeClock
from bot.config import AppConfig
from bot.events import Message
from bot.sender import RecordingSender
from handlers.rewards_state import RewardsService
from storage import migrate
from storage.db import create_engine
from storage.models import Checkin
from storage.repos.rewards import OPEN_ROUND_IDS
from storage.session import ReadProbe
from tests.rewards_support import REWARDS_CONFIG, assert_ledger_consistent, rewards_config
from tests.support import at, msg, running_bot

CONFIG = REWARDS_CONFIG.replace(
    "    reward: {max_points: 50, admin_daily_cap: 60, member_daily_cap: 40}\n",
    "    reward: {max_points: 50, admin_daily_cap: 1000, member_daily_cap: 100}\n",
).replace("  rewards:\n", "  checkin:\n    makeup_per_month: 2\n  rewards:\n", 1)


@asynccontextmanager
async def two_processes(db_url: str, config: AppConfig) -> AsyncIterator[tuple[App, App]]:
    clock = FakeClock(at("2026-11-21 07:00"))
    one = App(config, sender=RecordingSender(clock), clock=clock, db_url=db_url)
    two = App(config, sender=RecordingSender(clock), clock=clock, db_url=db_url)
    await one.start()
    await two.start(migrate_db=False)
    try:
        yield one, two
    finally:
        await two.close()
        await one.close()


async def both(one: App, two: App, first: list[Message], second: list[Message]) -> None:
    """`first` into one process and `second` into the other, all at the same time."""
    await asyncio.gather(*(one.handle(m) for m in first), *(two.handle(m) for m in second))


async def test_concurrent_red_packets_never_pass_the_member_cap(db_url: str) -> None:
    config = rewards_config(CONFIG)
    async with two_processes(db_url, config) as (one, two):
        await one.handle(msg("大家好", user="bob", when=at("2026-11-21 08:00")))
        grants = [
            msg("/红包 @bob 10 好", user="coach", mentions=("bob",), when=at("2026-11-21 09:00"))
            for _ in range(24)
        ]
        await both(one, two, grants[::2], grants[1::2])
    async with running_bot(db_url, config, start=at("2026-11-21 10:00")) as bot:
        balances = await assert_ledger_consistent(bot)
    assert balances == {("g1", "bob"): 100}  # the member cap, not 120 or 240


def _day(n: int) -> str:
    return f"2026-11-{n:02d}"


async def test_concurrent_make_up_cards_store_the_right_streaks(db_url: str) -> None:
    members = [f"m{i}" for i in range(6)]
    async with two_processes(db_url, rewards_config(CONFIG)) as (one, two):
        for member in members:
            for day in (17, 19, 21):
                await one.handle(msg("打卡", user=member, when=at(f"{_day(day)} 08:00")))
        # 11-18 in one process, 11-20 in the other, for every member at once
        first = [msg("补卡 11-18", user=m, when=at("2026-11-21 09:00")) for m in members]
        second = [msg("补卡 11-20", user=m, when=at("2026-11-21 09:00")) for m in members]
        # "ally" asks for three make-ups at once with an allowance of two a month
        first += [msg("补卡 11-15", user="ally", when=at("2026-11-21 09:00"))]
        second += [msg(f"补卡 11-{d}", user="ally", when=at("2026-11-21 09:00")) for d in (16, 17)]
        await both(one, two, first, second)
        async with one.uow() as uow:
            rows = (await uow.session.execute(select(Checkin).order_by(Checkin.day))).scalars()
            streaks: dict[str, list[tuple[date, int]]] = {}
            for row in rows:
                streaks.setdefault(row.member_id, []).append((row.day, row.streak))
    for member in members:
        assert streaks[member] == [(date(2026, 11, d), d - 16) for d in range(17, 22)], member
    assert len(streaks["ally"]) == 2  # the allowance, not three


async def test_a_late_check_in_recomputes_the_later_streaks(db_url: str) -> None:
    async with running_bot(db_url, rewards_config(CONFIG)) as bot:
        await bot.push(msg("打卡", user="alice", when=at("2026-11-19 08:00")))
        await bot.push(msg("打卡", user="alice", when=at("2026-11-21 08:00")))
        # the 11-20 check-in is delivered after 11-21's (a redelivery, another process)
        await bot.app.handle(msg("打卡", user="alice", when=at("2026-11-20 08:00")))
        async with bot.app.uow() as uow:
            stmt = select(Checkin.day, Checkin.streak).order_by(Checkin.day)
            rows = [(r[0].day, r[1]) for r in (await uow.session.execute(stmt)).all()]
    assert rows == [(19, 1), (20, 2), (21, 3)]


async def test_a_round_opened_in_one_process_is_seen_at_once_by_another(db_url: str) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("one bot process per SQLite file")
    async with two_processes(db_url, rewards_config(CONFIG)) as (one, two):
        await one.handle(msg("/抢答 1+1=? | 2", user="coach", when=at("2026-11-21 20:00")))
        assert not two.services.get(RewardsService).quizzes  # not told: it finds out
        await two.handle(msg("2", user="bob", when=at("2026-11-21 20:00:01")))
        assert [m.text for m in two.sender.sent] == [  # type: ignore[attr-defined]
            "🎉 恭喜抢答成功！答案：2\n+20 分，当前积分 20"
        ]
        # the other way round, with a notice; and the first process forgets the won quiz
        await two.handle(msg("/通知 明天停课 前1名 5分", user="coach", when=at("2026-11-21 20:01")))
        await one.handle(msg("收到", user="carol", when=at("2026-11-21 20:01:01")))
        texts = [m.text for m in one.sender.sent]  # type: ignore[attr-defined]
        assert texts[-2:] == [
            "🧧 抢到通知红包 +5 分（1/1），当前积分 5",
            "🧧 通知红包已领完（1/1），以下成员各得 5 分：\n1. carol",
        ]
        assert not one.services.get(RewardsService).quizzes
        # a later answer to the won quiz pays nobody, in either process
        await one.handle(msg("2", user="dave", when=at("2026-11-21 20:02")))
        assert not [m for m in one.sender.sent if "恭喜" in m.text]  # type: ignore[attr-defined]


async def test_the_round_check_replaces_a_broken_connection(db_url: str) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("the check runs on a shared (PostgreSQL) database only")
    engine = create_engine(db_url)
    await migrate.upgrade(engine)
    probe = ReadProbe(engine)
    try:
        assert await probe.one(OPEN_ROUND_IDS, {"group_id": "g1"}) == (None, None)
        (pid,) = await probe.one(text("SELECT pg_backend_pid()"), {})
        async with engine.connect() as conn:
            await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        with pytest.raises(Exception):  # noqa: B017 - whatever the driver raises for it
            await probe.one(OPEN_ROUND_IDS, {"group_id": "g1"})
        assert await probe.one(OPEN_ROUND_IDS, {"group_id": "g1"}) == (None, None)
    finally:
        await probe.close()
        await engine.dispose()

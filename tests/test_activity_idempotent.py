"""The activity log counts each event once (redeliveries, replays, restarts, two processes),
a bad row never blocks the others, and a graceful stop writes everything buffered."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from pathlib import Path
from types import TracebackType

import pytest
from sqlalchemy import func, select

from bot.app import App
from bot.clock import FakeClock
from bot.events import Message
from bot.replay import run_replay
from bot.sender import RecordingSender
from handlers.activity import ActivityLog
from storage.models import ActivityEntry
from storage.uow import UnitOfWork, UnitOfWorkFactory
from tests.health_support import health_config
from tests.support import at, config_from, joined, msg, running_bot
from tests.test_stats_flow import EXPECTED, TRANSCRIPT


def _stats_posts(sent: list[object]) -> list[str]:
    texts = [getattr(m, "text", "") for m in sent]
    return [t for t in texts if t.startswith("📊")]


async def _rows(app: App) -> list[tuple[str, str, str, str]]:
    async with app.uow() as uow:
        stmt = select(
            ActivityEntry.group_id,
            ActivityEntry.member_id,
            ActivityEntry.message_id,
            ActivityEntry.kind,
        ).order_by(ActivityEntry.id)
        return [tuple(r) for r in (await uow.session.execute(stmt)).all()]  # type: ignore[misc]


async def test_replaying_a_transcript_twice_counts_each_message_once(db_url: str) -> None:
    transcript = TRANSCRIPT.read_text(encoding="utf-8")
    first = await run_replay(transcript, health_config(), db_url)
    async with running_bot(db_url, health_config(), start=at("2026-11-23 00:00")) as bot:
        logged = await _rows(bot.app)
    again = await run_replay(transcript, health_config(), db_url)
    assert _stats_posts(first) == [EXPECTED]
    # the same /统计 message handled again: its reply is already stored, so not posted twice
    assert _stats_posts(again) == []
    async with running_bot(db_url, health_config(), start=at("2026-11-23 00:00")) as bot:
        assert await _rows(bot.app) == logged  # every event logged once, not twice


async def test_an_event_seen_by_two_processes_and_after_a_restart_is_logged_once(
    db_url: str,
) -> None:
    config = config_from()
    clock = FakeClock(at("2026-11-21 08:00"))
    one = App(config, sender=RecordingSender(clock), clock=clock, db_url=db_url)
    two = App(config, sender=RecordingSender(clock), clock=clock, db_url=db_url)
    await one.start()
    await two.start(migrate_db=False)
    hello = msg("大家好", user="alice", when=at("2026-11-21 08:00"), mid="wx-1")
    joined_bob = joined("bob", when=at("2026-11-21 08:01"))
    try:
        for app in (one, two):
            await app.handle(hello)
            await app.handle(joined_bob)
            await app.services.get(ActivityLog).flush()
    finally:
        await two.close()
        await one.close()
    async with running_bot(db_url, config, start=at("2026-11-21 09:00")) as bot:
        await bot.push(hello)  # redelivered after a restart
        await bot.app.services.get(ActivityLog).flush()
        assert await _rows(bot.app) == [
            ("g1", "alice", "wx-1", "text"),
            ("g1", "bob", joined_bob.event_id, "join"),
        ]


async def test_one_bad_row_never_blocks_the_batch(
    db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with running_bot(db_url) as bot:
        log = bot.app.services.get(ActivityLog)
        ctx = bot.app.context("g1")
        log.record(msg("早", user="alice", mid="ok-1"), ctx)
        # a time without a zone: the database layer refuses this one row
        naive = datetime(2026, 11, 21, 8, 1)
        log.record(Message("g1", "mallory", "bad-1", "坏", naive), ctx)
        log.record(msg("好", user="bob", mid="ok-2"), ctx)
        # an id longer than the column is bounded where the event is built: it is written
        log.record(msg("长", user="m" * 300, mid="long-1"), ctx)
        with caplog.at_level(logging.WARNING, logger="groupops.activity"):
            assert await log.flush() == 3
        assert log.pending == 0
        dropped = [r.getMessage() for r in caplog.records if r.name == "groupops.activity"]
        assert len(dropped) == 1
        assert "database refused" in dropped[0] and "bad-1" in dropped[0]
        # later batches are written as usual
        log.record(msg("又来了", user="carol", mid="ok-3"), ctx)
        assert await log.flush() == 1
        assert [r[2] for r in await _rows(bot.app)] == ["ok-1", "ok-2", "long-1", "ok-3"]


class _HeldFirstWrite:
    """A unit-of-work factory whose first unit of work waits, open, until released."""

    def __init__(self, real: UnitOfWorkFactory) -> None:
        self.real = real
        self.entered = asyncio.Event()
        self.release = asyncio.Event()
        self.held = False

    def __call__(self) -> _HeldFirstWrite._Unit:
        hold = not self.held
        self.held = True
        return self._Unit(self, self.real(), hold)

    class _Unit:
        def __init__(self, owner: _HeldFirstWrite, unit: UnitOfWork, hold: bool) -> None:
            self.owner, self.unit, self.hold = owner, unit, hold

        async def __aenter__(self) -> UnitOfWork:
            entered = await self.unit.__aenter__()
            if self.hold:
                self.owner.entered.set()
                await self.owner.release.wait()
            return entered

        async def __aexit__(
            self,
            exc_type: type[BaseException] | None,
            exc: BaseException | None,
            tb: TracebackType | None,
        ) -> None:
            await self.unit.__aexit__(exc_type, exc, tb)


async def test_a_graceful_stop_writes_the_batch_in_flight_and_the_rest(
    db_url: str, tmp_path: Path
) -> None:
    async with running_bot(db_url) as bot:
        held = _HeldFirstWrite(bot.app.uow)
        log = ActivityLog(held, interval_s=0)  # type: ignore[arg-type]
        ctx = bot.app.context("g1")
        for i in range(3):
            log.record(msg(f"第{i}条", user="alice", mid=f"a{i}"), ctx)
        log.start_periodic_flush()
        await held.entered.wait()  # the periodic flush is writing the first three rows
        log.record(msg("又一条", user="bob", mid="b0"), ctx)
        stop = asyncio.create_task(log.stop_service())
        await asyncio.sleep(0)  # let the stop begin while the write is in flight
        held.release.set()
        await stop
        assert log.pending == 0
        async with bot.app.uow() as uow:
            count = (await uow.session.execute(select(func.count(ActivityEntry.id)))).scalar_one()
        assert count == 4

"""Units of work nest through savepoints, and a scope makes one transaction of everything in
it (storage/uow.py), on a SQLite file and on PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from storage import migrate
from storage.db import create_engine
from storage.models import Checkin
from storage.session import SessionSource
from storage.uow import UnitOfWorkFactory, current_unit
from tests.support import at

DAY = date(2026, 11, 21)


def checkin(member: str, day: date = DAY) -> Checkin:
    return Checkin(
        group_id="g1",
        member_id=member,
        day=day,
        checked_at=at("2026-11-21 08:00"),
        message_id=f"m-{member}-{day}",
        content="",
        word_count=None,
        streak=1,
        points=10,
        makeup=False,
    )


async def members(uow: UnitOfWorkFactory) -> list[str]:
    async with uow() as unit:
        return sorted((await unit.session.scalars(select(Checkin.member_id))).all())


async def test_a_failing_nested_unit_rolls_back_only_its_own_work(
    uow: UnitOfWorkFactory,
) -> None:
    async with uow() as outer:
        outer.session.add(checkin("alice"))
        await outer.session.flush()
        with pytest.raises(IntegrityError):
            async with uow() as inner:
                inner.session.add(checkin("bob"))
                inner.session.add(checkin("alice"))  # the same day twice
        async with uow() as again:  # the transaction is still usable (PostgreSQL too)
            again.session.add(checkin("carol"))
    assert await members(uow) == ["alice", "carol"]


async def test_a_scope_commits_its_units_together_at_its_end(uow: UnitOfWorkFactory) -> None:
    async with uow.scope("m:g1:1"):
        async with uow() as first:
            first.session.add(checkin("alice"))
        async with uow() as second:
            second.session.add(checkin("bob"))
        assert await _count_elsewhere(uow) == 0  # another connection sees nothing yet
    assert await members(uow) == ["alice", "bob"]


async def _count_elsewhere(uow: UnitOfWorkFactory) -> int:
    """Counts check-ins through a task outside the scope (its own connection)."""

    async def count() -> int:
        session = uow.sessions()
        try:
            return int((await session.execute(select(func.count(Checkin.id)))).scalar_one())
        finally:
            await session.close()

    if uow.writer_lock() is not None:
        return await count()  # SQLite: reading needs no turn; a WAL reader sees the last commit
    return await asyncio.create_task(count())


async def test_a_scope_rolls_back_everything_when_cancelled(uow: UnitOfWorkFactory) -> None:
    committed: list[str] = []
    with pytest.raises(asyncio.CancelledError):
        async with uow.scope("m:g1:2"):
            async with uow() as unit:
                unit.session.add(checkin("alice"))
                unit.after_commit(lambda: committed.append("alice"))
            raise asyncio.CancelledError
    assert await members(uow) == [] and committed == []


async def test_a_scope_keeps_what_its_units_did_when_its_body_raises(
    uow: UnitOfWorkFactory,
) -> None:
    with pytest.raises(RuntimeError):
        async with uow.scope("job:x@t"):
            async with uow() as unit:
                unit.session.add(checkin("alice"))
            raise RuntimeError("a job fails after its first unit, as alone")
    assert await members(uow) == ["alice"]


async def test_the_first_unit_of_a_scope_may_fail_and_the_next_still_commits(
    uow: UnitOfWorkFactory,
) -> None:
    async with uow() as setup:
        setup.session.add(checkin("alice"))
    async with uow.scope("m:g1:3"):
        with pytest.raises(IntegrityError):
            async with uow() as first:  # no savepoint: nothing to protect yet
                first.session.add(checkin("alice"))
        async with uow() as second:
            second.session.add(checkin("bob"))
    assert await members(uow) == ["alice", "bob"]


async def test_after_commit_hooks_run_once_committed_and_not_for_a_rolled_back_unit(
    uow: UnitOfWorkFactory,
) -> None:
    ran: list[str] = []
    async with uow.scope("m:g1:4"):
        async with uow() as kept:
            kept.session.add(checkin("alice"))
            kept.after_commit(lambda: ran.append("kept"))
        with pytest.raises(IntegrityError):
            async with uow() as failed:
                failed.after_commit(lambda: ran.append("failed"))
                failed.session.add(checkin("alice"))
        assert ran == []  # not before the scope's commit
    assert ran == ["kept"]


async def test_a_scope_gives_keys_and_ordinals_for_stable_ids(uow: UnitOfWorkFactory) -> None:
    assert current_unit() is None
    async with uow.scope("m:g1:5"):
        unit = current_unit()
        assert unit is not None and unit.key == "m:g1:5"
        assert [unit.next_ordinal(), unit.next_ordinal()] == [1, 2]
        async with uow() as nested:
            assert nested.handle.key == "m:g1:5" and nested.handle.next_ordinal() == 3
    assert current_unit() is None


async def test_sqlite_transactions_take_turns_without_blocking_the_loop(
    sqlite_db: str,
) -> None:
    engine = create_engine(sqlite_db)
    await migrate.upgrade(engine)
    sessions = SessionSource(engine)
    uow = UnitOfWorkFactory(sessions)
    order: list[str] = []
    wrote = asyncio.Event()
    release = asyncio.Event()
    try:

        async def slow() -> None:
            async with uow.scope("job:report@t"):
                async with uow() as unit:
                    unit.session.add(checkin("alice"))
                order.append("slow wrote")
                wrote.set()
                await release.wait()  # e.g. a chart rendered in a thread
                order.append("slow ends")

        async def quick() -> None:
            async with uow() as unit:
                order.append("quick starts")
                unit.session.add(checkin("bob"))

        first = asyncio.create_task(slow())
        await asyncio.wait_for(wrote.wait(), 5)
        second = asyncio.create_task(quick())
        for _ in range(20):
            await asyncio.sleep(0)  # the loop keeps running: quick waits for its turn
        assert order == ["slow wrote"]
        release.set()
        await asyncio.wait_for(asyncio.gather(first, second), 5)
    finally:
        sessions.dispose()
        await engine.dispose()
    assert order == ["slow wrote", "slow ends", "quick starts"]


async def test_a_lock_order_mistake_costs_a_delay_not_a_hang(
    sqlite_db: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Task A holds the database and waits for a lock that task B holds while B waits for
    the database: B goes ahead after TURN_WAIT_S (here shortened) and both finish."""
    import storage.uow

    monkeypatch.setattr(storage.uow, "TURN_WAIT_S", 0.05)
    engine = create_engine(sqlite_db)
    await migrate.upgrade(engine)
    sessions = SessionSource(engine)
    uow = UnitOfWorkFactory(sessions)
    other = asyncio.Lock()
    a_has_db = asyncio.Event()
    b_has_other = asyncio.Event()
    try:

        async def a() -> None:
            await b_has_other.wait()  # taking a free turn does not yield: let b go first
            async with uow.scope("job:a@t"):
                async with uow() as unit:
                    unit.session.add(checkin("alice"))
                a_has_db.set()
                async with other:  # held by b, who waits for the database
                    pass

        async def b() -> None:
            async with other:
                b_has_other.set()
                await a_has_db.wait()
                async with uow() as unit:  # waits for a's turn, then goes ahead
                    await unit.session.execute(select(func.count(Checkin.id)))

        await asyncio.wait_for(asyncio.gather(a(), b()), 10)
    finally:
        sessions.dispose()
        await engine.dispose()
    assert "held by job:a@t; going ahead without its turn" in caplog.text

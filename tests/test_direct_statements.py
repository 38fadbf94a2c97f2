"""Hot-path statements compiled once and run on the unit of work's sqlite3 connection
(storage/direct.py), and the kept session that transactions with the turn reuse
(storage/session.py): the same rows and errors as through SQLAlchemy, in the same
transactions, on a SQLite file and on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date

import pytest
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from storage import direct, migrate
from storage.db import create_engine
from storage.models import Checkin
from storage.models.base import table_of
from storage.repos.faq import FaqRepo
from storage.repos.members import MemberRepo
from storage.session import SessionSource
from storage.uow import UnitOfWorkFactory
from tests.support import at

CHECKINS = table_of(Checkin)
INSERT = insert(CHECKINS)
INSERT_COMPILED = direct.CompiledStatement(INSERT)
RESTREAK = update(CHECKINS).where(CHECKINS.c.member_id == bindparam("who")).values(streak=7)
RESTREAK_COMPILED = direct.CompiledStatement(RESTREAK)


def row(member: str, day: date = date(2026, 11, 21)) -> dict[str, object]:
    return {
        "group_id": "g1",
        "member_id": member,
        "day": day,
        "checked_at": at("2026-11-21 08:00"),
        "message_id": f"m-{member}-{day}",
        "content": "打卡",
        "word_count": None,
        "streak": 1,
        "points": 10,
        "makeup": False,
    }


async def stored(uow: UnitOfWorkFactory) -> list[tuple[object, ...]]:
    async with uow() as unit:
        rows = await unit.session.execute(
            select(Checkin.member_id, Checkin.day, Checkin.checked_at, Checkin.streak).order_by(
                Checkin.member_id
            )
        )
        return [tuple(r) for r in rows]


async def test_a_compiled_insert_stores_what_sqlalchemy_stores(uow: UnitOfWorkFactory) -> None:
    async with uow() as unit:
        await direct.run(unit.session, INSERT_COMPILED, row("alice"))
        await unit.session.execute(INSERT, row("bob"))
    alice, bob = await stored(uow)
    assert alice[1:] == bob[1:]  # same day and same aware UTC time, read back the same way
    assert alice[2] == at("2026-11-21 08:00")


async def test_a_unique_violation_raises_sqlalchemys_integrity_error(
    uow: UnitOfWorkFactory,
) -> None:
    async with uow() as unit:
        await direct.run(unit.session, INSERT_COMPILED, row("alice"))
    with pytest.raises(IntegrityError):
        async with uow() as unit:
            await direct.run(unit.session, INSERT_COMPILED, row("alice"))
    assert [r[0] for r in await stored(uow)] == ["alice"]


async def test_a_statement_alone_in_a_joined_unit_rolls_back_with_its_scope(
    uow: UnitOfWorkFactory,
) -> None:
    async with uow() as unit:
        await direct.run(unit.session, INSERT_COMPILED, row("alice"))
    with pytest.raises(KeyboardInterrupt):  # a scope rolls back on a BaseException
        async with uow.scope("event:1"), uow() as unit:
            assert not unit.outermost  # so the statement joins the scope's transaction
            params = {"who": "alice"}
            await direct.run(unit.session, RESTREAK_COMPILED, params, alone=unit.outermost)
            raise KeyboardInterrupt
    assert (await stored(uow))[0][3] == 1
    async with uow() as unit:
        assert unit.outermost
        params = {"who": "alice"}
        changed = await direct.run(unit.session, RESTREAK_COMPILED, params, alone=unit.outermost)
    assert changed == 1 and (await stored(uow))[0][3] == 7


async def test_the_kept_session_is_reused_and_forgets_its_objects(sqlite_db: str) -> None:
    engine = create_engine(sqlite_db)
    await migrate.upgrade(engine)
    sessions = SessionSource(engine)
    uow = UnitOfWorkFactory(sessions)
    try:
        async with uow() as first:
            first.session.add(Checkin(**row("alice")))
        async with uow() as second:
            assert second.session is first.session
            loaded = (await second.session.scalars(select(Checkin))).one()
        async with uow() as third:
            assert third.session is first.session
            again = (await third.session.scalars(select(Checkin))).one()
        assert again is not loaded  # each transaction loads its own objects
    finally:
        sessions.dispose()
        await engine.dispose()


async def test_member_upsert_and_backlog_row_through_compiled_statements(
    uow: UnitOfWorkFactory,
) -> None:
    async with uow() as unit:
        await MemberRepo(unit.session).seen("g1", "u1", "小王", at("2026-11-21 08:00"))
        await MemberRepo(unit.session).seen("g1", "u1", "", at("2026-11-21 09:00"))
        first = await FaqRepo(unit.session).log_unanswered(
            group_id="g1",
            message_id="m1",
            asker_id="u1",
            asker_name="小王",
            question="几点开始？",
            at=at("2026-11-21 08:00"),
        )
    async with uow() as unit:
        again = await FaqRepo(unit.session).log_unanswered(
            group_id="g1",
            message_id="m1",
            asker_id="u1",
            asker_name="小王",
            question="几点开始？",
            at=at("2026-11-21 08:00"),
        )
        names = await MemberRepo(unit.session).names("g1", ["u1"])
        backlog = await FaqRepo(unit.session).open_backlog("g1")
    assert first and not again
    assert names == {"u1": "小王"}  # an empty name does not replace a stored one
    assert [(b.question, b.asked_at, b.mentioned_bot) for b in backlog] == [
        ("几点开始？", at("2026-11-21 08:00"), False)
    ]


async def test_pending_objects_are_flushed_before_a_compiled_statement(
    uow: UnitOfWorkFactory,
) -> None:
    """As Session.execute autoflushes before a Core statement: the update sees the row."""
    async with uow() as unit:
        unit.session.add(Checkin(**row("alice")))
        changed = await direct.run(unit.session, RESTREAK_COMPILED, {"who": "alice"})
    assert changed == 1 and (await stored(uow))[0][3] == 7


def test_a_utc_datetime_is_bound_as_sqlalchemy_binds_it() -> None:
    from datetime import datetime, timedelta, timezone

    from sqlalchemy.dialects import sqlite

    from storage.models.base import UTCDateTime

    dialect = sqlite.dialect()
    theirs = UTCDateTime().dialect_impl(dialect).bind_processor(dialect)
    assert theirs is not None
    ours = direct.CompiledStatement(INSERT).processors[INSERT_COMPILED.names.index("checked_at")]
    assert ours is not None
    for value in (
        datetime(2026, 11, 21, 8, 0, tzinfo=UTC),
        datetime(2026, 11, 21, 8, 0, 0, 7, tzinfo=timezone(timedelta(hours=8))),
        datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=timezone(timedelta(hours=-11))),
        datetime(1000, 1, 1, 12, 0, tzinfo=UTC),
    ):
        assert ours(value) == theirs(value)
    with pytest.raises(ValueError):
        ours(datetime(2026, 11, 21, 8, 0))

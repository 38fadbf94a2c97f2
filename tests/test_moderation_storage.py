"""Migration 0005 (moderation) up and down, and the repository on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from alembic import command
from sqlalchemy import Connection, inspect

from storage import migrate
from storage.db import create_engine, session_factory
from storage.models import Violation
from storage.repos.moderation import ModerationRepo
from storage.uow import UnitOfWorkFactory

NOW = datetime(2026, 11, 21, 2, 0, tzinfo=UTC)
TABLES = {"moderation_state", "moderation_whitelist", "moderation_violations"}


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


def _downgrade(connection: Connection, target: str) -> None:
    cfg = migrate.alembic_config()
    cfg.attributes["connection"] = connection
    command.downgrade(cfg, target)


async def test_migration_0005_upgrades_and_downgrades(db_url: str) -> None:
    engine = create_engine(db_url)
    try:
        await migrate.upgrade(engine, "0005")
        async with engine.connect() as conn:
            assert await conn.run_sync(_tables) >= TABLES
        async with engine.begin() as conn:
            await conn.run_sync(_downgrade, "0001")
        async with engine.connect() as conn:
            tables = await conn.run_sync(_tables)
        assert not TABLES & tables and "checkins" in tables
        await migrate.upgrade(engine)
    finally:
        await engine.dispose()


async def test_repository_round_trip(db_url: str) -> None:
    engine = create_engine(db_url)
    await migrate.upgrade(engine)
    uow = UnitOfWorkFactory(session_factory(engine))
    try:
        async with uow() as u:
            repo = ModerationRepo(u.session)
            await repo.set_nudge_enabled("g", False, "admin", NOW)
            assert await repo.record_nudge("g", NOW) == 1
            assert await repo.add_whitelisted("g", "m", "admin", NOW)
            assert not await repo.add_whitelisted("g", "m", "admin", NOW)
            for i, days in enumerate((40, 2, 1)):
                repo.add_violation(
                    Violation(
                        group_id="g",
                        member_id="s",
                        message_id=f"x{i}",
                        excerpt="加我微信 abc123",
                        reasons="留联系方式",
                        score=10,
                        action="warn",
                        created_at=NOW - timedelta(days=days),
                    )
                )
        async with uow() as u:
            repo = ModerationRepo(u.session)
            (state,) = await repo.states()
            assert (state.nudge_enabled, state.nudge_count, state.last_nudge_at) == (False, 1, NOW)
            assert await repo.record_nudge("g", NOW + timedelta(hours=1)) == 2
            assert await repo.whitelist() == [("g", "m")]
            assert await repo.count_violations("g", "s", NOW - timedelta(days=30)) == 2
            assert await repo.total_violations("g", "s") == 3
            rows = await repo.violations("g", "s", 2)
            assert [r.message_id for r in rows] == ["x2", "x1"]
            assert await repo.has_violation("g", "x0") and not await repo.has_violation("g", "y")
            assert await repo.remove_whitelisted("g", "m")
            assert not await repo.remove_whitelisted("g", "m")
        async with uow() as u:
            assert await ModerationRepo(u.session).whitelist() == []
    finally:
        await engine.dispose()


async def test_open_violators(db_url: str) -> None:
    """Open: a violation at ask_remove, or min_count public ones, since the window start;
    notes never count; whitelisted members never are."""
    engine = create_engine(db_url)
    await migrate.upgrade(engine)
    uow = UnitOfWorkFactory(session_factory(engine))
    records = [
        ("twice", "warn", 2),
        ("twice", "notify_admins", 1),
        ("removal", "ask_remove", 1),  # one is enough
        ("once", "warn", 1),
        ("noted", "note", 3),
        ("noted", "note", 2),
        ("noted", "warn", 1),  # one public step and two notes: not open
        ("old", "warn", 50),
        ("old", "ask_remove", 40),  # outside the window
        ("forgiven", "ask_remove", 1),  # whitelisted afterwards
        ("elsewhere", "ask_remove", 1),  # another group
    ]
    try:
        async with uow() as u:
            repo = ModerationRepo(u.session)
            for i, (member, action, days) in enumerate(records):
                repo.add_violation(
                    Violation(
                        group_id="other" if member == "elsewhere" else "g",
                        member_id=member,
                        message_id=f"m{i}",
                        excerpt="x",
                        reasons="r",
                        score=10,
                        action=action,
                        created_at=NOW - timedelta(days=days),
                    )
                )
            await repo.add_whitelisted("g", "forgiven", "admin", NOW)
        async with uow() as u:
            repo = ModerationRepo(u.session)
            since = NOW - timedelta(days=30)
            assert await repo.open_violators("g", since, 2) == {"twice", "removal"}
            assert await repo.open_violators("g", since, 1) == {"twice", "removal", "once", "noted"}
            assert await repo.count_violations("g", "noted", since) == 3
            assert await repo.count_violations("g", "noted", since, public_only=True) == 1
    finally:
        await engine.dispose()

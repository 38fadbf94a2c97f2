"""Migration 0008 (newcomers, health_runs): a branch of its own that downgrades and upgrades
without touching the other features' tables."""

from __future__ import annotations

from alembic import command
from sqlalchemy import Connection, inspect, text

from storage import migrate
from storage.db import create_engine

MINE = {"newcomers", "health_runs"}


def _downgrade_0008(connection: Connection) -> None:
    cfg = migrate.alembic_config()
    cfg.attributes["connection"] = connection
    command.downgrade(cfg, "0008@0001")


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


async def test_0008_downgrades_alone_and_upgrades_again(db_url: str) -> None:
    engine = create_engine(db_url)
    try:
        await migrate.upgrade(engine)
        async with engine.begin() as conn:
            before = await conn.run_sync(_tables)
            await conn.execute(
                text(
                    "insert into members (group_id, member_id, display_name, first_seen, last_seen)"
                    " values ('g1', 'alice', 'alice', '2026-11-20 00:00:00', '2026-11-20 00:00:00')"
                )
            )
        assert before >= MINE
        async with engine.begin() as conn:
            await conn.run_sync(_downgrade_0008)
        async with engine.connect() as conn:
            assert await conn.run_sync(_tables) == before - MINE
            kept = (await conn.execute(text("select count(*) from members"))).scalar_one()
        assert kept == 1
        assert "0008" not in await migrate.current_revisions(engine)
        await migrate.upgrade(engine)
        async with engine.connect() as conn:
            assert await conn.run_sync(_tables) == before
        assert await migrate.current_revisions(engine) == migrate.head_revisions()
    finally:
        await engine.dispose()

"""The relay's tables are their own migration branch (0045 off 0001, like the camps): they
downgrade alone, upgrade again, and the bot starts on a database that has relays running."""

from __future__ import annotations

from alembic import command
from sqlalchemy import Connection, inspect

from storage import migrate
from storage.db import create_engine

RELAY_TABLES = {"relay_sessions", "relay_lines", "relay_questions"}


def _downgrade_relay(connection: Connection) -> None:
    cfg = migrate.alembic_config()
    cfg.attributes["connection"] = connection
    command.downgrade(cfg, "0045@0001")


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


async def test_the_relay_tables_downgrade_alone_and_upgrade_again(db_url: str) -> None:
    engine = create_engine(db_url)
    try:
        await migrate.upgrade(engine)
        async with engine.connect() as conn:
            before = await conn.run_sync(_tables)
        assert before >= RELAY_TABLES
        async with engine.begin() as conn:
            await conn.run_sync(_downgrade_relay)
        async with engine.connect() as conn:
            assert await conn.run_sync(_tables) == before - RELAY_TABLES
        await migrate.upgrade(engine)
        assert await migrate.current_revisions(engine) == migrate.head_revisions()
    finally:
        await engine.dispose()

"""Migrations either finish or leave nothing: a first start killed mid-migration (SIGKILL of a
real process, at a deterministic statement) is followed by a start that succeeds."""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

import pytest
from sqlalchemy import Connection, inspect

from storage import migrate
from storage.db import create_engine
from tests.support import running_bot

ROOT = Path(__file__).resolve().parent.parent


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


async def _kill_mid_migration(db_url: str, after: int) -> int:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.migration_killer", db_url, str(after), cwd=ROOT
    )
    return await proc.wait()


# 2: inside the first migration, before any version row; 20: after several branches were
# applied and their version rows written.
@pytest.mark.parametrize("after", [2, 20])
async def test_a_first_start_killed_mid_migration_leaves_nothing(db_url: str, after: int) -> None:
    assert await _kill_mid_migration(db_url, after) == -signal.SIGKILL
    engine = create_engine(db_url)
    try:
        async with engine.connect() as conn:
            assert await conn.run_sync(_tables) == set()  # nothing half-made was kept
        assert await migrate.current_revisions(engine) == set()
    finally:
        await engine.dispose()
    async with running_bot(db_url) as bot:  # the next start migrates and works
        assert await migrate.current_revisions(bot.app.engine) == migrate.head_revisions()
        assert await bot.say("打卡", user="alice") != []


async def test_processes_starting_at_once_migrate_once(db_url: str) -> None:
    """Two bot processes starting together on one database (only PostgreSQL supports
    that): the later one waits for the first one's migration and then finds it current."""
    if not db_url.startswith("postgresql"):
        pytest.skip("one bot process per SQLite file")
    codes = await asyncio.gather(*(_kill_mid_migration(db_url, 0) for _ in range(3)))
    assert codes == [0, 0, 0]
    engine = create_engine(db_url)
    try:
        assert await migrate.current_revisions(engine) == migrate.head_revisions()
    finally:
        await engine.dispose()

"""Alembic migrations, run on the bot's own async engine.

Layout: 0001 is the foundation; each feature's tables are their own branch from 0001
(0002 activity log, 0003 Q&A, 0004 rewards, 0005 moderation, 0006 rituals and highlights,
0007 outbox, 0008 welcome/stats). The features' schemas do not depend on each other, so
each branch can be downgraded alone; `upgrade(engine)` applies every head. A later change
to a feature's tables continues that feature's branch (0011: the activity log's event key,
after 0002; 0021: the ledger's running totals, after 0020).
"""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS = Path(__file__).parent / "migrations"
log = logging.getLogger("groupops.storage")


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


# pg_advisory_xact_lock key: migrations of one PostgreSQL database run one at a time.
_MIGRATION_LOCK = 0x67726F75706F7073  # "groupops"


def _upgrade(connection: Connection, target: str) -> None:
    """Every migration up to `target` in the caller's ONE transaction: a run finishes or
    leaves nothing, on SQLite (storage/db.py makes its DDL transactional) as on PostgreSQL.
    On PostgreSQL several bot processes may start at once: an advisory lock held until the
    transaction ends makes the later ones wait, then find the schema current."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
    cfg = alembic_config()
    cfg.attributes["connection"] = connection
    command.upgrade(cfg, target)


def _current(connection: Connection) -> set[str]:
    from alembic.runtime.migration import MigrationContext

    return set(MigrationContext.configure(connection).get_current_heads())


async def upgrade(engine: AsyncEngine, target: str = "heads") -> None:
    before = await current_revisions(engine)
    async with engine.begin() as conn:
        await conn.run_sync(_upgrade, target)
    after = await current_revisions(engine)
    if after != before:
        shown = ", ".join(sorted(before)) or "an empty database"
        log.info("database migrated from %s to %s", shown, ", ".join(sorted(after)))


async def current_revisions(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as conn:
        return await conn.run_sync(_current)


def head_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    return set(ScriptDirectory.from_config(alembic_config()).get_heads())

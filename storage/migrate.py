"""Alembic migrations, run on the bot's own async engine.

Layout: 0001 is the foundation; each feature's tables are their own branch from 0001
(0002 activity log, 0003 Q&A, 0004 rewards, 0005 moderation, 0006 rituals and highlights,
0007 outbox, 0008 welcome/stats). The features' schemas do not depend on each other, so
each branch can be downgraded alone; `upgrade(engine)` applies every head. A later change
to a feature's tables continues that feature's branch.
"""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS = Path(__file__).parent / "migrations"
log = logging.getLogger("groupops.storage")


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def _upgrade(connection: Connection, target: str) -> None:
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

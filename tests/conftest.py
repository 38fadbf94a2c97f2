from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from hypothesis import settings

from storage import migrate
from storage.db import create_engine
from storage.session import SessionSource
from storage.uow import UnitOfWorkFactory
from tests.support import PG_ENV, fresh_pg_database, sqlite_url


@pytest.fixture
def sqlite_db(tmp_path: Path) -> str:
    return sqlite_url(tmp_path / "bot.db")


@pytest.fixture(params=["sqlite", "postgresql"])
async def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """Runs a test on a temporary SQLite file and on a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield sqlite_url(tmp_path / "bot.db")
        return
    if not os.environ.get(PG_ENV):
        pytest.skip(f"PostgreSQL tests need {PG_ENV} (e.g. postgresql://postgres@127.0.0.1/test)")
    async with fresh_pg_database() as url:
        yield url


@pytest.fixture
async def uow(db_url: str) -> AsyncIterator[UnitOfWorkFactory]:
    """The bot's units of work on a migrated database (SQLite and PostgreSQL); a test module
    that needs another shape defines its own `uow`."""
    engine = create_engine(db_url)
    await migrate.upgrade(engine)
    sessions = SessionSource(engine)
    try:
        yield UnitOfWorkFactory(sessions)
    finally:
        sessions.dispose()
        await engine.dispose()


# Hypothesis: a bounded, reproducible search by default (CI: the same examples every run, so
# a red build is never a coin toss); HYPOTHESIS_PROFILE=deep for a long random search.
# Examples it finds are kept in tests/corpus/ as regression cases.
settings.register_profile(
    "ci", max_examples=100, deadline=None, print_blob=True, derandomize=True, database=None
)
settings.register_profile("deep", max_examples=5000, deadline=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

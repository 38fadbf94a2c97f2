from __future__ import annotations

import os
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

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


# Hypothesis: CI runs a bounded number of examples per property (seeded by the test, so a
# run is repeatable); HYPOTHESIS_PROFILE=fuzz explores far more when hunting locally.
settings.register_profile(
    "ci",
    max_examples=200,
    deadline=timedelta(seconds=5),
    derandomize=True,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "fuzz", max_examples=20_000, deadline=timedelta(seconds=5), print_blob=True
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

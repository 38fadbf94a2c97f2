"""The ledger's covering index: the migration adds it on SQLite and PostgreSQL, and a
member's standing and the all-time leaderboard read it alone (no table rows)."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

from sqlalchemy import Connection, Executable, inspect, text
from sqlalchemy.dialects import sqlite

from storage import migrate
from storage.db import create_engine
from storage.repos import checkins as checkins_repo
from storage.repos import ledger as ledger_repo
from tests.support import sqlite_url

COVERING = "ix_ledger_group_member_delta"


def _ledger_indexes(connection: Connection) -> dict[str, list[str | None]]:
    return {
        ix["name"] or "": list(ix["column_names"])
        for ix in inspect(connection).get_indexes("ledger")
    }


async def test_migration_adds_the_covering_ledger_index(db_url: str) -> None:
    engine = create_engine(db_url)
    try:
        await migrate.upgrade(engine)
        async with engine.connect() as conn:
            indexes = await conn.run_sync(_ledger_indexes)
            assert indexes[COVERING] == ["group_id", "member_id", "delta"]
            # Its prefix index is redundant and gone: one index entry per ledger line.
            assert "ix_ledger_group_member" not in indexes
            if engine.dialect.name == "postgresql":
                await conn.execute(text("set enable_seqscan = off"))
                plan = "\n".join(
                    row[0]
                    for row in await conn.execute(
                        text(
                            "explain select coalesce(sum(delta), 0) from ledger"
                            " where group_id = :g and member_id = :m"
                        ),
                        {"g": "g1", "m": "u1"},
                    )
                )
                assert f"Index Only Scan using {COVERING}" in plan, plan
    finally:
        await engine.dispose()


def _sqlite_plan(db: Path, statement: Executable, params: dict[str, object]) -> str:
    compiled = statement.compile(dialect=sqlite.dialect(paramstyle="named"))  # type: ignore[attr-defined]
    bound = compiled.construct_params(params)
    with sqlite3.connect(db) as conn:
        rows = conn.execute("explain query plan " + str(compiled), bound).fetchall()
    return "\n".join(str(row[-1]) for row in rows)


async def test_standing_and_leaderboard_read_only_the_covering_index(tmp_path: Path) -> None:
    db = tmp_path / "bot.db"
    engine = create_engine(sqlite_url(db))
    try:
        await migrate.upgrade(engine)
    finally:
        await engine.dispose()
    member: dict[str, object] = {"group_id": "g1", "member_id": "u1"}

    totals = _sqlite_plan(db, ledger_repo._TOTALS, member)
    balance = _sqlite_plan(db, ledger_repo._BALANCE, member)
    top = _sqlite_plan(db, ledger_repo._TOP[False, False], {"group_id": "g1", "limit": 10})
    standing = _sqlite_plan(
        db, checkins_repo._STANDING, {**member, "up_to": date(2026, 11, 2).isoformat()}
    )

    for plan in (totals, balance, top):
        assert f"COVERING INDEX {COVERING}" in plan, plan
    # Both ledger sums of a check-in's standing, and its latest day from the unique index.
    assert standing.count(f"COVERING INDEX {COVERING}") == 2, standing
    assert "SCAN ledger" not in standing and "SCAN checkins" not in standing, standing

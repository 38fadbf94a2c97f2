"""The ledger's indexes and running totals: the migration adds the covering index on SQLite
and PostgreSQL, and standings and leaderboards read running totals by key."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import Connection, Executable, inspect, text
from sqlalchemy.dialects import sqlite

from storage import migrate
from storage.db import create_engine
from storage.repos import checkins as checkins_repo
from storage.repos import ledger as ledger_repo
from tests.support import sqlite_url

COVERING = "ix_ledger_group_member_delta"
BY_TIME = "ix_ledger_group_created_member_delta"


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
            assert indexes[BY_TIME] == ["group_id", "created_at", "member_id", "delta"]
            assert "ix_ledger_group_created" not in indexes  # its prefix, replaced
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
                # a member's sum reads an index alone (either covering index serves it)
                assert "Index Only Scan using ix_ledger_group_" in plan, plan
    finally:
        await engine.dispose()


def _sqlite_plan(db: Path, statement: Executable, params: dict[str, object]) -> str:
    compiled = statement.compile(dialect=sqlite.dialect(paramstyle="named"))  # type: ignore[attr-defined]
    bound = compiled.construct_params(params)
    with sqlite3.connect(db) as conn:
        rows = conn.execute("explain query plan " + str(compiled), bound).fetchall()
    return "\n".join(str(row[-1]) for row in rows)


async def test_standings_and_leaderboards_read_running_totals_or_an_index(tmp_path: Path) -> None:
    """No standing or all-time leaderboard sums a member's or a group's ledger lines: each
    reads the running totals by primary key; a period's board reads only the period's lines,
    from the covering index by time."""
    db = tmp_path / "bot.db"
    engine = create_engine(sqlite_url(db))
    try:
        await migrate.upgrade(engine)
    finally:
        await engine.dispose()
    member: dict[str, object] = {"group_id": "g1", "member_id": "u1"}
    since = datetime(2026, 11, 1, 16, 0, tzinfo=UTC).isoformat()
    up_to = {**member, "up_to": date(2026, 11, 2).isoformat()}

    totals = _sqlite_plan(db, ledger_repo._TOTALS_OF_MEMBER, member)
    top = _sqlite_plan(db, ledger_repo._TOP_ALL_TIME, {"group_id": "g1", "limit": 10})
    week = _sqlite_plan(
        db, ledger_repo._TOP_OF_PERIOD[True, False], {"group_id": "g1", "limit": 10, "since": since}
    )
    standing = _sqlite_plan(db, checkins_repo._STANDING, up_to)
    me = _sqlite_plan(db, checkins_repo._STANDING_AND_DAYS, up_to)

    assert totals.count("SEARCH ledger_totals USING PRIMARY KEY") == 2, totals
    assert "SEARCH ledger_totals USING PRIMARY KEY (group_id=?)" in top, top
    assert f"SEARCH ledger USING COVERING INDEX {BY_TIME} (group_id=? AND created_at>?)" in week
    assert "SEARCH checkins USING COVERING INDEX" in me, me
    for plan in (totals, top, week, standing, me):
        assert "SCAN ledger" not in plan and "SCAN checkins" not in plan, plan
    for plan in (standing, me):
        assert "ledger " not in plan.replace("ledger_totals", ""), plan

"""Storage: migrations match the models, the unit of work, and the ledger's guarantees."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, select
from sqlalchemy.exc import IntegrityError

from storage import migrate
from storage.db import create_engine, session_factory
from storage.models import Base, LedgerEntry, Member
from storage.session import InlineSession, SessionSource
from storage.uow import UnitOfWorkFactory

NOW = datetime(2026, 11, 21, 0, 0, tzinfo=UTC)


def _diff(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def test_migrations_create_exactly_the_models(db_url: str) -> None:
    engine = create_engine(db_url)
    try:
        await migrate.upgrade(engine)
        assert await migrate.current_revisions(engine) == migrate.head_revisions()
        async with engine.connect() as conn:
            diff = await conn.run_sync(_diff)
        assert diff == [], f"models and migrations differ: {diff}"
        await migrate.upgrade(engine)  # idempotent
    finally:
        await engine.dispose()


async def test_unit_of_work_rolls_back_on_error_and_commits_on_success(
    uow: UnitOfWorkFactory,
) -> None:
    with pytest.raises(RuntimeError):
        async with uow() as u:
            await u.ledger.append(
                group_id="g", member_id="m", delta=5, kind="t", reason="r", at=NOW
            )
            await u.session.flush()
            raise RuntimeError("handler crashed")
    async with uow() as u:
        assert await u.ledger.balance("g", "m") == 0
        await u.ledger.append(group_id="g", member_id="m", delta=5, kind="t", reason="r", at=NOW)
    async with uow() as u:
        assert await u.ledger.balance("g", "m") == 5


async def test_ledger_idempotency_key_pays_once(uow: UnitOfWorkFactory) -> None:
    async with uow() as u:
        first = await u.ledger.append(
            group_id="g", member_id="m", delta=3, kind="t", reason="r", at=NOW, idem_key="k1"
        )
        assert first is True
    async with uow() as u:
        again = await u.ledger.append(
            group_id="g", member_id="m", delta=3, kind="t", reason="r", at=NOW, idem_key="k1"
        )
        assert again is False
    # Even a writer that skips the check is refused by the unique index.
    with pytest.raises(IntegrityError):
        async with uow() as u:
            await u.ledger.append(
                group_id="g",
                member_id="m",
                delta=3,
                kind="t",
                reason="r",
                at=NOW,
                idem_key="k1",
                check_key=False,
            )
    async with uow() as u:
        lines = list((await u.session.execute(select(LedgerEntry.delta))).scalars())
        assert lines == [3]
        assert await u.ledger.totals("g", "m") == (3, 3)


async def test_datetimes_come_back_timezone_aware_utc(uow: UnitOfWorkFactory) -> None:
    async with uow() as u:
        await u.ledger.append(group_id="g", member_id="m", delta=1, kind="t", reason="r", at=NOW)
    async with uow() as u:
        line = (await u.session.execute(select(LedgerEntry))).scalar_one()
    assert line.created_at == NOW and line.created_at.tzinfo is not None


async def test_member_upsert_keeps_names_and_never_moves_last_seen_back(
    uow: UnitOfWorkFactory,
) -> None:
    later = NOW + timedelta(hours=2)
    async with uow() as u:
        await u.members.seen("g", "m", "小明", NOW)
    async with uow() as u:
        await u.members.seen("g", "m", "", later)  # a platform that sent no name
    async with uow() as u:
        await u.members.seen("g", "m", "明明", NOW + timedelta(hours=1))  # late delivery
    async with uow() as u:
        row = (await u.session.execute(select(Member))).scalar_one()
        assert (row.display_name, row.first_seen, row.last_seen) == ("明明", NOW, later)
        assert await u.members.names("g", ["m", "nobody"]) == {"m": "明明"}


async def test_ledger_top_ranks_by_points_in_a_window(uow: UnitOfWorkFactory) -> None:
    lines = [("a", 5, NOW), ("b", 9, NOW), ("a", 7, NOW + timedelta(days=1)), ("c", -3, NOW)]
    async with uow() as u:
        for member, delta, at in lines:
            await u.ledger.append(
                group_id="g", member_id=member, delta=delta, kind="t", reason="", at=at
            )
        await u.ledger.append(
            group_id="other", member_id="z", delta=99, kind="t", reason="", at=NOW
        )
    async with uow() as u:
        ranked = await u.ledger.top("g", 10)
        assert [(s.member_id, s.points) for s in ranked] == [("a", 12), ("b", 9)]
        assert [s.member_id for s in await u.ledger.top("g", 1)] == ["a"]
        since = await u.ledger.top("g", 10, since=NOW + timedelta(hours=1))
        assert [(s.member_id, s.points) for s in since] == [("a", 7)]
        until = await u.ledger.top("g", 10, since=NOW, until=NOW + timedelta(hours=1))
        assert [(s.member_id, s.points) for s in until] == [("b", 9), ("a", 5)]


def test_db_upgrade_cli_creates_the_schema(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("storage:\n  url: sqlite:///data/bot.db\n", encoding="utf-8")
    (tmp_path / "data").mkdir()
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "db", "upgrade", "--config", str(config)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "database at" in done.stdout
    assert (tmp_path / "data" / "bot.db").exists()  # relative to the config file


def test_bench_prints_summary_json_last(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "bench", "--messages", "400", "--groups", "5", "--json"],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    )
    import json

    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert set(summary) == {
        "messages",
        "msgs_per_s",
        "p50_ms",
        "p99_ms",
        "peak_rss_mb",
        "cpu_us_per_msg",
        "history",
        "p99_ms_by_kind",
        "p50_ms_by_kind",
    }
    assert summary["history"] == 0 and summary["p99_ms_by_kind"]["打卡"] > 0
    assert summary["messages"] == 400 and summary["msgs_per_s"] > 0
    assert summary["cpu_us_per_msg"] > 0


async def test_units_of_work_on_a_sqlite_file_use_a_plain_session(tmp_path: Path) -> None:
    """The fast path: no async adapter between the bot and a local SQLite file."""
    engine = create_engine(f"sqlite:///{tmp_path / 'bot.db'}")
    await migrate.upgrade(engine)
    sessions = SessionSource(engine)
    try:
        async with UnitOfWorkFactory(sessions)() as u:
            assert isinstance(u.session, InlineSession)
            await u.ledger.append(group_id="g", member_id="m", delta=3, kind="t", reason="", at=NOW)
        async with session_factory(engine)() as other:  # another connection sees the commit
            assert (await other.execute(select(LedgerEntry.delta))).scalar_one() == 3
    finally:
        sessions.dispose()
        await engine.dispose()

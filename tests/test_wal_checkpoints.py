"""A SQLite file's write-ahead log is checkpointed off the event loop (storage/session.py
WalCheckpointer): the bot's connections never checkpoint inside a commit, and the log still
does not grow without bound."""

from __future__ import annotations

import os
import sqlite3
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import insert, text

from storage import migrate
from storage.db import create_engine
from storage.models import Checkin
from storage.models.base import table_of
from storage.session import SessionSource, WalCheckpointer
from storage.uow import UnitOfWorkFactory
from tests.support import at, sqlite_url

CHECKINS = table_of(Checkin)


def checkin_row(n: int) -> dict[str, object]:
    return {
        "group_id": "g1",
        "member_id": f"m{n}",
        "day": date(2026, 1, 1) + timedelta(days=n % 300),
        "checked_at": at("2026-11-21 08:00"),
        "message_id": f"msg-{n}",
        "content": "打卡" + "。" * 200,
        "word_count": None,
        "streak": 1,
        "points": 10,
        "makeup": False,
    }


async def _commit_many(path: Path, count: int, *, every: int | None) -> SessionSource:
    engine = create_engine(sqlite_url(path))
    await migrate.upgrade(engine)
    await engine.dispose()
    engine = create_engine(sqlite_url(path))
    sessions = SessionSource(engine)
    assert sessions.checkpointer is not None
    if every is None:
        sessions.checkpointer = None  # the log is left to grow: what the checkpointer prevents
    else:
        sessions.checkpointer.every = every
    uow = UnitOfWorkFactory(sessions)
    async with uow() as unit:
        (setting,) = (await unit.session.execute(text("PRAGMA wal_autocheckpoint"))).one()
        assert setting == 0  # no checkpoint inside the bot's commits
    for n in range(count):
        async with uow() as unit:
            await unit.session.execute(insert(CHECKINS), [checkin_row(n)])
        if sessions.checkpointer is not None:
            await sessions.checkpointer.idle()
    # keep the connections open (the last one to close would checkpoint by itself)
    await engine.dispose()
    return sessions


async def test_the_log_is_checkpointed_in_the_background(tmp_path: Path) -> None:
    sessions = await _commit_many(tmp_path / "bot.db", 1_200, every=100)
    try:
        assert sessions.checkpointer is not None
        assert sessions.checkpointer.runs == 12
        # the log is reused from its start once checkpointed: it stays near what 100
        # commits write, far below what 1,200 commits without checkpoints leave
        bounded = (tmp_path / "bot.db-wal").stat().st_size
    finally:
        sessions.dispose()
    unbounded_sessions = await _commit_many(tmp_path / "grown.db", 1_200, every=None)
    try:
        grown = (tmp_path / "grown.db-wal").stat().st_size
    finally:
        unbounded_sessions.dispose()
    assert bounded * 4 < grown, (bounded, grown)


def test_without_a_loop_the_checkpoint_runs_in_place(tmp_path: Path) -> None:
    path = tmp_path / "tool.db"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA wal_autocheckpoint=0")
    conn.execute("CREATE TABLE t (x TEXT)")
    for n in range(50):
        conn.execute("INSERT INTO t VALUES (?)", (str(n) * 100,))
    before = os.path.getsize(path)  # the rows are still only in the log
    checkpointer = WalCheckpointer(str(path), every=10)
    for _ in range(9):
        checkpointer.committed()
    assert checkpointer.runs == 0 and os.path.getsize(path) == before
    checkpointer.committed()
    assert checkpointer.runs == 1
    assert os.path.getsize(path) > before + 4096  # the pages were copied into the file
    conn.close()

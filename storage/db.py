"""Engine and session factory. SQLite runs in WAL mode; PostgreSQL uses the same code."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from bot.config import normalize_db_url
from storage.sqlite_inline import inline_creator


def create_engine(url: str, sqlite_driver: str = "inline") -> AsyncEngine:
    """An async engine. For SQLite files, sqlite_driver "inline" runs statements on the loop
    thread (see storage/sqlite_inline.py); "thread" uses aiosqlite's worker thread."""
    url = normalize_db_url(url)
    if url.startswith("sqlite"):
        parsed = make_url(url)
        path = parsed.database or ""
        if sqlite_driver == "inline" and path and path != ":memory:":
            engine = create_async_engine(url, async_creator=inline_creator(path))
        else:
            engine = create_async_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            # NORMAL in WAL mode: a commit survives a process crash; fsync happens at checkpoints.
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=5000")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    return create_async_engine(url, pool_pre_ping=True)


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)

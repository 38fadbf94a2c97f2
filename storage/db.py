"""Engine and session factory. SQLite runs in WAL mode; PostgreSQL uses the same code."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, event, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from storage.session import use_wal
from storage.sqlite_inline import inline_creator
from storage.urls import normalize_db_url


def create_engine(url: str) -> AsyncEngine:
    """An async engine (migrations, tools). For a SQLite file, statements run on the loop
    thread (see storage/sqlite_inline.py); units of work get their sessions from
    `storage.session.SessionSource`."""
    url = normalize_db_url(url)
    if url.startswith("sqlite"):
        path = make_url(url).database or ""
        if path and path != ":memory:":
            # The creator opens connections with pysqlite's transaction handling off.
            engine = create_async_engine(url, async_creator=inline_creator(path))
        else:
            engine = create_async_engine(url, connect_args={"timeout": 30})
            _no_implicit_transactions(engine)
        use_wal(engine.sync_engine)
        _explicit_begin(engine)
        return engine
    return create_async_engine(url, pool_pre_ping=True)


def _no_implicit_transactions(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _autocommit_driver(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None


def _explicit_begin(engine: AsyncEngine) -> None:
    """Make every transaction of a SQLite engine a real SQLite transaction, DDL included.

    pysqlite (under aiosqlite too) opens a transaction only before INSERT, UPDATE and
    DELETE, so a CREATE TABLE ran in autocommit mode: a first start killed half-way through
    the migrations kept some tables but no version row, and every later start failed with
    "table ... already exists". As SQLAlchemy's pysqlite documentation recommends, the
    driver's own handling is off (isolation_level=None, see above and inline_creator) and
    the engine emits BEGIN when SQLAlchemy begins a transaction; COMMIT and ROLLBACK are
    the driver's. A migration run is then one transaction: it finishes or leaves nothing.
    """

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN")


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Plain AsyncSessions on `engine` (for tools and tests that want one directly)."""
    return async_sessionmaker(engine, expire_on_commit=False)

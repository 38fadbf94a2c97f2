"""Engine and session factory. SQLite runs in WAL mode; PostgreSQL uses the same code."""

from __future__ import annotations

from sqlalchemy import make_url
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
            engine = create_async_engine(url, async_creator=inline_creator(path))
        else:
            engine = create_async_engine(url, connect_args={"timeout": 30})
        use_wal(engine.sync_engine)
        return engine
    return create_async_engine(url, pool_pre_ping=True)


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Plain AsyncSessions on `engine` (for tools and tests that want one directly)."""
    return async_sessionmaker(engine, expire_on_commit=False)

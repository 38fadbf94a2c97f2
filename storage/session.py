"""The session repositories work with, and where units of work get one.

`DbSession` is the part of SQLAlchemy's `AsyncSession` the repositories use. PostgreSQL
gets a real `AsyncSession`. A local SQLite file gets an `InlineSession`: a plain synchronous
`Session` on a pysqlite engine whose methods are awaitable but run at once on the loop
thread.

Why: SQLite statements take microseconds, and SQLAlchemy's async layer (a greenlet hop and
an adapted cursor for every call) cost more than the statements themselves: a check-in's
transaction took ~550 µs through AsyncSession and ~370 µs through a Session (same
statements, same file). Running SQLite on the loop thread was already the design (see
storage/sqlite_inline.py); this drops the adapter around it. One bot process per SQLite
file is the supported setup; several processes should share PostgreSQL.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import Iterable
from typing import Any, Protocol, TypeVar, runtime_checkable

from sqlalchemy import (
    URL,
    Connection,
    Engine,
    Executable,
    ScalarResult,
    event,
    make_url,
)
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session, SessionTransaction

_T = TypeVar("_T")
log = logging.getLogger("groupops.storage")


class DbSession(Protocol):
    # Any, not Result[Any]: Result is generic over one row type in SQLAlchemy 2.0 and over
    # the column types in 2.1; both are allowed by pyproject.toml.
    async def execute(self, statement: Executable, params: Any = None) -> Any: ...

    async def scalars(self, statement: Executable, params: Any = None) -> ScalarResult[Any]: ...

    async def get(self, entity: type[_T], ident: Any) -> _T | None: ...

    def add(self, instance: object) -> None: ...

    def add_all(self, instances: Iterable[object]) -> None: ...

    async def delete(self, instance: object) -> None: ...

    async def flush(self) -> None: ...

    async def commit(self) -> None: ...

    async def rollback(self) -> None: ...

    async def close(self) -> None: ...

    def get_bind(self) -> Engine | Connection: ...


async def scalar_or_none(session: DbSession, statement: Executable, kind: type[_T]) -> _T | None:
    """The one value (or entity) `statement` selects, None when there is no row; typed by
    `kind` the same way under SQLAlchemy 2.0 and 2.1 (see DbSession.execute)."""
    found = (await session.execute(statement)).scalar_one_or_none()
    if found is not None and not isinstance(found, kind):
        raise TypeError(f"expected {kind.__name__}, got {type(found).__name__}")
    return found


class InlineSession:
    """A synchronous Session behind AsyncSession's awaitable methods.

    On the kept session (bound to one connection, see SessionSource.kept) the hot-path
    statements of storage/direct.py begin the transaction on the sqlite3 connection itself
    (`raw_begin`), without SQLAlchemy's session transaction, whose begin and commit cost
    more than the statements. Should an SQLAlchemy statement follow in the same transaction,
    SQLAlchemy joins it (`sqlite_transactions` emits no second BEGIN); commit, rollback and
    close end it either way."""

    def __init__(self, session: Session) -> None:
        self.sync_session = session
        bind = session.bind
        # the kept session's sqlite3 connection (None for a pooled session)
        self.raw: sqlite3.Connection | None = None
        if isinstance(bind, Connection):
            driver = bind.connection.driver_connection
            if isinstance(driver, sqlite3.Connection):
                self.raw = driver

    def raw_begin(self) -> sqlite3.Connection:
        """The kept session's sqlite3 connection inside a transaction (BEGIN now unless one
        is open)."""
        raw = self.raw
        assert raw is not None
        if not raw.in_transaction:
            raw.execute("BEGIN")
        return raw

    def in_raw_transaction(self) -> bool:
        """A transaction is open on the connection (begun by `raw_begin` or SQLAlchemy)."""
        return self.raw is not None and self.raw.in_transaction

    async def execute(self, statement: Executable, params: Any = None) -> Any:
        sync = self.sync_session
        attrs = getattr(statement, "_propagate_attrs", None)
        if attrs is None or attrs.get("compile_state_plugin") == "orm":
            return sync.execute(statement, params)
        # A Core statement (a table, not a mapped class): what Session.execute does for it
        # (autoflush, then the transaction's connection), without its per-call ORM layer.
        if sync.autoflush:
            sync.flush()  # returns at once when nothing is pending
        return sync.connection().execute(statement, params)

    async def scalars(self, statement: Executable, params: Any = None) -> ScalarResult[Any]:
        return self.sync_session.scalars(statement, params)

    async def get(self, entity: type[_T], ident: Any) -> _T | None:
        return self.sync_session.get(entity, ident)

    def add(self, instance: object) -> None:
        self.sync_session.add(instance)

    def add_all(self, instances: Iterable[object]) -> None:
        self.sync_session.add_all(instances)

    async def delete(self, instance: object) -> None:
        self.sync_session.delete(instance)

    async def flush(self) -> None:
        self.sync_session.flush()

    async def commit(self) -> None:
        sync = self.sync_session
        if sync.in_transaction() or sync.new or sync.dirty or sync.deleted:
            sync.commit()
        raw = self.raw
        if raw is not None and raw.in_transaction:  # begun by raw_begin, SQLAlchemy idle
            raw.commit()

    async def rollback(self) -> None:
        self.sync_session.rollback()
        raw = self.raw
        if raw is not None and raw.in_transaction:
            raw.rollback()

    async def close(self) -> None:
        self.sync_session.close()
        raw = self.raw
        if raw is not None and raw.in_transaction:
            raw.rollback()

    def get_bind(self) -> Engine | Connection:
        return self.sync_session.get_bind()

    async def savepoint(self) -> Savepoint:
        return _InlineSavepoint(self.sync_session.begin_nested())


class Savepoint(Protocol):
    """A SAVEPOINT inside a session's transaction (storage/uow.py nests units with it)."""

    async def commit(self) -> None: ...

    async def rollback(self) -> None: ...


class _InlineSavepoint:
    def __init__(self, transaction: SessionTransaction) -> None:
        self._transaction = transaction

    async def commit(self) -> None:
        self._transaction.commit()

    async def rollback(self) -> None:
        self._transaction.rollback()


async def savepoint(session: DbSession) -> Savepoint:
    """Begin a SAVEPOINT in `session` (InlineSession or AsyncSession)."""
    if isinstance(session, InlineSession):
        return await session.savepoint()
    if isinstance(session, AsyncSession):
        transaction = session.begin_nested()
        await transaction.start()
        return transaction
    raise TypeError(f"cannot nest a unit of work in a {type(session).__name__}")


def sqlite_transactions(engine: Engine) -> None:
    """Let SQLAlchemy, not pysqlite, begin SQLite transactions (SQLAlchemy's documented
    workaround, "Serializable isolation / Savepoints / Transactional DDL").

    pysqlite defers BEGIN until the first INSERT/UPDATE/DELETE; a SAVEPOINT issued before that
    opens the transaction itself, and its RELEASE then commits: a nested unit of work would
    commit its outer unit's work early. With this, every transaction starts with BEGIN at its
    first statement, and savepoints nest as they should."""

    @event.listens_for(engine, "connect")
    def _no_pysqlite_begin(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        # straight on the sqlite3 connection: the statement needs none of SQLAlchemy's
        # execution machinery, which would cost more than the BEGIN itself. A transaction
        # a hot-path statement began on the connection (InlineSession.raw_begin) is joined.
        driver = conn.connection.driver_connection
        if not driver.in_transaction:  # type: ignore[union-attr]
            driver.execute("BEGIN")  # type: ignore[union-attr]


def use_wal(engine: Engine, *, autocheckpoint: bool = True) -> None:
    """SQLite settings for every new connection of `engine`. `autocheckpoint=False` for the
    engine whose checkpoints a `WalCheckpointer` runs instead."""

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # NORMAL in WAL mode: a commit survives a process crash; fsync happens at checkpoints.
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.execute("PRAGMA foreign_keys=ON")
        if not autocheckpoint:
            cursor.execute("PRAGMA wal_autocheckpoint=0")
        cursor.close()


class WalCheckpointer:
    """Moves a SQLite file's write-ahead log into the database file off the event loop.

    By default SQLite checkpoints inside the commit that takes the log past 1,000 pages: that
    commit copies the pages and fsyncs the file (synchronous=NORMAL syncs at checkpoints),
    milliseconds on the loop thread, and it was the p99 of every message that writes. The
    bot's connections turn that off (`use_wal(autocheckpoint=False)`); this runs a PASSIVE
    checkpoint on a connection of its own in a worker thread every `every` commits, one at a
    time. PASSIVE never waits for readers or writers, so it holds up nobody; what it could
    not move, the next one moves. Connections that close last checkpoint what is left
    (SQLite's own rule), so tools that open the file briefly need nothing of this.
    """

    def __init__(self, path: str, *, every: int = 200) -> None:
        self.path = path
        self.every = every
        self._commits = 0
        self._running: asyncio.Future[None] | None = None
        self.runs = 0  # finished checkpoints, for tests and logs

    def committed(self) -> None:
        """Count a commit; every `every` commits, start a checkpoint unless one is running."""
        self._commits += 1
        if self._commits % self.every or self._running is not None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self._checkpoint()  # no loop (a synchronous tool): in place
            return
        running = loop.run_in_executor(None, self._checkpoint)
        self._running = running
        running.add_done_callback(self._finished)

    def _finished(self, future: asyncio.Future[None]) -> None:
        self._running = None
        if not future.cancelled() and future.exception() is not None:
            log.warning("WAL checkpoint of %s failed: %s", self.path, future.exception())

    def _checkpoint(self) -> None:
        conn = sqlite3.connect(self.path, timeout=0, isolation_level=None)
        try:
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        finally:
            conn.close()
        self.runs += 1

    async def idle(self) -> None:
        """Wait for the checkpoint in progress, if any."""
        running = self._running
        if running is not None:
            await asyncio.shield(running)


def sqlite_file_of(engine: AsyncEngine) -> str | None:
    """The file behind a SQLite engine; None for other databases and in-memory SQLite."""
    url = make_url(str(engine.url))
    if url.get_backend_name() != "sqlite":
        return None
    path = url.database or ""
    return None if path in ("", ":memory:") else path


@runtime_checkable
class KeptSessions(Protocol):
    """A session source that keeps one session open for the transactions that have the turn
    on a SQLite file (storage/uow.py), so that they skip the session's construction and the
    pool's checkout and reset."""

    def __call__(self) -> DbSession: ...

    def kept(self) -> DbSession: ...

    def is_kept(self, session: DbSession) -> bool: ...

    def drop_kept(self) -> None: ...

    def idle(self) -> bool: ...


class SessionSource:
    """Hands out sessions for units of work: `InlineSession` for a SQLite file, otherwise
    `AsyncSession` on `engine`. `dispose()` closes what it opened (not `engine`)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._sync_engine: Engine | None = None
        self._kept: InlineSession | None = None
        self._kept_conn: Connection | None = None
        self._async_sessions: async_sessionmaker[AsyncSession] | None = None
        self.checkpointer: WalCheckpointer | None = None
        path = sqlite_file_of(engine)
        if path is None:
            self._async_sessions = async_sessionmaker(engine, expire_on_commit=False)
        else:
            self._sync_engine = create_sync_engine(
                URL.create("sqlite", database=path),
                connect_args={"timeout": 5.0},
                # Never wait for a free connection: waiting would block the event loop.
                max_overflow=-1,
            )
            use_wal(self._sync_engine, autocheckpoint=False)
            self.checkpointer = WalCheckpointer(path)
            sqlite_transactions(self._sync_engine)

    @property
    def serialized(self) -> bool:
        """True for a SQLite file: one writer at a time, so units of work take turns
        (storage/uow.py) instead of waiting on SQLite's lock with the event loop blocked."""
        return self._sync_engine is not None

    def __call__(self) -> DbSession:
        if self._sync_engine is not None:
            return InlineSession(Session(self._sync_engine, expire_on_commit=False))
        assert self._async_sessions is not None
        return self._async_sessions()

    def kept(self) -> DbSession:
        """The session every transaction that has the turn uses, one at a time (SQLite
        file): bound to one connection held for the life of the source. Between two
        transactions it is closed (no transaction, no objects), not discarded. Other
        databases: a new session."""
        if self._sync_engine is None:
            return self()
        if self._kept is None:
            conn = self._sync_engine.connect()
            try:
                session = Session(bind=conn, expire_on_commit=False)
            except BaseException:
                conn.close()
                raise
            self._kept, self._kept_conn = InlineSession(session), conn
        return self._kept

    def is_kept(self, session: DbSession) -> bool:
        return session is self._kept

    def committed(self) -> None:
        """A transaction of this source committed (SQLite: the log may want a checkpoint)."""
        if self.checkpointer is not None:
            self.checkpointer.committed()

    def idle(self) -> bool:
        """The kept session has no transaction and holds nothing: ending a unit of work on
        it needs no commit and no close."""
        session = self._kept
        if session is None:
            return True
        sync = session.sync_session
        return (
            not sync.in_transaction()
            and not sync.identity_map
            and not sync.new
            and not session.in_raw_transaction()
        )

    def drop_kept(self) -> None:
        """Forget the kept session and close its connection (after an error ending it); the
        next transaction with the turn opens a new one."""
        session, conn = self._kept, self._kept_conn
        self._kept = self._kept_conn = None
        with contextlib.suppress(Exception):  # already failing
            if session is not None:
                session.sync_session.close()
            if conn is not None:
                conn.close()

    def dispose(self) -> None:
        self.drop_kept()
        if self._sync_engine is not None:
            self._sync_engine.dispose()


class ReadProbe:
    """One connection kept open for a cheap read made very often on a shared database
    (several bot processes on PostgreSQL), or a write that is a whole transaction by itself
    (`run`: the outbox's state changes): one round trip per call, with no pool checkout, no
    ping and no BEGIN/COMMIT. The statement is compiled once and run on the driver's own
    connection (asyncpg), which costs about a third of the same call through SQLAlchemy's
    async layer. Calls are serialised (one connection); a broken connection is replaced on
    the next call."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._conn: AsyncConnection | None = None
        self._driver: Any = None
        self._compiled: dict[Executable, tuple[str, tuple[str, ...], dict[str, Any]]] = {}
        self._lock = asyncio.Lock()

    def _compile(self, statement: Executable) -> tuple[str, tuple[str, ...], dict[str, Any]]:
        found = self._compiled.get(statement)
        if found is None:
            compiled = statement.compile(dialect=self._engine.dialect)  # type: ignore[attr-defined]
            found = (str(compiled), tuple(compiled.positiontup or ()), dict(compiled.params))
            self._compiled[statement] = found
        return found

    async def one(self, statement: Executable, params: dict[str, Any]) -> tuple[Any, ...]:
        """The single row `statement` returns (bound parameters by name)."""
        row = await self._call("fetchrow", statement, params)
        if row is None:
            raise LookupError("the probe's statement returned no row")
        return tuple(row)

    async def run(self, statement: Executable, params: dict[str, Any]) -> int:
        """Execute a write that is a whole transaction by itself (the connection is in
        autocommit: the statement commits on its own); returns the number of rows it
        changed."""
        status = await self._call("execute", statement, params)
        # asyncpg's command tag: "UPDATE 1", "INSERT 0 1", "DELETE 3"
        tail = str(status).rsplit(" ", 1)[-1]
        return int(tail) if tail.isdigit() else 0

    async def _call(self, method: str, statement: Executable, params: dict[str, Any]) -> Any:
        sql, names, defaults = self._compile(statement)
        args = [params[name] if name in params else defaults[name] for name in names]
        async with self._lock:
            if self._conn is None:
                conn = await self._engine.execution_options(isolation_level="AUTOCOMMIT").connect()
                self._conn, self._driver = conn, (await conn.get_raw_connection()).driver_connection
            try:
                return await getattr(self._driver, method)(sql, *args)
            except BaseException:
                await self._drop()
                raise

    async def _drop(self) -> None:
        conn, self._conn, self._driver = self._conn, None, None
        if conn is not None:
            with contextlib.suppress(Exception):  # already broken
                await conn.invalidate()

    async def close(self) -> None:
        async with self._lock:
            conn, self._conn, self._driver = self._conn, None, None
            if conn is not None:
                await conn.close()

"""Hot-path statements run straight on the sqlite3 connection of a unit of work.

A statement built once at import (an outbox row's insert, its pending -> sending -> sent
updates) is compiled once per dialect: its SQL text, the order of its parameters and each
parameter's bind processor (UTCDateTime's conversion to a naive UTC datetime, then the
SQLite dialect's own text format). Run on an `InlineSession` (a SQLite file), it goes to the
sqlite3 connection of the session's transaction (begun if needed, so it is part of it), with
none of SQLAlchemy's per-call execution machinery, which costs several times the statement
itself. On any other session (PostgreSQL) it runs through `session.execute`, unchanged.

Only for statements whose parameters are all plain bound values (no IN lists, no ORM
entities); `CompiledStatement` refuses others.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Executable
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.exc import DBAPIError

from storage.models.base import UTCDateTime
from storage.session import DbSession, InlineSession

_SQLITE = sqlite_dialect.dialect()


class CompiledStatement:
    """`statement` as the SQLite dialect compiles it, ready for sqlite3's `execute`."""

    def __init__(self, statement: Executable) -> None:
        self.statement = statement
        compiled = statement.compile(dialect=_SQLITE)  # type: ignore[attr-defined]
        names: tuple[str, ...] = tuple(compiled.positiontup or ())
        by_name = compiled.binds
        for name in names:
            if getattr(by_name[name], "expanding", False):
                raise ValueError(f"{name}: expanding parameters are not supported")
        self.sql: str = str(compiled)
        self.names = names
        self.defaults: dict[str, Any] = dict(compiled.params)
        table = getattr(statement, "table", None)
        if getattr(statement, "is_insert", False) and table is not None:
            # what SQLAlchemy fills in for a column the caller's values leave out: the
            # column's scalar default (callables and SQL defaults are not supported here)
            for column in table.columns:
                default = column.default
                if column.key in self.defaults and default is not None:
                    if not getattr(default, "is_scalar", False):
                        raise ValueError(f"{column.key}: only scalar column defaults")
                    self.defaults[column.key] = default.arg
        # a SELECT's values as SQLAlchemy returns them (dates, aware datetimes, booleans)
        self.results: tuple[Callable[[Any], Any] | None, ...] = ()
        if getattr(statement, "is_select", False):
            self.results = tuple(
                column.type.dialect_impl(_SQLITE).result_processor(_SQLITE, None)
                for column in statement.selected_columns  # type: ignore[attr-defined]
            )
        self.processors: tuple[Callable[[Any], Any] | None, ...] = tuple(
            _bind_processor(by_name[name].type) for name in names
        )
        # (name, default, processor) for each parameter in order, for `args`
        self._plan = tuple(
            (name, self.defaults[name], process)
            for name, process in zip(names, self.processors, strict=True)
        )

    def args(self, params: Mapping[str, Any]) -> list[Any]:
        out = []
        for name, default, process in self._plan:
            value = params.get(name, default)
            out.append(value if process is None or value is None else process(value))
        return out


def _utc_text(value: datetime) -> str:
    """UTCDateTime's value as SQLAlchemy's SQLite dialect stores it (UTC, naive, the format
    "YYYY-MM-DD HH:MM:SS.ffffff"), in one step instead of SQLAlchemy's chain of two
    processors and a %-format of a dict."""
    if value.tzinfo is None:
        raise ValueError("naive datetime given to a UTCDateTime column")
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def _bind_processor(type_: Any) -> Callable[[Any], Any] | None:
    if isinstance(type_, UTCDateTime):
        return _utc_text
    processor: Callable[[Any], Any] | None = type_.dialect_impl(_SQLITE).bind_processor(_SQLITE)
    return processor


def sqlite_connection(session: DbSession, *, alone: bool = False) -> sqlite3.Connection | None:
    """The sqlite3 connection under `session`'s transaction (begun now if needed), or None
    when `session` is not on a SQLite file.

    `alone`: the statement is all the work of its unit of work, and that unit is its own
    transaction (`UnitOfWork.outermost`: never in a unit joined to a scope). Then, on the kept session of
    the transaction that has the turn (storage/session.py) with no transaction begun yet, the
    connection is returned as it is, outside any transaction: the statement commits by
    itself (SQLite's autocommit), which spares the BEGIN and COMMIT rounds."""
    if not isinstance(session, InlineSession):
        return None
    sync = session.sync_session
    # as Session.execute does before any statement; a session holding no objects has
    # nothing to flush (the usual case: hot paths add no ORM objects)
    if sync.autoflush and (sync.identity_map or sync.new):
        sync.flush()
    raw = session.raw
    if raw is None:  # a pooled session
        return _driver(sync.connection())
    # the kept session: its own connection, held open
    bind = sync.bind
    assert isinstance(bind, Connection)
    if bind.in_transaction() or (alone and not sync.in_transaction()):
        return raw
    if sync.in_transaction():
        return _driver(sync.connection())
    # no transaction yet: BEGIN on the connection, without SQLAlchemy's session transaction
    # (storage/session.py, InlineSession)
    return session.raw_begin()


def _driver(conn: Connection) -> sqlite3.Connection:
    driver = conn.connection.driver_connection
    assert isinstance(driver, sqlite3.Connection)
    return driver


def execute(
    conn: sqlite3.Connection, compiled: CompiledStatement, params: Mapping[str, Any]
) -> sqlite3.Cursor:
    """Execute `compiled` on a sqlite3 connection the caller holds (a sqlite3 error raised
    as SQLAlchemy raises it)."""
    return _execute(conn, compiled, params)


def _execute(
    conn: sqlite3.Connection, compiled: CompiledStatement, params: Mapping[str, Any]
) -> sqlite3.Cursor:
    args = compiled.args(params)
    try:
        return conn.execute(compiled.sql, args)
    except sqlite3.Error as exc:
        # the exception SQLAlchemy raises for the same failure (IntegrityError, ...), which
        # is what callers catch
        raise DBAPIError.instance(compiled.sql, args, exc, sqlite3.Error) from exc


async def run(
    session: DbSession,
    compiled: CompiledStatement,
    params: Mapping[str, Any],
    *,
    alone: bool = False,
    otherwise: Executable | None = None,
) -> int:
    """Execute a write; returns the number of rows it changed. `alone`: see
    `sqlite_connection`; `otherwise`: see `returning`."""
    conn = sqlite_connection(session, alone=alone)
    if conn is None:
        statement = compiled.statement if otherwise is None else otherwise
        result = await session.execute(statement, dict(params))
        return int(getattr(result, "rowcount", 0) or 0)
    return _execute(conn, compiled, params).rowcount


async def run_many(
    session: DbSession,
    compiled: CompiledStatement,
    params: Sequence[Mapping[str, Any]],
    *,
    otherwise: Executable | None = None,
) -> None:
    """Execute a write once per parameter set (executemany). `otherwise`: see `returning`."""
    conn = sqlite_connection(session)
    if conn is None:
        statement = compiled.statement if otherwise is None else otherwise
        await session.execute(statement, [dict(p) for p in params])
        return
    args = [compiled.args(p) for p in params]
    try:
        conn.executemany(compiled.sql, args)
    except sqlite3.Error as exc:
        raise DBAPIError.instance(compiled.sql, args, exc, sqlite3.Error) from exc


async def rows(
    session: DbSession, compiled: CompiledStatement, params: Mapping[str, Any]
) -> list[tuple[Any, ...]]:
    """Execute a SELECT; returns its rows as tuples, each value as SQLAlchemy returns it."""
    conn = sqlite_connection(session)
    if conn is None:
        return [tuple(row) for row in await session.execute(compiled.statement, dict(params))]
    found = _execute(conn, compiled, params).fetchall()
    processors = compiled.results
    if not any(processors):
        return found
    return [
        tuple(
            value if process is None or value is None else process(value)
            for value, process in zip(row, processors, strict=True)
        )
        for row in found
    ]


async def returning(
    session: DbSession,
    compiled: CompiledStatement,
    params: Mapping[str, Any],
    *,
    otherwise: Executable | None = None,
) -> list[Any]:
    """Execute a statement with RETURNING of one column; returns the values. `otherwise`:
    the statement to run on a session that is not on SQLite, when it differs (a dialect's
    own INSERT ... ON CONFLICT)."""
    conn = sqlite_connection(session)
    if conn is None:
        statement = compiled.statement if otherwise is None else otherwise
        return list((await session.execute(statement, dict(params))).scalars())
    return [row[0] for row in _execute(conn, compiled, params)]

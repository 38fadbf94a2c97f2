"""Outbox rows: insert new, claim for sending, finish, load what a restart finds. Never
commits. Every state change is a conditional UPDATE on the row's current status, so two
processes never both send one row."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

from storage import direct
from storage.models.base import table_of
from storage.models.outbox import OutboxRow
from storage.session import DbSession, ReadProbe

_TABLE = table_of(OutboxRow)
# Built once: a reply costs one insert and two updates, with no statement construction.
_INSERT_NEW = {
    "sqlite": sqlite.insert(_TABLE)
    .on_conflict_do_nothing(index_elements=["id"])
    .returning(_TABLE.c.id),
    "postgresql": postgresql.insert(_TABLE)
    .on_conflict_do_nothing(index_elements=["id"])
    .returning(_TABLE.c.id),
}
_WHERE = (_TABLE.c.id == bindparam("row_id"), _TABLE.c.status == bindparam("from_status"))
_CLAIM = (
    update(_TABLE)
    .where(*_WHERE)
    .values(status=bindparam("to_status"), attempts=bindparam("n"), sending_at=bindparam("at"))
)
_RELEASE = update(_TABLE).where(*_WHERE).values(status=bindparam("to_status"), sending_at=None)
_RETRY = (
    update(_TABLE)
    .where(*_WHERE)
    .values(
        status=bindparam("to_status"),
        attempts=bindparam("n"),
        not_before=bindparam("at"),
        sending_at=None,
        last_error=bindparam("error"),
    )
)
_FINISH = (
    update(_TABLE)
    .where(*_WHERE)
    .values(
        status=bindparam("to_status"), finished_at=bindparam("at"), last_error=bindparam("error")
    )
)
_ERROR_MAX = 2000
# On a SQLite file these run straight on the transaction's sqlite3 connection
# (storage/direct.py): the outbox's bookkeeping is three statements per reply.
_SQLITE_INSERT_NEW = direct.CompiledStatement(_INSERT_NEW["sqlite"])
_COMPILED = {
    id(stmt): direct.CompiledStatement(stmt) for stmt in (_CLAIM, _RELEASE, _RETRY, _FINISH)
}

PENDING = "pending"
SENDING = "sending"
SENT = "sent"
FAILED = "failed"
UNKNOWN = "unknown"  # left in `sending` by a crash, and its transport cannot tell: not resent


class OutboxRepo:
    def __init__(
        self,
        session: DbSession | None,
        *,
        alone: bool = False,
        writer: ReadProbe | None = None,
        raw: sqlite3.Connection | None = None,
    ) -> None:
        """`alone`: each state change (claim, release, retry, finish) is all the work of its
        unit of work, so on a SQLite file it may commit by itself (storage/direct.py).
        `writer` (a shared PostgreSQL database, no session): each state change is one
        autocommitted statement on that connection, one round trip. `raw` (a SQLite file,
        no session): the state changes run on that sqlite3 connection as they are, each
        committing by itself unless the caller began a transaction on it
        (UnitOfWorkFactory.free_connection)."""
        self._session = session
        self.alone = alone
        self.writer = writer
        self.raw = raw

    @property
    def session(self) -> DbSession:
        assert self._session is not None, "this repo makes state changes only"
        return self._session

    async def insert_new(self, rows: Sequence[dict[str, Any]]) -> set[str]:
        """Insert rows whose id is not stored yet; returns the ids inserted (the others are
        a redelivered event's or a re-run job's items, already there)."""
        if not rows:
            return set()
        other = _INSERT_NEW[self.session.get_bind().dialect.name]
        inserted: set[str] = set()
        for row in rows:  # one row each: RETURNING says which were new on every backend
            inserted.update(
                await direct.returning(self.session, _SQLITE_INSERT_NEW, row, otherwise=other)
            )
        return inserted

    async def _move(
        self, stmt: Any, row_id: str, from_status: str, to_status: str, **values: Any
    ) -> bool:
        params = {"row_id": row_id, "from_status": from_status, "to_status": to_status, **values}
        if self.writer is not None:
            return await self.writer.run(stmt, params) == 1
        if self.raw is not None:
            return direct.execute(self.raw, _COMPILED[id(stmt)], params).rowcount == 1
        compiled = _COMPILED[id(stmt)]
        return await direct.run(self.session, compiled, params, alone=self.alone) == 1

    async def claim(self, row_id: str, attempts: int, at: datetime) -> bool:
        """pending -> sending. False when the row is not pending (another process took it,
        or it was finished meanwhile)."""
        return await self._move(_CLAIM, row_id, PENDING, SENDING, n=attempts, at=at)

    async def release(self, row_id: str) -> bool:
        """sending -> pending: the attempt never reached the platform (no connection)."""
        return await self._move(_RELEASE, row_id, SENDING, PENDING)

    async def retry_later(
        self, row_id: str, attempts: int, not_before: datetime, error: str
    ) -> bool:
        """sending -> pending, to be tried again after not_before."""
        return await self._move(
            _RETRY, row_id, SENDING, PENDING, n=attempts, at=not_before, error=error[:_ERROR_MAX]
        )

    async def finish(
        self, row_id: str, status: str, at: datetime, error: str | None, *, from_status: str
    ) -> bool:
        """from_status (sending, or pending for an item given up before an attempt) ->
        sent | failed | unknown."""
        return await self._move(
            _FINISH, row_id, from_status, status, at=at, error=error[:_ERROR_MAX] if error else None
        )

    async def open_rows(self, transport: str) -> list[OutboxRow]:
        """Rows of `transport` still pending or sending, oldest first."""
        stmt = (
            select(OutboxRow)
            .where(OutboxRow.transport == transport, OutboxRow.status.in_((PENDING, SENDING)))
            .order_by(OutboxRow.created_at, OutboxRow.id)
        )
        return list((await self.session.scalars(stmt)).all())

    async def statuses(self, row_ids: Sequence[str]) -> dict[str, str]:
        stmt = select(_TABLE.c.id, _TABLE.c.status).where(_TABLE.c.id.in_(list(row_ids)))
        return {r[0]: r[1] for r in await self.session.execute(stmt)}

    async def prune(self, transport: str, finished_before: datetime) -> int:
        """Delete finished rows older than the given time. Returns how many."""
        result = await self.session.execute(
            delete(OutboxRow).where(
                OutboxRow.transport == transport,
                OutboxRow.status.in_((SENT, FAILED, UNKNOWN)),
                OutboxRow.finished_at < finished_before,
            )
        )
        return int(getattr(result, "rowcount", 0) or 0)

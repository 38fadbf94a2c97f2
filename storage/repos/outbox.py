"""Outbox rows: add, record a retry, finish, list pending. Never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select, update

from storage.models.outbox import OutboxRow
from storage.session import DbSession


class OutboxRepo:
    def __init__(self, session: DbSession) -> None:
        self.session = session

    async def add(self, rows: Sequence[OutboxRow]) -> None:
        self.session.add_all(rows)

    async def retry_later(
        self, row_id: str, attempts: int, not_before: datetime, error: str
    ) -> None:
        await self.session.execute(
            update(OutboxRow)
            .where(OutboxRow.id == row_id)
            .values(attempts=attempts, not_before=not_before, last_error=error[:2000])
        )

    async def finish(self, row_id: str, status: str, at: datetime, error: str | None) -> None:
        await self.session.execute(
            update(OutboxRow)
            .where(OutboxRow.id == row_id, OutboxRow.status == "pending")
            .values(status=status, finished_at=at, last_error=error[:2000] if error else None)
        )

    async def pending(self, transport: str) -> list[OutboxRow]:
        stmt = (
            select(OutboxRow)
            .where(OutboxRow.transport == transport, OutboxRow.status == "pending")
            .order_by(OutboxRow.created_at, OutboxRow.id)
        )
        return list((await self.session.scalars(stmt)).all())

    async def prune(self, transport: str, finished_before: datetime) -> int:
        """Delete finished rows older than the given time. Returns how many."""
        result = await self.session.execute(
            delete(OutboxRow).where(
                OutboxRow.transport == transport,
                OutboxRow.status != "pending",
                OutboxRow.finished_at < finished_before,
            )
        )
        return int(getattr(result, "rowcount", 0) or 0)

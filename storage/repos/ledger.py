from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, case, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import LedgerEntry


@dataclass(frozen=True)
class Standing:
    member_id: str
    points: int


# Lifetime earned points (what levels are based on) count only the positive lines.
EARNED_DELTA = case((LedgerEntry.delta > 0, LedgerEntry.delta), else_=0)
# Built once: the hot path skips statement construction and hits the compiled cache.
_TOTALS = select(
    func.coalesce(func.sum(LedgerEntry.delta), 0), func.coalesce(func.sum(EARNED_DELTA), 0)
).where(
    LedgerEntry.group_id == bindparam("group_id"), LedgerEntry.member_id == bindparam("member_id")
)


_INSERT = insert(LedgerEntry)


class LedgerRepo:
    """The append-only points ledger. There is no update and no delete."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def has_key(self, idem_key: str) -> bool:
        stmt = select(LedgerEntry.id).where(LedgerEntry.idem_key == idem_key).limit(1)
        return (await self.session.execute(stmt)).first() is not None

    async def append(
        self,
        *,
        group_id: str,
        member_id: str,
        delta: int,
        kind: str,
        reason: str,
        at: datetime,
        actor_id: str | None = None,
        idem_key: str | None = None,
        check_key: bool = True,
    ) -> bool:
        """Add a line; returns False (and adds nothing) when idem_key was already used.

        With check_key=False the caller already holds a stronger guarantee (a unique row
        in the same transaction); the unique index on idem_key still refuses a duplicate.
        """
        if idem_key is not None and check_key and await self.has_key(idem_key):
            return False
        values = {
            "group_id": group_id,
            "member_id": member_id,
            "delta": delta,
            "kind": kind,
            "reason": reason[:255],
            "actor_id": actor_id,
            "created_at": at,
            "idem_key": idem_key,
        }
        await self.session.execute(_INSERT, values)
        return True

    async def totals(self, group_id: str, member_id: str) -> tuple[int, int]:
        """(balance, lifetime earned) in one query."""
        await self.session.flush()
        params = {"group_id": group_id, "member_id": member_id}
        row = (await self.session.execute(_TOTALS, params)).one()
        return int(row[0]), int(row[1])

    async def balance(self, group_id: str, member_id: str) -> int:
        await self.session.flush()
        stmt = select(func.coalesce(func.sum(LedgerEntry.delta), 0)).where(
            LedgerEntry.group_id == group_id, LedgerEntry.member_id == member_id
        )
        return int((await self.session.execute(stmt)).scalar_one())

    async def recent(self, group_id: str, member_id: str, limit: int = 10) -> list[LedgerEntry]:
        stmt = (
            select(LedgerEntry)
            .where(LedgerEntry.group_id == group_id, LedgerEntry.member_id == member_id)
            .order_by(LedgerEntry.id.desc())
            .limit(limit)
        )
        return list((await self.session.execute(stmt)).scalars())

    async def top(
        self,
        group_id: str,
        limit: int,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[Standing]:
        """Members by points in [since, until), highest first (all time without since)."""
        total = func.sum(LedgerEntry.delta)
        stmt = select(LedgerEntry.member_id, total).where(LedgerEntry.group_id == group_id)
        if since is not None:
            stmt = stmt.where(LedgerEntry.created_at >= since)
        if until is not None:
            stmt = stmt.where(LedgerEntry.created_at < until)
        stmt = (
            stmt.group_by(LedgerEntry.member_id)
            .having(total > 0)
            .order_by(total.desc(), LedgerEntry.member_id)
            .limit(limit)
        )
        return [Standing(r[0], int(r[1])) for r in (await self.session.execute(stmt)).all()]

    async def sum_between(
        self, group_id: str, since: datetime, until: datetime, kinds: tuple[str, ...] = ()
    ) -> int:
        stmt = select(func.coalesce(func.sum(LedgerEntry.delta), 0)).where(
            LedgerEntry.group_id == group_id,
            LedgerEntry.created_at >= since,
            LedgerEntry.created_at < until,
        )
        if kinds:
            stmt = stmt.where(LedgerEntry.kind.in_(kinds))
        return int((await self.session.execute(stmt)).scalar_one())

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Executable, Integer, bindparam, case, func, insert, select

from storage.models import LedgerEntry
from storage.models.base import table_of
from storage.session import DbSession


@dataclass(frozen=True)
class Standing:
    member_id: str
    points: int


_LEDGER = table_of(LedgerEntry)
# Lifetime earned points (what levels are based on) count only the positive lines.
EARNED_DELTA = case((_LEDGER.c.delta > 0, _LEDGER.c.delta), else_=0)

# Hot-path statements are built once, on the Core table: no per-call statement
# construction or ORM result processing, and the compiled form is cached.
MEMBER_LINES = (_LEDGER.c.group_id == bindparam("group_id")) & (
    _LEDGER.c.member_id == bindparam("member_id")
)
_TOTALS = select(
    func.coalesce(func.sum(_LEDGER.c.delta), 0), func.coalesce(func.sum(EARNED_DELTA), 0)
).where(MEMBER_LINES)
_BALANCE = select(func.coalesce(func.sum(_LEDGER.c.delta), 0)).where(MEMBER_LINES)
_INSERT = insert(_LEDGER)
_HAS_KEY = select(_LEDGER.c.id).where(_LEDGER.c.idem_key == bindparam("idem_key")).limit(1)


def _top_statement(since: bool, until: bool) -> Executable:
    points = func.sum(_LEDGER.c.delta)
    stmt = select(_LEDGER.c.member_id, points).where(_LEDGER.c.group_id == bindparam("group_id"))
    if since:
        stmt = stmt.where(_LEDGER.c.created_at >= bindparam("since"))
    if until:
        stmt = stmt.where(_LEDGER.c.created_at < bindparam("until"))
    return (
        stmt.group_by(_LEDGER.c.member_id)
        .having(points > 0)
        .order_by(points.desc(), _LEDGER.c.member_id)
        .limit(bindparam("limit", type_=Integer))
    )


_TOP = {(s, u): _top_statement(s, u) for s in (False, True) for u in (False, True)}


class LedgerRepo:
    """The append-only points ledger. There is no update and no delete."""

    def __init__(self, session: DbSession) -> None:
        self.session = session

    async def has_key(self, idem_key: str) -> bool:
        found = await self.session.execute(_HAS_KEY, {"idem_key": idem_key})
        return found.first() is not None

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
        params = {"group_id": group_id, "member_id": member_id}
        return int((await self.session.execute(_BALANCE, params)).scalar_one())

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
        stmt = _TOP[since is not None, until is not None]
        params = {"group_id": group_id, "since": since, "until": until, "limit": limit}
        rows = (await self.session.execute(stmt, params)).all()
        return [Standing(r[0], int(r[1])) for r in rows]

    async def volume(
        self,
        group_id: str,
        kinds: tuple[str, ...],
        since: datetime,
        until: datetime,
        *,
        actor_id: str | None = None,
        member_id: str | None = None,
    ) -> int:
        """Sum of |delta| of the lines of `kinds` in [since, until), granted by `actor_id`
        and/or to `member_id` (what daily caps count)."""
        stmt = select(func.coalesce(func.sum(func.abs(LedgerEntry.delta)), 0)).where(
            LedgerEntry.group_id == group_id,
            LedgerEntry.kind.in_(kinds),
            LedgerEntry.created_at >= since,
            LedgerEntry.created_at < until,
        )
        if actor_id is not None:
            stmt = stmt.where(LedgerEntry.actor_id == actor_id)
        if member_id is not None:
            stmt = stmt.where(LedgerEntry.member_id == member_id)
        return int((await self.session.execute(stmt)).scalar_one())

    async def volumes(
        self,
        group_id: str,
        member_ids: list[str],
        kinds: tuple[str, ...],
        since: datetime,
        until: datetime,
    ) -> dict[str, int]:
        """`volume` of several members at once (members without lines are left out)."""
        stmt = (
            select(LedgerEntry.member_id, func.sum(func.abs(LedgerEntry.delta)))
            .where(
                LedgerEntry.group_id == group_id,
                LedgerEntry.member_id.in_(member_ids),
                LedgerEntry.kind.in_(kinds),
                LedgerEntry.created_at >= since,
                LedgerEntry.created_at < until,
            )
            .group_by(LedgerEntry.member_id)
        )
        return {r[0]: int(r[1]) for r in (await self.session.execute(stmt)).all()}

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

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    Executable,
    Integer,
    bindparam,
    case,
    delete,
    func,
    insert,
    literal,
    select,
    text,
    union_all,
)

from storage import direct
from storage.keys import fit_key
from storage.models import LedgerEntry, LedgerTotal
from storage.models.base import table_of
from storage.session import DbSession


@dataclass(frozen=True)
class Standing:
    member_id: str
    points: int


@dataclass(frozen=True)
class TotalsDifference:
    """A member's running totals that are not what the member's ledger lines add up to."""

    group_id: str
    member_id: str
    stored: tuple[int, int] | None  # (balance, earned); None: no row
    from_ledger: tuple[int, int] | None  # None: no lines


@dataclass(frozen=True)
class TotalsCheck:
    members: int  # running totals compared
    differences: list[TotalsDifference]


_LEDGER = table_of(LedgerEntry)
_TOTALS = table_of(LedgerTotal)
# Lifetime earned points (what levels are based on) count only the positive lines.
EARNED_DELTA = case((_LEDGER.c.delta > 0, _LEDGER.c.delta), else_=0)

# Hot-path statements are built once, on the Core table: no per-call statement
# construction or ORM result processing, and the compiled form is cached.
MEMBER_TOTALS = (_TOTALS.c.group_id == bindparam("group_id")) & (
    _TOTALS.c.member_id == bindparam("member_id")
)
# A member's (balance, earned) from the running totals, as scalar subqueries (0 when the
# member has no line yet), for queries that need them alongside other figures.
BALANCE_OF_MEMBER = func.coalesce(
    select(_TOTALS.c.balance).where(MEMBER_TOTALS).scalar_subquery(), 0
)
EARNED_OF_MEMBER = func.coalesce(select(_TOTALS.c.earned).where(MEMBER_TOTALS).scalar_subquery(), 0)
_TOTALS_OF_MEMBER = select(BALANCE_OF_MEMBER, EARNED_OF_MEMBER)
_INSERT = insert(_LEDGER)
_HAS_KEY = select(_LEDGER.c.id).where(_LEDGER.c.idem_key == bindparam("idem_key")).limit(1)


_TOP_ALL_TIME = (
    select(_TOTALS.c.member_id, _TOTALS.c.balance)
    .where(_TOTALS.c.group_id == bindparam("group_id"), _TOTALS.c.balance > 0)
    .order_by(_TOTALS.c.balance.desc(), _TOTALS.c.member_id)
    .limit(bindparam("limit", type_=Integer))
)


def _top_of_period(since: bool, until: bool) -> Executable:
    """Members by the points of their lines in a period: read from the covering index
    (group_id, created_at, member_id, delta), so only the period's lines, never the
    history before it."""
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


# On a SQLite file these run straight on the transaction's sqlite3 connection
# (storage/direct.py); elsewhere through the session, unchanged.
_SQLITE_INSERT = direct.CompiledStatement(_INSERT)
_SQLITE_HAS_KEY = direct.CompiledStatement(_HAS_KEY)
_SQLITE_TOTALS_OF_MEMBER = direct.CompiledStatement(_TOTALS_OF_MEMBER)
_SQLITE_TOP_ALL_TIME = direct.CompiledStatement(_TOP_ALL_TIME)

_TOP_OF_PERIOD = {
    (True, False): _top_of_period(True, False),
    (False, True): _top_of_period(False, True),
    (True, True): _top_of_period(True, True),
}


class LedgerRepo:
    """The append-only points ledger. There is no update and no delete."""

    def __init__(self, session: DbSession) -> None:
        self.session = session

    async def has_key(self, idem_key: str) -> bool:
        return bool(
            await direct.rows(self.session, _SQLITE_HAS_KEY, {"idem_key": fit_key(idem_key)})
        )

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
            "idem_key": fit_key(idem_key) if idem_key is not None else None,
        }
        # The database adds the line to the member's running totals in this same statement
        # (the trigger of migration 0021): a line refused by its unique key, or rolled back,
        # never reaches them.
        await direct.run(self.session, _SQLITE_INSERT, values)
        return True

    async def totals(self, group_id: str, member_id: str) -> tuple[int, int]:
        """(balance, lifetime earned), from the running totals."""
        params = {"group_id": group_id, "member_id": member_id}
        (row,) = await direct.rows(self.session, _SQLITE_TOTALS_OF_MEMBER, params)
        return int(row[0]), int(row[1])

    async def balance(self, group_id: str, member_id: str) -> int:
        return (await self.totals(group_id, member_id))[0]

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
        """Members by points in [since, until), highest first (all time without since and
        until: from the running totals, never by summing every line of the group)."""
        params = {"group_id": group_id, "since": since, "until": until, "limit": limit}
        if since is None and until is None:
            rows = await direct.rows(self.session, _SQLITE_TOP_ALL_TIME, params)
        else:
            stmt = _TOP_OF_PERIOD[since is not None, until is not None]
            rows = list((await self.session.execute(stmt, params)).all())
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

    # --- the running totals against the ledger (`groupops ledger verify`) ---------------

    async def check_totals(self) -> TotalsCheck:
        """Recompute every member's running totals from the ledger and compare: the lines
        and the stored rows side by side (UNION ALL, GROUP BY member), one statement, so it
        sees one consistent state while the bot keeps writing."""
        zero = literal(0)
        lines = select(
            _LEDGER.c.group_id,
            _LEDGER.c.member_id,
            _LEDGER.c.delta.label("balance"),
            EARNED_DELTA.label("earned"),
            zero.label("stored_balance"),
            zero.label("stored_earned"),
            literal(1).label("lines"),
            zero.label("rows"),
        )
        stored = select(
            _TOTALS.c.group_id,
            _TOTALS.c.member_id,
            zero,
            zero,
            _TOTALS.c.balance,
            _TOTALS.c.earned,
            zero,
            literal(1),
        )
        both = union_all(lines, stored).subquery()
        sums = [func.sum(both.c[name]) for name in ("balance", "earned")]
        kept = [func.sum(both.c[name]) for name in ("stored_balance", "stored_earned")]
        n_lines, n_rows = func.sum(both.c.lines), func.sum(both.c.rows)
        member = (both.c.group_id, both.c.member_id)
        stmt = (
            select(*member, *sums, *kept, n_lines, n_rows)
            .group_by(*member)
            .having((n_rows != 1) | (n_lines == 0) | (kept[0] != sums[0]) | (kept[1] != sums[1]))
            .order_by(*member)
        )
        differences = [
            TotalsDifference(
                group_id=row[0],
                member_id=row[1],
                stored=(int(row[4]), int(row[5])) if row[7] else None,
                from_ledger=(int(row[2]), int(row[3])) if row[6] else None,
            )
            for row in (await self.session.execute(stmt)).all()
        ]
        count = select(func.count()).select_from(_TOTALS)
        members = int((await self.session.execute(count)).scalar_one())
        return TotalsCheck(members=members, differences=differences)

    async def rebuild_totals(self) -> None:
        """Replace every running total by what the ledger adds up to (a repair, or after
        lines were bulk-inserted without them). On PostgreSQL the totals table is locked
        against writers until the transaction ends, so no line is counted twice or lost."""
        if self.session.get_bind().dialect.name == "postgresql":
            await self.session.execute(text("LOCK TABLE ledger_totals IN SHARE ROW EXCLUSIVE MODE"))
        await self.session.execute(delete(_TOTALS))
        member = (_LEDGER.c.group_id, _LEDGER.c.member_id)
        await self.session.execute(
            insert(_TOTALS).from_select(
                ["group_id", "member_id", "balance", "earned"],
                select(*member, func.sum(_LEDGER.c.delta), func.sum(EARNED_DELTA)).group_by(
                    *member
                ),
            )
        )

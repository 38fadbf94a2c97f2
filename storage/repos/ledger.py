from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
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
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from storage.models import LedgerDay, LedgerEntry, LedgerTotal
from storage.models.base import table_of
from storage.session import DbSession


@dataclass(frozen=True)
class Standing:
    member_id: str
    points: int


@dataclass(frozen=True)
class TotalsDifference:
    """A running total that is not what the ledger's lines add up to (`day` None: the
    member's totals; else that UTC day's points)."""

    group_id: str
    member_id: str
    day: date | None
    stored: tuple[int, ...] | None  # None: no row
    from_ledger: tuple[int, ...] | None  # None: no lines


@dataclass(frozen=True)
class TotalsCheck:
    members: int  # member totals compared
    days: int  # member-day totals compared
    differences: list[TotalsDifference]


_LEDGER = table_of(LedgerEntry)
_TOTALS = table_of(LedgerTotal)
_DAYS = table_of(LedgerDay)
# Lifetime earned points (what levels are based on) count only the positive lines.
EARNED_DELTA = case((_LEDGER.c.delta > 0, _LEDGER.c.delta), else_=0)

# Hot-path statements are built once, on the Core table: no per-call statement
# construction or ORM result processing, and the compiled form is cached.
MEMBER_LINES = (_LEDGER.c.group_id == bindparam("group_id")) & (
    _LEDGER.c.member_id == bindparam("member_id")
)
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


def _running_total_upserts(insert: Any) -> tuple[Executable, Executable]:
    """The two statements that add one line to the running totals: adding `excluded` to
    the stored row in the database (not a read-modify-write), so two processes writing
    the same member's lines on one PostgreSQL stay exact."""
    totals = insert(_TOTALS).values(
        group_id=bindparam("group_id"),
        member_id=bindparam("member_id"),
        balance=bindparam("delta"),
        earned=bindparam("earned"),
    )
    totals = totals.on_conflict_do_update(
        index_elements=[_TOTALS.c.group_id, _TOTALS.c.member_id],
        set_={
            "balance": _TOTALS.c.balance + totals.excluded.balance,
            "earned": _TOTALS.c.earned + totals.excluded.earned,
        },
    )
    days = insert(_DAYS).values(
        group_id=bindparam("group_id"),
        day=bindparam("day", type_=Date),
        member_id=bindparam("member_id"),
        points=bindparam("delta"),
    )
    days = days.on_conflict_do_update(
        index_elements=[_DAYS.c.group_id, _DAYS.c.day, _DAYS.c.member_id],
        set_={"points": _DAYS.c.points + days.excluded.points},
    )
    return totals, days


_UPSERTS = {
    "sqlite": _running_total_upserts(sqlite_insert),
    "postgresql": _running_total_upserts(postgresql_insert),
}

_TOP_ALL_TIME = (
    select(_TOTALS.c.member_id, _TOTALS.c.balance)
    .where(_TOTALS.c.group_id == bindparam("group_id"), _TOTALS.c.balance > 0)
    .order_by(_TOTALS.c.balance.desc(), _TOTALS.c.member_id)
    .limit(bindparam("limit", type_=Integer))
)


def _lines_between(lo: str, hi: str) -> Any:
    return select(_LEDGER.c.member_id, _LEDGER.c.delta.label("points")).where(
        _LEDGER.c.group_id == bindparam("group_id"),
        _LEDGER.c.created_at >= bindparam(lo, type_=_LEDGER.c.created_at.type),
        _LEDGER.c.created_at < bindparam(hi, type_=_LEDGER.c.created_at.type),
    )


def _top_of_period() -> Executable:
    """Members by points in a period: the whole UTC days from `ledger_days`, the lines of
    the partial days at either end from the ledger (see `_period_params`)."""
    whole_days = select(_DAYS.c.member_id, _DAYS.c.points).where(
        _DAYS.c.group_id == bindparam("group_id"),
        _DAYS.c.day >= bindparam("first_day", type_=Date),
        _DAYS.c.day < bindparam("end_day", type_=Date),
    )
    parts = union_all(
        whole_days, _lines_between("head_from", "head_to"), _lines_between("tail_from", "tail_to")
    ).subquery()
    points = func.sum(parts.c.points)
    return (
        select(parts.c.member_id, points)
        .group_by(parts.c.member_id)
        .having(points > 0)
        .order_by(points.desc(), parts.c.member_id)
        .limit(bindparam("limit", type_=Integer))
    )


_TOP_OF_PERIOD = _top_of_period()
# An empty range of lines (created_at >= x and < x)
_NO_TIME = datetime(2000, 1, 1, tzinfo=UTC)


def utc_day(at: datetime) -> date:
    """The day bucket of `ledger_days` a line created at `at` counts in."""
    return at.astimezone(UTC).date()


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), UTC)


def _period_params(since: datetime | None, until: datetime | None) -> dict[str, Any]:
    """Split [since, until) into whole UTC days [first_day, end_day) and the partial days
    before (head) and after (tail) them."""
    lo = since.astimezone(UTC) if since is not None else None
    hi = until.astimezone(UTC) if until is not None else None
    first_day = date.min
    if lo is not None:
        first_day = lo.date() if lo == _midnight(lo.date()) else lo.date() + timedelta(days=1)
    end_day = hi.date() if hi is not None else date.max
    if first_day >= end_day:  # no whole day inside: every line from the ledger
        return {
            "first_day": date.min,
            "end_day": date.min,
            "head_from": lo or datetime.min.replace(tzinfo=UTC),
            "head_to": hi or datetime.max.replace(tzinfo=UTC),
            "tail_from": _NO_TIME,
            "tail_to": _NO_TIME,
        }
    return {
        "first_day": first_day,
        "end_day": end_day,
        "head_from": lo or _NO_TIME,
        "head_to": _midnight(first_day) if lo is not None else _NO_TIME,
        "tail_from": _midnight(end_day) if hi is not None else _NO_TIME,
        "tail_to": hi or _NO_TIME,
    }


def _day_of(column: Any, dialect: str) -> ColumnElement[Any]:
    """The UTC day of a created_at column in SQL (SQLite stores naive UTC text)."""
    if dialect == "postgresql":
        return func.date(func.timezone("UTC", column))
    return func.date(column)


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
        # The running totals, in the same transaction (and savepoint) as the line: a line
        # refused by its unique key, or rolled back, never reaches them.
        totals, days = _UPSERTS[self.session.get_bind().dialect.name]
        params = {
            "group_id": group_id,
            "member_id": member_id,
            "delta": delta,
            "earned": max(delta, 0),
            "day": utc_day(at),
        }
        await self.session.execute(totals, params)
        await self.session.execute(days, params)
        return True

    async def totals(self, group_id: str, member_id: str) -> tuple[int, int]:
        """(balance, lifetime earned), from the running totals."""
        params = {"group_id": group_id, "member_id": member_id}
        row = (await self.session.execute(_TOTALS_OF_MEMBER, params)).one()
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
        """Members by points in [since, until), highest first (all time without since):
        read from the running totals, never by summing every line of the group."""
        if since is None and until is None:
            params: dict[str, Any] = {"group_id": group_id, "limit": limit}
            rows = (await self.session.execute(_TOP_ALL_TIME, params)).all()
        else:
            params = {"group_id": group_id, "limit": limit, **_period_params(since, until)}
            rows = (await self.session.execute(_TOP_OF_PERIOD, params)).all()
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
        """Recompute every running total from the ledger and compare. Each comparison is
        one statement, so it sees one consistent state while the bot keeps writing."""
        dialect = self.session.get_bind().dialect.name
        differences: list[TotalsDifference] = []
        members = await self._compare(
            (_LEDGER.c.group_id, _LEDGER.c.member_id),
            (_LEDGER.c.delta, EARNED_DELTA),
            (_TOTALS.c.group_id, _TOTALS.c.member_id),
            (_TOTALS.c.balance, _TOTALS.c.earned),
            differences,
            with_day=False,
        )
        days = await self._compare(
            (_LEDGER.c.group_id, _LEDGER.c.member_id, _day_of(_LEDGER.c.created_at, dialect)),
            (_LEDGER.c.delta,),
            (_DAYS.c.group_id, _DAYS.c.member_id, _DAYS.c.day),
            (_DAYS.c.points,),
            differences,
            with_day=True,
        )
        return TotalsCheck(members=members, days=days, differences=differences)

    async def _compare(
        self,
        line_keys: tuple[Any, ...],
        line_values: tuple[Any, ...],
        total_keys: tuple[Any, ...],
        total_values: tuple[Any, ...],
        differences: list[TotalsDifference],
        *,
        with_day: bool,
    ) -> int:
        """Sum the lines and the stored rows side by side (UNION ALL, GROUP BY the key):
        one scan of each, in one statement. Returns the number of stored rows compared."""
        width = len(line_values)
        zero = [literal(0)] * width
        keys = [f"k{i}" for i in range(len(line_keys))]
        lines = select(
            *(k.label(n) for k, n in zip(line_keys, keys, strict=True)),
            *(v.label(f"l{i}") for i, v in enumerate(line_values)),
            *(z.label(f"s{i}") for i, z in enumerate(zero)),
            literal(1).label("lines"),
            literal(0).label("rows"),
        )
        stored = select(
            *(k.label(n) for k, n in zip(total_keys, keys, strict=True)),
            *(z.label(f"l{i}") for i, z in enumerate(zero)),
            *(v.label(f"s{i}") for i, v in enumerate(total_values)),
            literal(0).label("lines"),
            literal(1).label("rows"),
        )
        both = union_all(lines, stored).subquery()
        sums = [func.sum(both.c[f"l{i}"]) for i in range(width)]
        kept = [func.sum(both.c[f"s{i}"]) for i in range(width)]
        n_lines, n_rows = func.sum(both.c.lines), func.sum(both.c.rows)
        mismatch = (n_rows != 1) | (n_lines == 0)
        for got, want in zip(kept, sums, strict=True):
            mismatch = mismatch | (got != want)
        stmt = (
            select(*(both.c[n] for n in keys), *sums, *kept, n_lines, n_rows)
            .group_by(*(both.c[n] for n in keys))
            .having(mismatch)
            .order_by(*(both.c[n] for n in keys))
        )
        for row in (await self.session.execute(stmt)).all():
            day = row[2] if with_day else None
            if isinstance(day, str):  # SQLite's date() is text
                day = date.fromisoformat(day)
            at = len(keys)
            want_row = tuple(int(v) for v in row[at : at + width])
            got_row = tuple(int(v) for v in row[at + width : at + 2 * width])
            differences.append(
                TotalsDifference(
                    group_id=row[0],
                    member_id=row[1],
                    day=day,
                    stored=got_row if row[-1] else None,
                    from_ledger=want_row if row[-2] else None,
                )
            )
        table = _DAYS if with_day else _TOTALS
        count = select(func.count()).select_from(table)
        return int((await self.session.execute(count)).scalar_one())

    async def rebuild_totals(self) -> None:
        """Replace every running total by what the ledger adds up to (a repair, or after
        lines were bulk-inserted without them). On PostgreSQL the totals tables are locked
        against writers until the transaction ends, so no line is counted twice or lost."""
        dialect = self.session.get_bind().dialect.name
        if dialect == "postgresql":
            await self.session.execute(
                text("LOCK TABLE ledger_totals, ledger_days IN SHARE ROW EXCLUSIVE MODE")
            )
        await self.session.execute(delete(_TOTALS))
        await self.session.execute(delete(_DAYS))
        member = (_LEDGER.c.group_id, _LEDGER.c.member_id)
        await self.session.execute(
            insert(_TOTALS).from_select(
                ["group_id", "member_id", "balance", "earned"],
                select(*member, func.sum(_LEDGER.c.delta), func.sum(EARNED_DELTA)).group_by(
                    *member
                ),
            )
        )
        day = _day_of(_LEDGER.c.created_at, dialect)
        await self.session.execute(
            insert(_DAYS).from_select(
                ["group_id", "day", "member_id", "points"],
                select(
                    _LEDGER.c.group_id, day, _LEDGER.c.member_id, func.sum(_LEDGER.c.delta)
                ).group_by(_LEDGER.c.group_id, day, _LEDGER.c.member_id),
            )
        )

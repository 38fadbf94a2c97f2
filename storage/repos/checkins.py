from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, bindparam, func, insert, select

from storage import direct
from storage.models import Checkin
from storage.models.base import table_of
from storage.repos.ledger import BALANCE_OF_MEMBER, EARNED_OF_MEMBER
from storage.session import DbSession


@dataclass(frozen=True)
class StreakRow:
    member_id: str
    streak: int


_CHECKINS = table_of(Checkin)
_MEMBER_DAYS = (_CHECKINS.c.group_id == bindparam("group_id")) & (
    _CHECKINS.c.member_id == bindparam("member_id")
)
_LATEST = (
    select(_CHECKINS.c.day, _CHECKINS.c.streak)
    .where(_MEMBER_DAYS, _CHECKINS.c.day <= bindparam("up_to", type_=Date))
    .order_by(_CHECKINS.c.day.desc())
    .limit(1)
    .subquery()
)
# Built once on the Core tables (see storage/repos/ledger.py for why). Every part is an
# index seek: the latest day from the unique (group, member, day) index, the points from
# the member's running totals row; nothing reads the member's whole history.
_STANDING = select(
    select(_LATEST.c.day).scalar_subquery(),
    select(_LATEST.c.streak).scalar_subquery(),
    BALANCE_OF_MEMBER,
    EARNED_OF_MEMBER,
    # a check-in on a later day exists: this one was delivered late (a redelivery, another
    # process), so the later streaks must be recomputed
    select(func.count())
    .select_from(_CHECKINS)
    .where(_MEMBER_DAYS, _CHECKINS.c.day > bindparam("up_to", type_=Date))
    .scalar_subquery(),
)
_COUNT_DAYS = select(func.count()).select_from(_CHECKINS).where(_MEMBER_DAYS)
# /我的: the standing and the number of days checked in, one statement (the count reads the
# member's entries of the covering unique index, about a microsecond per 30 days).
_STANDING_AND_DAYS = _STANDING.add_columns(_COUNT_DAYS.scalar_subquery())
_MAKEUP_CHECK = select(
    select(func.count())
    .select_from(_CHECKINS)
    .where(_MEMBER_DAYS, _CHECKINS.c.day == bindparam("day", type_=Date))
    .scalar_subquery(),
    select(func.count())
    .select_from(_CHECKINS)
    .where(
        _MEMBER_DAYS,
        _CHECKINS.c.makeup.is_(True),
        _CHECKINS.c.checked_at >= bindparam("since"),
        _CHECKINS.c.checked_at <= bindparam("until"),
    )
    .scalar_subquery(),
)
# A Core insert into the table (not the ORM entity): skips the ORM's bulk-insert machinery,
# ~30% of a check-in's cost.
_INSERT = insert(_CHECKINS)
# On a SQLite file the check-in's statements run straight on the transaction's sqlite3
# connection (storage/direct.py); elsewhere through the session, unchanged.
_SQLITE_STANDING = direct.CompiledStatement(_STANDING)
_SQLITE_STANDING_AND_DAYS = direct.CompiledStatement(_STANDING_AND_DAYS)
_SQLITE_MAKEUP_CHECK = direct.CompiledStatement(_MAKEUP_CHECK)
_SQLITE_INSERT = direct.CompiledStatement(_INSERT)


@dataclass(frozen=True)
class MakeupCheck:
    day_taken: bool  # the member already has a check-in on that day
    used_this_month: int  # make-up cards used in the window


@dataclass(frozen=True)
class Standing:
    last_day: date | None
    last_streak: int
    balance: int  # sum of the member's ledger lines (their running total)
    earned: int  # sum of the positive lines (levels are based on it)
    later_days: int = 0  # check-ins after `up_to`


def _standing(row: Any) -> Standing:
    return Standing(
        last_day=row[0],
        last_streak=int(row[1] or 0),
        balance=int(row[2]),
        earned=int(row[3]),
        later_days=int(row[4]),
    )


class CheckinRepo:
    def __init__(self, session: DbSession) -> None:
        self.session = session

    async def makeup_check(
        self, group_id: str, member_id: str, day: date, since: datetime, until: datetime
    ) -> MakeupCheck:
        """Is `day` already checked in, and how many make-up cards were used (by when they
        were used) in [since, until]? One query."""
        params = {
            "group_id": group_id,
            "member_id": member_id,
            "day": day,
            "since": since,
            "until": until,
        }
        (row,) = await direct.rows(self.session, _SQLITE_MAKEUP_CHECK, params)
        return MakeupCheck(day_taken=bool(row[0]), used_this_month=int(row[1]))

    async def standing(self, group_id: str, member_id: str, up_to: date) -> Standing:
        """Everything a check-in needs to know, in one query: the latest check-in on or
        before `up_to` and the member's ledger totals (kept running with every line)."""
        params = {"group_id": group_id, "member_id": member_id, "up_to": up_to}
        (row,) = await direct.rows(self.session, _SQLITE_STANDING, params)
        return _standing(row)

    async def standing_and_days(
        self, group_id: str, member_id: str, up_to: date
    ) -> tuple[Standing, int]:
        """`standing` and `count_days` in one query."""
        params = {"group_id": group_id, "member_id": member_id, "up_to": up_to}
        (row,) = await direct.rows(self.session, _SQLITE_STANDING_AND_DAYS, params)
        return _standing(row), int(row[5])

    async def insert(self, values: dict[str, object]) -> None:
        """Insert one check-in row (a unique (group, member, day) violation raises)."""
        await direct.run(self.session, _SQLITE_INSERT, values)

    async def from_day(self, group_id: str, member_id: str, first: date) -> list[Checkin]:
        """A member's check-ins on or after a day, oldest first."""
        stmt = (
            select(Checkin)
            .where(
                Checkin.group_id == group_id, Checkin.member_id == member_id, Checkin.day >= first
            )
            .order_by(Checkin.day)
        )
        return list((await self.session.execute(stmt)).scalars())

    async def count_days(self, group_id: str, member_id: str) -> int:
        params = {"group_id": group_id, "member_id": member_id}
        return int((await self.session.execute(_COUNT_DAYS, params)).scalar_one())

    async def count_on_day(self, group_id: str, day: date) -> int:
        stmt = select(func.count()).where(Checkin.group_id == group_id, Checkin.day == day)
        return int((await self.session.execute(stmt)).scalar_one())

    async def current_streaks(self, group_id: str, today: date, limit: int) -> list[StreakRow]:
        """Longest live streaks (checked in today or yesterday), longest first."""
        latest = (
            select(Checkin.member_id, func.max(Checkin.day).label("last_day"))
            .where(Checkin.group_id == group_id)
            .group_by(Checkin.member_id)
            .subquery()
        )
        stmt = (
            select(Checkin.member_id, Checkin.streak)
            .join(
                latest,
                (latest.c.member_id == Checkin.member_id) & (latest.c.last_day == Checkin.day),
            )
            .where(
                Checkin.group_id == group_id, Checkin.day >= date.fromordinal(today.toordinal() - 1)
            )
            .order_by(Checkin.streak.desc(), Checkin.member_id)
            .limit(limit)
        )
        rows = (await self.session.execute(stmt)).all()
        return [StreakRow(member_id=r[0], streak=int(r[1])) for r in rows]

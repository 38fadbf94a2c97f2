from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import delete, distinct, func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from storage import direct
from storage.models import ActivityEntry
from storage.models.base import table_of
from storage.rounds import RoundWindow
from storage.session import DbSession

_TABLE = table_of(ActivityEntry)
# Insert-or-ignore: an event already logged (unique group, message id, kind) adds nothing.
_INSERTS = {
    "sqlite": sqlite_insert(_TABLE).on_conflict_do_nothing(),
    "postgresql": postgresql_insert(_TABLE).on_conflict_do_nothing(),
}
# On a SQLite file the batch runs straight on the transaction's sqlite3 connection
# (storage/direct.py): SQLAlchemy's executemany processed each row's parameters several
# times over.
_SQLITE_INSERT = direct.CompiledStatement(_INSERTS["sqlite"])


@dataclass(frozen=True)
class DayCount:
    day: date
    messages: int
    members: int


class ActivityRepo:
    def __init__(self, session: DbSession) -> None:
        self.session = session

    async def add_many(self, rows: list[dict[str, object]]) -> None:
        """Log events in one batch; events already in the log are skipped."""
        if rows:
            other = _INSERTS[self.session.get_bind().dialect.name]
            await direct.run_many(self.session, _SQLITE_INSERT, rows, otherwise=other)

    async def active_members(
        self,
        group_id: str,
        since: datetime,
        until: datetime,
        kinds: tuple[str, ...] = ("text", "image"),
    ) -> set[str]:
        """Members who posted in [since, until)."""
        stmt = (
            select(ActivityEntry.member_id)
            .where(
                ActivityEntry.group_id == group_id,
                ActivityEntry.at >= since,
                ActivityEntry.at < until,
                ActivityEntry.kind.in_(kinds),
            )
            .distinct()
        )
        return set((await self.session.execute(stmt)).scalars())

    async def active_on_day(
        self, group_id: str, day: date, window: RoundWindow | None = None
    ) -> set[str]:
        """Members who posted on a local day (only at times within `window`, when given)."""
        stmt = (
            select(ActivityEntry.member_id)
            .where(
                ActivityEntry.group_id == group_id,
                ActivityEntry.day == day,
                ActivityEntry.kind.in_(("text", "image")),
            )
            .distinct()
        )
        if window is not None:
            stmt = stmt.where(window.holds(ActivityEntry.at))
        return set((await self.session.execute(stmt)).scalars())

    async def per_day(self, group_id: str, first: date, last: date) -> list[DayCount]:
        """Messages and distinct posting members per local day in [first, last]."""
        stmt = (
            select(
                ActivityEntry.day,
                func.count(ActivityEntry.id),
                func.count(distinct(ActivityEntry.member_id)),
            )
            .where(
                ActivityEntry.group_id == group_id,
                ActivityEntry.day >= first,
                ActivityEntry.day <= last,
                ActivityEntry.kind.in_(("text", "image")),
            )
            .group_by(ActivityEntry.day)
            .order_by(ActivityEntry.day)
        )
        rows = (await self.session.execute(stmt)).all()
        return [DayCount(r[0], int(r[1]), int(r[2])) for r in rows]

    async def last_seen(self, group_id: str) -> dict[str, datetime]:
        """Each member's latest activity of any kind in the group."""
        stmt = (
            select(ActivityEntry.member_id, func.max(ActivityEntry.at))
            .where(ActivityEntry.group_id == group_id)
            .group_by(ActivityEntry.member_id)
        )
        return {r[0]: r[1] for r in (await self.session.execute(stmt)).all()}

    async def prune_before(self, cutoff: datetime) -> int:
        """Delete log rows older than cutoff (retention); returns how many went."""
        result = await self.session.execute(delete(ActivityEntry).where(ActivityEntry.at < cutoff))
        return int(getattr(result, "rowcount", 0) or 0)

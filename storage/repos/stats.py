"""Read-only figures for group health over the activity log, check-ins and the ledger, and
the retention prune of the activity log (the only thing this feature ever deletes)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import delete, distinct, func, select

from storage.models import ActivityEntry, Checkin, LedgerEntry, Member
from storage.models.moderation import PUBLIC_ACTIONS, Violation
from storage.models.qa import QaBacklog
from storage.session import DbSession

POSTS = ("text", "image")


@dataclass(frozen=True)
class MemberTrail:
    """A member's latest activity of each kind (None: none in the kept log)."""

    member_id: str
    last_post: datetime | None
    last_join: datetime | None
    last_leave: datetime | None

    @property
    def still_in_group(self) -> bool:
        if self.last_leave is None:
            return True
        latest_other = max(
            (t for t in (self.last_post, self.last_join) if t is not None), default=None
        )
        return latest_other is not None and latest_other > self.last_leave


class StatsRepo:
    def __init__(self, session: DbSession) -> None:
        self.session = session

    # --- activity log -------------------------------------------------------------------

    async def kind_counts(self, group_id: str, since: datetime, until: datetime) -> dict[str, int]:
        """Rows per kind (text, image, join, leave) in [since, until)."""
        stmt = (
            select(ActivityEntry.kind, func.count(ActivityEntry.id))
            .where(
                ActivityEntry.group_id == group_id,
                ActivityEntry.at >= since,
                ActivityEntry.at < until,
            )
            .group_by(ActivityEntry.kind)
        )
        return {r[0]: int(r[1]) for r in (await self.session.execute(stmt)).all()}

    async def top_posters(
        self, group_id: str, first: date, last: date, limit: int
    ) -> list[tuple[str, int]]:
        """Members by messages on local days [first, last], most first."""
        count = func.count(ActivityEntry.id)
        stmt = (
            select(ActivityEntry.member_id, count)
            .where(
                ActivityEntry.group_id == group_id,
                ActivityEntry.day >= first,
                ActivityEntry.day <= last,
                ActivityEntry.kind.in_(POSTS),
            )
            .group_by(ActivityEntry.member_id)
            .order_by(count.desc(), ActivityEntry.member_id)
            .limit(limit)
        )
        return [(r[0], int(r[1])) for r in (await self.session.execute(stmt)).all()]

    async def posters_between(self, group_id: str, first: date, last: date) -> int:
        stmt = select(func.count(distinct(ActivityEntry.member_id))).where(
            ActivityEntry.group_id == group_id,
            ActivityEntry.day >= first,
            ActivityEntry.day <= last,
            ActivityEntry.kind.in_(POSTS),
        )
        return int((await self.session.execute(stmt)).scalar_one())

    async def trails(
        self, group_id: str, member_ids: Iterable[str] | None = None
    ) -> dict[str, MemberTrail]:
        """Each member's latest post, join and leave in the kept log (one grouped query)."""
        stmt = select(
            ActivityEntry.member_id, ActivityEntry.kind, func.max(ActivityEntry.at)
        ).where(ActivityEntry.group_id == group_id)
        if member_ids is not None:
            stmt = stmt.where(ActivityEntry.member_id.in_(list(member_ids)))
        stmt = stmt.group_by(ActivityEntry.member_id, ActivityEntry.kind)
        latest: dict[str, dict[str, datetime]] = {}
        for member, kind, at in (await self.session.execute(stmt)).all():
            slot = "post" if kind in POSTS else kind
            mine = latest.setdefault(member, {})
            if slot not in mine or at > mine[slot]:
                mine[slot] = at
        return {
            m: MemberTrail(m, k.get("post"), k.get("join"), k.get("leave"))
            for m, k in latest.items()
        }

    async def has_data(self, group_id: str) -> bool:
        """Whether anything is stored for the group: activity, check-ins, points, members."""
        for model in (ActivityEntry, Checkin, LedgerEntry, Member):
            stmt = select(model.group_id).where(model.group_id == group_id).limit(1)
            if (await self.session.execute(stmt)).first() is not None:
                return True
        return False

    async def logged_groups(self) -> list[str]:
        stmt = select(ActivityEntry.group_id).distinct().order_by(ActivityEntry.group_id)
        return list((await self.session.execute(stmt)).scalars())

    async def groups_active_between(self, first: date, last: date) -> list[str]:
        stmt = (
            select(ActivityEntry.group_id)
            .where(
                ActivityEntry.day >= first,
                ActivityEntry.day <= last,
                ActivityEntry.kind.in_(POSTS),
            )
            .distinct()
            .order_by(ActivityEntry.group_id)
        )
        return list((await self.session.execute(stmt)).scalars())

    async def prune_activity(self, group_ids: list[str], cutoff: datetime) -> int:
        """Delete these groups' activity-log rows older than cutoff; returns how many went."""
        gone = 0
        for start in range(0, len(group_ids), 500):
            chunk = group_ids[start : start + 500]
            result = await self.session.execute(
                delete(ActivityEntry).where(
                    ActivityEntry.group_id.in_(chunk), ActivityEntry.at < cutoff
                )
            )
            gone += int(getattr(result, "rowcount", 0) or 0)
        return gone

    # --- check-ins ----------------------------------------------------------------------

    async def checkins_per_day(self, group_id: str, first: date, last: date) -> dict[date, int]:
        stmt = (
            select(Checkin.day, func.count(Checkin.id))
            .where(Checkin.group_id == group_id, Checkin.day >= first, Checkin.day <= last)
            .group_by(Checkin.day)
        )
        return {r[0]: int(r[1]) for r in (await self.session.execute(stmt)).all()}

    async def checkin_members(self, group_id: str, first: date, last: date) -> int:
        stmt = select(func.count(distinct(Checkin.member_id))).where(
            Checkin.group_id == group_id, Checkin.day >= first, Checkin.day <= last
        )
        return int((await self.session.execute(stmt)).scalar_one())

    async def first_recorded_day(self, group_id: str) -> date | None:
        """The group's first local day with any record (activity or check-in): the bot was
        not there before it, so rates do not count earlier days."""
        activity = select(func.min(ActivityEntry.day)).where(ActivityEntry.group_id == group_id)
        checkins = select(func.min(Checkin.day)).where(Checkin.group_id == group_id)
        days = [
            (await self.session.execute(stmt)).scalar_one_or_none() for stmt in (activity, checkins)
        ]
        found = [d for d in days if d is not None]
        return min(found) if found else None

    async def last_checkins(self, group_id: str, member_ids: Iterable[str]) -> dict[str, datetime]:
        """When each member last checked in (the time of the message, make-ups included)."""
        stmt = (
            select(Checkin.member_id, func.max(Checkin.checked_at))
            .where(Checkin.group_id == group_id, Checkin.member_id.in_(list(member_ids)))
            .group_by(Checkin.member_id)
        )
        return {r[0]: r[1] for r in (await self.session.execute(stmt)).all()}

    # --- other features' records (read only) ----------------------------------------------

    async def backlog_between(
        self, group_id: str, since: datetime, until: datetime
    ) -> dict[str, int]:
        """Questions the Q&A feature could not answer, asked in [since, until), by status
        (open | answered: an admin answered it later)."""
        stmt = (
            select(QaBacklog.status, func.count(QaBacklog.id))
            .where(
                QaBacklog.group_id == group_id,
                QaBacklog.asked_at >= since,
                QaBacklog.asked_at < until,
            )
            .group_by(QaBacklog.status)
        )
        return {r[0]: int(r[1]) for r in (await self.session.execute(stmt)).all()}

    async def spam_between(self, group_id: str, since: datetime, until: datetime) -> int:
        """Spam messages caught (violations acted on in public) in [since, until); private
        notes about offer words are not counted: nothing was blocked."""
        stmt = select(func.count(Violation.id)).where(
            Violation.group_id == group_id,
            Violation.created_at >= since,
            Violation.created_at < until,
            Violation.action.in_(PUBLIC_ACTIONS),
        )
        return int((await self.session.execute(stmt)).scalar_one())

    # --- ledger -------------------------------------------------------------------------

    async def points_granted(
        self, group_id: str, since: datetime, until: datetime
    ) -> dict[str, int]:
        """Points granted (positive ledger lines) in [since, until), by kind."""
        total = func.sum(LedgerEntry.delta)
        stmt = (
            select(LedgerEntry.kind, total)
            .where(
                LedgerEntry.group_id == group_id,
                LedgerEntry.created_at >= since,
                LedgerEntry.created_at < until,
                LedgerEntry.delta > 0,
            )
            .group_by(LedgerEntry.kind)
        )
        return {r[0]: int(r[1]) for r in (await self.session.execute(stmt)).all()}

"""Boards across a set of groups: single-group queries over `group_id IN (...)`.

Points stay in each group's own ledger; a set board lists one row per (group, member), so a
member of two groups of a set appears once for each group, with what that group's ledger
holds. Each function here mirrors one single-group query (`LedgerRepo.top`, the figures of
`StatsRepo` and `ActivityRepo.per_day`, the names of `MemberRepo` and `NewcomerRepo`) with
the same SQL shape, grouped by group id as well; the single-group ones are left untouched.
Results are keyed by group id; a group without rows is absent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Executable, Integer, bindparam, distinct, func, select

from storage.models import ActivityEntry, Checkin, LedgerEntry, LedgerTotal, Member, Newcomer
from storage.models.base import table_of
from storage.models.moderation import PUBLIC_ACTIONS, Violation
from storage.models.qa import QaBacklog
from storage.repos.stats import POSTS
from storage.session import DbSession

_LEDGER = table_of(LedgerEntry)


@dataclass(frozen=True)
class GroupStanding:
    group_id: str
    member_id: str
    points: int


def _top_across_statement(since: bool, until: bool) -> Executable:
    points = func.sum(_LEDGER.c.delta)
    stmt = select(_LEDGER.c.group_id, _LEDGER.c.member_id, points).where(
        _LEDGER.c.group_id.in_(bindparam("group_ids", expanding=True))
    )
    if since:
        stmt = stmt.where(_LEDGER.c.created_at >= bindparam("since"))
    if until:
        stmt = stmt.where(_LEDGER.c.created_at < bindparam("until"))
    return (
        stmt.group_by(_LEDGER.c.group_id, _LEDGER.c.member_id)
        .having(points > 0)
        .order_by(points.desc(), _LEDGER.c.group_id, _LEDGER.c.member_id)
        .limit(bindparam("limit", type_=Integer))
    )


_TOP_ACROSS = {(s, u): _top_across_statement(s, u) for s in (False, True) for u in (False, True)}
_TOTALS = table_of(LedgerTotal)
# All time: the members' running totals (kept with every ledger line), not every line of
# every group of the set.
_TOP_ACROSS[False, False] = (
    select(_TOTALS.c.group_id, _TOTALS.c.member_id, _TOTALS.c.balance)
    .where(_TOTALS.c.group_id.in_(bindparam("group_ids", expanding=True)), _TOTALS.c.balance > 0)
    .order_by(_TOTALS.c.balance.desc(), _TOTALS.c.group_id, _TOTALS.c.member_id)
    .limit(bindparam("limit", type_=Integer))
)


class SetBoardRepo:
    """Read-only queries over several groups at once."""

    def __init__(self, session: DbSession) -> None:
        self.session = session

    async def top_across(
        self,
        group_ids: Sequence[str],
        limit: int,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[GroupStanding]:
        """(group, member) pairs by points in [since, until) over `group_ids`, highest
        first (all time without since); ties by group id, then member id."""
        if not group_ids:
            return []
        stmt = _TOP_ACROSS[since is not None, until is not None]
        params = {
            "group_ids": list(group_ids),
            "since": since,
            "until": until,
            "limit": limit,
        }
        rows = (await self.session.execute(stmt, params)).all()
        return [GroupStanding(r[0], r[1], int(r[2])) for r in rows]


class SetStatsRepo:
    """The group-health figures of several groups at once (see StatsRepo for each one's
    meaning); the window is the same for all the groups asked (one timezone)."""

    def __init__(self, session: DbSession) -> None:
        self.session = session

    async def per_day(
        self, group_ids: Sequence[str], first: date, last: date
    ) -> dict[str, dict[date, tuple[int, int]]]:
        """ActivityRepo.per_day: (messages, distinct posting members) per local day in
        [first, last]."""
        stmt = (
            select(
                ActivityEntry.group_id,
                ActivityEntry.day,
                func.count(ActivityEntry.id),
                func.count(distinct(ActivityEntry.member_id)),
            )
            .where(
                ActivityEntry.group_id.in_(list(group_ids)),
                ActivityEntry.day >= first,
                ActivityEntry.day <= last,
                ActivityEntry.kind.in_(POSTS),
            )
            .group_by(ActivityEntry.group_id, ActivityEntry.day)
        )
        out: dict[str, dict[date, tuple[int, int]]] = {}
        for gid, day, count, members in (await self.session.execute(stmt)).all():
            out.setdefault(gid, {})[day] = (int(count), int(members))
        return out

    async def kind_counts(
        self, group_ids: Sequence[str], since: datetime, until: datetime
    ) -> dict[str, dict[str, int]]:
        stmt = (
            select(ActivityEntry.group_id, ActivityEntry.kind, func.count(ActivityEntry.id))
            .where(
                ActivityEntry.group_id.in_(list(group_ids)),
                ActivityEntry.at >= since,
                ActivityEntry.at < until,
            )
            .group_by(ActivityEntry.group_id, ActivityEntry.kind)
        )
        out: dict[str, dict[str, int]] = {}
        for gid, kind, count in (await self.session.execute(stmt)).all():
            out.setdefault(gid, {})[kind] = int(count)
        return out

    async def posters_between(
        self, group_ids: Sequence[str], first: date, last: date
    ) -> dict[str, int]:
        stmt = (
            select(ActivityEntry.group_id, func.count(distinct(ActivityEntry.member_id)))
            .where(
                ActivityEntry.group_id.in_(list(group_ids)),
                ActivityEntry.day >= first,
                ActivityEntry.day <= last,
                ActivityEntry.kind.in_(POSTS),
            )
            .group_by(ActivityEntry.group_id)
        )
        return {r[0]: int(r[1]) for r in (await self.session.execute(stmt)).all()}

    async def top_posters(
        self, group_ids: Sequence[str], first: date, last: date, limit: int
    ) -> list[tuple[str, str, int]]:
        """StatsRepo.top_posters: (group, member, messages) on local days [first, last],
        most first; ties by group id, then member id."""
        count = func.count(ActivityEntry.id)
        stmt = (
            select(ActivityEntry.group_id, ActivityEntry.member_id, count)
            .where(
                ActivityEntry.group_id.in_(list(group_ids)),
                ActivityEntry.day >= first,
                ActivityEntry.day <= last,
                ActivityEntry.kind.in_(POSTS),
            )
            .group_by(ActivityEntry.group_id, ActivityEntry.member_id)
            .order_by(count.desc(), ActivityEntry.group_id, ActivityEntry.member_id)
            .limit(limit)
        )
        return [(r[0], r[1], int(r[2])) for r in (await self.session.execute(stmt)).all()]

    async def checkins_per_day(
        self, group_ids: Sequence[str], first: date, last: date
    ) -> dict[str, dict[date, int]]:
        stmt = (
            select(Checkin.group_id, Checkin.day, func.count(Checkin.id))
            .where(Checkin.group_id.in_(list(group_ids)), Checkin.day >= first, Checkin.day <= last)
            .group_by(Checkin.group_id, Checkin.day)
        )
        out: dict[str, dict[date, int]] = {}
        for gid, day, count in (await self.session.execute(stmt)).all():
            out.setdefault(gid, {})[day] = int(count)
        return out

    async def checkin_members(
        self, group_ids: Sequence[str], first: date, last: date
    ) -> dict[str, int]:
        stmt = (
            select(Checkin.group_id, func.count(distinct(Checkin.member_id)))
            .where(Checkin.group_id.in_(list(group_ids)), Checkin.day >= first, Checkin.day <= last)
            .group_by(Checkin.group_id)
        )
        return {r[0]: int(r[1]) for r in (await self.session.execute(stmt)).all()}

    async def first_recorded_days(self, group_ids: Sequence[str]) -> dict[str, date]:
        """StatsRepo.first_recorded_day: the first local day with activity or a check-in."""
        out: dict[str, date] = {}
        for model in (ActivityEntry, Checkin):
            stmt = (
                select(model.group_id, func.min(model.day))
                .where(model.group_id.in_(list(group_ids)))
                .group_by(model.group_id)
            )
            for gid, day in (await self.session.execute(stmt)).all():
                if day is not None and (gid not in out or day < out[gid]):
                    out[gid] = day
        return out

    async def backlog_between(
        self, group_ids: Sequence[str], since: datetime, until: datetime
    ) -> dict[str, dict[str, int]]:
        stmt = (
            select(QaBacklog.group_id, QaBacklog.status, func.count(QaBacklog.id))
            .where(
                QaBacklog.group_id.in_(list(group_ids)),
                QaBacklog.asked_at >= since,
                QaBacklog.asked_at < until,
            )
            .group_by(QaBacklog.group_id, QaBacklog.status)
        )
        out: dict[str, dict[str, int]] = {}
        for gid, status, count in (await self.session.execute(stmt)).all():
            out.setdefault(gid, {})[status] = int(count)
        return out

    async def spam_between(
        self, group_ids: Sequence[str], since: datetime, until: datetime
    ) -> dict[str, int]:
        stmt = (
            select(Violation.group_id, func.count(Violation.id))
            .where(
                Violation.group_id.in_(list(group_ids)),
                Violation.created_at >= since,
                Violation.created_at < until,
                Violation.action.in_(PUBLIC_ACTIONS),
            )
            .group_by(Violation.group_id)
        )
        return {r[0]: int(r[1]) for r in (await self.session.execute(stmt)).all()}

    async def points_granted(
        self, group_ids: Sequence[str], since: datetime, until: datetime
    ) -> dict[str, dict[str, int]]:
        stmt = (
            select(LedgerEntry.group_id, LedgerEntry.kind, func.sum(LedgerEntry.delta))
            .where(
                LedgerEntry.group_id.in_(list(group_ids)),
                LedgerEntry.created_at >= since,
                LedgerEntry.created_at < until,
                LedgerEntry.delta > 0,
            )
            .group_by(LedgerEntry.group_id, LedgerEntry.kind)
        )
        out: dict[str, dict[str, int]] = {}
        for gid, kind, total in (await self.session.execute(stmt)).all():
            out.setdefault(gid, {})[kind] = int(total)
        return out

    async def names(self, pairs: Sequence[tuple[str, str]]) -> dict[tuple[str, str], str]:
        """Display names of (group, member) pairs: the member list's name, else the name
        given when they joined (as handlers.stats.display_names reads them)."""
        if not pairs:
            return {}
        wanted = set(pairs)
        groups = sorted({g for g, _ in pairs})
        members = sorted({m for _, m in pairs})
        out: dict[tuple[str, str], str] = {}
        for stmt in (
            select(Newcomer.group_id, Newcomer.member_id, Newcomer.member_name).where(
                Newcomer.group_id.in_(groups), Newcomer.member_id.in_(members)
            ),
            select(Member.group_id, Member.member_id, Member.display_name).where(
                Member.group_id.in_(groups), Member.member_id.in_(members)
            ),
        ):
            for gid, mid, name in (await self.session.execute(stmt)).all():
                if (gid, mid) in wanted and name:
                    out[(gid, mid)] = name
        return out

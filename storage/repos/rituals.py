"""Ritual runs (the exactly-once record) and the figures a digest needs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select

from storage.models import Checkin, GroupState, RitualRun
from storage.session import DbSession, scalar_or_none

RunKey = tuple[str, str, str]  # (group_id, ritual_id, part)


class RitualRunRepo:
    def __init__(self, session: DbSession) -> None:
        self.session = session

    async def claim(
        self,
        *,
        group_id: str,
        ritual_id: str,
        part: str,
        scheduled_at: datetime,
        status: str,
        at: datetime,
        actor_id: str | None = None,
        note: str = "",
    ) -> RitualRun:
        """Insert the run row now; raises IntegrityError when it is already recorded."""
        run = RitualRun(
            group_id=group_id,
            ritual_id=ritual_id,
            part=part,
            scheduled_at=scheduled_at,
            status=status,
            created_at=at,
            finished_at=None if status == "claimed" else at,
            actor_id=actor_id,
            note=note[:255],
        )
        self.session.add(run)
        await self.session.flush()
        return run

    async def finish(self, run_id: int, status: str, at: datetime, note: str = "") -> None:
        run = await self.session.get(RitualRun, run_id)
        if run is not None:
            run.status, run.finished_at = status, at
            if note:
                run.note = note[:255]

    async def status_of(
        self, group_id: str, ritual_id: str, part: str, scheduled_at: datetime
    ) -> str | None:
        stmt = select(RitualRun.status).where(
            RitualRun.group_id == group_id,
            RitualRun.ritual_id == ritual_id,
            RitualRun.part == part,
            RitualRun.scheduled_at == scheduled_at,
        )
        return await scalar_or_none(self.session, stmt, str)

    async def last_scheduled(self, group_ids: list[str], up_to: datetime) -> dict[RunKey, datetime]:
        """The latest recorded scheduled time (not after `up_to`) per (group, ritual, part)."""
        if not group_ids:
            return {}
        stmt = (
            select(
                RitualRun.group_id,
                RitualRun.ritual_id,
                RitualRun.part,
                func.max(RitualRun.scheduled_at),
            )
            .where(RitualRun.group_id.in_(group_ids), RitualRun.scheduled_at <= up_to)
            .group_by(RitualRun.group_id, RitualRun.ritual_id, RitualRun.part)
        )
        out: dict[RunKey, datetime] = {}
        for g, r, p, last in (await self.session.execute(stmt)).all():
            out[(g, r, p)] = last  # func.max keeps the UTCDateTime type
        return out

    async def skipped_after(self, group_id: str, after: datetime) -> set[tuple[str, datetime]]:
        """(ritual id, scheduled time) of future runs marked skipped."""
        stmt = select(RitualRun.ritual_id, RitualRun.scheduled_at).where(
            RitualRun.group_id == group_id,
            RitualRun.part == "post",
            RitualRun.status == "skipped",
            RitualRun.scheduled_at > after,
        )
        return {(r[0], r[1]) for r in (await self.session.execute(stmt)).all()}

    async def of_group(self, group_id: str) -> list[RitualRun]:
        stmt = (
            select(RitualRun)
            .where(RitualRun.group_id == group_id)
            .order_by(RitualRun.scheduled_at, RitualRun.id)
        )
        return list((await self.session.execute(stmt)).scalars())

    async def is_paused(self, group_id: str) -> bool:
        state = await self.session.get(GroupState, group_id)
        return bool(state is not None and state.paused)


@dataclass(frozen=True)
class CheckinSummary:
    members: int  # distinct members who checked in
    checkins: int


@dataclass(frozen=True)
class StreakPeak:
    member_id: str
    streak: int


class DigestRepo:
    """Check-in figures over a range of local days (inclusive), for digests."""

    def __init__(self, session: DbSession) -> None:
        self.session = session

    async def checkin_summary(self, group_id: str, first: date, last: date) -> CheckinSummary:
        stmt = select(func.count(func.distinct(Checkin.member_id)), func.count()).where(
            Checkin.group_id == group_id, Checkin.day >= first, Checkin.day <= last
        )
        row = (await self.session.execute(stmt)).one()
        return CheckinSummary(members=int(row[0]), checkins=int(row[1]))

    async def top_streaks(
        self, group_id: str, first: date, last: date, limit: int
    ) -> list[StreakPeak]:
        """The longest streak each member reached in the range, longest first."""
        peak = func.max(Checkin.streak)
        stmt = (
            select(Checkin.member_id, peak)
            .where(Checkin.group_id == group_id, Checkin.day >= first, Checkin.day <= last)
            .group_by(Checkin.member_id)
            .order_by(peak.desc(), Checkin.member_id)
            .limit(limit)
        )
        return [StreakPeak(r[0], int(r[1])) for r in (await self.session.execute(stmt)).all()]

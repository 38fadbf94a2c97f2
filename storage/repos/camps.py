"""Camp members, camp days (submissions), reviews and peer-review pairs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, bindparam, case, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from storage.models import CampDay, CampMember, CampPair, CampReview
from storage.models.base import table_of
from storage.session import DbSession, scalar_or_none

_DAYS = table_of(CampDay)


def _insert_day_ignoring_duplicates(dialect_insert: Any) -> Any:
    """One camp day per (group, camp, member, day): a second one is silently not inserted,
    so the check-in it comes with is kept either way."""
    return dialect_insert(_DAYS).on_conflict_do_nothing(
        index_elements=[_DAYS.c.group_id, _DAYS.c.camp_id, _DAYS.c.member_id, _DAYS.c.day]
    )


_INSERT_DAY = {
    "sqlite": _insert_day_ignoring_duplicates(sqlite_insert),
    "postgresql": _insert_day_ignoring_duplicates(postgresql_insert),
}
# Statements of a check-in's path, built once on the Core tables (see storage/repos/ledger.py).
_MEMBERS = table_of(CampMember)
_MEMBERSHIPS = select(_MEMBERS.c.camp_id, _MEMBERS.c.joined_at).where(
    _MEMBERS.c.group_id == bindparam("group_id"),
    _MEMBERS.c.member_id == bindparam("member_id"),
    _MEMBERS.c.left_at.is_(None),
)  # every camp of the member in the group (a handful), filtered in Python: no IN list
_MEMBERSHIPS_LOCKED = _MEMBERSHIPS.with_for_update()
_PROGRESS = select(
    func.count(), func.coalesce(func.sum(case((_DAYS.c.makeup, 1), else_=0)), 0)
).where(
    _DAYS.c.group_id == bindparam("group_id"),
    _DAYS.c.camp_id == bindparam("camp_id"),
    _DAYS.c.member_id == bindparam("member_id"),
)


@dataclass(frozen=True)
class Membership:
    """A member's current membership of one camp."""

    camp_id: str
    joined_at: datetime


@dataclass(frozen=True)
class CampStanding:
    """A member's record in one camp."""

    member_id: str
    joined_at: datetime
    days: int  # camp days done (make-up cards included)
    makeups: int
    points: int  # points from reviews of their work (teacher, peers, excellent)
    excellent: int  # submissions marked excellent


@dataclass(frozen=True)
class ReviewedWork:
    """A submission and what its reviews gave it, for the closing post."""

    submission: CampDay
    reviews: int
    points: int


class CampRepo:
    def __init__(self, session: DbSession) -> None:
        self.session = session

    # --- membership -------------------------------------------------------------------------

    async def membership(self, group_id: str, camp_id: str, member_id: str) -> CampMember | None:
        stmt = select(CampMember).where(
            CampMember.group_id == group_id,
            CampMember.camp_id == camp_id,
            CampMember.member_id == member_id,
        )
        return await scalar_or_none(self.session, stmt, CampMember)

    async def join(self, group_id: str, camp_id: str, member_id: str, at: datetime) -> str:
        """ "joined", "rejoined" (left before; the days done are kept) or "already"."""
        row = await self.membership(group_id, camp_id, member_id)
        if row is None:
            self.session.add(
                CampMember(group_id=group_id, camp_id=camp_id, member_id=member_id, joined_at=at)
            )
            await self.session.flush()  # a concurrent join of the same member raises here
            return "joined"
        if row.left_at is None:
            return "already"
        row.left_at = None
        return "rejoined"

    async def leave(self, group_id: str, camp_id: str, member_id: str, at: datetime) -> bool:
        row = await self.membership(group_id, camp_id, member_id)
        if row is None or row.left_at is not None:
            return False
        row.left_at = at
        return True

    async def memberships(
        self, group_id: str, member_id: str, camp_ids: Sequence[str], *, lock: bool = False
    ) -> list[Membership]:
        """The member's current memberships among `camp_ids`. With lock, the rows are locked
        until the transaction ends (PostgreSQL; SQLite runs one transaction at a time), so
        a member's camp days and make-up allowance are decided one message at a time."""
        if not camp_ids:
            return []
        params = {"group_id": group_id, "member_id": member_id}
        stmt = _MEMBERSHIPS_LOCKED if lock else _MEMBERSHIPS
        wanted = set(camp_ids)
        rows = (await self.session.execute(stmt, params)).all()
        return [Membership(r[0], r[1]) for r in rows if r[0] in wanted]

    async def members(self, group_id: str, camp_id: str) -> list[CampMember]:
        """Current members, in the order they joined."""
        stmt = (
            select(CampMember)
            .where(
                CampMember.group_id == group_id,
                CampMember.camp_id == camp_id,
                CampMember.left_at.is_(None),
            )
            .order_by(CampMember.joined_at, CampMember.id)
        )
        return list((await self.session.execute(stmt)).scalars())

    # --- camp days --------------------------------------------------------------------------

    async def add_day(
        self,
        *,
        group_id: str,
        camp_id: str,
        member_id: str,
        day: date,
        day_index: int,
        message_id: str,
        at: datetime,
        content: str,
        makeup: bool,
    ) -> bool:
        """Record a camp day; False (nothing written) when the member already has it."""
        values = {
            "group_id": group_id,
            "camp_id": camp_id,
            "member_id": member_id,
            "day": day,
            "day_index": day_index,
            "message_id": message_id,
            "submitted_at": at,
            "content": content[:2000],
            "makeup": makeup,
            "excellent": False,
        }
        dialect = self.session.get_bind().dialect.name
        result = await self.session.execute(_INSERT_DAY.get(dialect, insert(_DAYS)), values)
        return bool(result.rowcount)

    async def progress(self, group_id: str, camp_id: str, member_id: str) -> tuple[int, int]:
        """(camp days done, make-up cards among them)."""
        params = {"group_id": group_id, "camp_id": camp_id, "member_id": member_id}
        row = (await self.session.execute(_PROGRESS, params)).one()
        return int(row[0]), int(row[1])

    async def not_done(self, group_id: str, camp_id: str, day: date) -> list[str]:
        """Current members without a camp day on `day`, in the order they joined."""
        done = select(CampDay.id).where(
            CampDay.group_id == CampMember.group_id,
            CampDay.camp_id == CampMember.camp_id,
            CampDay.member_id == CampMember.member_id,
            CampDay.day == day,
        )
        stmt = (
            select(CampMember.member_id)
            .where(
                CampMember.group_id == group_id,
                CampMember.camp_id == camp_id,
                CampMember.left_at.is_(None),
                ~done.exists(),
            )
            .order_by(CampMember.joined_at, CampMember.id)
        )
        return list((await self.session.execute(stmt)).scalars())

    async def submitters(
        self, group_id: str, camp_id: str, day: date, as_of: datetime
    ) -> list[str]:
        """Members with a camp day on `day`, sorted by id (a stable order to shuffle), as of
        `as_of` (the pairing command's own time: delivered again after a restart, it does not
        pair a make-up card handed in after it, or a member who joined after it)."""
        stmt = (
            select(CampDay.member_id)
            .join(
                CampMember,
                and_(
                    CampMember.group_id == CampDay.group_id,
                    CampMember.camp_id == CampDay.camp_id,
                    CampMember.member_id == CampDay.member_id,
                ),
            )
            .where(
                CampDay.group_id == group_id,
                CampDay.camp_id == camp_id,
                CampDay.day == day,
                CampDay.submitted_at <= as_of,
                CampMember.joined_at <= as_of,
                or_(CampMember.left_at.is_(None), CampMember.left_at > as_of),
            )
            .order_by(CampDay.member_id)
        )
        return list((await self.session.execute(stmt)).scalars())

    async def days_of(self, group_id: str, camp_id: str) -> list[CampDay]:
        """Every camp day recorded, by day and member."""
        stmt = (
            select(CampDay)
            .where(CampDay.group_id == group_id, CampDay.camp_id == camp_id)
            .order_by(CampDay.day, CampDay.member_id)
        )
        return list((await self.session.execute(stmt)).scalars())

    async def latest_submission(
        self, group_id: str, member_id: str, camp_ids: Sequence[str], as_of: datetime
    ) -> CampDay | None:
        """The member's latest camp day (by its message's time) among `camp_ids`, as of the
        time of the message asking (its own time): a review delivered again after a restart,
        when the member has since handed in later work, still finds the work it was about,
        never the later one (which would be reviewed and paid a second time)."""
        if not camp_ids:
            return None
        stmt = (
            select(CampDay)
            .where(
                CampDay.group_id == group_id,
                CampDay.member_id == member_id,
                CampDay.camp_id.in_(list(camp_ids)),
                CampDay.submitted_at <= as_of,
            )
            .order_by(CampDay.submitted_at.desc(), CampDay.day.desc(), CampDay.camp_id.desc())
            .limit(1)
        )
        return await scalar_or_none(self.session, stmt, CampDay)

    async def submission_on(
        self, group_id: str, camp_id: str, member_id: str, day: date, as_of: datetime
    ) -> CampDay | None:
        """The member's work for a camp day, if handed in by `as_of`."""
        stmt = select(CampDay).where(
            CampDay.group_id == group_id,
            CampDay.camp_id == camp_id,
            CampDay.member_id == member_id,
            CampDay.day == day,
            CampDay.submitted_at <= as_of,
        )
        return await scalar_or_none(self.session, stmt, CampDay)

    async def mark_excellent(self, submission_id: int) -> bool:
        """False when it was already marked."""
        stmt = (
            update(CampDay)
            .where(CampDay.id == submission_id, CampDay.excellent.is_(False))
            .values(excellent=True)
        )
        return bool((await self.session.execute(stmt)).rowcount)

    # --- reviews ----------------------------------------------------------------------------

    async def add_review(
        self,
        *,
        submission: CampDay,
        reviewer_id: str,
        kind: str,
        text: str,
        points: int,
        message_id: str,
        at: datetime,
    ) -> None:
        """Insert a review; raises IntegrityError when this message was already a review."""
        self.session.add(
            CampReview(
                group_id=submission.group_id,
                camp_id=submission.camp_id,
                submission_id=submission.id,
                member_id=submission.member_id,
                reviewer_id=reviewer_id,
                kind=kind,
                text=text[:2000],
                points=points,
                message_id=message_id,
                created_at=at,
            )
        )
        await self.session.flush()

    async def review_by_message(self, group_id: str, message_id: str) -> CampReview | None:
        stmt = select(CampReview).where(
            CampReview.group_id == group_id, CampReview.message_id == message_id
        )
        return await scalar_or_none(self.session, stmt, CampReview)

    async def review_counts(self, group_id: str, member_id: str) -> tuple[int, int]:
        """(reviews received, reviews given) in the group."""
        received = select(func.count()).where(
            CampReview.group_id == group_id, CampReview.member_id == member_id
        )
        given = select(func.count()).where(
            CampReview.group_id == group_id, CampReview.reviewer_id == member_id
        )
        row = (
            await self.session.execute(select(received.scalar_subquery(), given.scalar_subquery()))
        ).one()
        return int(row[0]), int(row[1])

    async def standings(self, group_id: str, camp_id: str) -> list[CampStanding]:
        """Every current member's record, in the order they joined."""
        members = await self.members(group_id, camp_id)
        days_stmt = (
            select(
                CampDay.member_id,
                func.count(),
                func.sum(case((CampDay.makeup, 1), else_=0)),
                func.sum(case((CampDay.excellent, 1), else_=0)),
            )
            .where(CampDay.group_id == group_id, CampDay.camp_id == camp_id)
            .group_by(CampDay.member_id)
        )
        days = {
            r[0]: (int(r[1]), int(r[2] or 0), int(r[3] or 0)) for r in await self._all(days_stmt)
        }
        points_stmt = (
            select(CampReview.member_id, func.sum(CampReview.points))
            .where(CampReview.group_id == group_id, CampReview.camp_id == camp_id)
            .group_by(CampReview.member_id)
        )
        points = {r[0]: int(r[1] or 0) for r in await self._all(points_stmt)}
        out = []
        for m in members:
            done, makeups, excellent = days.get(m.member_id, (0, 0, 0))
            out.append(
                CampStanding(
                    member_id=m.member_id,
                    joined_at=m.joined_at,
                    days=done,
                    makeups=makeups,
                    points=points.get(m.member_id, 0),
                    excellent=excellent,
                )
            )
        return out

    async def reviewed_works(self, group_id: str, camp_id: str, limit: int) -> list[ReviewedWork]:
        """Submissions of current members that were marked excellent or reviewed, best
        first: excellent, then review points, then the number of reviews, then earliest."""
        reviews = (
            select(
                CampReview.submission_id.label("sid"),
                func.count().label("n"),
                func.sum(CampReview.points).label("pts"),
            )
            .where(CampReview.group_id == group_id, CampReview.camp_id == camp_id)
            .group_by(CampReview.submission_id)
            .subquery()
        )
        count = func.coalesce(reviews.c.n, 0)
        pts = func.coalesce(reviews.c.pts, 0)
        current = select(CampMember.id).where(
            CampMember.group_id == CampDay.group_id,
            CampMember.camp_id == CampDay.camp_id,
            CampMember.member_id == CampDay.member_id,
            CampMember.left_at.is_(None),
        )
        stmt = (
            select(CampDay, count, pts)
            .outerjoin(reviews, reviews.c.sid == CampDay.id)
            .where(
                CampDay.group_id == group_id,
                CampDay.camp_id == camp_id,
                (CampDay.excellent.is_(True)) | (count > 0),
                current.exists(),
            )
            .order_by(
                CampDay.excellent.desc(),
                pts.desc(),
                count.desc(),
                CampDay.submitted_at,
                CampDay.id,
            )
            .limit(limit)
        )
        rows = (await self.session.execute(stmt)).all()
        return [ReviewedWork(r[0], int(r[1]), int(r[2])) for r in rows]

    async def _all(self, stmt: Any) -> list[Any]:
        return list((await self.session.execute(stmt)).all())

    # --- peer-review pairs ------------------------------------------------------------------

    async def pairs(self, group_id: str, camp_id: str, day: date) -> list[CampPair]:
        stmt = (
            select(CampPair)
            .where(CampPair.group_id == group_id, CampPair.camp_id == camp_id, CampPair.day == day)
            .order_by(CampPair.id)
        )
        return list((await self.session.execute(stmt)).scalars())

    async def add_pairs(
        self, group_id: str, camp_id: str, day: date, pairs: list[tuple[str, str]], at: datetime
    ) -> None:
        """Insert the day's pairs; raises IntegrityError when another process paired first."""
        self.session.add_all(
            CampPair(
                group_id=group_id,
                camp_id=camp_id,
                day=day,
                reviewer_id=reviewer,
                reviewee_id=reviewee,
                created_at=at,
            )
            for reviewer, reviewee in pairs
        )
        await self.session.flush()

    async def open_pair(
        self, group_id: str, camp_id: str, reviewer_id: str, reviewee_id: str, as_of: datetime
    ) -> CampPair | None:
        """The reviewer's latest assignment to review `reviewee_id` that is not done yet,
        among those made by `as_of` (the review's own time: a review delivered again after
        a restart never takes, and is paid for, a pairing made after it was sent)."""
        stmt = (
            select(CampPair)
            .where(
                CampPair.group_id == group_id,
                CampPair.camp_id == camp_id,
                CampPair.reviewer_id == reviewer_id,
                CampPair.reviewee_id == reviewee_id,
                CampPair.reviewed_at.is_(None),
                CampPair.created_at <= as_of,
            )
            .order_by(CampPair.day.desc())
            .limit(1)
        )
        return await scalar_or_none(self.session, stmt, CampPair)

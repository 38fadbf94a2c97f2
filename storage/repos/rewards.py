"""Rewards storage: game state (quizzes, notices, draws) and reward queries on the ledger.

Points are never written here: callers append to the ledger (LedgerRepo.append) in the same
unit of work. The decisions that must happen once (a quiz winner, a notice place, closing a
round) are conditional UPDATEs whose row count says who got there first; they behave the
same on SQLite and PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import bindparam, func, select, update

from storage.models import (
    Checkin,
    LedgerEntry,
    RewardDraw,
    RewardNotice,
    RewardNoticeClaim,
    RewardQuiz,
)
from storage.rounds import RoundWindow, open_during
from storage.session import DbSession, scalar_or_none

REWARD_KINDS = ("reward", "quiz", "notice", "draw")


@dataclass(frozen=True)
class RewardLine:
    group_id: str
    member_id: str
    kind: str
    delta: int
    created_at: datetime


# (open quiz id, open notice id) of the group `group_id`, the latest of each; built once, it
# runs for every message that could be an answer on a shared database.
OPEN_ROUND_IDS = select(
    select(func.max(RewardQuiz.id))
    .where(RewardQuiz.status == "open", RewardQuiz.group_id == bindparam("group_id"))
    .scalar_subquery(),
    select(func.max(RewardNotice.id))
    .where(RewardNotice.status == "open", RewardNotice.group_id == bindparam("group_id"))
    .scalar_subquery(),
)


def round_ids(row: tuple[object, ...]) -> tuple[int | None, int | None]:
    """A row of OPEN_ROUND_IDS as ids."""
    quiz, notice = row
    return (
        None if quiz is None else int(str(quiz)),
        None if notice is None else int(str(notice)),
    )


def _rowcount(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


class RewardsRepo:
    def __init__(self, session: DbSession) -> None:
        self.session = session

    # --- ledger queries of the games ----------------------------------------------------

    async def count_lines(self, group_id: str, member_id: str) -> int:
        stmt = select(func.count(LedgerEntry.id)).where(
            LedgerEntry.group_id == group_id, LedgerEntry.member_id == member_id
        )
        return int((await self.session.execute(stmt)).scalar_one())

    async def reward_lines(
        self, since: datetime, until: datetime, kinds: tuple[str, ...] = REWARD_KINDS
    ) -> list[RewardLine]:
        """Ledger lines of the reward kinds created in [since, until), every group."""
        stmt = (
            select(
                LedgerEntry.group_id,
                LedgerEntry.member_id,
                LedgerEntry.kind,
                LedgerEntry.delta,
                LedgerEntry.created_at,
            )
            .where(
                LedgerEntry.kind.in_(kinds),
                LedgerEntry.created_at >= since,
                LedgerEntry.created_at < until,
            )
            .order_by(LedgerEntry.id)
        )
        rows = (await self.session.execute(stmt)).all()
        return [RewardLine(r[0], r[1], r[2], int(r[3]), r[4]) for r in rows]

    async def checked_in_on(self, group_id: str, day: date, window: RoundWindow) -> set[str]:
        """Members with a check-in for `day` made within `window` (a draw's round)."""
        stmt = select(Checkin.member_id).where(
            Checkin.group_id == group_id, Checkin.day == day, window.holds(Checkin.checked_at)
        )
        return set((await self.session.execute(stmt)).scalars())

    async def open_round_ids(self, group_id: str) -> tuple[int | None, int | None]:
        """(open quiz id, open notice id) of a group, in one query (latest of each)."""
        row = (await self.session.execute(OPEN_ROUND_IDS, {"group_id": group_id})).one()
        return round_ids(tuple(row))

    # --- quizzes ---------------------------------------------------------------------------

    async def quiz(self, quiz_id: int) -> RewardQuiz | None:
        return await self.session.get(RewardQuiz, quiz_id)

    async def quiz_by_key(self, start_key: str) -> RewardQuiz | None:
        stmt = select(RewardQuiz).where(RewardQuiz.start_key == start_key)
        return await scalar_or_none(self.session, stmt, RewardQuiz)

    async def open_quizzes(self) -> list[RewardQuiz]:
        stmt = select(RewardQuiz).where(RewardQuiz.status == "open").order_by(RewardQuiz.id)
        return list((await self.session.execute(stmt)).scalars())

    async def open_quiz_in(self, group_id: str) -> RewardQuiz | None:
        stmt = (
            select(RewardQuiz)
            .where(RewardQuiz.group_id == group_id, RewardQuiz.status == "open")
            .order_by(RewardQuiz.id.desc())
            .limit(1)
        )
        return await scalar_or_none(self.session, stmt, RewardQuiz)

    async def add_quiz(self, quiz: RewardQuiz) -> RewardQuiz:
        self.session.add(quiz)
        await self.session.flush()
        return quiz

    async def bank_last_asked(self, group_id: str) -> dict[str, datetime]:
        """Question text -> when it was last asked in the group (bank and job quizzes)."""
        stmt = (
            select(RewardQuiz.question, func.max(RewardQuiz.started_at))
            .where(RewardQuiz.group_id == group_id, RewardQuiz.source.in_(("bank", "job")))
            .group_by(RewardQuiz.question)
        )
        return {r[0]: r[1] for r in (await self.session.execute(stmt)).all()}

    async def decide_quiz_winner(
        self, quiz_id: int, member_id: str, message_id: str, at: datetime
    ) -> bool:
        """Make `member_id` the winner unless someone already is, the round is closed, or an
        answer sent at `at` does not belong to it (storage/rounds.py). True when this call won.

        One conditional UPDATE: on PostgreSQL a concurrent second writer waits for the
        first to commit, then finds winner_id set; on SQLite the write lock serialises them.
        """
        stmt = (
            update(RewardQuiz)
            .where(
                RewardQuiz.id == quiz_id,
                RewardQuiz.status == "open",
                RewardQuiz.winner_id.is_(None),
                open_during(RewardQuiz.started_at, RewardQuiz.deadline, at),
            )
            .values(status="won", winner_id=member_id, winner_message_id=message_id, closed_at=at)
            .execution_options(synchronize_session=False)
        )
        return _rowcount(await self.session.execute(stmt)) == 1

    async def expire_quiz(self, quiz_id: int, at: datetime) -> bool:
        """Close an unanswered quiz. True only for the call that closed it (reveal once)."""
        stmt = (
            update(RewardQuiz)
            .where(
                RewardQuiz.id == quiz_id,
                RewardQuiz.status == "open",
                RewardQuiz.winner_id.is_(None),
            )
            .values(status="expired", closed_at=at)
            .execution_options(synchronize_session=False)
        )
        return _rowcount(await self.session.execute(stmt)) == 1

    # --- notices ---------------------------------------------------------------------------

    async def notice(self, notice_id: int) -> RewardNotice | None:
        return await self.session.get(RewardNotice, notice_id)

    async def notice_by_key(self, start_key: str) -> RewardNotice | None:
        stmt = select(RewardNotice).where(RewardNotice.start_key == start_key)
        return await scalar_or_none(self.session, stmt, RewardNotice)

    async def open_notices(self) -> list[RewardNotice]:
        stmt = select(RewardNotice).where(RewardNotice.status == "open").order_by(RewardNotice.id)
        return list((await self.session.execute(stmt)).scalars())

    async def open_notices_in(self, group_id: str) -> list[RewardNotice]:
        stmt = (
            select(RewardNotice)
            .where(RewardNotice.group_id == group_id, RewardNotice.status == "open")
            .order_by(RewardNotice.id)
        )
        return list((await self.session.execute(stmt)).scalars())

    async def add_notice(self, notice: RewardNotice) -> RewardNotice:
        self.session.add(notice)
        await self.session.flush()
        return notice

    async def has_claim(self, notice_id: int, member_id: str) -> bool:
        stmt = (
            select(RewardNoticeClaim.id)
            .where(
                RewardNoticeClaim.notice_id == notice_id, RewardNoticeClaim.member_id == member_id
            )
            .limit(1)
        )
        return (await self.session.execute(stmt)).first() is not None

    async def take_notice_place(self, notice_id: int, at: datetime) -> bool:
        """Take one of the notice's places if one is left, it is still open, and a reply sent
        at `at` belongs to it (storage/rounds.py)."""
        stmt = (
            update(RewardNotice)
            .where(
                RewardNotice.id == notice_id,
                RewardNotice.status == "open",
                RewardNotice.claimed < RewardNotice.places,
                open_during(RewardNotice.started_at, RewardNotice.deadline, at),
            )
            .values(claimed=RewardNotice.claimed + 1)
            .execution_options(synchronize_session=False)
        )
        return _rowcount(await self.session.execute(stmt)) == 1

    async def add_claim(
        self, notice_id: int, member_id: str, message_id: str, at: datetime
    ) -> None:
        self.session.add(
            RewardNoticeClaim(
                notice_id=notice_id, member_id=member_id, message_id=message_id, claimed_at=at
            )
        )
        await self.session.flush()

    async def notice_progress(self, notice_id: int) -> tuple[int, int]:
        """(claimed, places) as stored now."""
        stmt = select(RewardNotice.claimed, RewardNotice.places).where(RewardNotice.id == notice_id)
        row = (await self.session.execute(stmt)).one()
        return int(row[0]), int(row[1])

    async def close_notice(self, notice_id: int, at: datetime) -> bool:
        """Close an open notice. True only for the call that closed it (one closing post)."""
        stmt = (
            update(RewardNotice)
            .where(RewardNotice.id == notice_id, RewardNotice.status == "open")
            .values(status="closed", closed_at=at)
            .execution_options(synchronize_session=False)
        )
        return _rowcount(await self.session.execute(stmt)) == 1

    async def claimers(self, notice_id: int) -> list[str]:
        """Members who took a place, in the order they took it."""
        stmt = (
            select(RewardNoticeClaim.member_id)
            .where(RewardNoticeClaim.notice_id == notice_id)
            .order_by(RewardNoticeClaim.id)
        )
        return list((await self.session.execute(stmt)).scalars())

    # --- draws -----------------------------------------------------------------------------

    async def draw(self, draw_id: int) -> RewardDraw | None:
        return await self.session.get(RewardDraw, draw_id)

    async def draw_by_key(self, start_key: str) -> RewardDraw | None:
        stmt = select(RewardDraw).where(RewardDraw.start_key == start_key)
        return await scalar_or_none(self.session, stmt, RewardDraw)

    async def add_draw(self, draw: RewardDraw) -> RewardDraw:
        self.session.add(draw)
        await self.session.flush()
        return draw

    async def draw_number(self, group_id: str, draw_id: int) -> int:
        """The draw's ordinal in its group (1 for its first): what members see. Not the row
        id: PostgreSQL's sequence skips the ids of transactions that rolled back or died, so
        the same draw run again after a crash would get another id."""
        stmt = (
            select(func.count())
            .select_from(RewardDraw)
            .where(RewardDraw.group_id == group_id, RewardDraw.id <= draw_id)
        )
        return int((await self.session.execute(stmt)).scalar_one())

    async def draws_in(self, group_id: str, limit: int = 20) -> list[RewardDraw]:
        stmt = (
            select(RewardDraw)
            .where(RewardDraw.group_id == group_id)
            .order_by(RewardDraw.id.desc())
            .limit(limit)
        )
        return list((await self.session.execute(stmt)).scalars())

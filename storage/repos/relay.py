"""Live relay sessions, lines and questions (storage/models/relay.py).

Every change to a session's lines, windows or question numbers is made after `lock(...)`
(SELECT ... FOR UPDATE on PostgreSQL; SQLite has one writer at a time anyway), so two bot
processes, or a flush racing a new line, see one order of events.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import or_, select

from storage.models import RelayLine, RelayQuestion, RelaySession
from storage.session import DbSession

ACTIVE = "active"
ENDED = "ended"


class RelayRepo:
    def __init__(self, session: DbSession) -> None:
        self.session = session

    async def lock(self, session_id: int) -> RelaySession | None:
        stmt = select(RelaySession).where(RelaySession.id == session_id).with_for_update()
        return (await self.session.scalars(stmt)).first()

    async def active_for_source(self, group_id: str) -> RelaySession | None:
        stmt = (
            select(RelaySession)
            .where(RelaySession.source_group == group_id, RelaySession.status == ACTIVE)
            .order_by(RelaySession.id.desc())
        )
        return (await self.session.scalars(stmt)).first()

    async def latest_for_source(self, group_id: str, at: datetime) -> RelaySession | None:
        """The source group's latest session started by `at` (a message's own time)."""
        stmt = (
            select(RelaySession)
            .where(RelaySession.source_group == group_id, RelaySession.started_at <= at)
            .order_by(RelaySession.started_at.desc(), RelaySession.id.desc())
        )
        return (await self.session.scalars(stmt)).first()

    async def running_at(self, at: datetime, source_group: str | None = None) -> list[RelaySession]:
        """Sessions that were running at `at` (a message's own time): started by then and
        not ended before it, latest start first; of one source group when it is given."""
        stmt = select(RelaySession).where(
            RelaySession.started_at <= at,
            or_(RelaySession.status == ACTIVE, RelaySession.ended_at > at),
        )
        if source_group is not None:
            stmt = stmt.where(RelaySession.source_group == source_group)
        stmt = stmt.order_by(RelaySession.started_at.desc(), RelaySession.id.desc())
        return list((await self.session.scalars(stmt)).all())

    async def ended_since(self, since: datetime) -> list[RelaySession]:
        stmt = select(RelaySession).where(
            RelaySession.status != ACTIVE, RelaySession.ended_at >= since
        )
        return list((await self.session.scalars(stmt)).all())

    async def active(self) -> list[RelaySession]:
        stmt = select(RelaySession).where(RelaySession.status == ACTIVE).order_by(RelaySession.id)
        return list((await self.session.scalars(stmt)).all())

    async def by_start_key(self, key: str) -> RelaySession | None:
        stmt = select(RelaySession).where(RelaySession.start_key == key)
        return (await self.session.scalars(stmt)).first()

    async def create(self, row: RelaySession) -> RelaySession:
        self.session.add(row)
        await self.session.flush()
        return row

    async def has_line(self, session_id: int, source_key: str) -> bool:
        stmt = select(RelayLine.id).where(
            RelayLine.session_id == session_id, RelayLine.source_key == source_key
        )
        return (await self.session.scalars(stmt)).first() is not None

    async def add_line(self, line: RelayLine) -> None:
        self.session.add(line)
        await self.session.flush()

    async def lines_between(self, session_id: int, after: int, upto: int) -> list[RelayLine]:
        """Lines of windows after `after` up to `upto`, in posting order."""
        stmt = (
            select(RelayLine)
            .where(
                RelayLine.session_id == session_id,
                RelayLine.bucket > after,
                RelayLine.bucket <= upto,
            )
            .order_by(RelayLine.bucket, RelayLine.at, RelayLine.id)
        )
        return list((await self.session.scalars(stmt)).all())

    async def count_lines(self, session_id: int) -> int:
        stmt = select(RelayLine.id).where(RelayLine.session_id == session_id)
        return len((await self.session.scalars(stmt)).all())

    async def question_by_key(self, source_key: str) -> RelayQuestion | None:
        stmt = select(RelayQuestion).where(RelayQuestion.source_key == source_key)
        return (await self.session.scalars(stmt)).first()

    async def question(self, session_id: int, number: int) -> RelayQuestion | None:
        stmt = select(RelayQuestion).where(
            RelayQuestion.session_id == session_id, RelayQuestion.number == number
        )
        return (await self.session.scalars(stmt)).first()

    async def questions(self, session_id: int, numbers: Sequence[int]) -> list[RelayQuestion]:
        if not numbers:
            return []
        stmt = select(RelayQuestion).where(
            RelayQuestion.session_id == session_id, RelayQuestion.number.in_(list(numbers))
        )
        return list((await self.session.scalars(stmt)).all())

    async def add_question(self, question: RelayQuestion) -> None:
        self.session.add(question)
        await self.session.flush()


def end_session(row: RelaySession, at: datetime, reason: str) -> None:
    row.status = ENDED
    row.ended_at = at
    row.end_reason = reason

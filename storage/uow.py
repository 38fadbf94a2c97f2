"""Unit of work: commit on a clean exit, roll back on an exception."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType

from storage.repos.checkins import CheckinRepo
from storage.repos.ledger import LedgerRepo
from storage.repos.members import BadgeRepo, GroupStateRepo, MemberRepo
from storage.session import DbSession, ReadProbe


class UnitOfWork:
    """`async with uow_factory() as uow:`; feature repositories are built on `uow.session`."""

    session: DbSession

    def __init__(self, sessions: Callable[[], DbSession]) -> None:
        self._sessions = sessions

    async def __aenter__(self) -> UnitOfWork:
        self.session = self._sessions()
        self.checkins = CheckinRepo(self.session)
        self.ledger = LedgerRepo(self.session)
        self.members = MemberRepo(self.session)
        self.badges = BadgeRepo(self.session)
        self.group_state = GroupStateRepo(self.session)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if exc_type is None:
                await self.session.commit()
            else:
                await self.session.rollback()
        finally:
            await self.session.close()


class UnitOfWorkFactory:
    def __init__(
        self,
        sessions: Callable[[], DbSession],
        *,
        shared: bool = False,
        reads: ReadProbe | None = None,
    ) -> None:
        self.sessions = sessions
        # True when other bot processes may use the same database at the same time
        # (PostgreSQL). Then state a service mirrors in memory can change under it, and must
        # be checked against the database where it decides something (open rounds).
        self.shared = shared
        # For those checks: one cheap round trip, outside any unit of work.
        self.reads = reads

    def __call__(self) -> UnitOfWork:
        return UnitOfWork(self.sessions)

from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, delete, func, select

from storage.models.moderation import (
    PUBLIC_ACTIONS,
    REMOVAL_ACTION,
    ModerationState,
    Violation,
    WhitelistedMember,
)
from storage.session import DbSession


class ModerationRepo:
    def __init__(self, session: DbSession) -> None:
        self.session = session

    # --- per-group state ----------------------------------------------------------------

    async def states(self) -> list[ModerationState]:
        return list((await self.session.execute(select(ModerationState))).scalars())

    async def _state(self, group_id: str, at: datetime) -> ModerationState:
        state = await self.session.get(ModerationState, group_id)
        if state is None:
            state = ModerationState(group_id=group_id, nudge_count=0, updated_at=at)
            self.session.add(state)
        return state

    async def set_nudge_enabled(self, group_id: str, enabled: bool, by: str, at: datetime) -> None:
        state = await self._state(group_id, at)
        state.nudge_enabled, state.updated_at, state.updated_by = enabled, at, by

    async def record_nudge(self, group_id: str, at: datetime) -> int:
        """Store a nudge's time; returns how many nudges the group has had."""
        state = await self._state(group_id, at)
        state.last_nudge_at = at
        state.nudge_count = (state.nudge_count or 0) + 1
        state.updated_at = at
        return state.nudge_count

    # --- whitelist ----------------------------------------------------------------------

    async def whitelist(self) -> list[tuple[str, str]]:
        stmt = select(WhitelistedMember.group_id, WhitelistedMember.member_id)
        return [(r[0], r[1]) for r in (await self.session.execute(stmt)).all()]

    async def add_whitelisted(self, group_id: str, member_id: str, by: str, at: datetime) -> bool:
        """False when the member was already whitelisted."""
        if await self.session.get(WhitelistedMember, (group_id, member_id)) is not None:
            return False
        self.session.add(
            WhitelistedMember(group_id=group_id, member_id=member_id, added_by=by, added_at=at)
        )
        return True

    async def remove_whitelisted(self, group_id: str, member_id: str) -> bool:
        stmt = delete(WhitelistedMember).where(
            WhitelistedMember.group_id == group_id, WhitelistedMember.member_id == member_id
        )
        result = await self.session.execute(stmt)
        return bool(getattr(result, "rowcount", 0))

    # --- violations ---------------------------------------------------------------------

    async def has_violation(self, group_id: str, message_id: str) -> bool:
        stmt = (
            select(Violation.id)
            .where(Violation.group_id == group_id, Violation.message_id == message_id)
            .limit(1)
        )
        return (await self.session.execute(stmt)).first() is not None

    def add_violation(self, violation: Violation) -> None:
        self.session.add(violation)

    async def count_violations(
        self, group_id: str, member_id: str, since: datetime, *, public_only: bool = False
    ) -> int:
        """A member's violations since ``since``; ``public_only``: the ladder's steps, not
        the notes only admins saw."""
        stmt = select(func.count()).where(
            Violation.group_id == group_id,
            Violation.member_id == member_id,
            Violation.created_at >= since,
        )
        if public_only:
            stmt = stmt.where(Violation.action.in_(PUBLIC_ACTIONS))
        return int((await self.session.execute(stmt)).scalar_one())

    async def open_violators(
        self, group_id: str, since: datetime, min_count: int, *, until: datetime | None = None
    ) -> set[str]:
        """Members of the group with open spam violations: since ``since``, a violation at
        the ask_remove step or at least ``min_count`` public ones. Notes do not count, and a
        whitelisted member is never open.

        With ``until``: as things stood then, counting only the violations made and the
        whitelisting done by that time (the same answer however late it is asked)."""
        whitelisted = select(WhitelistedMember.member_id).where(
            WhitelistedMember.group_id == group_id
        )
        removal = func.sum(case((Violation.action == REMOVAL_ACTION, 1), else_=0))
        stmt = select(Violation.member_id).where(
            Violation.group_id == group_id,
            Violation.created_at >= since,
            Violation.action.in_(PUBLIC_ACTIONS),
        )
        if until is not None:
            whitelisted = whitelisted.where(WhitelistedMember.added_at <= until)
            stmt = stmt.where(Violation.created_at <= until)
        stmt = (
            stmt.where(Violation.member_id.not_in(whitelisted))
            .group_by(Violation.member_id)
            .having((func.count() >= min_count) | (removal > 0))
        )
        return set((await self.session.execute(stmt)).scalars())

    async def violations(
        self, group_id: str, member_id: str | None, limit: int, *, public_only: bool = False
    ) -> list[Violation]:
        """A member's violations (every member's when ``member_id`` is None), newest first;
        ``public_only``: the ladder's steps, not the notes."""
        stmt = select(Violation).where(Violation.group_id == group_id)
        if member_id is not None:
            stmt = stmt.where(Violation.member_id == member_id)
        if public_only:
            stmt = stmt.where(Violation.action.in_(PUBLIC_ACTIONS))
        stmt = stmt.order_by(Violation.created_at.desc(), Violation.id.desc()).limit(limit)
        return list((await self.session.execute(stmt)).scalars())

    async def total_violations(self, group_id: str, member_id: str) -> int:
        stmt = select(func.count()).where(
            Violation.group_id == group_id, Violation.member_id == member_id
        )
        return int((await self.session.execute(stmt)).scalar_one())

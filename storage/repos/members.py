from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Badge, GroupState, Member


class MemberRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def seen(self, group_id: str, member_id: str, name: str, at: datetime) -> Member:
        member = await self.session.get(Member, (group_id, member_id))
        if member is None:
            member = Member(
                group_id=group_id,
                member_id=member_id,
                display_name=name,
                first_seen=at,
                last_seen=at,
            )
            self.session.add(member)
        else:
            member.last_seen = max(member.last_seen, at)
            if name:
                member.display_name = name
        return member

    async def names(self, group_id: str, member_ids: list[str]) -> dict[str, str]:
        if not member_ids:
            return {}
        stmt = select(Member.member_id, Member.display_name).where(
            Member.group_id == group_id, Member.member_id.in_(member_ids)
        )
        return {r[0]: r[1] for r in (await self.session.execute(stmt)).all() if r[1]}


class BadgeRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def codes(self, group_id: str, member_id: str) -> set[str]:
        stmt = select(Badge.code).where(Badge.group_id == group_id, Badge.member_id == member_id)
        return set((await self.session.execute(stmt)).scalars())

    async def of_member(self, group_id: str, member_id: str) -> list[Badge]:
        stmt = (
            select(Badge)
            .where(Badge.group_id == group_id, Badge.member_id == member_id)
            .order_by(Badge.earned_at, Badge.id)
        )
        return list((await self.session.execute(stmt)).scalars())

    def add(self, group_id: str, member_id: str, code: str, name: str, at: datetime) -> None:
        self.session.add(
            Badge(group_id=group_id, member_id=member_id, code=code, name=name, earned_at=at)
        )


class GroupStateRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def paused_groups(self) -> set[str]:
        stmt = select(GroupState.group_id).where(GroupState.paused.is_(True))
        return set((await self.session.execute(stmt)).scalars())

    async def set_paused(self, group_id: str, paused: bool, by: str, at: datetime) -> None:
        state = await self.session.get(GroupState, group_id)
        if state is None:
            self.session.add(
                GroupState(group_id=group_id, paused=paused, updated_at=at, updated_by=by)
            )
        else:
            state.paused, state.updated_at, state.updated_by = paused, at, by

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, case, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from storage.models import Badge, GroupState, Member
from storage.models.base import table_of
from storage.session import DbSession


def _member_upsert(insert: Any) -> Any:
    """INSERT ... ON CONFLICT DO UPDATE for members: one statement, no read first.

    The name is only overwritten by a non-empty one; last_seen never moves backwards."""
    stmt = insert(_MEMBERS).values(
        group_id=bindparam("group_id"),
        member_id=bindparam("member_id"),
        display_name=bindparam("name"),
        first_seen=bindparam("at"),
        last_seen=bindparam("at"),
    )
    new = stmt.excluded
    return stmt.on_conflict_do_update(
        index_elements=[_MEMBERS.c.group_id, _MEMBERS.c.member_id],
        set_={
            "display_name": case(
                (new.display_name != "", new.display_name), else_=_MEMBERS.c.display_name
            ),
            "last_seen": case(
                (new.last_seen > _MEMBERS.c.last_seen, new.last_seen), else_=_MEMBERS.c.last_seen
            ),
        },
    )


_MEMBERS = table_of(Member)
_NAMES = select(_MEMBERS.c.member_id, _MEMBERS.c.display_name).where(
    _MEMBERS.c.group_id == bindparam("group_id"),
    _MEMBERS.c.member_id.in_(bindparam("member_ids", expanding=True)),
)
_BADGES_OF_MEMBER = (
    select(Badge)
    .where(Badge.group_id == bindparam("group_id"), Badge.member_id == bindparam("member_id"))
    .order_by(Badge.earned_at, Badge.id)
)
_UPSERTS = {
    "sqlite": _member_upsert(sqlite_insert),
    "postgresql": _member_upsert(postgresql_insert),
}


class MemberRepo:
    def __init__(self, session: DbSession) -> None:
        self.session = session

    async def seen(self, group_id: str, member_id: str, name: str, at: datetime) -> None:
        """Record a member's latest name and when they were last seen."""
        params = {"group_id": group_id, "member_id": member_id, "name": name, "at": at}
        await self.session.execute(_UPSERTS[self.session.get_bind().dialect.name], params)

    async def names(self, group_id: str, member_ids: list[str]) -> dict[str, str]:
        if not member_ids:
            return {}
        params = {"group_id": group_id, "member_ids": member_ids}
        rows = (await self.session.execute(_NAMES, params)).all()
        return {r[0]: r[1] for r in rows if r[1]}


class BadgeRepo:
    def __init__(self, session: DbSession) -> None:
        self.session = session

    async def codes(self, group_id: str, member_id: str) -> set[str]:
        stmt = select(Badge.code).where(Badge.group_id == group_id, Badge.member_id == member_id)
        return set((await self.session.execute(stmt)).scalars())

    async def of_member(self, group_id: str, member_id: str) -> list[Badge]:
        params = {"group_id": group_id, "member_id": member_id}
        return list((await self.session.execute(_BADGES_OF_MEMBER, params)).scalars())

    def add(self, group_id: str, member_id: str, code: str, name: str, at: datetime) -> None:
        self.session.add(
            Badge(group_id=group_id, member_id=member_id, code=code, name=name, earned_at=at)
        )


class GroupStateRepo:
    def __init__(self, session: DbSession) -> None:
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

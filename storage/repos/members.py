from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, bindparam, case, exists, func, or_, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from storage import direct
from storage.models import ActivityEntry, Badge, Checkin, GroupState, LedgerEntry, Member
from storage.models.base import table_of
from storage.session import DbSession


def _member_upsert(insert: Any) -> Any:
    """INSERT ... ON CONFLICT DO UPDATE for members: one statement, no read first.

    The name is only overwritten by a non-empty one; last_seen never moves backwards and
    first_seen never forwards (a message delivered late still dates the member's arrival)."""
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
            "first_seen": case(
                (new.first_seen < _MEMBERS.c.first_seen, new.first_seen),
                else_=_MEMBERS.c.first_seen,
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
_BADGE_NAMES_OF_MEMBER = (
    select(table_of(Badge).c.name)
    .where(
        table_of(Badge).c.group_id == bindparam("group_id"),
        table_of(Badge).c.member_id == bindparam("member_id"),
    )
    .order_by(table_of(Badge).c.earned_at, table_of(Badge).c.id)
)
_UPSERTS = {
    "sqlite": _member_upsert(sqlite_insert),
    "postgresql": _member_upsert(postgresql_insert),
}

# every message of a member whose name is new to the cache (handlers/members.py)
_SQLITE_UPSERT = direct.CompiledStatement(_UPSERTS["sqlite"])

_ADVISORY_LOCK = select(func.pg_advisory_xact_lock(bindparam("key", type_=BigInteger)))


def _seen(model: Any, member_column: Any, time_column: Any) -> Any:
    return exists().where(
        model.group_id == bindparam("group_id"),
        member_column == bindparam("member_id"),
        time_column <= bindparam("as_of"),
    )


# Had the bot seen the member in the group by `as_of`: a stored name first seen by then, a
# ledger line, a check-in, or a logged message, join or leave dated no later. Each fact is
# taken at its own time, not at the time it was stored: a command processed late (a
# redelivery after a restart) sees the group as it was when the command was sent.
_KNOWN = select(
    or_(
        _seen(Member, Member.member_id, Member.first_seen),
        _seen(LedgerEntry, LedgerEntry.member_id, LedgerEntry.created_at),
        _seen(Checkin, Checkin.member_id, Checkin.checked_at),
        _seen(ActivityEntry, ActivityEntry.member_id, ActivityEntry.at),
    )
)


def member_lock_key(group_id: str, member_id: str) -> int:
    """A signed 64-bit advisory lock key for one member of one group."""
    digest = hashlib.blake2b(
        f"{group_id}\x00{member_id}".encode("utf-8", "surrogatepass"), digest_size=8
    ).digest()
    return int.from_bytes(digest, "big", signed=True)


class MemberRepo:
    def __init__(self, session: DbSession) -> None:
        self.session = session

    async def lock(self, group_id: str, *member_ids: str | None) -> None:
        """Serialise per member: until this transaction ends, other transactions that lock
        one of these members wait. Take it first, before reading what a write depends on
        (caps, allowances, streaks), so those reads see every earlier write.

        PostgreSQL: a transaction-scoped advisory lock per member, always taken in the same
        order, so two transactions locking several members cannot deadlock. SQLite: nothing
        to do; one bot process per file, whose units of work run without interleaving.
        """
        if self.session.get_bind().dialect.name != "postgresql":
            return
        for key in sorted({member_lock_key(group_id, m) for m in member_ids if m}):
            await self.session.execute(_ADVISORY_LOCK, {"key": key})

    async def known(self, group_id: str, member_id: str, as_of: datetime) -> bool:
        """Had the bot seen this member in the group by `as_of` (the time of the message or
        job asking)? Flush the activity log first."""
        params = {"group_id": group_id, "member_id": member_id, "as_of": as_of}
        return bool((await self.session.execute(_KNOWN, params)).scalar_one())

    async def seen(self, group_id: str, member_id: str, name: str, at: datetime) -> None:
        """Record a member's latest name and when they were last seen."""
        params = {"group_id": group_id, "member_id": member_id, "name": name, "at": at}
        other = _UPSERTS[self.session.get_bind().dialect.name]
        await direct.run(self.session, _SQLITE_UPSERT, params, otherwise=other)

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

    async def names_of_member(self, group_id: str, member_id: str) -> list[str]:
        """The names of a member's badges, oldest first (`of_member` without the ORM)."""
        params = {"group_id": group_id, "member_id": member_id}
        return [r[0] for r in (await self.session.execute(_BADGE_NAMES_OF_MEMBER, params)).all()]

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

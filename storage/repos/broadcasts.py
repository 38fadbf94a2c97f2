"""Broadcasts, their deliveries and shared notice pools. Never commits.

Every move that must happen once (a broadcast starting, a group's copy being queued, a
delivery finishing, a broadcast being reported, a pool place being taken or the pool
closing) is a conditional UPDATE on the row's current state: of two processes, or a run
repeated after a crash, exactly one makes it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update

from storage.models.broadcasts import (
    Broadcast,
    BroadcastDelivery,
    NoticePool,
    NoticePoolClaim,
    NoticePoolGroup,
)
from storage.models.outbox import OutboxRow
from storage.session import DbSession, scalar_or_none

SCHEDULED = "scheduled"
SENDING = "sending"
DONE = "done"

WAITING = "waiting"
QUEUED = "queued"
OPEN_DELIVERY = (WAITING, QUEUED)


# The updates below skip synchronising loaded objects (a cost per statement); so every
# read of whole rows refreshes the ones already loaded in the session instead.
_FRESH: dict[str, Any] = {"populate_existing": True}


def _changed(result: Any) -> bool:
    return int(getattr(result, "rowcount", 0) or 0) == 1


class BroadcastRepo:
    def __init__(self, session: DbSession) -> None:
        self.session = session

    # --- broadcasts ------------------------------------------------------------------------

    async def get(self, broadcast_id: str) -> Broadcast | None:
        stmt = select(Broadcast).where(Broadcast.id == broadcast_id)
        return await scalar_or_none(self.session, stmt.execution_options(**_FRESH), Broadcast)

    async def by_key(self, key: str) -> Broadcast | None:
        stmt = select(Broadcast).where(Broadcast.key == key)
        return await scalar_or_none(self.session, stmt.execution_options(**_FRESH), Broadcast)

    async def add(self, broadcast: Broadcast, group_ids: Sequence[str]) -> None:
        """The broadcast and one waiting delivery per group, in the set's order."""
        self.session.add(broadcast)
        self.session.add_all(
            BroadcastDelivery(broadcast_id=broadcast.id, group_id=gid, ordinal=n, status=WAITING)
            for n, gid in enumerate(group_ids, start=1)
        )
        await self.session.flush()

    async def latest(self, created_by: str | None = None) -> Broadcast | None:
        stmt = select(Broadcast).where(Broadcast.kind != "notice_close")
        if created_by is not None:
            stmt = stmt.where(Broadcast.created_by == created_by)
        stmt = stmt.order_by(Broadcast.created_at.desc(), Broadcast.id.desc()).limit(1)
        return await scalar_or_none(self.session, stmt.execution_options(**_FRESH), Broadcast)

    async def start_due(self, now: datetime) -> int:
        """scheduled -> sending for every broadcast whose time has come."""
        result = await self.session.execute(
            update(Broadcast)
            .where(Broadcast.status == SCHEDULED, Broadcast.send_at <= now)
            .values(status=SENDING)
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def in_status(self, status: str) -> list[Broadcast]:
        stmt = (
            select(Broadcast)
            .where(Broadcast.status == status)
            .order_by(Broadcast.send_at, Broadcast.id)
        )
        return list((await self.session.scalars(stmt.execution_options(**_FRESH))).all())

    async def next_scheduled(self) -> datetime | None:
        stmt = select(func.min(Broadcast.send_at)).where(Broadcast.status == SCHEDULED)
        value = (await self.session.execute(stmt)).scalar()
        return value if isinstance(value, datetime) else None

    async def has_sending(self) -> bool:
        stmt = select(Broadcast.id).where(Broadcast.status == SENDING).limit(1)
        return (await self.session.execute(stmt)).first() is not None

    async def take_turn(self, broadcast_id: str, now: datetime, next_at: datetime) -> bool:
        """The pacing lease: True (and the next turn moved to next_at) when it is this
        broadcast's turn to queue a group now."""
        result = await self.session.execute(
            update(Broadcast)
            .where(
                Broadcast.id == broadcast_id,
                Broadcast.status == SENDING,
                Broadcast.next_at <= now,
            )
            .values(next_at=next_at)
            .execution_options(synchronize_session=False)
        )
        return _changed(result)

    async def finish(self, broadcast_id: str, at: datetime) -> bool:
        """sending -> done, once (the caller checked that no delivery is open)."""
        result = await self.session.execute(
            update(Broadcast)
            .where(Broadcast.id == broadcast_id, Broadcast.status == SENDING)
            .values(status=DONE, finished_at=at)
            .execution_options(synchronize_session=False)
        )
        return _changed(result)

    async def cancel(self, broadcast_id: str, at: datetime, reason: str) -> int:
        """Groups not yet queued are skipped (each a conditional update, so a copy the pump
        queues at the same moment still counts); a broadcast not yet started ends here.
        Returns how many groups were skipped."""
        result = await self.session.execute(
            update(BroadcastDelivery)
            .where(
                BroadcastDelivery.broadcast_id == broadcast_id,
                BroadcastDelivery.status == WAITING,
            )
            .values(status="skipped", finished_at=at, reason=reason)
            .execution_options(synchronize_session=False)
        )
        await self.session.execute(
            update(Broadcast)
            .where(Broadcast.id == broadcast_id, Broadcast.status == SCHEDULED)
            .values(status=DONE, finished_at=at)
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    # --- deliveries ------------------------------------------------------------------------

    async def deliveries(self, broadcast_id: str) -> list[BroadcastDelivery]:
        stmt = (
            select(BroadcastDelivery)
            .where(BroadcastDelivery.broadcast_id == broadcast_id)
            .order_by(BroadcastDelivery.ordinal)
        )
        return list((await self.session.scalars(stmt.execution_options(**_FRESH))).all())

    async def in_delivery_status(self, broadcast_id: str, status: str) -> list[BroadcastDelivery]:
        stmt = (
            select(BroadcastDelivery)
            .where(
                BroadcastDelivery.broadcast_id == broadcast_id,
                BroadcastDelivery.status == status,
            )
            .order_by(BroadcastDelivery.ordinal)
        )
        return list((await self.session.scalars(stmt.execution_options(**_FRESH))).all())

    async def open_deliveries(self, broadcast_id: str) -> int:
        stmt = select(func.count()).where(
            BroadcastDelivery.broadcast_id == broadcast_id,
            BroadcastDelivery.status.in_(OPEN_DELIVERY),
        )
        return int((await self.session.execute(stmt)).scalar() or 0)

    async def next_waiting(self, broadcast_id: str) -> BroadcastDelivery | None:
        stmt = (
            select(BroadcastDelivery)
            .where(
                BroadcastDelivery.broadcast_id == broadcast_id,
                BroadcastDelivery.status == WAITING,
            )
            .order_by(BroadcastDelivery.ordinal)
            .limit(1)
        )
        return await scalar_or_none(
            self.session, stmt.execution_options(**_FRESH), BroadcastDelivery
        )

    async def move(
        self, broadcast_id: str, group_id: str, from_status: str, to_status: str, **values: Any
    ) -> bool:
        """A delivery from_status -> to_status (with other columns); False when it was not in
        from_status (another process or an earlier run moved it)."""
        result = await self.session.execute(
            update(BroadcastDelivery)
            .where(
                BroadcastDelivery.broadcast_id == broadcast_id,
                BroadcastDelivery.group_id == group_id,
                BroadcastDelivery.status == from_status,
            )
            .values(status=to_status, **values)
            .execution_options(synchronize_session=False)
        )
        return _changed(result)

    async def outbox_states(self, item_ids: Sequence[str]) -> dict[str, tuple[str, str | None]]:
        """(status, last error) of outbox items."""
        if not item_ids:
            return {}
        stmt = select(OutboxRow.id, OutboxRow.status, OutboxRow.last_error).where(
            OutboxRow.id.in_(list(item_ids))
        )
        return {r[0]: (r[1], r[2]) for r in await self.session.execute(stmt)}

    # --- notice pools ----------------------------------------------------------------------

    async def pool_by_key(self, start_key: str) -> NoticePool | None:
        stmt = select(NoticePool).where(NoticePool.start_key == start_key)
        return await scalar_or_none(self.session, stmt.execution_options(**_FRESH), NoticePool)

    async def pool(self, pool_id: int) -> NoticePool | None:
        stmt = select(NoticePool).where(NoticePool.id == pool_id)
        return await scalar_or_none(self.session, stmt.execution_options(**_FRESH), NoticePool)

    async def add_pool(self, pool: NoticePool) -> NoticePool:
        self.session.add(pool)
        await self.session.flush()
        return pool

    async def link_notice(self, pool_id: int, notice_id: int, group_id: str) -> None:
        self.session.add(NoticePoolGroup(notice_id=notice_id, pool_id=pool_id, group_id=group_id))
        await self.session.flush()

    async def pool_of(self, notice_id: int) -> int | None:
        stmt = select(NoticePoolGroup.pool_id).where(NoticePoolGroup.notice_id == notice_id)
        value = (await self.session.execute(stmt)).scalar()
        return int(value) if value is not None else None

    async def pool_notices(self, pool_id: int) -> list[tuple[int, str]]:
        """(notice id, group id) of every group's notice in the pool."""
        stmt = (
            select(NoticePoolGroup.notice_id, NoticePoolGroup.group_id)
            .where(NoticePoolGroup.pool_id == pool_id)
            .order_by(NoticePoolGroup.notice_id)
        )
        return [(int(r[0]), str(r[1])) for r in await self.session.execute(stmt)]

    async def has_pool_claim(self, pool_id: int, member_id: str) -> bool:
        return await self.session.get(NoticePoolClaim, (pool_id, member_id)) is not None

    async def take_pool_place(self, pool_id: int) -> bool:
        """One of the pool's places, if one is left and the pool is open."""
        result = await self.session.execute(
            update(NoticePool)
            .where(
                NoticePool.id == pool_id,
                NoticePool.status == "open",
                NoticePool.claimed < NoticePool.places,
            )
            .values(claimed=NoticePool.claimed + 1)
            .execution_options(synchronize_session=False)
        )
        return _changed(result)

    async def add_pool_claim(
        self, pool_id: int, member_id: str, group_id: str, notice_id: int, at: datetime
    ) -> None:
        self.session.add(
            NoticePoolClaim(
                pool_id=pool_id,
                member_id=member_id,
                group_id=group_id,
                notice_id=notice_id,
                claimed_at=at,
            )
        )
        await self.session.flush()

    async def pool_claims(self, pool_id: int) -> list[NoticePoolClaim]:
        stmt = (
            select(NoticePoolClaim)
            .where(NoticePoolClaim.pool_id == pool_id)
            .order_by(NoticePoolClaim.claimed_at, NoticePoolClaim.member_id)
        )
        return list((await self.session.scalars(stmt.execution_options(**_FRESH))).all())

    async def close_pool(self, pool_id: int, at: datetime) -> bool:
        result = await self.session.execute(
            update(NoticePool)
            .where(NoticePool.id == pool_id, NoticePool.status == "open")
            .values(status="closed", closed_at=at)
            .execution_options(synchronize_session=False)
        )
        return _changed(result)

"""Newcomers: who joined when, whether they were welcomed and guided (at most once)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update

from storage.models import Newcomer
from storage.session import DbSession, scalar_or_none

PENDING = ""


class NewcomerRepo:
    def __init__(self, session: DbSession) -> None:
        self.session = session

    async def joined(
        self, group_id: str, member_id: str, name: str, at: datetime, guide_due: datetime | None
    ) -> bool:
        """Record a join. A re-join is welcomed again; the guide still goes at most once.

        Returns False when this very join was already recorded (a redelivered event)."""
        row = await self.session.get(Newcomer, (group_id, member_id))
        if row is None:
            self.session.add(
                Newcomer(
                    group_id=group_id,
                    member_id=member_id,
                    member_name=name[:128],
                    joined_at=at,
                    welcomed_at=None,
                    guide_state=PENDING if guide_due else "off",
                    guide_due_at=guide_due,
                    guided_at=None,
                )
            )
            return True
        if row.joined_at == at:
            return False
        row.joined_at = at
        row.welcomed_at = None
        if name:
            row.member_name = name[:128]
        if row.guided_at is None:
            row.guide_state = PENDING if guide_due else "off"
            row.guide_due_at = guide_due
        return True

    async def unwelcomed(self, since: datetime) -> dict[str, datetime]:
        """Groups with joins not yet welcomed since `since`: group -> earliest such join."""
        stmt = (
            select(Newcomer.group_id, func.min(Newcomer.joined_at))
            .where(Newcomer.welcomed_at.is_(None), Newcomer.joined_at >= since)
            .group_by(Newcomer.group_id)
        )
        return {r[0]: r[1] for r in (await self.session.execute(stmt)).all()}

    async def claim_welcome(
        self, group_id: str, since: datetime, until: datetime, at: datetime
    ) -> list[Newcomer]:
        """Mark the group's unwelcomed joins in [since, until] as welcomed; returns those this
        call claimed (another process that claimed a row first keeps it), in join order."""
        stmt = (
            select(Newcomer)
            .where(
                Newcomer.group_id == group_id,
                Newcomer.welcomed_at.is_(None),
                Newcomer.joined_at >= since,
                Newcomer.joined_at <= until,
            )
            .order_by(Newcomer.joined_at, Newcomer.member_id)
        )
        rows = list((await self.session.execute(stmt)).scalars())
        claimed: list[Newcomer] = []
        for row in rows:
            result = await self.session.execute(
                update(Newcomer)
                .where(
                    Newcomer.group_id == row.group_id,
                    Newcomer.member_id == row.member_id,
                    Newcomer.joined_at == row.joined_at,
                    Newcomer.welcomed_at.is_(None),
                )
                .values(welcomed_at=at)
                .execution_options(synchronize_session=False)
            )
            if getattr(result, "rowcount", 0) == 1:
                claimed.append(row)
        return claimed

    async def next_guide_due(self) -> datetime | None:
        stmt = select(func.min(Newcomer.guide_due_at)).where(Newcomer.guide_state == PENDING)
        return await scalar_or_none(self.session, stmt, datetime)

    async def guides_due(self, until: datetime) -> list[Newcomer]:
        stmt = (
            select(Newcomer)
            .where(Newcomer.guide_state == PENDING, Newcomer.guide_due_at <= until)
            .order_by(Newcomer.group_id, Newcomer.joined_at, Newcomer.member_id)
        )
        return list((await self.session.execute(stmt)).scalars())

    async def settle_guide(
        self, group_id: str, member_id: str, state: str, at: datetime | None = None
    ) -> bool:
        """Move a pending guide to a final state; False when it was no longer pending."""
        values: dict[str, object] = {"guide_state": state}
        if state == "sent":
            values["guided_at"] = at
        result = await self.session.execute(
            update(Newcomer)
            .where(
                Newcomer.group_id == group_id,
                Newcomer.member_id == member_id,
                Newcomer.guide_state == PENDING,
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        return getattr(result, "rowcount", 0) == 1

    async def postpone_guide(self, group_id: str, member_id: str, due: datetime) -> None:
        await self.session.execute(
            update(Newcomer)
            .where(
                Newcomer.group_id == group_id,
                Newcomer.member_id == member_id,
                Newcomer.guide_state == PENDING,
            )
            .values(guide_due_at=due)
            .execution_options(synchronize_session=False)
        )

    async def names(self, group_id: str, member_ids: list[str]) -> dict[str, str]:
        if not member_ids:
            return {}
        stmt = select(Newcomer.member_id, Newcomer.member_name).where(
            Newcomer.group_id == group_id, Newcomer.member_id.in_(member_ids)
        )
        return {r[0]: r[1] for r in (await self.session.execute(stmt)).all() if r[1]}

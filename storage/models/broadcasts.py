"""Broadcasts (群发) to a set of groups, and notice red packets shared by a set.

A broadcast is one row with a stable id (from the command's event key, or the operator's
key) and one delivery row per group. A delivery moves waiting -> queued (its copy is in the
outbox, written in the same transaction) -> sent | failed | unknown | skipped, the final
state copied from the outbox rows when they finish, so the report outlives the outbox's
pruning. Both moves are conditional updates: a group is queued once, whatever restarts or
processes do.

A shared notice (`/通知 SET ...`) is a pool: one notice per group (reward_notices) linked
to it, places counted on the pool, one claim per member across the whole pool.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base
from storage.models.core import ID

KEY = String(191)
BROADCAST_ID = String(32)


class Broadcast(Base):
    """One message to every group of a set, now or at `send_at`."""

    __tablename__ = "broadcasts"
    __table_args__ = (
        UniqueConstraint("key"),
        Index("ix_broadcasts_status", "status"),
        Index("ix_broadcasts_created_by", "created_by", "created_at"),
    )

    id: Mapped[str] = mapped_column(BROADCAST_ID, primary_key=True)  # what admins type
    key: Mapped[str] = mapped_column(KEY)  # the event or operator key it was made from
    set_name: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))  # text | notice | notice_close
    text: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(ID)  # None: an operator (the CLI)
    origin_group: Mapped[str | None] = mapped_column(ID)  # where the report goes
    created_at: Mapped[datetime]
    send_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16))  # scheduled | sending | done
    next_at: Mapped[datetime]  # no group is queued before this (pacing, across processes)
    finished_at: Mapped[datetime | None]


class BroadcastDelivery(Base):
    """One group's copy of a broadcast."""

    __tablename__ = "broadcast_deliveries"
    # the pump's lookups: the next waiting group, the copies still queued
    __table_args__ = (Index("ix_broadcast_deliveries_state", "broadcast_id", "status", "ordinal"),)

    broadcast_id: Mapped[str] = mapped_column(BROADCAST_ID, primary_key=True)
    group_id: Mapped[str] = mapped_column(ID, primary_key=True)
    ordinal: Mapped[int]  # the group's place in the set: copies go out in this order
    status: Mapped[str] = mapped_column(String(16))
    outbox_ids: Mapped[str | None] = mapped_column(Text)  # JSON list of the copy's items
    queued_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    reason: Mapped[str | None] = mapped_column(Text)


class NoticePool(Base):
    """A notice red packet shared by a set: the first `places` replies in any of its
    groups are paid, once per member."""

    __tablename__ = "notice_pools"
    __table_args__ = (UniqueConstraint("start_key"), Index("ix_notice_pools_status", "status"))

    id: Mapped[int] = mapped_column(primary_key=True)
    start_key: Mapped[str] = mapped_column(KEY)
    set_name: Mapped[str] = mapped_column(String(64))
    broadcast_id: Mapped[str] = mapped_column(BROADCAST_ID)
    places: Mapped[int]
    points: Mapped[int]
    claimed: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(String(16))  # open | closed
    closed_at: Mapped[datetime | None]


class NoticePoolGroup(Base):
    """Which group's notice belongs to which pool."""

    __tablename__ = "notice_pool_groups"

    notice_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    pool_id: Mapped[int] = mapped_column(index=True)
    group_id: Mapped[str] = mapped_column(ID)


class NoticePoolClaim(Base):
    """A member's one place in a pool (whichever group they replied in)."""

    __tablename__ = "notice_pool_claims"

    pool_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    member_id: Mapped[str] = mapped_column(ID, primary_key=True)
    group_id: Mapped[str] = mapped_column(ID)
    notice_id: Mapped[int]
    claimed_at: Mapped[datetime]

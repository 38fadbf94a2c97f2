"""Foundation tables: check-ins, the points ledger, badges, members, per-group state."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base

ID = String(128)


class Checkin(Base):
    """One check-in per (group, member, local day)."""

    __tablename__ = "checkins"
    __table_args__ = (
        UniqueConstraint("group_id", "member_id", "day"),
        Index("ix_checkins_group_day", "group_id", "day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[str] = mapped_column(ID)
    member_id: Mapped[str] = mapped_column(ID)
    day: Mapped[date]
    checked_at: Mapped[datetime]
    message_id: Mapped[str | None] = mapped_column(ID)
    content: Mapped[str] = mapped_column(Text, default="")
    word_count: Mapped[int | None]
    streak: Mapped[int]  # derived from stored days; recomputed when a make-up card fills a gap
    points: Mapped[int]
    makeup: Mapped[bool] = mapped_column(default=False)


class LedgerEntry(Base):
    """Append-only points ledger: a balance is the sum of a member's lines."""

    __tablename__ = "ledger"
    __table_args__ = (
        # Covering: a member's standing and the all-time leaderboard sum `delta` from the
        # index alone, never visiting the table's rows (the ledger stays the only truth).
        Index("ix_ledger_group_member_delta", "group_id", "member_id", "delta"),
        # Covering too: a leaderboard over a period (a week, a digest's days) reads the
        # period's lines from the index alone, however long the history before it.
        Index(
            "ix_ledger_group_created_member_delta", "group_id", "created_at", "member_id", "delta"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[str] = mapped_column(ID)
    member_id: Mapped[str] = mapped_column(ID)
    delta: Mapped[int]
    kind: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(String(255), default="")
    actor_id: Mapped[str | None] = mapped_column(ID)
    created_at: Mapped[datetime]
    # Makes a grant idempotent: the same source (e.g. a redelivered message) never pays twice.
    idem_key: Mapped[str | None] = mapped_column(String(191), unique=True)


class LedgerTotal(Base):
    """A member's running ledger totals, so a standing or the all-time leaderboard reads one
    row per member instead of summing the member's lines. Written only by the database: an
    AFTER INSERT trigger on `ledger` (migration 0021) adds every line in the statement that
    inserts it, whichever code does. The ledger stays the truth; `groupops ledger verify`
    recomputes these rows from it."""

    __tablename__ = "ledger_totals"
    __table_args__ = {"sqlite_with_rowid": False}

    group_id: Mapped[str] = mapped_column(ID, primary_key=True)
    member_id: Mapped[str] = mapped_column(ID, primary_key=True)
    balance: Mapped[int]  # the sum of the member's lines
    earned: Mapped[int]  # the sum of the positive lines (levels are based on it)


class Badge(Base):
    __tablename__ = "badges"
    __table_args__ = (UniqueConstraint("group_id", "member_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[str] = mapped_column(ID)
    member_id: Mapped[str] = mapped_column(ID)
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(64))
    earned_at: Mapped[datetime]


class Member(Base):
    """Who has been seen in a group; the display name is for display only."""

    __tablename__ = "members"

    group_id: Mapped[str] = mapped_column(ID, primary_key=True)
    member_id: Mapped[str] = mapped_column(ID, primary_key=True)
    display_name: Mapped[str] = mapped_column(String(128), default="")
    first_seen: Mapped[datetime]
    last_seen: Mapped[datetime]


class GroupState(Base):
    __tablename__ = "group_state"

    group_id: Mapped[str] = mapped_column(ID, primary_key=True)
    paused: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime]
    updated_by: Mapped[str | None] = mapped_column(ID)

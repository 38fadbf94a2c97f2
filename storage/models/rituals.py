"""Ritual runs: one row per (group, ritual, part, scheduled time), written BEFORE posting.

The unique key makes a post exactly-once across restarts, hot reloads and several bot
processes on one database: whoever inserts the row posts; everyone else skips.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base
from storage.models.core import ID

# part: "post" (the ritual itself), "reminder", "follow_up", "manual" (/仪式 run)
# status: "claimed" (posting), "posted", "failed", "skipped" (/仪式 skip, or its event was
# skipped), "missed" (beyond the grace time), "paused" (the group was paused)


class RitualRun(Base):
    __tablename__ = "ritual_runs"
    __table_args__ = (UniqueConstraint("group_id", "ritual_id", "part", "scheduled_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[str] = mapped_column(ID)
    ritual_id: Mapped[str] = mapped_column(String(64))
    part: Mapped[str] = mapped_column(String(16))
    scheduled_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    actor_id: Mapped[str | None] = mapped_column(ID)  # who ran or skipped it by command
    note: Mapped[str] = mapped_column(String(255), default="")

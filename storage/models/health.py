"""Member journey and group health: newcomers (welcome, first-week guide) and job runs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base
from storage.models.core import ID


class Newcomer(Base):
    """A member who joined while the bot was there: welcomed once, guided at most once."""

    __tablename__ = "newcomers"
    __table_args__ = (Index("ix_newcomers_guide", "guide_state", "guide_due_at"),)

    group_id: Mapped[str] = mapped_column(ID, primary_key=True)
    member_id: Mapped[str] = mapped_column(ID, primary_key=True)
    member_name: Mapped[str] = mapped_column(String(128), default="")
    joined_at: Mapped[datetime]
    welcomed_at: Mapped[datetime | None]
    # The first-week guide: "" pending (due at guide_due_at) | sent | spoke | left | expired | off
    guide_state: Mapped[str] = mapped_column(String(16), default="")
    guide_due_at: Mapped[datetime | None]
    guided_at: Mapped[datetime | None]


class HealthRun(Base):
    """A scheduled post that happened (the weekly picture): unique per (job, group, period),
    so it is posted once across restarts and processes."""

    __tablename__ = "health_runs"
    __table_args__ = (UniqueConstraint("job", "group_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(32))
    group_id: Mapped[str] = mapped_column(ID)
    period: Mapped[str] = mapped_column(String(32))
    ran_at: Mapped[datetime]
    detail: Mapped[str] = mapped_column(String(255), default="")

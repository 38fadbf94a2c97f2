"""The message log behind stats and "who was active": who said something when, no content."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base
from storage.models.core import ID


class ActivityEntry(Base):
    """One event (a message, a join, a leave), stored once however often it is delivered."""

    __tablename__ = "activity_log"
    __table_args__ = (
        Index("ix_activity_group_at", "group_id", "at"),
        Index("ix_activity_group_day_member", "group_id", "day", "member_id"),
        # The event's key: a redelivery, a replay or another process adds nothing.
        Index("uq_activity_event", "group_id", "message_id", "kind", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[str] = mapped_column(ID)
    member_id: Mapped[str] = mapped_column(ID)
    message_id: Mapped[str] = mapped_column(ID)  # the message id, or the join/leave event id
    kind: Mapped[str] = mapped_column(String(16))  # text | image | join | leave
    at: Mapped[datetime]
    day: Mapped[date]  # the local day in the group's timezone
    chars: Mapped[int] = mapped_column(default=0)

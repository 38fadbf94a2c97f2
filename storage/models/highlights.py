"""Highlights (精华): valuable messages kept by a group, numbered per group."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base
from storage.models.core import ID


class Highlight(Base):
    __tablename__ = "highlights"
    __table_args__ = (
        UniqueConstraint("group_id", "number"),
        # One highlight per source message: a redelivered message or command adds nothing.
        UniqueConstraint("group_id", "source_message_id"),
        Index("ix_highlights_group_posted", "group_id", "posted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[str] = mapped_column(ID)
    number: Mapped[int]  # per group: what members type in /精华 确认 N
    text: Mapped[str] = mapped_column(Text)
    author_id: Mapped[str] = mapped_column(ID)
    author_name: Mapped[str] = mapped_column(String(128), default="")
    posted_at: Mapped[datetime]  # when the author said it
    source_message_id: Mapped[str] = mapped_column(ID)
    status: Mapped[str] = mapped_column(String(16))  # "saved" | "proposed"
    proposed_by: Mapped[str | None] = mapped_column(ID)
    saved_by: Mapped[str | None] = mapped_column(ID)
    saved_at: Mapped[datetime | None]
    created_at: Mapped[datetime]

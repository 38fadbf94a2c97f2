"""The transports' outbox: outgoing messages kept until the platform accepted them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base

ID = String(128)


class OutboxRow(Base):
    """One outgoing message part. status: pending -> sent | failed (rows are kept for audit)."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_transport_status", "transport", "status"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # stable across retries
    transport: Mapped[str] = mapped_column(String(32))
    conversation: Mapped[str] = mapped_column(ID)
    kind: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    mentions: Mapped[str] = mapped_column(Text)  # JSON list of user ids
    image_path: Mapped[str | None] = mapped_column(Text)
    part: Mapped[int]
    parts: Mapped[int]
    meta: Mapped[str] = mapped_column(Text)  # JSON object of strings
    created_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int]
    not_before: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)

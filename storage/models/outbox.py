"""The transports' outbox: outgoing messages kept until the platform accepted them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base


class OutboxRow(Base):
    """One outgoing message part (bot/transports/outbox.py).

    status: pending -> sending -> sent | failed; `unknown` when a crash left it in sending and
    its transport cannot know whether it went out. Rows are kept for audit, then pruned."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_transport_status", "transport", "status"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # stable across retries
    transport: Mapped[str] = mapped_column(String(32))
    conversation: Mapped[str] = mapped_column(Text)
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
    sending_at: Mapped[datetime | None]  # when the attempt in progress began
    source: Mapped[str | None] = mapped_column(Text)  # the event or job run that produced it

"""Moderation: per-group nudge state, whitelisted members, and the spam violation record."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base
from storage.models.core import ID

# Violation.action: the public ladder steps, and a note that only admins see (offer words
# without hard evidence: no contact handle, phone number, link or QR code).
PUBLIC_ACTIONS = ("warn", "notify_admins", "ask_remove")
NOTE_ACTION = "note"
REMOVAL_ACTION = "ask_remove"


class ModerationState(Base):
    """One row per group that an admin or a nudge has touched."""

    __tablename__ = "moderation_state"

    group_id: Mapped[str] = mapped_column(ID, primary_key=True)
    nudge_enabled: Mapped[bool | None]  # set by /nudge on|off; None follows config.yaml
    last_nudge_at: Mapped[datetime | None]  # the cooldown survives a restart
    nudge_count: Mapped[int] = mapped_column(default=0)  # rotates phrasings and hooks
    updated_at: Mapped[datetime]
    updated_by: Mapped[str | None] = mapped_column(ID)


class WhitelistedMember(Base):
    """A member whose messages are never treated as spam (/白名单 @user)."""

    __tablename__ = "moderation_whitelist"

    group_id: Mapped[str] = mapped_column(ID, primary_key=True)
    member_id: Mapped[str] = mapped_column(ID, primary_key=True)
    added_by: Mapped[str] = mapped_column(ID)
    added_at: Mapped[datetime]


class Violation(Base):
    """A spam message and what the bot did about it: the evidence shown to admins."""

    __tablename__ = "moderation_violations"
    __table_args__ = (
        # A redelivered message is recorded (and acted on) once.
        UniqueConstraint("group_id", "message_id"),
        Index("ix_moderation_violations_member", "group_id", "member_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[str] = mapped_column(ID)
    member_id: Mapped[str] = mapped_column(ID)
    message_id: Mapped[str] = mapped_column(ID)
    excerpt: Mapped[str] = mapped_column(Text)
    reasons: Mapped[str] = mapped_column(String(500))
    score: Mapped[int]
    action: Mapped[str] = mapped_column(String(32))  # a PUBLIC_ACTIONS step, or NOTE_ACTION
    created_at: Mapped[datetime]

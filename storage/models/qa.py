"""Q&A: FAQ entries added in the group, learned phrasings, the unanswered backlog.

Entries written in config.yaml stay in config; the database holds what admins teach the bot
in the group (`/faq add`, `/faq answer`) and similar phrasings (`/faq alias`) for either kind.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base
from storage.models.core import ID


class FaqEntry(Base):
    """An FAQ entry added by an admin. `group_id` None: every group sees it."""

    __tablename__ = "faq_entries"
    __table_args__ = (Index("ix_faq_entries_group", "group_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[str | None] = mapped_column(ID)
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(ID)
    created_at: Mapped[datetime]


class FaqAlias(Base):
    """A similar phrasing (相似问法) of an entry: a database id ("12") or a config id ("fee")."""

    __tablename__ = "faq_aliases"
    __table_args__ = (
        UniqueConstraint("entry_key", "group_id", "text"),
        Index("ix_faq_aliases_entry", "entry_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_key: Mapped[str] = mapped_column(String(64))
    group_id: Mapped[str | None] = mapped_column(ID)
    text: Mapped[str] = mapped_column(String(500))
    created_by: Mapped[str | None] = mapped_column(ID)
    created_at: Mapped[datetime]


class QaBacklog(Base):
    """A question the bot could not answer: open until an admin answers or dismisses it."""

    __tablename__ = "qa_backlog"
    __table_args__ = (
        UniqueConstraint("group_id", "message_id"),
        Index("ix_qa_backlog_group_status", "group_id", "status", "asked_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[str] = mapped_column(ID)
    message_id: Mapped[str] = mapped_column(ID)
    asker_id: Mapped[str] = mapped_column(ID)
    asker_name: Mapped[str] = mapped_column(String(128), default="")
    question: Mapped[str] = mapped_column(Text)
    asked_at: Mapped[datetime]
    mentioned_bot: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | answered
    answered_by: Mapped[str | None] = mapped_column(ID)
    answered_at: Mapped[datetime | None]
    entry_key: Mapped[str | None] = mapped_column(String(64))  # the entry it became


class QaAnswered(Base):
    """When an entry was last answered in a group, and by which message: the answer cooldown
    (「这个问题刚在 09:00 回答过」) survives a restart, and the message that was answered is
    answered again in full when it is delivered again."""

    __tablename__ = "qa_answered"

    group_id: Mapped[str] = mapped_column(ID, primary_key=True)
    entry_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    message_id: Mapped[str] = mapped_column(ID)
    answered_at: Mapped[datetime]

"""Live relays (转播): a session, its speakers' lines, and the questions asked from the
other groups.

A line is stored once per (session, source event) and carries the merge window (`bucket`)
it goes out in; `relay_sessions.flushed_through` is the last window already posted. Both
change only under the session row's lock, so a redelivered line, a re-run flush or a second
bot process never posts a window twice or leaves a line behind.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base
from storage.models.core import ID

KEY = String(255)


class RelaySession(Base):
    __tablename__ = "relay_sessions"
    __table_args__ = (
        UniqueConstraint("start_key"),
        Index("ix_relay_sessions_source_status", "source_group", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    start_key: Mapped[str] = mapped_column(KEY)  # the event key of `/转播 开始`
    set_name: Mapped[str] = mapped_column(String(64))
    source_group: Mapped[str] = mapped_column(ID)
    targets: Mapped[str] = mapped_column(Text)  # JSON list of group ids, fixed at the start
    speakers: Mapped[str] = mapped_column(Text)  # JSON list of user ids
    started_by: Mapped[str] = mapped_column(ID)
    started_at: Mapped[datetime]
    window_ms: Mapped[int]
    status: Mapped[str] = mapped_column(String(16))  # active | ended
    ended_at: Mapped[datetime | None]
    end_reason: Mapped[str] = mapped_column(String(16), default="")  # command | idle | duration
    last_line_at: Mapped[datetime]  # the start, then each speaker line (the idle timeout)
    flushed_through: Mapped[int] = mapped_column(default=-1)  # last merge window posted
    questions: Mapped[int] = mapped_column(default=0)  # questions numbered so far


class RelayLine(Base):
    __tablename__ = "relay_lines"
    __table_args__ = (
        UniqueConstraint("session_id", "source_key"),
        Index("ix_relay_lines_session_bucket", "session_id", "bucket"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int]
    source_key: Mapped[str] = mapped_column(KEY)  # the speaker message's event key
    bucket: Mapped[int]  # the merge window it is posted in
    speaker_id: Mapped[str] = mapped_column(ID)
    speaker_name: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))  # text | image
    text: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime]  # the message's own time
    answer_to: Mapped[int | None]  # the question number it answers


class RelayQuestion(Base):
    __tablename__ = "relay_questions"
    __table_args__ = (UniqueConstraint("session_id", "number"), UniqueConstraint("source_key"))

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int]
    number: Mapped[int]  # 1, 2, ... within the session: what `#回答 N` and quotes name
    source_key: Mapped[str] = mapped_column(KEY)  # the `#提问` message's event key
    group_id: Mapped[str] = mapped_column(ID)
    member_id: Mapped[str] = mapped_column(ID)
    member_name: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    asked_at: Mapped[datetime]

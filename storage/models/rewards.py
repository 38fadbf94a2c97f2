"""Red-packet games: quizzes, notice red packets and their claims, lucky draws.

Points themselves live only in the ledger; these rows hold the state of each game (who won,
which places are taken, which seed a draw used) so every decision is made once, in the
database, and survives a restart.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base
from storage.models.core import ID

KEY = String(191)


class RewardQuiz(Base):
    """A quiz round (抢答). `winner_id` is set once, by a conditional UPDATE."""

    __tablename__ = "reward_quizzes"
    __table_args__ = (
        UniqueConstraint("start_key"),
        Index("ix_reward_quizzes_status", "status"),
        Index("ix_reward_quizzes_group_started", "group_id", "started_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[str] = mapped_column(ID)
    question: Mapped[str] = mapped_column(Text)
    answers: Mapped[str] = mapped_column(Text)  # JSON list; the first one is revealed
    points: Mapped[int]
    source: Mapped[str] = mapped_column(String(16))  # command | bank | job
    created_by: Mapped[str | None] = mapped_column(ID)
    start_key: Mapped[str] = mapped_column(KEY)  # a redelivered command starts nothing new
    started_at: Mapped[datetime]
    deadline: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16))  # open | won | expired
    winner_id: Mapped[str | None] = mapped_column(ID)
    winner_message_id: Mapped[str | None] = mapped_column(ID)
    closed_at: Mapped[datetime | None]


class RewardNotice(Base):
    """A notice red packet (通知红包): `claimed` counts places taken, never beyond `places`."""

    __tablename__ = "reward_notices"
    __table_args__ = (
        UniqueConstraint("start_key"),
        Index("ix_reward_notices_status", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[str] = mapped_column(ID)
    text: Mapped[str] = mapped_column(Text)
    places: Mapped[int]
    points: Mapped[int]
    claimed: Mapped[int] = mapped_column(default=0)
    created_by: Mapped[str | None] = mapped_column(ID)
    start_key: Mapped[str] = mapped_column(KEY)
    started_at: Mapped[datetime]
    deadline: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16))  # open | closed
    closed_at: Mapped[datetime | None]


class RewardNoticeClaim(Base):
    """One member's place in a notice red packet (once each)."""

    __tablename__ = "reward_notice_claims"
    __table_args__ = (UniqueConstraint("notice_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("reward_notices.id"))
    member_id: Mapped[str] = mapped_column(ID)
    message_id: Mapped[str] = mapped_column(ID)
    claimed_at: Mapped[datetime]


class RewardDraw(Base):
    """A lucky draw with everything needed to re-derive it: seed, candidates, method."""

    __tablename__ = "reward_draws"
    __table_args__ = (
        UniqueConstraint("start_key"),
        Index("ix_reward_draws_group_created", "group_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[str] = mapped_column(ID)
    start_key: Mapped[str] = mapped_column(KEY)
    created_by: Mapped[str | None] = mapped_column(ID)
    created_at: Mapped[datetime]
    day: Mapped[date]  # the local day whose active members were the candidates
    wanted: Mapped[int]
    points: Mapped[int]
    seed: Mapped[int] = mapped_column(BigInteger)
    method: Mapped[str] = mapped_column(String(32))
    candidates: Mapped[str] = mapped_column(Text)  # JSON list, sorted
    winners: Mapped[str] = mapped_column(Text)  # JSON list, in draw order

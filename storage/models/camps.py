"""Check-in camps (打卡营): who joined, which camp days they did, reviews, peer-review pairs.

A camp is defined in config.yaml; its rows are keyed by (group, camp id), so the same camp
in `defaults` runs separately in every group. Scheduled camp posts (the day's task, the
reminder, the closing post) are recorded in `ritual_runs` (ritual id `camp:<id>`).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base
from storage.models.core import ID

CAMP_ID = String(64)


class CampMember(Base):
    """A member of a camp. Leaving keeps the row (and the days done): left_at is set, and
    joining again clears it."""

    __tablename__ = "camp_members"
    __table_args__ = (UniqueConstraint("group_id", "camp_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[str] = mapped_column(ID)
    camp_id: Mapped[str] = mapped_column(CAMP_ID)
    member_id: Mapped[str] = mapped_column(ID)
    joined_at: Mapped[datetime]  # the joining message's own time
    left_at: Mapped[datetime | None]


class CampDay(Base):
    """One camp day a member did: a check-in inside the window, or a make-up card. The
    check-in's content is the day's submission (作业), which reviews attach to."""

    __tablename__ = "camp_days"
    __table_args__ = (
        UniqueConstraint("group_id", "camp_id", "member_id", "day"),
        Index("ix_camp_days_group_camp_day", "group_id", "camp_id", "day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[str] = mapped_column(ID)
    camp_id: Mapped[str] = mapped_column(CAMP_ID)
    member_id: Mapped[str] = mapped_column(ID)
    day: Mapped[date]  # the camp day (see bot/settings/camps.py for windows past midnight)
    day_index: Mapped[int]  # 1 .. days
    message_id: Mapped[str] = mapped_column(ID)
    submitted_at: Mapped[datetime]  # the message's own time
    content: Mapped[str] = mapped_column(Text, default="")
    makeup: Mapped[bool] = mapped_column(default=False)
    excellent: Mapped[bool] = mapped_column(default=False)


class CampReview(Base):
    """A comment on a submission: a teacher's /点评 or a member's #点评. One per review
    message, so a redelivered message neither comments nor pays twice."""

    __tablename__ = "camp_reviews"
    __table_args__ = (
        UniqueConstraint("group_id", "message_id"),
        Index("ix_camp_reviews_group_member", "group_id", "member_id"),
        Index("ix_camp_reviews_group_reviewer", "group_id", "reviewer_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[str] = mapped_column(ID)
    camp_id: Mapped[str] = mapped_column(CAMP_ID)
    submission_id: Mapped[int]  # camp_days.id
    member_id: Mapped[str] = mapped_column(ID)  # whose work
    reviewer_id: Mapped[str] = mapped_column(ID)
    kind: Mapped[str] = mapped_column(String(16))  # "teacher" | "peer"
    text: Mapped[str] = mapped_column(Text, default="")
    points: Mapped[int] = mapped_column(default=0)  # granted to the work's author
    message_id: Mapped[str] = mapped_column(ID)
    created_at: Mapped[datetime]  # the review message's own time


class CampPair(Base):
    """A peer-review assignment of one camp day: `reviewer_id` reviews `reviewee_id`."""

    __tablename__ = "camp_pairs"
    __table_args__ = (UniqueConstraint("group_id", "camp_id", "day", "reviewer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[str] = mapped_column(ID)
    camp_id: Mapped[str] = mapped_column(CAMP_ID)
    day: Mapped[date]
    reviewer_id: Mapped[str] = mapped_column(ID)
    reviewee_id: Mapped[str] = mapped_column(ID)
    created_at: Mapped[datetime]
    reviewed_at: Mapped[datetime | None]  # when the reviewer's #点评 of the partner came

"""camps: members, camp days (submissions), reviews and peer-review pairs

Revision ID: 0030
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.models.base import UTCDateTime

revision = "0030"
down_revision = "0001"
branch_labels = None
depends_on = None

ID = sa.String(128)
CAMP_ID = sa.String(64)


def upgrade() -> None:
    op.create_table(
        "camp_members",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("group_id", ID, nullable=False),
        sa.Column("camp_id", CAMP_ID, nullable=False),
        sa.Column("member_id", ID, nullable=False),
        sa.Column("joined_at", UTCDateTime(), nullable=False),
        sa.Column("left_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_camp_members"),
        sa.UniqueConstraint(
            "group_id", "camp_id", "member_id", name="uq_camp_members_group_id_camp_id_member_id"
        ),
    )
    op.create_table(
        "camp_days",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("group_id", ID, nullable=False),
        sa.Column("camp_id", CAMP_ID, nullable=False),
        sa.Column("member_id", ID, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("day_index", sa.Integer(), nullable=False),
        sa.Column("message_id", ID, nullable=False),
        sa.Column("submitted_at", UTCDateTime(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("makeup", sa.Boolean(), nullable=False),
        sa.Column("excellent", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_camp_days"),
        sa.UniqueConstraint(
            "group_id",
            "camp_id",
            "member_id",
            "day",
            name="uq_camp_days_group_id_camp_id_member_id_day",
        ),
    )
    op.create_index("ix_camp_days_group_camp_day", "camp_days", ["group_id", "camp_id", "day"])
    op.create_table(
        "camp_reviews",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("group_id", ID, nullable=False),
        sa.Column("camp_id", CAMP_ID, nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("member_id", ID, nullable=False),
        sa.Column("reviewer_id", ID, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("message_id", ID, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_camp_reviews"),
        sa.UniqueConstraint("group_id", "message_id", name="uq_camp_reviews_group_id_message_id"),
    )
    op.create_index("ix_camp_reviews_group_member", "camp_reviews", ["group_id", "member_id"])
    op.create_index("ix_camp_reviews_group_reviewer", "camp_reviews", ["group_id", "reviewer_id"])
    op.create_table(
        "camp_pairs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("group_id", ID, nullable=False),
        sa.Column("camp_id", CAMP_ID, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("reviewer_id", ID, nullable=False),
        sa.Column("reviewee_id", ID, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("reviewed_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_camp_pairs"),
        sa.UniqueConstraint(
            "group_id",
            "camp_id",
            "day",
            "reviewer_id",
            name="uq_camp_pairs_group_id_camp_id_day_reviewer_id",
        ),
    )


def downgrade() -> None:
    op.drop_table("camp_pairs")
    op.drop_index("ix_camp_reviews_group_reviewer", table_name="camp_reviews")
    op.drop_index("ix_camp_reviews_group_member", table_name="camp_reviews")
    op.drop_table("camp_reviews")
    op.drop_index("ix_camp_days_group_camp_day", table_name="camp_days")
    op.drop_table("camp_days")
    op.drop_table("camp_members")

"""rewards: quiz rounds, notice red packets and claims, lucky draws

Revision ID: 0004
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.models.base import UTCDateTime

revision = "0004"
down_revision = "0001"
branch_labels = None
depends_on = None

ID = sa.String(128)
KEY = sa.String(191)


def upgrade() -> None:
    op.create_table(
        "reward_quizzes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("group_id", ID, nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("answers", sa.Text(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("created_by", ID, nullable=True),
        sa.Column("start_key", KEY, nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("deadline", UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("winner_id", ID, nullable=True),
        sa.Column("winner_message_id", ID, nullable=True),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_reward_quizzes"),
        sa.UniqueConstraint("start_key", name="uq_reward_quizzes_start_key"),
    )
    op.create_index("ix_reward_quizzes_status", "reward_quizzes", ["status"])
    op.create_index("ix_reward_quizzes_group_started", "reward_quizzes", ["group_id", "started_at"])
    op.create_table(
        "reward_notices",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("group_id", ID, nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("places", sa.Integer(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("claimed", sa.Integer(), nullable=False),
        sa.Column("created_by", ID, nullable=True),
        sa.Column("start_key", KEY, nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("deadline", UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_reward_notices"),
        sa.UniqueConstraint("start_key", name="uq_reward_notices_start_key"),
    )
    op.create_index("ix_reward_notices_status", "reward_notices", ["status"])
    op.create_table(
        "reward_notice_claims",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("member_id", ID, nullable=False),
        sa.Column("message_id", ID, nullable=False),
        sa.Column("claimed_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_reward_notice_claims"),
        sa.ForeignKeyConstraint(
            ["notice_id"],
            ["reward_notices.id"],
            name="fk_reward_notice_claims_notice_id_reward_notices",
        ),
        sa.UniqueConstraint(
            "notice_id", "member_id", name="uq_reward_notice_claims_notice_id_member_id"
        ),
    )
    op.create_table(
        "reward_draws",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("group_id", ID, nullable=False),
        sa.Column("start_key", KEY, nullable=False),
        sa.Column("created_by", ID, nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("wanted", sa.Integer(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("seed", sa.BigInteger(), nullable=False),
        sa.Column("method", sa.String(32), nullable=False),
        sa.Column("candidates", sa.Text(), nullable=False),
        sa.Column("winners", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_reward_draws"),
        sa.UniqueConstraint("start_key", name="uq_reward_draws_start_key"),
    )
    op.create_index("ix_reward_draws_group_created", "reward_draws", ["group_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_reward_draws_group_created", table_name="reward_draws")
    op.drop_table("reward_draws")
    op.drop_table("reward_notice_claims")
    op.drop_index("ix_reward_notices_status", table_name="reward_notices")
    op.drop_table("reward_notices")
    op.drop_index("ix_reward_quizzes_group_started", table_name="reward_quizzes")
    op.drop_index("ix_reward_quizzes_status", table_name="reward_quizzes")
    op.drop_table("reward_quizzes")

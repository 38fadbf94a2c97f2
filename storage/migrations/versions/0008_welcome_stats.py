"""welcome and stats: newcomers (welcome, first-week guide) and health job runs

Revision ID: 0008
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.models.base import UTCDateTime

revision = "0008"
down_revision = "0001"
branch_labels = None
depends_on = None

ID = sa.String(128)


def upgrade() -> None:
    op.create_table(
        "newcomers",
        sa.Column("group_id", ID, nullable=False),
        sa.Column("member_id", ID, nullable=False),
        sa.Column("member_name", sa.String(128), nullable=False),
        sa.Column("joined_at", UTCDateTime(), nullable=False),
        sa.Column("welcomed_at", UTCDateTime(), nullable=True),
        sa.Column("guide_state", sa.String(16), nullable=False),
        sa.Column("guide_due_at", UTCDateTime(), nullable=True),
        sa.Column("guided_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("group_id", "member_id", name="pk_newcomers"),
    )
    op.create_index("ix_newcomers_guide", "newcomers", ["guide_state", "guide_due_at"])
    op.create_table(
        "health_runs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("job", sa.String(32), nullable=False),
        sa.Column("group_id", ID, nullable=False),
        sa.Column("period", sa.String(32), nullable=False),
        sa.Column("ran_at", UTCDateTime(), nullable=False),
        sa.Column("detail", sa.String(255), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_health_runs"),
        sa.UniqueConstraint("job", "group_id", "period", name="uq_health_runs_job_group_id_period"),
    )


def downgrade() -> None:
    op.drop_table("health_runs")
    op.drop_index("ix_newcomers_guide", table_name="newcomers")
    op.drop_table("newcomers")

"""activity log: who spoke, joined or left, and when (no message content)

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.models.base import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

ID = sa.String(128)


def upgrade() -> None:
    op.create_table(
        "activity_log",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("group_id", ID, nullable=False),
        sa.Column("member_id", ID, nullable=False),
        sa.Column("message_id", ID, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("chars", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_activity_log"),
    )
    op.create_index("ix_activity_group_at", "activity_log", ["group_id", "at"])
    op.create_index(
        "ix_activity_group_day_member", "activity_log", ["group_id", "day", "member_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_activity_group_day_member", table_name="activity_log")
    op.drop_index("ix_activity_group_at", table_name="activity_log")
    op.drop_table("activity_log")

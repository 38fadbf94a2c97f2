"""moderation: nudge state per group, whitelisted members, spam violations

Revision ID: 0005
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.models.base import UTCDateTime

revision = "0005"
down_revision = "0001"
branch_labels = None
depends_on = None

ID = sa.String(128)


def upgrade() -> None:
    op.create_table(
        "moderation_state",
        sa.Column("group_id", ID, nullable=False),
        sa.Column("nudge_enabled", sa.Boolean(), nullable=True),
        sa.Column("last_nudge_at", UTCDateTime(), nullable=True),
        sa.Column("nudge_count", sa.Integer(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("updated_by", ID, nullable=True),
        sa.PrimaryKeyConstraint("group_id", name="pk_moderation_state"),
    )
    op.create_table(
        "moderation_whitelist",
        sa.Column("group_id", ID, nullable=False),
        sa.Column("member_id", ID, nullable=False),
        sa.Column("added_by", ID, nullable=False),
        sa.Column("added_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("group_id", "member_id", name="pk_moderation_whitelist"),
    )
    op.create_table(
        "moderation_violations",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("group_id", ID, nullable=False),
        sa.Column("member_id", ID, nullable=False),
        sa.Column("message_id", ID, nullable=False),
        sa.Column("excerpt", sa.Text(), nullable=False),
        sa.Column("reasons", sa.String(500), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_moderation_violations"),
        sa.UniqueConstraint(
            "group_id", "message_id", name="uq_moderation_violations_group_id_message_id"
        ),
    )
    op.create_index(
        "ix_moderation_violations_member",
        "moderation_violations",
        ["group_id", "member_id", "created_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_moderation_violations_member", table_name="moderation_violations")
    op.drop_table("moderation_violations")
    op.drop_table("moderation_whitelist")
    op.drop_table("moderation_state")

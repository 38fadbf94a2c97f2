"""foundation: check-ins, ledger, badges, members, group state

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.models.base import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

ID = sa.String(128)


def upgrade() -> None:
    op.create_table(
        "checkins",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("group_id", ID, nullable=False),
        sa.Column("member_id", ID, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("checked_at", UTCDateTime(), nullable=False),
        sa.Column("message_id", ID, nullable=True),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("word_count", sa.Integer(), nullable=True),
        sa.Column("streak", sa.Integer(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("makeup", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_checkins"),
        sa.UniqueConstraint(
            "group_id", "member_id", "day", name="uq_checkins_group_id_member_id_day"
        ),
    )
    op.create_index("ix_checkins_group_day", "checkins", ["group_id", "day"])
    op.create_table(
        "ledger",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("group_id", ID, nullable=False),
        sa.Column("member_id", ID, nullable=False),
        sa.Column("delta", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("reason", sa.String(255), nullable=False),
        sa.Column("actor_id", ID, nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("idem_key", sa.String(191), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_ledger"),
        sa.UniqueConstraint("idem_key", name="uq_ledger_idem_key"),
    )
    op.create_index("ix_ledger_group_member", "ledger", ["group_id", "member_id"])
    op.create_index("ix_ledger_group_created", "ledger", ["group_id", "created_at"])
    op.create_table(
        "badges",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("group_id", ID, nullable=False),
        sa.Column("member_id", ID, nullable=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("earned_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_badges"),
        sa.UniqueConstraint(
            "group_id", "member_id", "code", name="uq_badges_group_id_member_id_code"
        ),
    )
    op.create_table(
        "members",
        sa.Column("group_id", ID, nullable=False),
        sa.Column("member_id", ID, nullable=False),
        sa.Column("display_name", sa.String(128), nullable=False),
        sa.Column("first_seen", UTCDateTime(), nullable=False),
        sa.Column("last_seen", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("group_id", "member_id", name="pk_members"),
    )
    op.create_table(
        "group_state",
        sa.Column("group_id", ID, nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("updated_by", ID, nullable=True),
        sa.PrimaryKeyConstraint("group_id", name="pk_group_state"),
    )


def downgrade() -> None:
    op.drop_table("group_state")
    op.drop_table("members")
    op.drop_table("badges")
    op.drop_index("ix_ledger_group_created", table_name="ledger")
    op.drop_index("ix_ledger_group_member", table_name="ledger")
    op.drop_table("ledger")
    op.drop_index("ix_checkins_group_day", table_name="checkins")
    op.drop_table("checkins")

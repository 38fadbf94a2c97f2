"""broadcasts to group sets, their per-group deliveries, notice red packets shared by a set

Revision ID: 0040
Revises: 0001 (a branch of its own, like the camps and the relay, so each feature's tables downgrade alone)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.models.base import UTCDateTime

revision = "0040"
down_revision = "0001"
branch_labels = None
depends_on = None

ID = sa.String(128)
KEY = sa.String(191)
BROADCAST_ID = sa.String(32)


def upgrade() -> None:
    op.create_table(
        "broadcasts",
        sa.Column("id", BROADCAST_ID, nullable=False),
        sa.Column("key", KEY, nullable=False),
        sa.Column("set_name", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_by", ID, nullable=True),
        sa.Column("origin_group", ID, nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("send_at", UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("next_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_broadcasts"),
        sa.UniqueConstraint("key", name="uq_broadcasts_key"),
    )
    op.create_index("ix_broadcasts_status", "broadcasts", ["status"])
    op.create_index("ix_broadcasts_created_by", "broadcasts", ["created_by", "created_at"])
    op.create_table(
        "broadcast_deliveries",
        sa.Column("broadcast_id", BROADCAST_ID, nullable=False),
        sa.Column("group_id", ID, nullable=False),
        sa.Column("ordinal", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("outbox_ids", sa.Text(), nullable=True),
        sa.Column("queued_at", UTCDateTime(), nullable=True),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("broadcast_id", "group_id", name="pk_broadcast_deliveries"),
    )
    op.create_index(
        "ix_broadcast_deliveries_state",
        "broadcast_deliveries",
        ["broadcast_id", "status", "ordinal"],
    )
    op.create_table(
        "notice_pools",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("start_key", KEY, nullable=False),
        sa.Column("set_name", sa.String(64), nullable=False),
        sa.Column("broadcast_id", BROADCAST_ID, nullable=False),
        sa.Column("places", sa.Integer(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("claimed", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_notice_pools"),
        sa.UniqueConstraint("start_key", name="uq_notice_pools_start_key"),
    )
    op.create_index("ix_notice_pools_status", "notice_pools", ["status"])
    op.create_table(
        "notice_pool_groups",
        sa.Column("notice_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("pool_id", sa.Integer(), nullable=False),
        sa.Column("group_id", ID, nullable=False),
        sa.PrimaryKeyConstraint("notice_id", name="pk_notice_pool_groups"),
    )
    op.create_index("ix_notice_pool_groups_pool_id", "notice_pool_groups", ["pool_id"])
    op.create_table(
        "notice_pool_claims",
        sa.Column("pool_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("member_id", ID, nullable=False),
        sa.Column("group_id", ID, nullable=False),
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("claimed_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("pool_id", "member_id", name="pk_notice_pool_claims"),
    )


def downgrade() -> None:
    op.drop_table("notice_pool_claims")
    op.drop_index("ix_notice_pool_groups_pool_id", table_name="notice_pool_groups")
    op.drop_table("notice_pool_groups")
    op.drop_index("ix_notice_pools_status", table_name="notice_pools")
    op.drop_table("notice_pools")
    op.drop_index("ix_broadcast_deliveries_state", table_name="broadcast_deliveries")
    op.drop_table("broadcast_deliveries")
    op.drop_index("ix_broadcasts_created_by", table_name="broadcasts")
    op.drop_index("ix_broadcasts_status", table_name="broadcasts")
    op.drop_table("broadcasts")

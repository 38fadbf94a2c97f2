"""rituals and highlights: ritual runs (exactly-once posts) and highlights (精华)

Revision ID: 0006
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.models.base import UTCDateTime

revision = "0006"
down_revision = "0001"
branch_labels = None
depends_on = None

ID = sa.String(128)


def upgrade() -> None:
    op.create_table(
        "ritual_runs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("group_id", ID, nullable=False),
        sa.Column("ritual_id", sa.String(64), nullable=False),
        sa.Column("part", sa.String(16), nullable=False),
        sa.Column("scheduled_at", UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.Column("actor_id", ID, nullable=True),
        sa.Column("note", sa.String(255), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ritual_runs"),
        sa.UniqueConstraint(
            "group_id",
            "ritual_id",
            "part",
            "scheduled_at",
            name="uq_ritual_runs_group_id_ritual_id_part_scheduled_at",
        ),
    )
    op.create_table(
        "highlights",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("group_id", ID, nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("author_id", ID, nullable=False),
        sa.Column("author_name", sa.String(128), nullable=False),
        sa.Column("posted_at", UTCDateTime(), nullable=False),
        sa.Column("source_message_id", ID, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("proposed_by", ID, nullable=True),
        sa.Column("saved_by", ID, nullable=True),
        sa.Column("saved_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_highlights"),
        sa.UniqueConstraint("group_id", "number", name="uq_highlights_group_id_number"),
        sa.UniqueConstraint(
            "group_id", "source_message_id", name="uq_highlights_group_id_source_message_id"
        ),
    )
    op.create_index("ix_highlights_group_posted", "highlights", ["group_id", "posted_at"])


def downgrade() -> None:
    op.drop_index("ix_highlights_group_posted", table_name="highlights")
    op.drop_table("highlights")
    op.drop_table("ritual_runs")

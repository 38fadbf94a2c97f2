"""relay: live relay sessions, their lines (with the merge window each goes out in) and the
questions asked from the other groups

Revision ID: 0045
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.models.base import UTCDateTime

revision = "0045"
down_revision = "0001"
branch_labels = None
depends_on = None

ID = sa.String(128)
KEY = sa.String(255)


def upgrade() -> None:
    op.create_table(
        "relay_sessions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("start_key", KEY, nullable=False),
        sa.Column("set_name", sa.String(64), nullable=False),
        sa.Column("source_group", ID, nullable=False),
        sa.Column("targets", sa.Text(), nullable=False),
        sa.Column("speakers", sa.Text(), nullable=False),
        sa.Column("started_by", ID, nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("window_ms", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("ended_at", UTCDateTime(), nullable=True),
        sa.Column("end_reason", sa.String(16), nullable=False),
        sa.Column("last_line_at", UTCDateTime(), nullable=False),
        sa.Column("flushed_through", sa.Integer(), nullable=False),
        sa.Column("questions", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_relay_sessions"),
        sa.UniqueConstraint("start_key", name="uq_relay_sessions_start_key"),
    )
    op.create_index("ix_relay_sessions_source_status", "relay_sessions", ["source_group", "status"])
    op.create_table(
        "relay_lines",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("source_key", KEY, nullable=False),
        sa.Column("bucket", sa.Integer(), nullable=False),
        sa.Column("speaker_id", ID, nullable=False),
        sa.Column("speaker_name", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("answer_to", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_relay_lines"),
        sa.UniqueConstraint(
            "session_id", "source_key", name="uq_relay_lines_session_id_source_key"
        ),
    )
    op.create_index("ix_relay_lines_session_bucket", "relay_lines", ["session_id", "bucket"])
    op.create_table(
        "relay_questions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("source_key", KEY, nullable=False),
        sa.Column("group_id", ID, nullable=False),
        sa.Column("member_id", ID, nullable=False),
        sa.Column("member_name", sa.String(64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("asked_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_relay_questions"),
        sa.UniqueConstraint("session_id", "number", name="uq_relay_questions_session_id_number"),
        sa.UniqueConstraint("source_key", name="uq_relay_questions_source_key"),
    )


def downgrade() -> None:
    op.drop_table("relay_questions")
    op.drop_index("ix_relay_lines_session_bucket", table_name="relay_lines")
    op.drop_table("relay_lines")
    op.drop_index("ix_relay_sessions_source_status", table_name="relay_sessions")
    op.drop_table("relay_sessions")

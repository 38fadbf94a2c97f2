"""qa: FAQ entries added in groups, similar phrasings, unanswered-question backlog

Revision ID: 0003
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.models.base import UTCDateTime

revision = "0003"
down_revision = "0001"
branch_labels = None
depends_on = None

ID = sa.String(128)


def upgrade() -> None:
    op.create_table(
        "faq_entries",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("group_id", ID, nullable=True),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("created_by", ID, nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_faq_entries"),
    )
    op.create_index("ix_faq_entries_group", "faq_entries", ["group_id"])
    op.create_table(
        "faq_aliases",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("entry_key", sa.String(64), nullable=False),
        sa.Column("group_id", ID, nullable=True),
        sa.Column("text", sa.String(500), nullable=False),
        sa.Column("created_by", ID, nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_faq_aliases"),
        sa.UniqueConstraint(
            "entry_key", "group_id", "text", name="uq_faq_aliases_entry_key_group_id_text"
        ),
    )
    op.create_index("ix_faq_aliases_entry", "faq_aliases", ["entry_key"])
    op.create_table(
        "qa_backlog",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("group_id", ID, nullable=False),
        sa.Column("message_id", ID, nullable=False),
        sa.Column("asker_id", ID, nullable=False),
        sa.Column("asker_name", sa.String(128), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("asked_at", UTCDateTime(), nullable=False),
        sa.Column("mentioned_bot", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("answered_by", ID, nullable=True),
        sa.Column("answered_at", UTCDateTime(), nullable=True),
        sa.Column("entry_key", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_qa_backlog"),
        sa.UniqueConstraint("group_id", "message_id", name="uq_qa_backlog_group_id_message_id"),
    )
    op.create_index("ix_qa_backlog_group_status", "qa_backlog", ["group_id", "status", "asked_at"])


def downgrade() -> None:
    op.drop_index("ix_qa_backlog_group_status", table_name="qa_backlog")
    op.drop_table("qa_backlog")
    op.drop_index("ix_faq_aliases_entry", table_name="faq_aliases")
    op.drop_table("faq_aliases")
    op.drop_index("ix_faq_entries_group", table_name="faq_entries")
    op.drop_table("faq_entries")

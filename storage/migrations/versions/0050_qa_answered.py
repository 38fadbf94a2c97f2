"""qa_answered: when each FAQ entry was last answered in a group (the answer cooldown)

Revision ID: 0050
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.models.base import UTCDateTime

revision = "0050"
down_revision = "0003"
branch_labels = None
depends_on = None

ID = sa.String(128)


def upgrade() -> None:
    op.create_table(
        "qa_answered",
        sa.Column("group_id", ID, nullable=False),
        sa.Column("entry_key", sa.String(64), nullable=False),
        sa.Column("message_id", ID, nullable=False),
        sa.Column("answered_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("group_id", "entry_key", name="pk_qa_answered"),
    )


def downgrade() -> None:
    op.drop_table("qa_answered")

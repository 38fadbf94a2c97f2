"""outbox: the sending state, where an item came from, conversations of any length

Revision ID: 0009
Revises: 0007

Rows now move pending -> sending -> sent | failed, and a row found in `sending` after a
crash is resolved by its transport's rule (resent, or `unknown`). `sending_at` says when the
attempt in progress began, `source` which event or job run produced the row.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.models.base import UTCDateTime

revision = "0009"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("sending_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("source", sa.Text(), nullable=True))
        batch.alter_column(
            "conversation", existing_type=sa.String(128), type_=sa.Text(), existing_nullable=False
        )


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.alter_column(
            "conversation", existing_type=sa.Text(), type_=sa.String(128), existing_nullable=False
        )
        batch.drop_column("source")
        batch.drop_column("sending_at")

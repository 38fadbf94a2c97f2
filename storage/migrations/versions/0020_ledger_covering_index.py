"""ledger: a covering index (group_id, member_id, delta) for standings and leaderboards

Replaces ix_ledger_group_member (its prefix), so a ledger line still costs one index entry
for this lookup, and sums over a member's or a group's lines read only the index.

Revision ID: 0020
Revises: 0001
"""

from __future__ import annotations

from alembic import op

revision = "0020"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_ledger_group_member_delta", "ledger", ["group_id", "member_id", "delta"])
    op.drop_index("ix_ledger_group_member", table_name="ledger")


def downgrade() -> None:
    op.create_index("ix_ledger_group_member", "ledger", ["group_id", "member_id"])
    op.drop_index("ix_ledger_group_member_delta", table_name="ledger")

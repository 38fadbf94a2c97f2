"""ledger: running totals per member and per member and UTC day, filled from the ledger

`ledger_totals` (balance, earned) and `ledger_days` (points per UTC day of created_at) are
written in the transaction of every ledger line from now on; this fills them from the lines
already there. The ledger itself is unchanged and stays the truth (`groupops ledger verify`).

It continues the ledger's branch (0001, 0020): the camp or any other feature's tables
still downgrade alone.

Revision ID: 0021
Revises: 0020
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

ID = sa.String(128)

_LEDGER = sa.table(
    "ledger",
    sa.column("group_id", ID),
    sa.column("member_id", ID),
    sa.column("delta", sa.Integer()),
    sa.column("created_at", sa.DateTime()),
)


def upgrade() -> None:
    totals = op.create_table(
        "ledger_totals",
        sa.Column("group_id", ID, nullable=False),
        sa.Column("member_id", ID, nullable=False),
        sa.Column("balance", sa.Integer(), nullable=False),
        sa.Column("earned", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("group_id", "member_id", name="pk_ledger_totals"),
        sqlite_with_rowid=False,
    )
    days = op.create_table(
        "ledger_days",
        sa.Column("group_id", ID, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("member_id", ID, nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("group_id", "day", "member_id", name="pk_ledger_days"),
        sqlite_with_rowid=False,
    )
    assert totals is not None and days is not None
    delta = _LEDGER.c.delta
    op.execute(
        totals.insert().from_select(
            ["group_id", "member_id", "balance", "earned"],
            sa.select(
                _LEDGER.c.group_id,
                _LEDGER.c.member_id,
                sa.func.sum(delta),
                sa.func.sum(sa.case((delta > 0, delta), else_=0)),
            ).group_by(_LEDGER.c.group_id, _LEDGER.c.member_id),
        )
    )
    # SQLite stores created_at as naive UTC text; PostgreSQL as timestamptz
    if op.get_bind().dialect.name == "postgresql":
        day = sa.func.date(sa.func.timezone("UTC", _LEDGER.c.created_at))
    else:
        day = sa.func.date(_LEDGER.c.created_at)
    op.execute(
        days.insert().from_select(
            ["group_id", "day", "member_id", "points"],
            sa.select(_LEDGER.c.group_id, day, _LEDGER.c.member_id, sa.func.sum(delta)).group_by(
                _LEDGER.c.group_id, day, _LEDGER.c.member_id
            ),
        )
    )


def downgrade() -> None:
    op.drop_table("ledger_days")
    op.drop_table("ledger_totals")

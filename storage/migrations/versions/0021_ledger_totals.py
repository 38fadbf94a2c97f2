"""ledger: running totals per member, kept by a trigger, filled from the ledger; a covering
index by time

`ledger_totals` (balance, earned) is written by the database itself, in the statement (so
the transaction) of every ledger line from now on: an AFTER INSERT trigger on `ledger` adds
the line with an upsert (`ON CONFLICT DO UPDATE SET balance = balance + excluded.balance`),
whichever code inserts it. This fills it from the lines already there. The (group_id, created_at) index gains
member_id and delta, so a leaderboard over a period reads the period's lines from the index
alone. The ledger's lines are unchanged and stay the truth (`groupops ledger verify`).

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
)


# The one writer of the running totals: every inserted ledger line, in its own statement.
_SQLITE_TRIGGER = """
CREATE TRIGGER ledger_totals_add AFTER INSERT ON ledger
BEGIN
    INSERT INTO ledger_totals (group_id, member_id, balance, earned)
    VALUES (NEW.group_id, NEW.member_id, NEW.delta, max(NEW.delta, 0))
    ON CONFLICT (group_id, member_id) DO UPDATE
    SET balance = balance + excluded.balance, earned = earned + excluded.earned;
END
"""
_PG_FUNCTION = """
CREATE FUNCTION ledger_totals_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO ledger_totals (group_id, member_id, balance, earned)
    VALUES (NEW.group_id, NEW.member_id, NEW.delta, greatest(NEW.delta, 0))
    ON CONFLICT (group_id, member_id) DO UPDATE
    SET balance = ledger_totals.balance + excluded.balance,
        earned = ledger_totals.earned + excluded.earned;
    RETURN NULL;
END
$$
"""
_PG_TRIGGER = """
CREATE TRIGGER ledger_totals_add AFTER INSERT ON ledger
FOR EACH ROW EXECUTE PROCEDURE ledger_totals_add()
"""


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
    assert totals is not None
    # The trigger first: on PostgreSQL it locks out other processes' inserts until this
    # transaction commits, so no line falls between the fill below and the trigger.
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_FUNCTION)
        op.execute(_PG_TRIGGER)
    else:
        op.execute(_SQLITE_TRIGGER)
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
    op.create_index(
        "ix_ledger_group_created_member_delta",
        "ledger",
        ["group_id", "created_at", "member_id", "delta"],
    )
    op.drop_index("ix_ledger_group_created", table_name="ledger")


def downgrade() -> None:
    op.execute(
        "DROP TRIGGER IF EXISTS ledger_totals_add"
        + (" ON ledger" if op.get_bind().dialect.name == "postgresql" else "")
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS ledger_totals_add()")
    op.create_index("ix_ledger_group_created", "ledger", ["group_id", "created_at"])
    op.drop_index("ix_ledger_group_created_member_delta", table_name="ledger")
    op.drop_table("ledger_totals")

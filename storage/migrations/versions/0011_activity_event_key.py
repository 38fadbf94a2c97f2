"""activity log: one row per event (group, message or event id, kind)

Replaying a transcript again, a redelivery after a restart, or a second bot process used to
add the same message again. Existing duplicates are removed (the first row is kept) and a
unique index makes later inserts of a known event do nothing. Rows written without an id
(joins and leaves from transports that give none) get a unique legacy id first, so they are
not mistaken for each other.

Revision ID: 0011
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0002"
branch_labels = None
depends_on = None

_LOG = sa.table(
    "activity_log",
    sa.column("id", sa.Integer()),
    sa.column("group_id", sa.String()),
    sa.column("message_id", sa.String()),
    sa.column("kind", sa.String()),
)


def upgrade() -> None:
    op.execute(
        _LOG.update()
        .where(_LOG.c.message_id == "")
        .values(message_id=sa.literal("legacy:") + sa.cast(_LOG.c.id, sa.String()))
    )
    first = sa.select(sa.func.min(_LOG.c.id)).group_by(
        _LOG.c.group_id, _LOG.c.message_id, _LOG.c.kind
    )
    op.execute(_LOG.delete().where(_LOG.c.id.not_in(first)))
    op.create_index(
        "uq_activity_event", "activity_log", ["group_id", "message_id", "kind"], unique=True
    )


def downgrade() -> None:
    op.drop_index("uq_activity_event", table_name="activity_log")

"""Alembic environment. groupops passes a live connection in `config.attributes["connection"]`
(see storage/migrate.py), so migrations run inside the bot's own event loop and driver."""

from __future__ import annotations

from alembic import context

import storage.models  # noqa: F401  (registers every table on the metadata)
from storage.models.base import Base

target_metadata = Base.metadata
config = context.config


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("run migrations through `groupops db upgrade` (storage/migrate.py)")
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise RuntimeError("offline SQL generation is not supported; use `groupops db upgrade`")
run_migrations_online()

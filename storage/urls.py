"""Database URLs as the bot uses them (async drivers, SQLite paths resolved)."""

from __future__ import annotations

import os
from pathlib import Path


def normalize_db_url(url: str, base_dir: Path | None = None) -> str:
    """Pick async drivers, and resolve a relative SQLite path against the config's folder."""
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+asyncpg://" + url.split("://", 1)[1]
    if url.startswith("sqlite://") and not url.startswith("sqlite+"):
        url = "sqlite+aiosqlite://" + url[len("sqlite://") :]
    if url.startswith("sqlite+aiosqlite:///") and base_dir is not None:
        db_path = url[len("sqlite+aiosqlite:///") :]
        if db_path and db_path != ":memory:" and not os.path.isabs(db_path):
            url = "sqlite+aiosqlite:///" + str((base_dir / db_path).resolve())
    return url

"""`groupops db upgrade|current`: Alembic migrations."""

from __future__ import annotations

import argparse
import asyncio

from bot.cli.common import DEFAULT_CONFIG, load_or_report


def cmd_db(args: argparse.Namespace) -> int:
    from storage import migrate
    from storage.db import create_engine

    config = load_or_report(args.config)
    if config is None:
        return 1
    url = args.url or config.storage_url

    async def go() -> int:
        engine = create_engine(url)
        try:
            if args.action == "upgrade":
                await migrate.upgrade(engine)
            current = await migrate.current_revisions(engine)
            print(f"database at {sorted(current)}; heads {sorted(migrate.head_revisions())}")
        finally:
            await engine.dispose()
        return 0

    return asyncio.run(go())


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("db", help="database migrations")
    p.add_argument("action", choices=["upgrade", "current"])
    p.add_argument("--config", default=DEFAULT_CONFIG)
    p.add_argument("--url", help="a database URL instead of storage.url")
    p.set_defaults(func=cmd_db)

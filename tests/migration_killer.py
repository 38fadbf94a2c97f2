"""Test helper, run as a subprocess: `python -m tests.migration_killer DB_URL N`.

Runs the bot's migrations on DB_URL and kills this process with SIGKILL right after the N-th
CREATE statement has executed: a first start killed mid-migration, at a deterministic point.
Exits 0 when the migrations finish first (N larger than the number of CREATE statements).
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from typing import Any

from sqlalchemy import event

from storage import migrate
from storage.db import create_engine


def main() -> int:
    url, after = sys.argv[1], int(sys.argv[2])
    engine = create_engine(url)
    created = 0

    @event.listens_for(engine.sync_engine, "after_cursor_execute")
    def kill_after(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        nonlocal created
        if statement.lstrip().upper().startswith("CREATE"):
            created += 1
            if created == after:
                os.kill(os.getpid(), signal.SIGKILL)

    asyncio.run(migrate.upgrade(engine))
    return 0


if __name__ == "__main__":
    sys.exit(main())

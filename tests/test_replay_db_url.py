"""`groupops replay --db` takes a database URL (PostgreSQL) as well as a SQLite path."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from storage import migrate
from storage.db import create_engine, session_factory
from storage.models import Checkin
from tests.support import PG_ENV, fresh_pg_database

CONFIG = "timezone: Asia/Shanghai\nadmins: [admin]\ngroups:\n  writers: {name: 写作群}\n"
TRANSCRIPT = "2026-11-21T08:00:00 writers alice: 打卡\n2026-11-21T08:01:00 writers bob: 签到\n"


async def replay_cli(tmp_path: Path, db: str) -> tuple[int, str, str]:
    config, transcript = tmp_path / "config.yaml", tmp_path / "t.txt"
    config.write_text(CONFIG, encoding="utf-8")
    transcript.write_text(TRANSCRIPT, encoding="utf-8")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "replay", str(transcript), "--config", str(config),
        "--json", "--db", db,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await proc.communicate()
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def count_checkins(url: str) -> int:
    engine = create_engine(url)
    try:
        assert await migrate.current_revisions(engine) == migrate.head_revisions()
        async with session_factory(engine)() as session:
            return int((await session.execute(select(func.count(Checkin.id)))).scalar_one())
    finally:
        await engine.dispose()


@pytest.mark.skipif(not os.environ.get(PG_ENV), reason=f"needs PostgreSQL ({PG_ENV})")
async def test_replay_into_a_postgresql_url(tmp_path: Path) -> None:
    async with fresh_pg_database() as url:
        plain = url.replace("postgresql+asyncpg://", "postgresql://")  # as an operator writes it
        code, out, err = await replay_cli(tmp_path, plain)
        assert (code, err) == (0, "")
        texts = [json.loads(line)["text"] for line in out.splitlines()]
        assert len(texts) == 2 and all("打卡成功" in t for t in texts)
        assert await count_checkins(url) == 2
        code, out, _ = await replay_cli(tmp_path, plain)  # again: the same rows
        assert code == 0 and all("已经打过卡" in json.loads(x)["text"] for x in out.splitlines())
        assert await count_checkins(url) == 2


async def test_replay_into_a_sqlite_url_and_a_refused_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'kept.db'}"
    code, _, err = await replay_cli(tmp_path, url)
    assert (code, err) == (0, "")
    assert await count_checkins(url) == 2
    code, out, err = await replay_cli(tmp_path, "postgresql://nobody:secret@127.0.0.1:1/none")
    assert code == 1 and out == ""
    assert err.startswith(
        "groupops: cannot use the database postgresql+asyncpg://nobody:***@127.0.0.1:1/none: "
    )
    assert "Traceback" not in err and "secret" not in err

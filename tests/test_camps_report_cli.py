"""`groupops camp report`: one certificate per finisher named <camp id>-<member id>.png and
the calendar picture, read-only on the database; the camp tables' migration branch."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Connection, inspect

from bot.cli import main
from storage import migrate
from storage.db import create_engine
from tests.camps_support import CAMP_CONFIG, say
from tests.support import at, running_bot, sqlite_url

CAMP_TABLES = {"camp_members", "camp_days", "camp_reviews", "camp_pairs"}


def write_config(tmp_path: Path) -> Path:
    path = tmp_path / "config.yaml"
    text = CAMP_CONFIG.replace(
        "    admins: [coach]\n",
        f"    admins: [coach]\n    stats: {{report_dir: {tmp_path / 'r'}}}\n",
    )
    path.write_text(text, encoding="utf-8")
    return path


async def a_camp(db: Path, config_path: Path) -> None:
    from bot.config import load_config

    async with running_bot(sqlite_url(db), load_config(config_path), at("2026-11-15 10:00")) as bot:
        for user in ("alice", "wx/bob", "carol"):
            await say(bot, "/报名 early", user, "2026-11-15 10:00")
        for n in range(16, 23):
            await say(bot, "打卡", "alice", f"2026-11-{n} 06:00")
            if n <= 20:
                await say(bot, "打卡", "wx/bob", f"2026-11-{n} 06:10")
            if n <= 17:
                await say(bot, "打卡", "carol", f"2026-11-{n} 06:20")


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


async def test_camp_report_writes_a_certificate_per_finisher_and_the_calendar(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path)
    db = tmp_path / "bot.db"
    await a_camp(db, config)
    before = digest(db)
    out = tmp_path / "out"
    args = ["camp", "report", "--group", "g1", "--camp", "早起营", "--config", str(config)]
    args += ["--db", str(db), "--out", str(out), "--today", "2026-11-23"]
    assert await asyncio.to_thread(main, args) == 0
    printed = capsys.readouterr()
    assert printed.out.splitlines() == [
        str(out / "early-alice.png"),
        str(out / "early-wx_bob.png"),  # a member id with a path separator stays in `out`
        str(out / "early-calendar.png"),
    ]
    assert "early: 3 members, 2 finished (5 of 7 days); 2 certificates" in printed.err
    assert sorted(p.name for p in out.iterdir()) == [
        "early-alice.png",
        "early-calendar.png",
        "early-wx_bob.png",
    ]
    assert all(p.read_bytes()[:4] == b"\x89PNG" for p in out.iterdir())
    assert digest(db) == before  # read-only
    assert not (tmp_path / "r").exists()  # --out, not the report folder


def test_camp_report_refuses_an_unknown_camp_and_a_missing_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path)
    code = main(["camp", "report", "--group", "g1", "--camp", "nosuch", "--config", str(config)])
    assert code == 2
    assert capsys.readouterr().err == (
        "groupops: no camp 'nosuch' in group 'g1' (its camps: early)\n"
    )
    missing = tmp_path / "nothing.db"
    args = ["camp", "report", "--group", "g1", "--camp", "early", "--config", str(config)]
    assert main([*args, "--db", str(missing)]) == 1
    assert f"groupops: no database file at {missing}" in capsys.readouterr().err
    assert not missing.exists()


def _downgrade_camps(connection: Connection) -> None:
    cfg = migrate.alembic_config()
    cfg.attributes["connection"] = connection
    command.downgrade(cfg, "0030@0001")


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


async def test_the_camp_tables_downgrade_alone_and_upgrade_again(db_url: str) -> None:
    engine = create_engine(db_url)
    try:
        await migrate.upgrade(engine)
        async with engine.connect() as conn:
            before = await conn.run_sync(_tables)
        assert before >= CAMP_TABLES
        async with engine.begin() as conn:
            await conn.run_sync(_downgrade_camps)
        async with engine.connect() as conn:
            assert await conn.run_sync(_tables) == before - CAMP_TABLES
        await migrate.upgrade(engine)
        assert await migrate.current_revisions(engine) == migrate.head_revisions()
    finally:
        await engine.dispose()


def test_the_bundled_config_example_has_a_camp() -> None:
    from bot.config import load_config

    config = load_config(Path(__file__).resolve().parent.parent / "config.yaml")
    camps = config.group("writers").features.camps
    assert [c.id for c in camps] == ["write21"]
    assert camps[0].window is not None and camps[0].required_days <= camps[0].days

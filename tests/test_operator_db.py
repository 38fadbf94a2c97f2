"""Operator commands open the database through storage/operator.py: a mistyped SQLite path is
refused (and not created), an unmigrated schema gets the `groupops db upgrade` hint."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.cli import main
from storage import migrate
from storage.db import create_engine
from storage.operator import (
    DatabaseNotCurrent,
    DatabaseUnusable,
    MissingDatabaseFile,
    open_database,
    resolve_db_url,
    sqlite_file,
)

CONFIG = "admins: [admin]\nstorage: {url: 'sqlite:///bot.db'}\ngroups:\n  g1: {name: 写作群}\n"

# Every read-only operator command, as arguments before `--config FILE --db PATH`.
READ_ONLY = {
    "export highlights": ["export", "highlights", "--group", "g1"],
    "faq export": ["faq", "export"],
    "payouts": ["payouts", "--since", "2026-11-01"],
    "stats": ["stats", "--group", "g1", "--today", "2026-11-22"],
    "report": ["report", "--group", "g1", "--week", "2026-W47"],
}


def _argv(name: str, tmp_path: Path, config: Path, db: Path) -> list[str]:
    argv = [*READ_ONLY[name], "--config", str(config), "--db", str(db)]
    if name == "report":
        argv += ["--out", str(tmp_path / "week.png")]
    return argv


def _tables(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        return [row[0] for row in conn.execute("SELECT name FROM sqlite_master")]


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(CONFIG, encoding="utf-8")
    return path


@pytest.mark.parametrize("name", READ_ONLY)
def test_a_missing_file_is_refused_and_not_created(
    name: str, tmp_path: Path, config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "typo" / "bot.db"
    missing.parent.mkdir()
    assert main(_argv(name, tmp_path, config, missing)) == 1
    captured = capsys.readouterr()
    assert f"groupops: no database file at {missing}" in captured.err
    assert captured.out == ""
    assert not missing.exists()
    assert list(missing.parent.iterdir()) == []  # no -wal / -shm files either
    assert not (tmp_path / "week.png").exists()


@pytest.mark.parametrize("name", READ_ONLY)
def test_the_configured_storage_url_is_checked_too(
    name: str, tmp_path: Path, config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = _argv(name, tmp_path, config, tmp_path / "x.db")
    del argv[argv.index("--db") : argv.index("--db") + 2]
    assert main(argv) == 1
    # storage.url is relative to the config file's folder
    assert f"no database file at {tmp_path / 'bot.db'}" in capsys.readouterr().err
    assert not (tmp_path / "bot.db").exists()


@pytest.mark.parametrize("name", READ_ONLY)
def test_an_unmigrated_file_gets_the_upgrade_hint(
    name: str, tmp_path: Path, config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty.db"
    empty.touch()
    assert main(_argv(name, tmp_path, config, empty)) == 1
    err = capsys.readouterr().err
    assert err.startswith("groupops: the database ")
    assert "has no schema yet" in err and "run `groupops db upgrade` first" in err
    assert _tables(empty) == []  # nothing was created in it
    assert not (tmp_path / "week.png").exists()


@pytest.mark.parametrize("name", READ_ONLY)
def test_an_upgraded_database_is_read(
    name: str, tmp_path: Path, config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "ops.db"
    assert main(["db", "upgrade", "--config", str(config), "--url", f"sqlite:///{db}"]) == 0
    capsys.readouterr()
    if name == "stats":  # read, and found empty: the group has no data yet
        assert main(_argv(name, tmp_path, config, db)) == 1
        assert "group 'g1' has no data" in capsys.readouterr().err
        return
    assert main(_argv(name, tmp_path, config, db)) == 0, capsys.readouterr().err
    assert capsys.readouterr().err == ""


def test_payouts_still_takes_url(
    tmp_path: Path, config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nope.db"
    argv = ["payouts", "--since", "2026-11-01", "--config", str(config)]
    assert main([*argv, "--url", f"sqlite:///{missing}"]) == 1
    assert f"no database file at {missing}" in capsys.readouterr().err
    assert not missing.exists()


def test_faq_import_refuses_an_unmigrated_database(
    tmp_path: Path, config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "more.yaml"
    source.write_text(
        "faq:\n  - {id: cert, question: 有证书吗？, answer: 有。}\n", encoding="utf-8"
    )
    empty = tmp_path / "empty.db"
    empty.touch()
    argv = ["faq", "import", str(source), "--config", str(config), "--db", str(empty)]
    assert main(argv) == 1
    assert "run `groupops db upgrade` first" in capsys.readouterr().err
    assert _tables(empty) == []  # not migrated as a side effect


def test_a_partly_migrated_database_names_its_revision(
    tmp_path: Path, config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "old.db"
    with sqlite3.connect(db) as conn:  # as if migrated by a release that had only 0001
        conn.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)")
        conn.execute("INSERT INTO alembic_version VALUES ('0001')")
    assert main(["stats", "--group", "g1", "--config", str(config), "--db", str(db)]) == 1
    err = capsys.readouterr().err
    assert "is at schema revision 0001" in err and "groupops db upgrade" in err


def test_resolve_db_url(tmp_path: Path) -> None:
    configured = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    assert resolve_db_url(None, configured) == configured
    assert resolve_db_url("", "postgresql://u@h/db") == "postgresql+asyncpg://u@h/db"
    assert resolve_db_url("postgres://u@h/db", configured) == "postgresql+asyncpg://u@h/db"
    assert resolve_db_url(str(tmp_path / "a.db"), configured) == (
        f"sqlite+aiosqlite:///{tmp_path / 'a.db'}"
    )
    assert sqlite_file(f"sqlite:///{tmp_path / 'a.db'}") == tmp_path / "a.db"
    assert sqlite_file("sqlite+aiosqlite:///:memory:") is None
    assert sqlite_file("postgresql+asyncpg://u@h/db") is None


async def test_open_database_on_both_backends(db_url: str) -> None:
    """db_url is a SQLite path that does not exist yet, or a fresh, empty PostgreSQL database."""
    path = sqlite_file(db_url)
    if path is not None:
        with pytest.raises(MissingDatabaseFile):
            async with open_database(db_url):
                pass
        assert not path.exists()
    else:
        with pytest.raises(DatabaseNotCurrent, match="has no schema yet"):
            async with open_database(db_url):
                pass
    # must_exist=False, require_current=False: connect as `groupops db upgrade` would
    lenient = open_database(db_url, must_exist=False, require_current=False)
    async with lenient as uow_factory, uow_factory() as uow:
        assert (await uow.session.execute(text("SELECT 1"))).scalar() == 1
    assert path is None or path.is_file()
    # a database error inside the block is an operator error, engine disposed all the same
    with pytest.raises(DatabaseUnusable, match="groupops db upgrade"):
        async with (
            open_database(db_url, require_current=False) as uow_factory,
            uow_factory() as uow,
        ):
            await uow.session.execute(text("SELECT 1 FROM checkins"))

    engine = create_engine(db_url)
    try:
        await migrate.upgrade(engine)
    finally:
        await engine.dispose()
    async with open_database(db_url) as uow_factory, uow_factory() as uow:
        assert (await uow.session.execute(text("SELECT count(*) FROM checkins"))).scalar() == 0

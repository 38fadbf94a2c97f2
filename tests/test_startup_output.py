"""What an operator sees when the bot starts: one line about migrations, not Alembic's
narration of every step."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

CONFIG = """
timezone: Asia/Shanghai
admins: [admin]
storage: {url: "sqlite:///bot.db"}
groups:
  g1: {name: 测试群}
"""


def start_and_quit(config: Path) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "run", "--config", str(config)],
        input=":quit\n",
        capture_output=True,
        text=True,
        timeout=120,
        cwd=config.parent,
    )
    assert done.returncode == 0, done.stderr
    return done.stderr


def test_start_logs_one_migration_line_and_no_alembic_steps(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(CONFIG, encoding="utf-8")
    first = start_and_quit(config)
    assert "alembic" not in first
    migrated = [line for line in first.splitlines() if "database migrated" in line]
    assert len(migrated) == 1 and "from an empty database to " in migrated[0]
    second = start_and_quit(config)  # already at the heads: nothing to say
    assert "alembic" not in second and "database migrated" not in second


def test_a_normal_start_has_no_traceback_warning_or_debug_detail(tmp_path: Path) -> None:
    """A fresh database and a second start: a few INFO lines, nothing alarming, and the
    transport's relay and broadcast lines (all "yes" on the console) left to DEBUG."""
    config = tmp_path / "config.yaml"
    config.write_text(CONFIG, encoding="utf-8")
    for run in (start_and_quit(config), start_and_quit(config)):
        assert "Traceback" not in run
        assert not [line for line in run.splitlines() if " WARNING " in line or " ERROR " in line]
        assert "relay source" not in run and "broadcast to a set" not in run
        transport = [line for line in run.splitlines() if "transport console:" in line]
        assert len(transport) == 1 and "sees every group message" in transport[0]
        assert "scheduled 0" not in run  # no rituals, no camps: nothing to count

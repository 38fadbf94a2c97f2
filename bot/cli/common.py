"""What every operator command shares: the default config path, logging, error reports."""

from __future__ import annotations

import logging
import sys

from bot.config import AppConfig, ConfigError, load_config

DEFAULT_CONFIG = "config.yaml"
log = logging.getLogger("groupops")


def setup_logging(level: str = "INFO") -> None:
    logging.basicConfig(
        level=getattr(logging, level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # Alembic narrates every migration step at INFO; the bot logs one summary line instead
    # (storage/migrate.py).
    logging.getLogger("alembic").setLevel(max(logging.WARNING, logging.root.level))


def load_or_report(path: str) -> AppConfig | None:
    """Load a config, printing every problem as FILE:LINE: path: message."""
    try:
        return load_config(path)
    except ConfigError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return None


def report_db_error(exc: Exception) -> int:
    """An operator command's database refusal (storage/operator.py) on stderr; status 1."""
    print(f"groupops: {exc}", file=sys.stderr)
    return 1

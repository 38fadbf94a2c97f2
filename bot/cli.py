"""The `groupops` command."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from bot import cli_qa
from bot.cli_highlights import register as register_highlights  # issue 6
from bot.config import AppConfig, ConfigError, load_config
from bot.payouts import register as register_payouts
from bot.stats_cli import register as register_stats  # issue 8

DEFAULT_CONFIG = "config.yaml"
log = logging.getLogger("groupops")


def setup_logging(level: str = "INFO") -> None:
    logging.basicConfig(
        level=getattr(logging, level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


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


# --- check-config ---------------------------------------------------------------------------


def cmd_check_config(args: argparse.Namespace) -> int:
    config = load_or_report(args.file)
    if config is None:
        return 1
    print(f"{args.file}: OK ({len(config.groups)} groups configured)")
    return 0


# --- db -------------------------------------------------------------------------------------


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


# --- run --------------------------------------------------------------------------------------


def cmd_run(args: argparse.Namespace) -> int:
    config = load_or_report(args.config)
    if config is None:
        return 1
    setup_logging(config.root.log_level)
    from bot.transports.registry import run_transport

    try:
        return asyncio.run(run_transport(config, args))
    except KeyboardInterrupt:
        return 0


# --- replay -----------------------------------------------------------------------------------


def cmd_replay(args: argparse.Namespace) -> int:
    from bot.replay import TranscriptError, print_to, read_transcript, run_replay

    config = load_or_report(args.config)
    if config is None:
        return 1
    setup_logging("WARNING")
    try:
        text = read_transcript(args.transcript)
    except OSError as exc:
        print(f"{args.transcript}: cannot read: {exc}", file=sys.stderr)
        return 1
    until = None
    if args.until:
        until = datetime.fromisoformat(args.until)
        if until.tzinfo is None:
            until = until.replace(tzinfo=config.group("").tz)
    with tempfile.TemporaryDirectory(prefix="groupops-replay-") as tmp:
        db = args.db or os.path.join(tmp, "replay.db")
        try:
            asyncio.run(
                run_replay(
                    text,
                    config,
                    f"sqlite+aiosqlite:///{Path(db).resolve()}",
                    emit=print_to(sys.stdout, args.json),
                    until=until,
                )
            )
        except TranscriptError as exc:
            print(f"{args.transcript}:{exc.line_no}: {exc}", file=sys.stderr)
            return 1
    return 0


# --- bench ------------------------------------------------------------------------------------


def cmd_bench(args: argparse.Namespace) -> int:
    from bot.bench import run_bench_cli

    return run_bench_cli(args)


Registrar = Callable[["argparse._SubParsersAction[argparse.ArgumentParser]"], None]


def _core(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("run", help="run the bot (console transport by default)")
    p.add_argument("--config", default=DEFAULT_CONFIG)
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("check-config", help="validate a config file")
    p.add_argument("file", nargs="?", default=DEFAULT_CONFIG)
    p.set_defaults(func=cmd_check_config)

    p = sub.add_parser("replay", help="drive the bot from a transcript in virtual time")
    p.add_argument("transcript", help="transcript file, or - for standard input")
    p.add_argument("--config", default=DEFAULT_CONFIG)
    p.add_argument("--db", help="keep the SQLite database at this path")
    p.add_argument("--json", action="store_true", help="one JSON object per bot message")
    p.add_argument("--until", help="also run scheduled jobs up to this local time")
    p.set_defaults(func=cmd_replay)

    p = sub.add_parser("db", help="database migrations")
    p.add_argument("action", choices=["upgrade", "current"])
    p.add_argument("--config", default=DEFAULT_CONFIG)
    p.add_argument("--url", help="a database URL instead of storage.url")
    p.set_defaults(func=cmd_db)

    p = sub.add_parser("bench", help="measure throughput through the real router")
    p.add_argument("--messages", type=int, default=20_000)
    p.add_argument("--groups", type=int, default=100)
    p.add_argument("--members", type=int, default=30, help="members per group")
    p.add_argument("--json", action="store_true", help="print only the JSON summary")
    p.add_argument("--keep-db", help="keep the SQLite file at this path")
    p.add_argument("--config", default=DEFAULT_CONFIG)
    p.set_defaults(func=cmd_bench)


# Each feature adds its operator commands here, in the order shown by --help.
REGISTRARS: list[Registrar] = [
    _core,
    register_payouts,
    cli_qa.register,
    register_stats,
    register_highlights,
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="groupops", description="WeChat/WeCom group operations bot"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for register in REGISTRARS:
        register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    sys.exit(main())

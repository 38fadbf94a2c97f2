"""`groupops run`, `groupops check-config` and `groupops replay`."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from datetime import datetime
from pathlib import Path

from bot.cli.common import DEFAULT_CONFIG, load_or_report, setup_logging


def cmd_check_config(args: argparse.Namespace) -> int:
    config = load_or_report(args.file)
    if config is None:
        return 1
    print(f"{args.file}: OK ({len(config.groups)} groups configured)")
    return 0


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


def cmd_replay(args: argparse.Namespace) -> int:
    from bot.replay import DeliveryLog, TranscriptError, print_to, read_transcript, run_replay

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
    deliveries = DeliveryLog(args.delivery_log) if args.delivery_log else None
    with tempfile.TemporaryDirectory(prefix="groupops-replay-") as tmp:
        db = args.db or os.path.join(tmp, "replay.db")
        url = db if "://" in db else f"sqlite+aiosqlite:///{Path(db).resolve()}"
        try:
            asyncio.run(
                run_replay(
                    text,
                    config,
                    url,
                    emit=print_to(sys.stdout, args.json),
                    until=until,
                    delivery_log=deliveries,
                )
            )
        except TranscriptError as exc:
            print(f"{args.transcript}:{exc.line_no}: {exc}", file=sys.stderr)
            return 1
        finally:
            if deliveries is not None:
                deliveries.close()
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("run", help="run the bot (console transport by default)")
    p.add_argument("--config", default=DEFAULT_CONFIG)
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("check-config", help="validate a config file")
    p.add_argument("file", nargs="?", default=DEFAULT_CONFIG)
    p.set_defaults(func=cmd_check_config)

    p = sub.add_parser("replay", help="drive the bot from a transcript in virtual time")
    p.add_argument("transcript", help="transcript file, or - for standard input")
    p.add_argument("--config", default=DEFAULT_CONFIG)
    p.add_argument("--db", help="keep the SQLite database at this path (or a database URL)")
    p.add_argument("--json", action="store_true", help="one JSON object per bot message")
    p.add_argument("--until", help="also run scheduled jobs up to this local time")
    p.add_argument(
        "--delivery-log",
        metavar="FILE",
        help="append each delivered message (id, group, text) to FILE, fsynced",
    )
    p.set_defaults(func=cmd_replay)

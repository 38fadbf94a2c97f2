"""`groupops bench`: throughput and latency through the real router and a real SQLite file."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
from pathlib import Path

from bot.cli.common import DEFAULT_CONFIG
from bot.config import ConfigError, load_config, parse_config


def cmd_bench(args: argparse.Namespace) -> int:
    # imported here: the whole bot, which other commands (check-config) do not need
    from bot.bench import run_bench

    path = Path(getattr(args, "config", "") or "config.yaml")
    try:
        config = load_config(path) if path.exists() else parse_config("{}")
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 1
    if args.history < 0:
        print("--history must be 0 or more", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="groupops-bench-") as tmp:
        db = args.keep_db or os.path.join(tmp, "bench.db")
        result = asyncio.run(
            run_bench(
                config,
                args.messages,
                args.groups,
                args.members,
                db,
                history=args.history,
                outbox=args.sender == "outbox",
            )
        )
    if not args.json:
        if result.history_checkins:
            print(
                f"history: {result.history_checkins} past check-ins, "
                f"{result.history_ledger_lines} ledger lines"
            )
        print(
            f"{result.messages} messages over {args.groups} groups: {result.replies} replies, "
            f"check-ins stored {result.checkins_stored} of {result.checkins_expected} expected"
            + (
                f"; each reply delivered through the outbox in {result.delivery_us:.0f} µs"
                if args.sender == "outbox"
                else ""
            )
        )
    summary = {
        "messages": result.messages,
        "msgs_per_s": result.msgs_per_s,
        "p50_ms": result.p50_ms,
        "p99_ms": result.p99_ms,
        "peak_rss_mb": result.peak_rss_mb,
        "cpu_us_per_msg": result.cpu_us_per_msg,
        "history": result.history_checkins,
        "p99_ms_by_kind": result.p99_ms_by_kind,
        "p50_ms_by_kind": result.p50_ms_by_kind,
    }
    print(json.dumps(summary, ensure_ascii=False))
    return 0 if result.checkins_stored >= result.checkins_expected else 1


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("bench", help="measure throughput through the real router")
    p.add_argument("--messages", type=int, default=20_000)
    p.add_argument("--groups", type=int, default=100)
    p.add_argument("--members", type=int, default=30, help="members per group")
    p.add_argument(
        "--history",
        type=int,
        default=0,
        help="prefill this many past check-ins (with their ledger lines) before measuring",
    )
    p.add_argument("--json", action="store_true", help="print only the JSON summary")
    p.add_argument("--keep-db", help="keep the SQLite file at this path")
    p.add_argument(
        "--sender",
        choices=["outbox", "memory"],
        default="outbox",
        help="replies through the database outbox (as in production) or only in memory",
    )
    p.add_argument("--config", default=DEFAULT_CONFIG)
    p.set_defaults(func=cmd_bench)

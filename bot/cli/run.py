"""`groupops run`, `groupops check-config` and `groupops replay`."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile

from bot.cli.common import DEFAULT_CONFIG, load_or_report, setup_logging


def cmd_check_config(args: argparse.Namespace) -> int:
    """Whatever passes here, `run` can start with: the file (safe YAML within limits),
    every setting (bounded), every template (rendered with sample values), and the
    selected transport's secrets in the environment (named, never printed)."""
    from bot.config import ConfigError, check_environment, render_all_templates

    config = load_or_report(args.file)
    if config is None:
        return 1
    try:
        templates = render_all_templates(config)
    except ConfigError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return 1
    missing = check_environment(config)
    for problem in missing:
        print(problem, file=sys.stderr)
    if missing:
        return 1
    transport = config.root.transport.type
    print(
        f"{args.file}: OK ({len(config.groups)} groups configured, "
        f"{templates} templates rendered, transport {transport})"
    )
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
    from bot.replay import (
        DeliveryLog,
        TranscriptError,
        UntilError,
        parse_until,
        print_to,
        read_transcript,
        run_replay,
    )

    config = load_or_report(args.config)
    if config is None:
        return 1
    setup_logging("WARNING")
    until = None
    try:
        if args.until:
            until = parse_until(args.until, config.group("").tz)
        text = read_transcript(args.transcript)
    except UntilError as exc:
        print(f"groupops replay: --until: {exc}", file=sys.stderr)
        return 2
    except TranscriptError as exc:
        print(f"{args.transcript}:{exc.line_no}: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"{args.transcript}: cannot read: {exc}", file=sys.stderr)
        return 1
    from sqlalchemy.exc import DBAPIError

    from storage.operator import resolve_db_url

    deliveries = DeliveryLog(args.delivery_log) if args.delivery_log else None
    with tempfile.TemporaryDirectory(prefix="groupops-replay-") as tmp:
        # --db: a SQLite file path, or a database URL (PostgreSQL) like storage.url
        db = args.db or os.path.join(tmp, "replay.db")
        url = resolve_db_url(db, config.storage_url)
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
        except UntilError as exc:
            print(f"groupops replay: --until: {exc}", file=sys.stderr)
            return 2
        except (DBAPIError, OSError) as exc:
            cause = exc.orig if isinstance(exc, DBAPIError) else exc
            print(f"groupops: cannot use the database {_safe_url(url)}: {cause}", file=sys.stderr)
            return 1
        finally:
            if deliveries is not None:
                deliveries.close()
    return 0


def _safe_url(url: str) -> str:
    from sqlalchemy import make_url

    return make_url(url).render_as_string(hide_password=True)


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
    p.add_argument("--db", help="use this database: a SQLite file path or a URL (postgresql://...)")
    p.add_argument("--json", action="store_true", help="one JSON object per bot message")
    p.add_argument("--until", help="also run scheduled jobs up to this local time")
    p.add_argument(
        "--delivery-log",
        metavar="FILE",
        help="append each delivered message (id, group, text) to FILE, fsynced",
    )
    p.set_defaults(func=cmd_replay)

"""Operator commands for group health: `groupops stats` and `groupops report`.

Both read the database named by storage.url in the config (or --db: a path to a SQLite
file, or a database URL), the same figures as `/统计` and the weekly picture.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
from datetime import date, datetime, time, timedelta
from pathlib import Path

from sqlalchemy.exc import DBAPIError

from bot.clock import SystemClock
from bot.config import normalize_db_url

DEFAULT_CONFIG = "config.yaml"
_WEEK = re.compile(r"^(\d{4})-?W(\d{1,2})$", re.IGNORECASE)


def db_url(arg: str | None, configured: str) -> str:
    if not arg:
        return normalize_db_url(configured)
    if "://" in arg:
        return normalize_db_url(arg)
    return f"sqlite+aiosqlite:///{Path(arg).expanduser().resolve()}"


def parse_week(text: str) -> tuple[int, int]:
    found = _WEEK.match(text.strip())
    if found is None:
        raise ValueError(f"not an ISO week: {text!r} (use YYYY-Www, e.g. 2026-W47)")
    year, week = int(found.group(1)), int(found.group(2))
    try:
        date.fromisocalendar(year, week, 1)
    except ValueError as exc:
        raise ValueError(f"no week {week} in {year}") from exc
    return year, week


def _db_problem(exc: DBAPIError) -> int:
    cause = exc.orig if exc.orig is not None else exc
    print(
        f"groupops: cannot read the database ({cause}); "
        "run `groupops db upgrade` first, or check --db / storage.url",
        file=sys.stderr,
    )
    return 1


def _missing_file(url: str) -> str | None:
    """A SQLite URL whose file does not exist (connecting would create an empty one)."""
    prefix = "sqlite+aiosqlite:///"
    if url.startswith(prefix) and url != prefix + ":memory:":
        path = Path(url[len(prefix) :])
        if not path.exists():
            return str(path)
    return None


def cmd_stats(args: argparse.Namespace) -> int:
    from bot.cli import load_or_report
    from handlers.stats import collect_stats, format_stats
    from storage.db import create_engine, session_factory
    from storage.uow import UnitOfWorkFactory

    config = load_or_report(args.config)
    if config is None:
        return 1
    group = config.group(args.group)
    if not 1 <= args.days <= 3660:
        print("groupops: --days must be between 1 and 3660", file=sys.stderr)
        return 2
    now = SystemClock().now()
    if args.today:
        today = args.today
        until = datetime.combine(today + timedelta(days=1), time(0), tzinfo=group.tz)
    else:
        today = now.astimezone(group.tz).date()
        until = now

    url = db_url(args.db, config.storage_url)
    if (missing := _missing_file(url)) is not None:
        print(f"groupops: no database file at {missing}", file=sys.stderr)
        return 1

    async def go() -> int:
        engine = create_engine(url)
        try:
            uow = UnitOfWorkFactory(session_factory(engine))
            async with uow() as work:
                stats = await collect_stats(work, group, today, args.days, until)
        except DBAPIError as exc:
            return _db_problem(exc)
        finally:
            await engine.dispose()
        if args.json:
            print(json.dumps(stats.to_json(), ensure_ascii=False, indent=2))
        else:
            print(format_stats(stats))
        return 0

    return asyncio.run(go())


def cmd_report(args: argparse.Namespace) -> int:
    from bot.cli import load_or_report
    from handlers.stats import collect_week
    from scheduler.report_chart import render_week_chart
    from storage.db import create_engine, session_factory
    from storage.uow import UnitOfWorkFactory

    config = load_or_report(args.config)
    if config is None:
        return 1
    try:
        year, week = parse_week(args.week)
    except ValueError as exc:
        print(f"groupops: {exc}", file=sys.stderr)
        return 2
    group = config.group(args.group)
    out = Path(args.out)

    url = db_url(args.db, config.storage_url)
    if (missing := _missing_file(url)) is not None:
        print(f"groupops: no database file at {missing}", file=sys.stderr)
        return 1

    async def go() -> int:
        engine = create_engine(url)
        try:
            uow = UnitOfWorkFactory(session_factory(engine))
            async with uow() as work:
                data = await collect_week(work, group, year, week)
        except DBAPIError as exc:
            return _db_problem(exc)
        finally:
            await engine.dispose()
        render_week_chart(data, out)
        empty = "  (no messages or check-ins that week)" if data.is_empty else ""
        print(f"{out}{empty}")
        return 0

    return asyncio.run(go())


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("stats", help="group health figures (the same as /统计)")
    p.add_argument("--group", required=True, help="group id")
    p.add_argument("--days", type=int, default=7, help="window of local days (default 7)")
    p.add_argument(
        "--today",
        type=date.fromisoformat,
        help="last day of the window, YYYY-MM-DD (default: today)",
    )
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--config", default=DEFAULT_CONFIG)
    p.add_argument("--db", help="SQLite file or database URL instead of storage.url")
    p.set_defaults(func=cmd_stats)

    p = sub.add_parser("report", help="render a group's weekly picture to a PNG file")
    p.add_argument("--group", required=True, help="group id")
    p.add_argument("--week", required=True, help="ISO week, YYYY-Www (e.g. 2026-W47)")
    p.add_argument("--out", required=True, help="PNG file to write")
    p.add_argument("--config", default=DEFAULT_CONFIG)
    p.add_argument("--db", help="SQLite file or database URL instead of storage.url")
    p.set_defaults(func=cmd_report)

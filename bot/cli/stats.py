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
from typing import TYPE_CHECKING

from bot.clock import SystemClock
from bot.text.inbound import config_id

if TYPE_CHECKING:
    from bot.config import AppConfig
    from bot.settings.sets import GroupSet

DEFAULT_CONFIG = "config.yaml"
_WEEK = re.compile(r"^(\d{4})-?W(\d{1,2})$", re.IGNORECASE)


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


def cmd_stats(args: argparse.Namespace) -> int:
    from bot.cli.common import load_or_report, report_db_error
    from handlers.stats import collect_stats, format_stats
    from storage.operator import OperatorDatabaseError, open_database, resolve_db_url
    from storage.repos.stats import StatsRepo

    config = load_or_report(args.config)
    if config is None:
        return 1
    if args.set is not None:
        return _set_stats(args, config)
    group = config.group(config_id(args.group))  # a long id as events store it
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
    url = resolve_db_url(args.db, config.storage_url)

    async def go() -> int:
        try:
            async with open_database(url) as uow, uow() as work:
                if not await StatsRepo(work.session).has_data(group.group_id):
                    print(
                        f"groupops stats: group {args.group!r} has no data (no messages, "
                        "check-ins, points or members stored); check the group id",
                        file=sys.stderr,
                    )
                    return 1
                stats = await collect_stats(work, group, today, args.days, until)
        except OperatorDatabaseError as exc:
            return report_db_error(exc)
        if args.json:
            print(json.dumps(stats.to_json(), ensure_ascii=False, indent=2))
        else:
            print(format_stats(stats))
        return 0

    return asyncio.run(go())


def _find_set(config: AppConfig, name: str) -> GroupSet | None:
    found = config.group_set(name)
    if found is None:
        known = ", ".join(config.sets) or "none configured"
        print(f"groupops: no group set {name!r} in the config (sets: {known})", file=sys.stderr)
    return found


def _set_stats(args: argparse.Namespace, config: AppConfig) -> int:
    """`groupops stats --set SET`: the figures of `/统计 SET`."""
    from bot.cli.common import report_db_error
    from handlers.set_boards import collect_set_stats, format_set_stats
    from storage.operator import OperatorDatabaseError, open_database, resolve_db_url
    from storage.repos.stats import StatsRepo

    group_set = _find_set(config, args.set)
    if group_set is None:
        return 2
    if not 1 <= args.days <= 3660:
        print("groupops: --days must be between 1 and 3660", file=sys.stderr)
        return 2
    seen_from = config.group(group_set.group_ids[0])
    url = resolve_db_url(args.db, config.storage_url)

    async def go() -> int:
        try:
            async with open_database(url) as uow, uow() as work:
                stored = [
                    g for g in group_set.group_ids if await StatsRepo(work.session).has_data(g)
                ]
                if not stored:
                    print(
                        f"groupops stats: no group of set {group_set.name!r} has data (no "
                        "messages, check-ins, points or members stored); check the group ids",
                        file=sys.stderr,
                    )
                    return 1
                stats = await collect_set_stats(
                    work, config, group_set, args.days, SystemClock().now(), seen_from, args.today
                )
        except OperatorDatabaseError as exc:
            return report_db_error(exc)
        if args.json:
            print(json.dumps(stats.to_json(), ensure_ascii=False, indent=2))
        else:
            print(format_set_stats(stats))
        return 0

    return asyncio.run(go())


def cmd_report(args: argparse.Namespace) -> int:
    from bot.cli.common import load_or_report, report_db_error
    from handlers.set_boards import collect_set_week
    from handlers.stats import collect_week
    from scheduler.report_chart import render_week_chart
    from storage.operator import OperatorDatabaseError, open_database, resolve_db_url

    config = load_or_report(args.config)
    if config is None:
        return 1
    try:
        year, week = parse_week(args.week)
    except ValueError as exc:
        print(f"groupops: {exc}", file=sys.stderr)
        return 2
    group_set = None
    if args.set is not None:
        group_set = _find_set(config, args.set)
        if group_set is None:
            return 2
    out = Path(args.out)
    url = resolve_db_url(args.db, config.storage_url)

    async def go() -> int:
        try:
            async with open_database(url) as uow, uow() as work:
                if group_set is None:
                    group = config.group(config_id(args.group))
                    data = await collect_week(work, group, year, week)
                else:
                    top = config.group(group_set.group_ids[0]).stats.weekly_report.top_members
                    data = await collect_set_week(work, config, group_set, year, week, top)
        except OperatorDatabaseError as exc:
            return report_db_error(exc)
        render_week_chart(data, out)
        empty = "  (no messages or check-ins that week)" if data.is_empty else ""
        print(f"{out}{empty}")
        return 0

    return asyncio.run(go())


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("stats", help="group health figures (the same as /统计)")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--group", help="group id")
    which.add_argument("--set", help="a group set from `sets:` (the same as /统计 SET)")
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
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--group", help="group id")
    which.add_argument("--set", help="a group set from `sets:`: every group of it on one picture")
    p.add_argument("--week", required=True, help="ISO week, YYYY-Www (e.g. 2026-W47)")
    p.add_argument("--out", required=True, help="PNG file to write")
    p.add_argument("--config", default=DEFAULT_CONFIG)
    p.add_argument("--db", help="SQLite file or database URL instead of storage.url")
    p.set_defaults(func=cmd_report)

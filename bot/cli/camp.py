"""`groupops camp report --group ID --camp ID [--out DIR]`: a camp's certificates and calendar.

Writes one certificate per finisher (members with at least `finish_days` camp days),
named `<camp id>-<member id>.png`, and the calendar picture (members × days),
`<camp id>-calendar.png`, into DIR (default: the folder the bot writes the camp's pictures
to, `<stats.report_dir>/camps/<group>`). Read-only: it reads the database named by
storage.url (or --db: a SQLite path or a URL) and never writes to it.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import date
from pathlib import Path

from bot.clock import SystemClock

DEFAULT_CONFIG = "config.yaml"


def cmd_camp_report(args: argparse.Namespace) -> int:
    from bot.cli.common import load_or_report, report_db_error
    from handlers.camp_posts import (
        calendar_of,
        calendar_path,
        camp_folder,
        collect_camp,
        write_certificates,
    )
    from handlers.camps import find_camp
    from scheduler.camp_pictures import render_calendar
    from storage.operator import OperatorDatabaseError, open_database, resolve_db_url

    config = load_or_report(args.config)
    if config is None:
        return 1
    group = config.group(args.group)
    camp = find_camp(group.features.camps, args.camp)
    if camp is None:
        known = ", ".join(c.id for c in group.features.camps) or "none"
        print(
            f"groupops: no camp {args.camp!r} in group {args.group!r} (its camps: {known})",
            file=sys.stderr,
        )
        return 2
    today: date = args.today or SystemClock().now().astimezone(group.tz).date()
    out = Path(args.out) if args.out else camp_folder(config, group)
    url = resolve_db_url(args.db, config.storage_url)

    async def go() -> int:
        try:
            async with open_database(url) as uow, uow() as work:
                result = await collect_camp(work, group, camp)
        except OperatorDatabaseError as exc:
            return report_db_error(exc)
        written = write_certificates(result, out)
        calendar = render_calendar(calendar_of(result, group.tz, today), calendar_path(out, camp))
        for _member, path in written:
            print(path)
        print(calendar)
        print(
            f"{camp.id}: {len(result.ranked)} members, {len(result.finishers)} finished "
            f"({camp.required_days} of {camp.days} days); {len(written)} certificates",
            file=sys.stderr,
        )
        return 0

    return asyncio.run(go())


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("camp", help="check-in camps (打卡营) for operators")
    what = p.add_subparsers(dest="what", required=True)
    r = what.add_parser(
        "report", help="a camp's certificates (one per finisher) and its calendar picture"
    )
    r.add_argument("--group", required=True, help="group id")
    r.add_argument("--camp", required=True, help="camp id (or title)")
    r.add_argument("--out", help="folder to write to (default: <report_dir>/camps/<group>)")
    r.add_argument(
        "--today",
        type=date.fromisoformat,
        help="draw the calendar as of this day, YYYY-MM-DD (default: today)",
    )
    r.add_argument("--config", default=DEFAULT_CONFIG)
    r.add_argument("--db", help="SQLite file or database URL instead of storage.url")
    r.set_defaults(func=cmd_camp_report)

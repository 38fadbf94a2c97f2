"""`groupops export highlights --group ID [--since DATE] [--format md|json] [--out FILE]`.

Reads the database named by storage.url in the config (or --db: a SQLite path or a URL).
Markdown is grouped by ISO week; JSON is one object with every highlight.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import date
from pathlib import Path

from bot.config import AppConfig

DEFAULT_CONFIG = "config.yaml"


async def export_highlights(
    config: AppConfig, db_url: str, group_id: str, since: date | None, fmt: str
) -> str:
    from handlers.checkin import local_midnight
    from handlers.highlights import export_json, export_markdown
    from storage.operator import open_database
    from storage.repos.highlights import HighlightRepo

    group = config.group(group_id)
    start = local_midnight(group, since) if since else None
    async with open_database(db_url) as uow_factory, uow_factory() as uow:
        rows = await HighlightRepo(uow.session).between(group_id, since=start)
    return export_json(group, rows) if fmt == "json" else export_markdown(group, rows)


def cmd_export_highlights(args: argparse.Namespace) -> int:
    from bot.cli.common import load_or_report, report_db_error
    from storage.operator import OperatorDatabaseError, resolve_db_url

    config = load_or_report(args.config)
    if config is None:
        return 1
    url = resolve_db_url(args.db, config.storage_url)
    try:
        text = asyncio.run(export_highlights(config, url, args.group, args.since, args.format))
    except OperatorDatabaseError as exc:
        return report_db_error(exc)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("export", help="export data for operators")
    what = p.add_subparsers(dest="what", required=True)
    h = what.add_parser("highlights", help="a group's highlights (精华), grouped by week")
    h.add_argument("--group", required=True, help="group id")
    h.add_argument(
        "--since", type=date.fromisoformat, help="first local day, YYYY-MM-DD (default: all)"
    )
    h.add_argument("--format", choices=["md", "json"], default="md")
    h.add_argument("--out", help="write to this file instead of standard output")
    h.add_argument("--config", default=DEFAULT_CONFIG)
    h.add_argument("--db", help="SQLite file or database URL instead of storage.url")
    h.set_defaults(func=cmd_export_highlights)

"""`groupops payouts`: points won in red-packet games per member, for settling real money.

Operators who pay real WeChat red packets by hand run

    groupops payouts --since 2026-11-01 [--until 2026-11-30] [--group ID] [--format csv|table]

and get one row per (group, member) with the points from /红包 (reward), quizzes (quiz),
notice red packets (notice) and draws (draw) whose ledger time falls on a local day of the
group (its own timezone) in [since, until]. Members with open spam violations are left out
(listed on stderr as withheld). Read-only: the database is not migrated, and a
missing SQLite file or an unmigrated schema is refused (storage/operator.py).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TextIO

from bot.config import AppConfig

KINDS = ("reward", "quiz", "notice", "draw")
HEADER = ["group_id", "group_name", "member_id", "name", *KINDS, "total"]


@dataclass
class PayoutRow:
    group_id: str
    group_name: str
    member_id: str
    name: str = ""
    points: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))

    @property
    def total(self) -> int:
        return sum(self.points.values())

    def cells(self) -> list[str]:
        values = [str(self.points[k]) for k in KINDS]
        return [self.group_id, self.group_name, self.member_id, self.name, *values, str(self.total)]


async def collect_payouts(
    config: AppConfig,
    db_url: str,
    since: date,
    until: date | None,
    group: str | None = None,
    withheld: list[PayoutRow] | None = None,
) -> list[PayoutRow]:
    """Rows sorted by group, then total (highest first), then member id. Members with open
    spam violations (from the window before ``since`` on) are left out, and appended to
    ``withheld`` when given."""
    from handlers.moderation import barred_from_rewards
    from storage.operator import open_database
    from storage.repos.members import MemberRepo
    from storage.repos.rewards import RewardsRepo

    # A window wide enough for every timezone; each line is then checked in its group's.
    low = datetime.combine(since, time(0), tzinfo=UTC) - timedelta(days=2)
    high = datetime.combine(until or date(9998, 12, 30), time(0), tzinfo=UTC) + timedelta(days=2)
    async with open_database(db_url) as uow_factory, uow_factory() as uow:
        session = uow.session
        lines = await RewardsRepo(session).reward_lines(low, high, KINDS)
        rows: dict[tuple[str, str], PayoutRow] = {}
        for line in lines:
            if group is not None and line.group_id != group:
                continue
            settings = config.group(line.group_id)
            day = line.created_at.astimezone(settings.tz).date()
            if day < since or (until is not None and day > until):
                continue
            key = (line.group_id, line.member_id)
            row = rows.get(key)
            if row is None:
                row = rows[key] = PayoutRow(line.group_id, settings.name, line.member_id)
            row.points[line.kind] += line.delta
        by_group: dict[str, list[str]] = defaultdict(list)
        barred: dict[str, frozenset[str]] = {}
        for group_id, member_id in list(rows):
            if group_id not in barred:
                barred[group_id] = await barred_from_rewards(session, config.group(group_id), low)
            if member_id in barred[group_id]:
                held = rows.pop((group_id, member_id))
                if withheld is not None:
                    withheld.append(held)
                continue
            by_group[group_id].append(member_id)
        for group_id, members in by_group.items():
            names = await MemberRepo(session).names(group_id, members)
            for member_id in members:
                rows[(group_id, member_id)].name = names.get(member_id, "")
    return sorted(rows.values(), key=lambda r: (r.group_id, -r.total, r.member_id))


def write_csv(rows: list[PayoutRow], out: TextIO) -> None:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    for row in rows:
        writer.writerow(row.cells())


def _width(text: str) -> int:
    """Display width: CJK characters take two columns."""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def write_table(rows: list[PayoutRow], out: TextIO) -> None:
    if not rows:
        out.write("no reward points in this period\n")
        return
    table = [HEADER, *(r.cells() for r in rows)]
    total = ["", "", "", "TOTAL", *(str(sum(r.points[k] for r in rows)) for k in KINDS)]
    table.append([*total, str(sum(r.total for r in rows))])
    widths = [max(_width(line[i]) for line in table) for i in range(len(HEADER))]
    numeric = set(range(4, len(HEADER)))
    for line in table:
        cells = []
        for i, cell in enumerate(line):
            pad = " " * (widths[i] - _width(cell))
            cells.append(pad + cell if i in numeric else cell + pad)
        out.write("  ".join(cells).rstrip() + "\n")


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def cmd_payouts(args: argparse.Namespace) -> int:
    from bot.cli.common import load_or_report, report_db_error
    from storage.operator import OperatorDatabaseError, resolve_db_url

    config = load_or_report(args.config)
    if config is None:
        return 1
    if args.until is not None and args.until < args.since:
        print("--until is before --since", file=sys.stderr)
        return 2
    url = resolve_db_url(args.db, config.storage_url)
    withheld: list[PayoutRow] = []
    try:
        rows = asyncio.run(
            collect_payouts(config, url, args.since, args.until, args.group, withheld)
        )
    except OperatorDatabaseError as exc:
        return report_db_error(exc)
    for held in sorted(withheld, key=lambda r: (r.group_id, r.member_id)):
        print(
            f"withheld: {held.group_id} {held.member_id} ({held.total} points): open spam"
            " violations (see /违规 in the group; whitelisting clears them)",
            file=sys.stderr,
        )
    if args.format == "csv":
        write_csv(rows, sys.stdout)
    else:
        write_table(rows, sys.stdout)
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("payouts", help="points won in red-packet games per member, for payouts")
    p.add_argument("--since", type=_day, required=True, help="first local day (YYYY-MM-DD)")
    p.add_argument("--until", type=_day, help="last local day, inclusive (default: no limit)")
    p.add_argument("--format", choices=["table", "csv"], default="table")
    p.add_argument("--group", help="only this group id")
    p.add_argument("--config", default="config.yaml")
    p.add_argument(
        "--db", "--url", dest="db", help="SQLite file or database URL instead of storage.url"
    )
    p.set_defaults(func=cmd_payouts)

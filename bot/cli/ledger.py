"""`groupops ledger verify [--repair]`: the running totals against the ledger.

Standings and the all-time leaderboard read running totals (`ledger_totals`: a member's
balance and earned points) written in the transaction of every ledger line. The ledger stays the truth: `verify`
recomputes every total from the lines and lists each one that differs (exit 1), or prints
`all N totals match` (exit 0). `--repair` replaces the totals by the recomputed ones.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from bot.cli.common import DEFAULT_CONFIG

# How many differences are listed before the rest are only counted.
SHOWN_DIFFERENCES = 50


def cmd_ledger(args: argparse.Namespace) -> int:
    from bot.cli.common import load_or_report, report_db_error
    from storage.operator import OperatorDatabaseError, open_database, resolve_db_url
    from storage.repos.ledger import TotalsCheck, TotalsDifference

    if args.db:
        url = resolve_db_url(args.db, "")
    else:
        config = load_or_report(args.config)
        if config is None:
            return 1
        url = resolve_db_url(None, config.storage_url)

    def figures(pair: tuple[int, int] | None, missing: str) -> str:
        return missing if pair is None else f"balance {pair[0]}, earned {pair[1]}"

    def describe(found: TotalsDifference) -> str:
        stored = figures(found.stored, "no row")
        want = figures(found.from_ledger, "no lines")
        return f"{found.group_id} {found.member_id}: stored {stored}; ledger says {want}"

    def total(check: TotalsCheck) -> str:
        return f"{check.members} totals"

    async def go() -> int:
        try:
            async with open_database(url) as uow:
                async with uow() as work:
                    check = await work.ledger.check_totals()
                if check.differences and args.repair:
                    async with uow() as work:
                        await work.ledger.rebuild_totals()
                    async with uow() as work:
                        after = await work.ledger.check_totals()
                    print(f"repaired {len(check.differences)} differing totals")
                    check = after
        except OperatorDatabaseError as exc:
            return report_db_error(exc)
        if not check.differences:
            print(f"all {total(check)} match")
            return 0
        for found in check.differences[:SHOWN_DIFFERENCES]:
            print(describe(found))
        hidden = len(check.differences) - SHOWN_DIFFERENCES
        if hidden > 0:
            print(f"... and {hidden} more")
        print(
            f"{len(check.differences)} of {total(check)} differ from the ledger"
            + ("" if args.repair else "; `groupops ledger verify --repair` rebuilds them"),
            file=sys.stderr,
        )
        return 1

    return asyncio.run(go())


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("ledger", help="check the running point totals against the ledger")
    p.add_argument("action", choices=["verify"])
    p.add_argument(
        "--repair", action="store_true", help="rebuild the totals that differ from the ledger"
    )
    p.add_argument("--config", default=DEFAULT_CONFIG)
    p.add_argument("--db", help="SQLite file or database URL instead of storage.url")
    p.set_defaults(func=cmd_ledger)

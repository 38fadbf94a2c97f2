"""The `groupops` command: one module per command family, registered in --help order.

run.py      run, check-config, replay
db.py       db upgrade | current
bench.py    bench
evals.py    eval qa | topics
faq.py      faq export | import
payouts.py  payouts
stats.py    stats, report
export.py   export highlights
camp.py     camp report
broadcast.py  broadcast (群发 to a group set), --status
ledger.py   ledger verify [--repair]
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from bot.cli import bench, broadcast, camp, db, evals, export, faq, ledger, payouts, run, stats

Registrar = Callable[["argparse._SubParsersAction[argparse.ArgumentParser]"], None]

REGISTRARS: list[Registrar] = [
    run.register,
    db.register,
    bench.register,
    payouts.register,
    evals.register,
    faq.register,
    stats.register,
    export.register,
    camp.register,
    broadcast.register,
    ledger.register,
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

"""Time the boards across a set against the single-group ones, through the real router on
a real SQLite file: `/排行` vs `/排行 all` and `/统计` vs `/统计 all`, where `all` is every
group. The database is filled by check-ins and chat through the router first.

    python tests/perf/set_boards.py [--groups 20] [--members 30] [--days 7] [--runs 21]

Prints one line per command: median and p90 milliseconds over --runs replies.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.app import App
from bot.clock import FakeClock
from bot.config import parse_config
from bot.events import Message
from bot.sender import RecordingSender

SHANGHAI = ZoneInfo("Asia/Shanghai")


def config_text(groups: int) -> str:
    lines = ["timezone: Asia/Shanghai", "admins: [root]", "groups:"]
    lines += [f"  g{i}: {{name: 第{i}群}}" for i in range(groups)]
    lines += ["sets:", '  all: "*"']
    return "\n".join(lines) + "\n"


async def run(groups: int, members: int, days: int, runs: int) -> None:
    start = datetime(2026, 11, 16, 7, 0, tzinfo=SHANGHAI)
    clock = FakeClock(start)
    sender = RecordingSender(clock)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        app = App(parse_config(config_text(groups)), sender=sender, clock=clock, db_url=url)
        await app.start()
        ids = iter(range(10**9))
        try:
            for day in range(days):
                for g in range(groups):
                    for m in range(members):
                        when = start + timedelta(days=day, minutes=m)
                        clock.set(when)
                        for text in ("打卡", "早"):
                            await app.handle(Message(f"g{g}", f"u{m}", f"m{next(ids)}", text, when))
            now = start + timedelta(days=days - 1, hours=12)
            clock.set(now)
            for command in ("/排行", "/排行 all", "/统计", "/统计 all"):
                spent: list[float] = []
                for _ in range(runs):
                    message = Message("g0", "root", f"m{next(ids)}", command, now)
                    t0 = time.perf_counter()
                    await app.handle(message)
                    spent.append((time.perf_counter() - t0) * 1000)
                reply = sender.sent[-1].text.splitlines()[0] if sender.sent else ""
                spent.sort()
                p90 = spent[int(len(spent) * 0.9) - 1]
                print(
                    f"{command} groups {groups} members {members} days {days} "
                    f"median_ms {statistics.median(spent):.1f} p90_ms {p90:.1f}  ({reply})"
                )
        finally:
            await app.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--groups", type=int, default=20)
    parser.add_argument("--members", type=int, default=30)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args()
    asyncio.run(run(args.groups, args.members, args.days, args.runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())

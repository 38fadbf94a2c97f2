"""What a broadcast costs the bot: one `/群发` to a set of N groups on a SQLite file, in
virtual time, through the real router, pump and a stored outbox (the replay's). Prints
the wall time per group's copy (queue turn + outbox delivery + settling) and the whole
broadcast's virtual duration, as JSON.

    python tests/perf/broadcast_pump.py [--groups 500] [--interval 3s] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bot.app import App  # noqa: E402
from bot.clock import FakeClock  # noqa: E402
from bot.config import parse_config  # noqa: E402
from bot.events import Message  # noqa: E402
from bot.transports.outbox import Outbox, OutboxItem, OutboxPolicy, UnknownOutcome  # noqa: E402


def config_text(groups: int, interval: str) -> str:
    lines = "\n".join(f"  g{n:04d}: {{name: 分群{n}}}" for n in range(groups))
    return (
        f"timezone: Asia/Shanghai\nadmins: [boss]\nbroadcast: {{interval: {interval}}}\n"
        f'groups:\n{lines}\nsets:\n  every: "*"\n'
    )


async def one_round(groups: int, interval: str) -> dict[str, float]:
    start = datetime.fromisoformat("2026-12-01T10:00:00+08:00")
    clock = FakeClock(start)
    delivered: list[tuple[datetime, OutboxItem]] = []

    async def deliver(item: OutboxItem) -> None:
        delivered.append((clock.now(), item))

    outbox = Outbox(
        deliver,
        policy=OutboxPolicy(max_text_bytes=1 << 20),
        clock=clock,
        name="perf",
        unknown_outcome=UnknownOutcome.RESEND,
    )
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'perf.db'}"
        app = App(
            parse_config(config_text(groups, interval), "perf.yaml"),
            sender=outbox,
            clock=clock,
            db_url=url,
        )
        await app.start()
        try:
            command = Message("g0000", "boss", "perf-1", "/群发 every 今晚八点直播", start)
            began = time.perf_counter()
            await app.handle(command)
            await outbox.deliver_ready()
            while (upcoming := app.scheduler.next_fire()) is not None:
                if upcoming > start + timedelta(days=1):
                    break
                await app.scheduler.run_due(upcoming, on_fire=clock.set)
                await outbox.deliver_ready()
                if any("已完成" in item.text for _, item in delivered):
                    break
            wall = time.perf_counter() - began
        finally:
            await app.close()
    copies = [at for at, item in delivered if item.text == "今晚八点直播"]
    assert len(copies) == groups, (len(copies), groups)
    return {
        "ms_per_group": 1000 * wall / groups,
        "virtual_minutes": (max(copies) - min(copies)).total_seconds() / 60,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--groups", type=int, default=500)
    parser.add_argument("--interval", default="3s")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    runs = [asyncio.run(one_round(args.groups, args.interval)) for _ in range(args.rounds)]
    print(
        json.dumps(
            {
                "groups": args.groups,
                "interval": args.interval,
                "ms_per_group_median": round(statistics.median(r["ms_per_group"] for r in runs), 2),
                "ms_per_group_runs": [round(r["ms_per_group"], 2) for r in runs],
                "virtual_minutes": round(runs[0]["virtual_minutes"], 1),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""CPU per chatter message through `App.handle`: the path most messages take (no check-in,
no command), with the bench's chatter texts, replies counted in memory, a real SQLite file.

    python tests/perf/chatter_bench.py            # the bench's texts, repeated as in a group
    python tests/perf/chatter_bench.py --unique   # every text new (nothing remembered helps)

Run it from the tree to measure (PYTHONPATH=that tree); it prints one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.app import App, freeze_startup_objects
from bot.bench import CHATTER, CountingSender
from bot.clock import FakeClock
from bot.config import AppConfig, load_config, parse_config
from bot.events import Message


async def run(config: AppConfig, messages: int, unique: bool) -> dict[str, object]:
    start = datetime(2026, 11, 2, 8, 0, tzinfo=ZoneInfo(config.timezone))
    rng = random.Random(5)
    with tempfile.TemporaryDirectory(prefix="groupops-chatter-") as tmp:
        clock = FakeClock(start)
        app = App(
            config, sender=CountingSender(), clock=clock, db_url=f"sqlite+aiosqlite:///{tmp}/c.db"
        )
        await app.start()
        freeze_startup_objects()
        at = start
        began = time.process_time()
        for i in range(messages):
            text = rng.choice(CHATTER)
            if unique:
                cut = i % len(text)
                text = f"{text[:cut]}{i}{text[cut:]}"
            event = Message(
                group_id=f"g{rng.randrange(100)}",
                sender_id=f"u{rng.randrange(30)}",
                message_id=f"c{i}",
                text=text,
                time=at,
                sender_name="成员",
            )
            at += timedelta(seconds=3)
            clock.set(at)
            await app.handle(event)
        cpu = time.process_time() - began
        await app.close()
    return {
        "messages": messages,
        "unique": unique,
        "cpu_us_per_msg": round(cpu / messages * 1e6, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--unique", action="store_true", help="make every text new")
    args = parser.parse_args()
    path = Path("config.yaml")
    config = load_config(path) if path.exists() else parse_config("{}")
    print(json.dumps(asyncio.run(run(config, args.messages, args.unique))))


if __name__ == "__main__":
    main()

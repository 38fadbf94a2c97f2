"""Live relay bench: a speaker posting one line a second, relayed to many groups, in virtual
time (an injected clock, no sleeps), through the real router, the relay's merge-window jobs
and an outbox with a per-group rate limit on a real SQLite file.

    python tests/perf/relay_bench.py                       # 50 groups, 10 minutes
    python tests/perf/relay_bench.py --groups 5 --minutes 2 --window 5

It prints one JSON object: whether every line reached every group (`complete`), the most
posts any group got in a sliding minute (`max_per_minute`, against `limit_per_minute`), the
lag from a line being said to its post being delivered (`lag_p50_s`, `lag_p99_s`, `lag_max_s`,
virtual seconds), the posts made and the wall-clock time the run took.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import statistics
import sys
import tempfile
import time
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.app import App
from bot.clock import FakeClock
from bot.config import AppConfig, parse_config
from bot.events import Message
from bot.transports.features import relay_window
from bot.transports.outbox import Outbox, OutboxItem, OutboxPolicy, RateLimit

START = datetime(2026, 11, 21, 20, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
_LINE = re.compile(r"第(\d+)句")


@dataclass
class Delivered:
    at: dict[str, list[datetime]] = field(default_factory=dict)  # group -> delivery times
    lines: dict[str, dict[int, datetime]] = field(default_factory=dict)  # group -> line -> at


def bench_config(groups: int, window_s: int, per_minute: int, overall: int | None) -> AppConfig:
    """The bench's groups; the transport's limits are the outbox's, so that the relay widens
    its window where they demand it (wechaty's outbox has an overall limit)."""
    names = "\n".join(f"  t{i}: {{name: 分群{i}}}" for i in range(groups))
    limits = f"per_minute: {per_minute}, overall_per_minute: {overall or 'null'}"
    return parse_config(
        f"""
transport:
  type: wechaty
  wechaty: {{outbox: {{{limits}}}}}
timezone: Asia/Shanghai
admins: [root]
groups:
  src: {{name: 主群}}
{names}
sets:
  all: "*"
relay:
  merge_window: {window_s}s
  idle_timeout: 1h
  max_duration: 7d
""",
        "relay-bench.yaml",
    )


async def run(
    groups: int,
    minutes: float,
    window_s: int,
    per_minute: int,
    lines_per_s: float,
    overall_per_minute: int | None = None,
) -> dict[str, object]:
    clock = FakeClock(START)
    delivered = Delivered()

    async def deliver(item: OutboxItem) -> None:
        now = clock.now()
        delivered.at.setdefault(item.conversation, []).append(now)
        seen = delivered.lines.setdefault(item.conversation, {})
        for number in _LINE.findall(item.text):
            seen.setdefault(int(number), now)

    outbox = Outbox(
        deliver,
        policy=OutboxPolicy(
            per_conversation=(RateLimit(per_minute, 60),),
            overall=(RateLimit(overall_per_minute, 60),) if overall_per_minute else (),
        ),
        clock=clock,
        name="relay-bench",
    )
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        config = bench_config(groups, window_s, per_minute, overall_per_minute)
        app = App(config, sender=outbox, clock=clock, db_url=url)
        await app.start()
        started = time.perf_counter()
        try:
            said = await _drive(app, clock, outbox, minutes, lines_per_s)
        finally:
            await app.close()
        wall_s = time.perf_counter() - started
    targets = [f"t{i}" for i in range(groups)]
    lags = sorted(
        (delivered.lines.get(g, {}).get(n, START) - when).total_seconds()
        for g in targets
        for n, when in said.items()
    )
    window = relay_window(config, groups).total_seconds()
    complete = all(set(delivered.lines.get(g, {})) == set(said) for g in targets)
    posts = sum(len(delivered.at.get(g, [])) for g in targets)
    return {
        "groups": groups,
        "lines": len(said),
        "virtual_minutes": minutes,
        "merge_window_s": window_s,
        "window_used_s": window,
        "limit_per_minute": per_minute,
        "overall_per_minute": overall_per_minute,
        "complete": complete,
        "missing": sum(len(set(said) - set(delivered.lines.get(g, {}))) for g in targets),
        "max_per_minute": max(_most_in_a_minute(delivered.at.get(g, [])) for g in targets),
        "max_overall_per_minute": _most_in_a_minute(
            [t for g in targets for t in delivered.at.get(g, [])]
        ),
        "posts": posts,
        "lag_p50_s": round(statistics.median(lags), 3),
        "lag_p99_s": round(lags[min(len(lags) - 1, int(len(lags) * 0.99))], 3),
        "lag_max_s": round(lags[-1], 3),
        "wall_s": round(wall_s, 2),
    }


async def _drive(
    app: App, clock: FakeClock, outbox: Outbox, minutes: float, lines_per_s: float
) -> dict[int, datetime]:
    """Start the relay, say the lines, end it, and deliver everything; returns line -> time."""

    async def until(when: datetime) -> None:
        while True:
            wait = outbox.seconds_until_next()
            next_send = None if wait is None else clock.now() + timedelta(seconds=wait)
            next_job = app.scheduler.next_fire()
            due = [t for t in (next_send, next_job) if t is not None and t <= when]
            if not due:
                break
            clock.set(max(clock.now(), min(due)))
            await app.scheduler.run_due(clock.now())
            await outbox.deliver_ready()
        clock.set(max(clock.now(), when))
        await outbox.deliver_ready()

    def message(text: str, user: str, offset_s: float, mid: str, **kw: object) -> Message:
        return Message(
            group_id="src",
            sender_id=user,
            message_id=mid,
            text=text,
            time=START + timedelta(seconds=offset_s),
            sender_name="主讲人" if user == "speaker" else user,
            **kw,  # type: ignore[arg-type]
        )

    await app.handle(message("/转播 开始 all", "root", 0, "start", mentions=("speaker",)))
    said: dict[int, datetime] = {}
    step = 1.0 / lines_per_s
    count = int(minutes * 60 * lines_per_s)
    for n in range(1, count + 1):
        line = message(f"第{n}句", "speaker", n * step, f"line-{n}")
        await until(line.time)
        await app.handle(line)
        said[n] = line.time
    end_at = (count + 1) * step
    await until(START + timedelta(seconds=end_at))
    await app.handle(message("/转播 结束", "root", end_at, "end"))
    await until(START + timedelta(seconds=end_at + 3600))
    return said


def _most_in_a_minute(times: Sequence[datetime]) -> int:
    ordered = sorted(times)
    best = 0
    for i, start in enumerate(ordered):
        best = max(best, bisect_left(ordered, start + timedelta(minutes=1)) - i)
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", type=int, default=50, help="target groups (default 50)")
    parser.add_argument("--minutes", type=float, default=10.0, help="virtual minutes")
    parser.add_argument("--window", type=int, default=5, help="merge window, seconds")
    parser.add_argument("--per-minute", type=int, default=20, help="per-group limit")
    parser.add_argument("--rate", type=float, default=1.0, help="speaker lines per second")
    parser.add_argument(
        "--overall-per-minute", type=int, default=None, help="limit over all groups (wechaty: 60)"
    )
    args = parser.parse_args(argv)
    result = asyncio.run(
        run(
            args.groups,
            args.minutes,
            args.window,
            args.per_minute,
            args.rate,
            args.overall_per_minute,
        )
    )
    print(json.dumps(result, ensure_ascii=False))
    ok = result["complete"] and int(str(result["max_per_minute"])) <= args.per_minute
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

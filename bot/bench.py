"""`groupops bench`: a realistic message mix through the real router, handlers and SQLite."""

from __future__ import annotations

import random
import resource
import statistics
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select

from bot.app import App, freeze_startup_objects
from bot.clock import FakeClock
from bot.config import AppConfig
from bot.events import Message
from bot.transports.outbox import Outbox, OutboxItem, OutboxPolicy
from handlers.checkin import checkin_content
from storage import migrate
from storage.db import create_engine
from storage.models import Checkin, LedgerEntry
from storage.models.base import table_of

CHATTER = [
    "今天的选题我想写家乡的老街，大家觉得从哪个角度切入好？",
    "标题改了三遍还是不满意，求帮忙看看",
    "哈哈哈哈",
    "早上好呀各位",
    "这篇稿子的开头太平了，可以先抛出一个冲突",
    "有人知道附近哪家火锅好吃吗",
    "谢谢老师！",
    "打卡规则是什么？",
    "请问分享会几点开始？",
    "投稿被拒了，编辑说结构太散",
    "收到",
    "👍👍👍",
    "公众号排版大家用什么编辑器",
    "今天卡文了，一个字都写不出来",
]
COMMANDS = ["/我的", "/排行", "/help", "/积分 @{other}"]
# Rows per executemany batch when prefilling history: large enough to amortise the
# statement, small enough that the prefill does not raise the bench's peak RSS.
PREFILL_BATCH = 20_000


class CountingSender:
    """Stands in for a platform: counts what it is handed and keeps none of it (keeping
    every reply, as tests' RecordingSender does, would weigh in the peak RSS)."""

    def __init__(self) -> None:
        self.count = 0

    async def send_text(self, group_id: str, text: str, mentions: Sequence[str] = ()) -> None:
        self.count += 1

    async def send_image(self, group_id: str, path: str, caption: str = "") -> None:
        self.count += 1


@dataclass(frozen=True)
class BenchResult:
    messages: int
    msgs_per_s: float
    p50_ms: float
    p99_ms: float
    peak_rss_mb: float
    checkins_expected: int
    checkins_stored: int
    replies: int
    delivery_us: float = 0.0  # per reply: marking it sending, delivering, marking it sent
    # CPU time of this process per message over the measured stream: unlike msgs_per_s, it
    # hardly moves when other processes compete for the machine's cores.
    cpu_us_per_msg: float = 0.0
    history_checkins: int = 0
    history_ledger_lines: int = 0
    p99_ms_by_kind: dict[str, float] | None = None
    p50_ms_by_kind: dict[str, float] | None = None


def message_kind(text: str) -> str:
    """The latency bucket of a bench message: the command word, check-in, make-up or chatter."""
    if text.startswith("/"):
        return text.split()[0]
    if text.startswith("补卡"):
        return "补卡"
    if text in CHATTER:
        return "chatter"
    return "打卡"


def _p99(sorted_latencies: list[float]) -> float:
    index = max(0, int(len(sorted_latencies) * 0.99) - 1)
    return round(sorted_latencies[index] * 1000, 3)


async def prefill_history(
    config: AppConfig, db_url: str, checkins: int, groups: int, members: int, before: date
) -> tuple[int, int]:
    """Write `checkins` past check-ins, each with its ledger line, on the days before
    `before`, spread evenly over the bench's groups and members (a year or more of history:
    each member checks in on a random subset of the days). Bulk Core executemany in batches,
    not ORM objects (the database's trigger adds the lines to the running totals as they go
    in). Returns (check-ins, ledger lines) written."""
    if checkins <= 0:
        return 0, 0
    rng = random.Random(11)
    pairs = [(f"g{g}", f"u{m}") for g in range(groups) for m in range(members)]
    days = max(365, -(-checkins // len(pairs)))
    base, extra = divmod(checkins, len(pairs))
    tz = ZoneInfo(config.timezone)
    checkin_table = table_of(Checkin)
    ledger_table = table_of(LedgerEntry)
    engine = create_engine(db_url)
    written = 0
    try:
        await migrate.upgrade(engine)
        checkin_rows: list[dict[str, object]] = []
        ledger_rows: list[dict[str, object]] = []

        async def flush() -> None:
            async with engine.begin() as conn:
                await conn.execute(insert(checkin_table), checkin_rows)
                await conn.execute(insert(ledger_table), ledger_rows)
            checkin_rows.clear()
            ledger_rows.clear()

        for index, (group_id, member_id) in enumerate(pairs):
            count = base + (1 if index < extra else 0)
            points = config.group(group_id).checkin.points
            streak = 0
            previous: date | None = None
            for offset in sorted(rng.sample(range(days), count), reverse=True):
                day = before - timedelta(days=offset + 1)
                streak = streak + 1 if previous == day - timedelta(days=1) else 1
                previous = day
                at = datetime.combine(day, datetime.min.time(), tz) + timedelta(
                    seconds=rng.randrange(6 * 3600, 23 * 3600)
                )
                checkin_rows.append(
                    {
                        "group_id": group_id,
                        "member_id": member_id,
                        "day": day,
                        "checked_at": at,
                        "message_id": f"h{written}",
                        "content": "打卡",
                        "word_count": None,
                        "streak": streak,
                        "points": points,
                        "makeup": False,
                    }
                )
                ledger_rows.append(
                    {
                        "group_id": group_id,
                        "member_id": member_id,
                        "delta": points,
                        "kind": "checkin",
                        "reason": f"打卡 {day.isoformat()}",
                        "actor_id": None,
                        "created_at": at,
                        "idem_key": f"checkin:{group_id}:{member_id}:{day.isoformat()}",
                    }
                )
                written += 1
                if len(checkin_rows) >= PREFILL_BATCH:
                    await flush()
        if checkin_rows:
            await flush()
        async with engine.connect() as conn:
            stored = (
                await conn.execute(select(func.count()).select_from(checkin_table))
            ).scalar_one()
            lines = (
                await conn.execute(select(func.count()).select_from(ledger_table))
            ).scalar_one()
        return int(stored), int(lines)
    finally:
        await engine.dispose()


def make_messages(
    n: int, groups: int, members: int, start: datetime, seed: int = 7
) -> list[Message]:
    """n messages in time order over several days; each member checks in at most daily."""
    return list(iter_messages(n, groups, members, start, seed))


def iter_messages(
    n: int, groups: int, members: int, start: datetime, seed: int = 7
) -> Iterator[Message]:
    """`make_messages` one at a time: the bench holds one message, not the whole stream (a
    list of 100,000 would weigh in the peak RSS it reports)."""
    rng = random.Random(seed)
    per_day = max(1, n // 3)
    step = timedelta(seconds=86_400 / per_day)
    at = start
    for i in range(n):
        g = rng.randrange(groups)
        m = rng.randrange(members)
        roll = rng.random()
        # The mix: 20% check-in attempts (some repeats), 6% commands, 1% make-up cards, and
        # the rest chatter, questions and greetings, as in a lively group.
        if roll < 0.20:
            text = rng.choice(["打卡", "打卡 1200字", "签到", "#打卡 今天写了一篇散文 800字"])
        elif roll < 0.26:
            text = rng.choice(COMMANDS).format(other=f"u{rng.randrange(members)}")
        elif roll < 0.27:
            text = f"补卡 {(at - timedelta(days=1)):%m-%d}"
        else:
            text = rng.choice(CHATTER)
        mentions = tuple(w[1:] for w in text.split() if w.startswith("@"))
        yield Message(
            group_id=f"g{g}",
            sender_id=f"u{m}",
            message_id=f"b{i}",
            text=text,
            time=at,
            mentions=mentions,
            sender_name=f"成员{m}",
        )
        at += step


async def run_bench(
    config: AppConfig,
    messages: int,
    groups: int,
    members: int,
    db_path: str,
    history: int = 0,
    *,
    outbox: bool = True,
) -> BenchResult:
    """With `outbox` (the default, as in production) replies go through the transactional
    outbox into the database and are delivered (marked sending, then sent) after each
    message, outside its measured latency but inside the throughput; without it they are
    only recorded in memory."""
    tz = ZoneInfo(config.timezone)
    start = datetime(2026, 11, 2, 0, 0, tzinfo=tz)
    events = iter_messages(messages, groups, members, start)
    handled = 0
    db_url = f"sqlite+aiosqlite:///{db_path}"
    history_checkins, history_lines = await prefill_history(
        config, db_url, history, groups, members, start.date()
    )
    clock = FakeClock(start)
    sender = CountingSender()
    box: Outbox | None = None
    if outbox:

        async def deliver(item: OutboxItem) -> None:
            await sender.send_text(item.conversation, item.text, item.mentions)

        box = Outbox(
            deliver, policy=OutboxPolicy(max_text_bytes=1 << 20), clock=clock, name="bench"
        )
    app = App(config, sender=box or sender, clock=clock, db_url=db_url)
    await app.start()
    if box is not None:
        await box.load()
    freeze_startup_objects()
    latencies: list[float] = []
    delivering = 0.0
    by_kind: dict[str, list[float]] = {}
    try:
        began = time.perf_counter()
        cpu_began = time.process_time()
        for event in events:
            handled += 1
            clock.set(event.time)
            t0 = time.perf_counter()
            await app.handle(event)
            t1 = time.perf_counter()
            spent = t1 - t0
            latencies.append(spent)
            by_kind.setdefault(message_kind(event.text), []).append(spent)
            if box is not None:
                await box.deliver_ready()
                delivering += time.perf_counter() - t1
        elapsed = time.perf_counter() - began
        cpu = time.process_time() - cpu_began
        async with app.uow() as uow:
            rows = await uow.session.execute(
                select(Checkin.group_id, Checkin.member_id, Checkin.day).where(
                    Checkin.day >= start.date()
                )
            )
            stored = {(r[0], r[1], r[2]) for r in rows}
    finally:
        await app.close()
    latencies.sort()
    expected = {  # the same stream again (the same seed), outside the measured loop
        (e.group_id, e.sender_id, e.time.astimezone(tz).date())
        for e in iter_messages(messages, groups, members, start)
        if checkin_content(e.text, config.group(e.group_id).checkin.keywords) is not None
    }
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return BenchResult(
        messages=handled,
        msgs_per_s=round(handled / elapsed, 1),
        p50_ms=round(statistics.median(latencies) * 1000, 3),
        p99_ms=_p99(latencies),
        peak_rss_mb=round(rss, 1),
        checkins_expected=len(expected),
        checkins_stored=len(expected & stored),
        replies=sender.count,
        delivery_us=round(delivering / max(1, sender.count) * 1e6, 1),
        cpu_us_per_msg=round(cpu / max(1, handled) * 1e6, 1),
        history_checkins=history_checkins,
        history_ledger_lines=history_lines,
        p99_ms_by_kind={k: _p99(sorted(v)) for k, v in sorted(by_kind.items())},
        p50_ms_by_kind={
            k: round(statistics.median(v) * 1000, 3) for k, v in sorted(by_kind.items())
        },
    )

"""`groupops bench`: a realistic message mix through the real router, handlers and SQLite."""

from __future__ import annotations

import random
import resource
import statistics
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.app import App, freeze_startup_objects
from bot.clock import FakeClock
from bot.config import AppConfig
from bot.events import Message
from bot.sender import RecordingSender
from bot.transports.outbox import Outbox, OutboxItem, OutboxPolicy
from handlers.checkin import checkin_content
from storage.models import Checkin

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


def make_messages(
    n: int, groups: int, members: int, start: datetime, seed: int = 7
) -> list[Message]:
    """n messages in time order over several days; each member checks in at most daily."""
    rng = random.Random(seed)
    per_day = max(1, n // 3)
    step = timedelta(seconds=86_400 / per_day)
    out: list[Message] = []
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
        out.append(
            Message(
                group_id=f"g{g}",
                sender_id=f"u{m}",
                message_id=f"b{i}",
                text=text,
                time=at,
                mentions=mentions,
                sender_name=f"成员{m}",
            )
        )
        at += step
    return out


async def run_bench(
    config: AppConfig,
    messages: int,
    groups: int,
    members: int,
    db_path: str,
    *,
    outbox: bool = True,
) -> BenchResult:
    """With `outbox` (the default, as in production) replies go through the transactional
    outbox into the database and are delivered (marked sending, then sent) after each
    message, outside its measured latency but inside the throughput; without it they are
    only recorded in memory."""
    tz = ZoneInfo(config.timezone)
    start = datetime(2026, 11, 2, 0, 0, tzinfo=tz)
    events = make_messages(messages, groups, members, start)
    clock = FakeClock(start)
    sender = RecordingSender(clock)
    box: Outbox | None = None
    if outbox:

        async def deliver(item: OutboxItem) -> None:
            await sender.send_text(item.conversation, item.text, item.mentions)

        box = Outbox(
            deliver, policy=OutboxPolicy(max_text_bytes=1 << 20), clock=clock, name="bench"
        )
    app = App(config, sender=box or sender, clock=clock, db_url=f"sqlite+aiosqlite:///{db_path}")
    await app.start()
    if box is not None:
        await box.load()
    freeze_startup_objects()
    latencies: list[float] = []
    delivering = 0.0
    try:
        began = time.perf_counter()
        for event in events:
            clock.set(event.time)
            t0 = time.perf_counter()
            await app.handle(event)
            t1 = time.perf_counter()
            latencies.append(t1 - t0)
            if box is not None:
                await box.deliver_ready()
                delivering += time.perf_counter() - t1
        elapsed = time.perf_counter() - began
        async with app.uow() as uow:
            rows = await uow.session.execute(
                select(Checkin.group_id, Checkin.member_id, Checkin.day)
            )
            stored = {(r[0], r[1], r[2]) for r in rows}
    finally:
        await app.close()
    latencies.sort()
    expected = {
        (e.group_id, e.sender_id, e.time.astimezone(tz).date())
        for e in events
        if checkin_content(e.text, config.group(e.group_id).checkin.keywords) is not None
    }
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return BenchResult(
        messages=len(events),
        msgs_per_s=round(len(events) / elapsed, 1),
        p50_ms=round(statistics.median(latencies) * 1000, 3),
        p99_ms=round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 3),
        peak_rss_mb=round(rss, 1),
        checkins_expected=len(expected),
        checkins_stored=len(expected & stored),
        replies=len(sender.sent),
        delivery_us=round(delivering / max(1, len(sender.sent)) * 1e6, 1),
    )

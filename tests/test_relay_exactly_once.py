"""Exactly once across processes and redelivery: two bot processes on one database both run
the relay's window jobs and both receive the same speaker lines again; every line is in
exactly one stored post per target group (outbox rows), in order."""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.app import App
from bot.clock import FakeClock
from bot.transports.outbox import Outbox, OutboxItem
from storage.models import OutboxRow, RelayLine
from tests.relay_support import START, line, relay_config
from tests.support import PG_ENV, fresh_pg_database, sqlite_url

_LINE = re.compile(r"第(\d+)句")


@asynccontextmanager
async def database(kind: str, tmp_path: Path) -> AsyncIterator[str]:
    if kind == "sqlite":
        yield sqlite_url(tmp_path / "bot.db")
        return
    if not os.environ.get(PG_ENV):
        pytest.skip(f"needs PostgreSQL ({PG_ENV})")
    async with fresh_pg_database() as url:
        yield url


def bot_process(url: str, clock: FakeClock) -> App:
    async def deliver(item: OutboxItem) -> None:
        return None

    outbox = Outbox(deliver, clock=clock, name="relay-test")
    return App(relay_config(), sender=outbox, clock=clock, db_url=url)


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
async def test_two_processes_and_redelivery_post_each_window_once(
    kind: str, tmp_path: Path
) -> None:
    clock = FakeClock(START)
    async with database(kind, tmp_path) as url:
        first = bot_process(url, clock)
        await first.start()
        await first.handle(line("/转播 开始 camp", 0, user="root", mentions=("teacher",)))
        second = bot_process(url, clock)
        await second.start()  # finds the running relay and schedules its windows too
        lines = [line(f"第{n}句", n * 0.7) for n in range(1, 41)]
        for n, event in enumerate(lines):
            for app in (first, second) if n % 2 else (second, first):
                await app.scheduler.run_due(event.time, on_fire=clock.set)
            clock.set(event.time)
            await (first if n % 3 else second).handle(event)
            await (second if n % 3 else first).handle(event)  # the same line, delivered again
        end = START + timedelta(seconds=60)
        for app in (first, second):
            await app.scheduler.run_due(end, on_fire=clock.set)
        clock.set(end)
        await first.handle(line("/转播 结束", 60, user="root"))
        async with first.uow() as uow:
            rows = (await uow.session.scalars(select(OutboxRow).order_by(OutboxRow.id))).all()
            stored = (await uow.session.scalars(select(RelayLine))).all()
        await first.close()
        await second.close()
    assert len(stored) == 40
    for group in ("g2", "g3"):
        posts = sorted((r for r in rows if r.conversation == group), key=lambda r: r.created_at)
        numbers = [int(n) for r in posts for n in _LINE.findall(r.text)]
        assert numbers == list(range(1, 41))
        assert len(posts) == 2 + len({b.bucket for b in stored})  # start, windows, end


async def test_windows_that_closed_while_the_bot_was_down_go_out_at_the_next_start(
    tmp_path: Path,
) -> None:
    clock = FakeClock(START)
    url = sqlite_url(tmp_path / "bot.db")
    before = bot_process(url, clock)
    await before.start()
    await before.handle(line("/转播 开始 camp", 0, user="root", mentions=("teacher",)))
    for n in range(1, 4):
        clock.set(START + timedelta(seconds=n))
        await before.handle(line(f"第{n}句", n))
    await before.close()  # stopped before the window closed: the lines are only stored
    clock.set(START + timedelta(minutes=2))
    after = bot_process(url, clock)
    await after.start()
    assert await after.scheduler.run_due(clock.now()) >= 1
    await after.handle(line("第4句", 121))
    await after.scheduler.run_due(clock.now() + timedelta(seconds=10))
    async with after.uow() as uow:
        rows = (await uow.session.scalars(select(OutboxRow))).all()
    await after.close()
    posts = sorted((r for r in rows if r.conversation == "g2"), key=lambda r: r.created_at)
    assert [p.text for p in posts[1:]] == [
        "张老师：第1句\n张老师：第2句\n张老师：第3句",
        "张老师：第4句",
    ]

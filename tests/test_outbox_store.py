"""The outbox's database store: pending items survive a restart, done items never return."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime, timedelta

from bot.clock import FakeClock
from bot.transports.outbox import NotConnectedError, Outbox, OutboxItem, TransientSendError
from bot.transports.outbox_store import SqlOutboxStore
from storage import migrate
from storage.db import create_engine, session_factory
from storage.uow import UnitOfWorkFactory
from tests.transport_support import FakeDeliver, VirtualSleep

T0 = datetime(2026, 11, 21, 0, 0, tzinfo=UTC)


async def test_pending_items_survive_a_restart_and_go_out_once(db_url: str) -> None:
    engine = create_engine(db_url)
    await migrate.upgrade(engine)
    uow = UnitOfWorkFactory(session_factory(engine))
    ids = itertools.count(1)
    try:
        clock = FakeClock(T0)
        down = FakeDeliver(clock)
        down.fail = lambda item: NotConnectedError("down") if item.text != "ok" else None
        first = Outbox(
            down,
            clock=clock,
            sleep=VirtualSleep(clock),
            store=SqlOutboxStore(uow, "wechaty"),
            name="wechaty",
            new_id=lambda: f"id{next(ids)}",
        )
        await first.start()
        await first.send_text("g1", "ok")
        await asyncio.wait_for(first.join(), 5)
        await first.send_text("g1", "第一条", ["alice", "bob"])
        await first.send_text("g2", "第二条\n" + "字" * 800)  # 2 parts at 2048 bytes
        await down.wait_attempts(2)  # "ok", then the first one that finds the link down
        assert not first.connected
        await first.close()

        other = await SqlOutboxStore(uow, "wecom_webhook").pending()
        assert other == []  # each transport has its own queue

        clock2 = FakeClock(T0 + timedelta(minutes=5))
        up = FakeDeliver(clock2)
        second = Outbox(
            up, clock=clock2, sleep=VirtualSleep(clock2), store=SqlOutboxStore(uow, "wechaty")
        )
        await second.start()
        await asyncio.wait_for(second.join(), 5)
        await second.close()
        got = [
            (i.id, i.conversation, i.text[:3], i.mentions, i.part, i.parts) for _, i in up.delivered
        ]
        assert got == [
            ("id2.1", "g1", "第一条", ("alice", "bob"), 1, 1),
            ("id3.1", "g2", "第二条", (), 1, 2),
            ("id3.2", "g2", "字" * 3, (), 2, 2),
        ]

        third = FakeDeliver(clock2)
        again = Outbox(third, clock=clock2, store=SqlOutboxStore(uow, "wechaty"))
        await again.start()
        await again.close()
        assert third.delivered == []
    finally:
        await engine.dispose()


async def test_a_retry_schedule_is_kept_across_a_restart(db_url: str) -> None:
    engine = create_engine(db_url)
    await migrate.upgrade(engine)
    uow = UnitOfWorkFactory(session_factory(engine))
    try:
        clock = FakeClock(T0)
        failing = FakeDeliver(clock)
        failing.fail = lambda item: TransientSendError("503")
        store = SqlOutboxStore(uow, "x")
        first = Outbox(failing, clock=clock, store=store, new_id=lambda: "r")
        await first.send_text("g1", "hi")
        assert await first.deliver_ready() == 1
        await first.close()
        (left,) = await store.pending()
        assert (left.item.id, left.attempts, left.not_before) == (
            "r.1",
            1,
            T0 + timedelta(seconds=1),
        )

        clock.advance(timedelta(seconds=1))
        fine = FakeDeliver(clock)
        second = Outbox(fine, clock=clock, store=store)
        await second.start()
        await asyncio.wait_for(second.join(), 5)
        await second.close()
        (item,) = [i for _, i in fine.delivered]
        assert isinstance(item, OutboxItem) and item.attempt == 2
        assert await store.pending() == []
        assert await store.prune(clock.now() + timedelta(days=8)) == 1
    finally:
        await engine.dispose()

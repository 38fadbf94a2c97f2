"""Items delivered in one round of the outbox: a delivered item's `sent` is recorded in the
transaction of the next item's claim, so it is stored before that item is sent, and a kill
in between leaves only the item in flight with an unknown outcome (SQLite and PostgreSQL,
on the sessions the bot uses)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.clock import FakeClock
from bot.transports.outbox import (
    Outbox,
    OutboxItem,
    Resolution,
    Sent,
    Status,
    UnknownOutcome,
)
from bot.transports.outbox_store import SqlOutboxStore
from storage import migrate
from storage.db import create_engine
from storage.models.outbox import OutboxRow
from storage.session import ReadProbe, SessionSource
from storage.uow import UnitOfWorkFactory
from tests.transport_support import FakeDeliver

T0 = datetime(2026, 11, 21, 0, 0, tzinfo=UTC)


class Killed(BaseException):
    """The process dies in the middle of a send (no handler runs after it)."""


class CountingStore(SqlOutboxStore):
    """The database store, counting its transactions by kind."""

    def __init__(self, uow: UnitOfWorkFactory, transport: str) -> None:
        super().__init__(uow, transport)
        self.claims: list[str | None] = []  # the `sent` each claim carried
        self.finishes: list[tuple[str, str]] = []

    async def claim(
        self, item_id: str, attempts: int, at: datetime, *, sent: Sent | None = None
    ) -> bool:
        self.claims.append(sent.item_id if sent is not None else None)
        return await super().claim(item_id, attempts, at, sent=sent)

    async def finish(
        self, item_id: str, status: Status, at: datetime, error: str | None = None
    ) -> None:
        self.finishes.append((item_id, status))
        await super().finish(item_id, status, at, error)

    async def resolve(self, item_id: str, resolution: Resolution, at: datetime) -> None:
        await super().resolve(item_id, resolution, at)


@pytest.fixture
async def uow(db_url: str) -> AsyncIterator[UnitOfWorkFactory]:
    engine = create_engine(db_url)
    await migrate.upgrade(engine)
    sessions = SessionSource(engine)
    # as the bot has it: on PostgreSQL the state changes go through one autocommit connection
    writes = ReadProbe(engine) if engine.dialect.name == "postgresql" else None
    try:
        yield UnitOfWorkFactory(sessions, writes=writes)
    finally:
        if writes is not None:
            await writes.close()
        sessions.dispose()
        await engine.dispose()


async def statuses(uow: UnitOfWorkFactory) -> dict[str, str]:
    async with uow() as unit:
        rows = await unit.session.execute(select(OutboxRow.id, OutboxRow.status))
        return {r[0]: r[1] for r in rows}


def outbox(
    deliver: Callable[[OutboxItem], Awaitable[None]],
    store: SqlOutboxStore,
    clock: FakeClock,
    ids: list[str],
) -> Outbox:
    fresh = iter(ids)
    return Outbox(
        deliver,
        clock=clock,
        store=store,
        name="wechaty",
        new_id=lambda: next(fresh),
        unknown_outcome=UnknownOutcome.GIVE_UP,
    )


async def test_a_round_records_each_sent_with_the_next_claim(uow: UnitOfWorkFactory) -> None:
    clock = FakeClock(T0)
    deliver = FakeDeliver(clock)
    seen: list[dict[str, str]] = []

    async def watching(item: OutboxItem) -> None:
        seen.append(await statuses(uow))  # what the database says while this one is sent
        await deliver(item)

    store = CountingStore(uow, "wechaty")
    box = outbox(watching, store, clock, ["a", "b", "c"])
    await box.load()
    for text in ("一", "二", "三"):
        await box.send_text("g1" if text != "二" else "g2", text)
    assert await box.deliver_ready() == 3
    assert deliver.ids() == ["a.1", "b.1", "c.1"]
    # each earlier item was stored as sent before the next one went out
    assert seen == [
        {"a.1": "sending", "b.1": "pending", "c.1": "pending"},
        {"a.1": "sent", "b.1": "sending", "c.1": "pending"},
        {"a.1": "sent", "b.1": "sent", "c.1": "sending"},
    ]
    # three claims, two of them carrying the previous item's `sent`; the last one alone
    assert store.claims == [None, "a.1", "b.1"]
    assert store.finishes == [("c.1", "sent")]
    assert await statuses(uow) == {"a.1": "sent", "b.1": "sent", "c.1": "sent"}
    await box.join()  # idle: nothing queued, nothing left to record


async def test_a_kill_mid_round_leaves_only_the_item_in_flight_unknown(
    uow: UnitOfWorkFactory,
) -> None:
    clock = FakeClock(T0)
    deliver = FakeDeliver(clock)
    deliver.fail = lambda item: Killed() if item.id == "b.1" else None  # type: ignore[return-value]
    box = outbox(deliver, SqlOutboxStore(uow, "wechaty"), clock, ["a", "b", "c"])
    await box.load()
    for text in ("一", "二", "三"):
        await box.send_text("g1", text)
    with pytest.raises(Killed):
        await box.deliver_ready()
    assert await statuses(uow) == {"a.1": "sent", "b.1": "sending", "c.1": "pending"}

    # the next start: the one in flight is not sent again (at most once), the rest go out
    after = FakeDeliver(clock)
    again = outbox(after, SqlOutboxStore(uow, "wechaty"), clock, [])
    await again.load()
    assert await again.deliver_ready() == 1
    assert after.ids() == ["c.1"]
    assert again.unknown == 1
    assert await statuses(uow) == {"a.1": "sent", "b.1": "unknown", "c.1": "sent"}


async def test_a_failed_claim_still_records_the_earlier_sent(uow: UnitOfWorkFactory) -> None:
    clock = FakeClock(T0)
    deliver = FakeDeliver(clock)
    store = CountingStore(uow, "wechaty")
    box = outbox(deliver, store, clock, ["a", "b"])
    await box.load()
    await box.send_text("g1", "一")
    await box.send_text("g2", "二")

    real_claim = store.claim
    failing = {"b.1"}

    async def claim(item_id: str, attempts: int, at: datetime, *, sent: Sent | None = None) -> bool:
        if item_id in failing:
            failing.discard(item_id)
            raise ConnectionError("database went away")
        return await real_claim(item_id, attempts, at, sent=sent)

    store.claim = claim  # type: ignore[method-assign]
    await box.deliver_ready()
    # a.1's `sent` rode on b.1's claim, which failed: it was recorded alone
    assert (await statuses(uow))["a.1"] == "sent"
    assert ("a.1", "sent") in store.finishes
    clock.advance(timedelta(seconds=5))
    await box.deliver_ready()
    assert await statuses(uow) == {"a.1": "sent", "b.1": "sent"}
    assert deliver.ids() == ["a.1", "b.1"]


async def test_two_processes_sharing_the_rows_send_each_once(
    db_url: str, uow: UnitOfWorkFactory
) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("several bot processes share PostgreSQL, never a SQLite file")
    engine = create_engine(db_url)
    sessions = SessionSource(engine)
    writes = ReadProbe(engine)
    other = UnitOfWorkFactory(sessions, writes=writes)
    try:
        clock = FakeClock(T0)
        sent: list[str] = []

        async def deliver(item: OutboxItem) -> None:
            sent.append(item.id)

        names = [f"m{n}" for n in range(12)]
        first = outbox(deliver, SqlOutboxStore(uow, "wechaty"), clock, names)
        second = outbox(deliver, SqlOutboxStore(other, "wechaty"), clock, [])
        await first.load()
        for n in range(12):
            await first.send_text(f"g{n % 3}", f"第{n}条")
        await second.load()  # the same twelve rows, queued in both
        assert len(second.pending()) == 12
        await asyncio.gather(first.deliver_ready(), second.deliver_ready())
        assert sorted(sent) == sorted(f"{name}.1" for name in names)  # each once
        assert set((await statuses(uow)).values()) == {"sent"}
    finally:
        await writes.close()
        sessions.dispose()
        await engine.dispose()

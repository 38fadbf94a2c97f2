"""Test helpers for broadcasts: a config with a set of groups, and a bot whose replies go
through a real Outbox stored in the database (so delivery reports read real outbox states)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime

from sqlalchemy import select

from bot.app import App
from bot.clock import FakeClock
from bot.config import AppConfig
from bot.events import Message
from bot.transports.outbox import Outbox, OutboxItem, OutboxPolicy, RateLimit, UnknownOutcome
from storage.models import BroadcastDelivery
from tests.support import at, config_from, msg
from tests.transport_support import FakeDeliver

SETS_CONFIG = """
timezone: Asia/Shanghai
admins: [boss]
broadcast: {interval: 3s}
groups:
  g1: {name: 一群, admins: [coach]}
  g2: {name: 二群, admins: [coach]}
  g3: {name: 三群, admins: [coach, helper]}
  g4: {name: 四群}
sets:
  camp: [g1, g2, g3]
  all: "*"
"""


def sets_config(text: str = SETS_CONFIG) -> AppConfig:
    return config_from(text)


class OutboxBot:
    """The real App sending through a stored Outbox with a fake platform."""

    def __init__(self, app: App, clock: FakeClock, outbox: Outbox, deliver: FakeDeliver) -> None:
        self.app = app
        self.clock = clock
        self.outbox = outbox
        self.deliver = deliver

    def texts(self, group: str | None = None) -> list[str]:
        return [i.text for _, i in self.deliver.delivered if group in (None, i.conversation)]

    def delivered(self) -> list[OutboxItem]:
        return [i for _, i in self.deliver.delivered]

    async def push(self, message: Message) -> list[str]:
        before = len(self.deliver.delivered)
        await self.run_until(message.time)
        await self.app.handle(message)
        await self.outbox.deliver_ready()
        return [i.text for _, i in self.deliver.delivered[before:]]

    async def say(self, text: str, **kw: object) -> list[str]:
        return await self.push(msg(text, **kw))  # type: ignore[arg-type]

    async def run_until(self, until: datetime) -> None:
        """Jobs due up to `until`, each followed by a delivery round (as replay does)."""
        while True:
            nxt = self.app.scheduler.next_fire()
            if nxt is None or nxt > until:
                break
            await self.app.scheduler.run_due(nxt, on_fire=self.clock.set)
            await self.outbox.deliver_ready()
        if until > self.clock.now():
            self.clock.set(until)
        await self.outbox.deliver_ready()

    async def deliveries(self, broadcast_id: str) -> dict[str, str]:
        async with self.app.uow() as uow:
            rows = await uow.session.scalars(
                select(BroadcastDelivery).where(BroadcastDelivery.broadcast_id == broadcast_id)
            )
            return {r.group_id: r.status for r in rows}


@asynccontextmanager
async def outbox_bot(
    db_url: str,
    config: AppConfig | None = None,
    start: datetime | None = None,
    policy: OutboxPolicy | None = None,
) -> AsyncIterator[OutboxBot]:
    clock = FakeClock(start or at("2026-12-01 08:00"))
    deliver = FakeDeliver(clock)
    outbox = Outbox(
        deliver,
        policy=policy or OutboxPolicy(max_text_bytes=1 << 20),
        clock=clock,
        name="test",
        unknown_outcome=UnknownOutcome.GIVE_UP,
    )
    app = App(config or sets_config(), sender=outbox, clock=clock, db_url=db_url)
    await app.start()
    await outbox.load()
    try:
        yield OutboxBot(app, clock, outbox, deliver)
    finally:
        await app.close()


WEBHOOK_LIKE = OutboxPolicy(
    max_text_bytes=2048, per_conversation=(RateLimit(20, 60),), overall=(RateLimit(20, 60),)
)

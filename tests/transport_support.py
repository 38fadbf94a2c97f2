"""Test helpers for the transports: a fake deliver and virtual-time sleep for the outbox."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta

from bot.clock import FakeClock
from bot.transports.outbox import OutboxItem


class VirtualSleep:
    """A `sleep` for the outbox loop: moves a FakeClock instead of waiting."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        self.clock.advance(timedelta(seconds=seconds))
        await asyncio.sleep(0)


class FakeDeliver:
    """Records what was delivered, and when; `fail` decides per item whether to raise."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.delivered: list[tuple[datetime, OutboxItem]] = []
        self.attempts: list[OutboxItem] = []
        self.fail: Callable[[OutboxItem], Exception | None] = lambda _item: None
        self.arrived = asyncio.Event()
        self._attempted = asyncio.Event()

    async def __call__(self, item: OutboxItem) -> None:
        self.attempts.append(item)
        self._attempted.set()
        error = self.fail(item)
        if error is not None:
            raise error
        self.delivered.append((self.clock.now(), item))
        self.arrived.set()

    async def wait_attempts(self, count: int, limit_s: float = 5.0) -> None:
        """Wait (bounded) until deliver() has been called `count` times, then let the
        outbox handle the outcome."""

        async def reached() -> None:
            while len(self.attempts) < count:
                self._attempted.clear()
                await self._attempted.wait()

        await asyncio.wait_for(reached(), limit_s)
        for _ in range(3):
            await asyncio.sleep(0)

    def texts(self) -> list[str]:
        return [item.text for _, item in self.delivered]

    def ids(self) -> list[str]:
        return [item.id for _, item in self.delivered]

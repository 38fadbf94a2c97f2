"""The activity log: every message, join and leave is counted (who, when; never content).

Rows are buffered in memory and written in batches, so logging costs no database round
trip per message. Readers call `await log.flush()` first. A crash loses at most the
unwritten buffer (stats only; check-ins and points are written by their own handlers).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from bot.context import Context
from bot.events import Event, MemberJoined, MemberLeft, Message
from bot.router import CONTINUE, Flow, Route
from storage.repos.activity import ActivityRepo
from storage.uow import UnitOfWorkFactory

log = logging.getLogger("groupops.activity")


class ActivityLog:
    def __init__(self, uow: UnitOfWorkFactory, batch_size: int = 500, interval_s: float = 2.0):
        self._uow = uow
        self._rows: list[dict[str, object]] = []
        self.batch_size = batch_size
        self.interval_s = interval_s
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    def record(self, event: Event, ctx: Context) -> None:
        local_day = event.time.astimezone(ctx.group.tz).date()
        if isinstance(event, Message):
            kind, member, mid, chars = (
                "image" if event.is_image else "text",
                event.sender_id,
                event.message_id,
                len(event.text),
            )
        elif isinstance(event, MemberJoined):
            kind, member, mid, chars = "join", event.member_id, event.event_id, 0
        else:
            kind, member, mid, chars = "leave", event.member_id, event.event_id, 0
        self._rows.append(
            {
                "group_id": event.group_id,
                "member_id": member,
                "message_id": mid[:128],
                "kind": kind,
                "at": event.time,
                "day": local_day,
                "chars": chars,
            }
        )

    @property
    def pending(self) -> int:
        return len(self._rows)

    def should_flush(self) -> bool:
        return len(self._rows) >= self.batch_size

    async def flush(self) -> int:
        """Write buffered rows; on failure they stay buffered for the next try."""
        if not self._rows:
            return 0
        rows: list[dict[str, object]] = []
        try:
            # The unit of work first, then the lock: a unit may wait for its turn on the
            # database (storage/uow.py), and must never do so while holding this lock.
            async with self._uow() as uow, self._lock:
                rows, self._rows = self._rows, []
                if rows:
                    await ActivityRepo(uow.session).add_many(rows)
        except BaseException:
            self._rows = rows + self._rows
            raise
        return len(rows)

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.interval_s)
            try:
                await self.flush()
            except Exception:
                log.exception("activity log flush failed; will retry")

    def start_periodic_flush(self) -> None:
        """Live mode only: flush every interval_s (replay and tests flush explicitly)."""
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name="groupops-activity-flush")

    async def stop_service(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.flush()


def _always(_: Any) -> bool:
    return True


async def _log_event(event: Event, ctx: Context) -> Flow:
    activity = ctx.services.get(ActivityLog)
    activity.record(event, ctx)
    if activity.should_flush():
        await activity.flush()
    return CONTINUE


ROUTES: list[Route[Any]] = [
    Route("activity.message", Message, _always, _log_event, runs_when_paused=True),
    Route("activity.joined", MemberJoined, _always, _log_event, runs_when_paused=True),
    Route("activity.left", MemberLeft, _always, _log_event, runs_when_paused=True),
]


async def flushed(ctx: Context) -> None:
    """Call before reading the activity log."""
    found = ctx.services.find(ActivityLog)
    if found is not None:
        await found.flush()

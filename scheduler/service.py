"""Scheduled jobs. The same job code runs live (an asyncio loop on APScheduler triggers)
and in replay (virtual time: every fire time up to a given moment, in time order)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from bot.clock import Clock

log = logging.getLogger("groupops.scheduler")

JobFunc = Callable[[datetime], Awaitable[None]]  # receives its scheduled fire time
# One run's unit-of-work scope, by the run's key (storage/uow.py): the run's database work and
# its posts (outbox rows) commit together, and a re-run after a crash makes the same ids.
RunScope = Callable[[str], AbstractAsyncContextManager[object]]
_TICK = timedelta(microseconds=1)


class Trigger(Protocol):
    """What a job needs of a trigger (APScheduler's triggers are this)."""

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None: ...


class ShiftedTrigger:
    """Fires `shift` after each fire time of `base` (before it when negative): a reminder
    1 day before a weekly event, a follow-up 2 hours after it. Exact (UTC) durations."""

    def __init__(self, base: Trigger, shift: timedelta) -> None:
        self.base = base
        self.shift = shift

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        prev = None if previous_fire_time is None else _utc(previous_fire_time) - self.shift
        found = self.base.get_next_fire_time(prev, _utc(now) - self.shift)
        return None if found is None else (_utc(found) + self.shift).astimezone(found.tzinfo)


def _utc(when: datetime) -> datetime:
    return when.astimezone(UTC)


@dataclass
class Job:
    id: str
    trigger: Trigger
    func: JobFunc
    next_at: datetime | None = field(default=None)
    # False: the run opens no scope; the job opens its own units (a job that draws a
    # picture between reading and posting must not hold a transaction while it draws)
    scoped: bool = True


def run_key(job_id: str, at: datetime) -> str:
    """The key of one run of a job: the same for a re-run of that fire time."""
    return f"job:{job_id}@{_utc(at).isoformat()}"


class SchedulerService:
    def __init__(self, clock: Clock, scope: RunScope | None = None) -> None:
        self.clock = clock
        self._scope: RunScope = scope or _no_scope
        self._stopping = False
        self._jobs: dict[str, Job] = {}
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def jobs(self) -> list[Job]:
        return list(self._jobs.values())

    def set_job(
        self,
        job_id: str,
        trigger: Trigger,
        func: JobFunc,
        *,
        since: datetime | None = None,
        scoped: bool = True,
    ) -> None:
        """Add or replace a job; its next fire time is computed from now.

        With `since` (in the past), fire times between `since` and now are due at once, in
        order: how a job catches up on runs missed while the bot was down (the job decides
        from its fire time and the clock whether it is still worth running).
        """
        job = Job(job_id, trigger, func, scoped=scoped)
        job.next_at = trigger.get_next_fire_time(None, since or self.clock.now())
        self._jobs[job_id] = job
        self._wakeup.set()

    def remove_job(self, job_id: str) -> None:
        self._jobs.pop(job_id, None)
        self._wakeup.set()

    def next_fire(self) -> datetime | None:
        times = [j.next_at for j in self._jobs.values() if j.next_at is not None]
        return min(times) if times else None

    async def _fire(self, job: Job, at: datetime) -> None:
        job.next_at = job.trigger.get_next_fire_time(at, at + _TICK)
        try:
            if job.scoped:
                async with self._scope(run_key(job.id, at)):
                    await job.func(at)
            else:
                await job.func(at)
        except Exception:
            log.exception("job %s failed (fire time %s)", job.id, at.isoformat())

    async def run_due(
        self, until: datetime, on_fire: Callable[[datetime], None] | None = None
    ) -> int:
        """Run every job due at or before `until`, earliest first. Returns how many ran.

        `on_fire` is told each fire time first (replay moves its virtual clock there); a
        late fire time (a catch-up) is not told, so a virtual clock never goes backwards.
        """
        ran = 0
        while not self._stopping:
            due = [j for j in self._jobs.values() if j.next_at is not None and j.next_at <= until]
            if not due:
                return ran
            job = min(due, key=lambda j: (j.next_at, j.id))
            at = job.next_at
            assert at is not None
            if on_fire is not None and at > self.clock.now():
                on_fire(at)
            await self._fire(job, at)
            ran += 1
        return ran

    async def _loop(self) -> None:
        while not self._stopping:
            self._wakeup.clear()
            await self.run_due(self.clock.now())
            upcoming = self.next_fire()
            delay = 3600.0
            if upcoming is not None:
                delay = max(0.0, min(delay, (upcoming - self.clock.now()).total_seconds()))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), timeout=delay)

    def start(self) -> None:
        self._stopping = False
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name="groupops-scheduler")

    async def stop(self, grace_s: float = 0.0) -> None:
        """Stop firing jobs. A job already running gets `grace_s` seconds to finish (its run
        is cancelled after that, which rolls its scope back: the run happens again at the next
        start, when it is still due)."""
        task, self._task = self._task, None
        if task is None:
            return
        self._stopping = True
        self._wakeup.set()
        if grace_s > 0:
            with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(asyncio.shield(task), grace_s)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


@contextlib.asynccontextmanager
async def _no_scope(_key: str) -> AsyncIterator[None]:
    yield

"""The activity log: every message, join and leave is counted (who, when; never content).

Rows are buffered in memory and written in batches, so logging costs no database round
trip per message. Readers call `await log.flush()` first.

- Once per event: a row's key is its event (group, message or event id, kind) and the
  insert skips events already logged, so a redelivery, a transcript replayed again, a
  restart or a second bot process counts each event once.
- One bad row never blocks the others: a batch the database refuses for anything but a
  connection problem is split until the refused rows are found; each is dropped with one
  log line and the rest are written. Ids the columns cannot hold are dropped at once.
- A write that fails for a connection problem keeps the rows for the next try.
- `stop_service` (a graceful stop) lets a flush in progress finish, then writes whatever is
  left. A crash loses at most the unwritten buffer (stats only; check-ins and points are
  written by their own handlers).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from typing import Any

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from bot.context import Context
from bot.events import Event, MemberJoined, MemberLeft, Message
from bot.router import CONTINUE, Flow, Route
from storage.repos.activity import ActivityRepo
from storage.uow import UnitOfWorkFactory, current_unit

log = logging.getLogger("groupops.activity")

ID_LENGTH = 128  # the id columns' size
STOP_WAIT_S = 5.0  # at stop, how long a flush in progress may take before it is cancelled
STOP_ATTEMPTS = 3  # final flush attempts at stop (connection trouble)


def event_id_for_log(event_id: str) -> str:
    """A message or event id as the log stores it: unchanged when it fits the column, else
    its start and a hash (still one key per id)."""
    if len(event_id) <= ID_LENGTH:
        return event_id
    digest = hashlib.sha256(event_id.encode("utf-8", "surrogatepass")).hexdigest()[:40]
    return f"{event_id[: ID_LENGTH - 41]}~{digest}"


def _unstorable(group_id: str, member_id: str) -> str | None:
    if (
        len(group_id) <= ID_LENGTH
        and len(member_id) <= ID_LENGTH
        and "\x00" not in group_id
        and "\x00" not in member_id
    ):
        return None  # every event's ids (bound at construction): the common case
    for name, value in (("group id", group_id), ("member id", member_id)):
        if len(value) > ID_LENGTH:
            return f"{name} longer than {ID_LENGTH} characters"
        if "\x00" in value:
            return f"{name} contains a NUL character"
    return None


def _is_transient(exc: BaseException) -> bool:
    """A failure of the connection (retry later), not of the rows."""
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated or isinstance(exc, OperationalError | InterfaceError):
            return True
        exc = exc.orig if isinstance(exc.orig, BaseException) else exc
    return isinstance(exc, OSError | TimeoutError | ConnectionError)


def _row_text(row: dict[str, object]) -> str:
    return " ".join(
        f"{key}={str(row[key])[:40]!r}" for key in ("group_id", "member_id", "message_id", "kind")
    )


class ActivityLog:
    def __init__(self, uow: UnitOfWorkFactory, batch_size: int = 500, interval_s: float = 2.0):
        self._uow = uow
        self._rows: list[dict[str, object]] = []
        self.batch_size = batch_size
        self.interval_s = interval_s
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self._stopping = asyncio.Event()
        self._committing: set[asyncio.Event] = set()  # flushes not yet committed

    def record(self, event: Event, ctx: Context) -> None:
        local_day = event.time.astimezone(ctx.group.tz).date()
        if isinstance(event, Message):
            kind, member, mid, chars = (
                "image" if event.is_image else "text",
                event.sender_id,
                event.message_id,
                len(event.text),
            )
        else:
            kind = "join" if isinstance(event, MemberJoined) else "leave"
            member, chars = event.member_id, 0
            # A transport that gives no event id: the member and the time identify it.
            mid = event.event_id or f"{member}@{event.time.isoformat()}"
        problem = _unstorable(event.group_id, member)
        if problem is not None:
            log.warning("activity row dropped (%s): %s %s", problem, kind, mid[:40])
            return
        self._rows.append(
            {
                "group_id": event.group_id,
                "member_id": member,
                "message_id": event_id_for_log(mid),
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
        """Write buffered rows; returns how many were written or already logged (refused
        rows are dropped). On a connection failure, or when cancelled, the rows stay
        buffered for the next try.

        Outside a unit of work it also waits for other tasks' flushes to commit: one may
        have taken the rows the caller is about to read (two weekly jobs at once, say), and
        on PostgreSQL nothing else orders the two. Inside a unit it does not wait: on a
        SQLite file that unit may hold the turn the other flush needs to commit."""
        written = await self._flush_own() if self._rows else 0
        if current_unit() is None:
            for other in list(self._committing):
                await other.wait()
        return written

    async def _flush_own(self) -> int:
        rows: list[dict[str, object]] = []
        done = asyncio.Event()
        self._committing.add(done)
        try:
            # The unit of work first, then the lock: a unit may wait for its turn on the
            # database (storage/uow.py), and must never do so while holding this lock. The
            # units _write opens inside it are savepoints, so a refused row is isolated.
            async with self._uow(), self._lock:
                rows, self._rows = self._rows, []
                if not rows:
                    return 0
                return await self._write(rows)
        except BaseException:
            # Rows a partial write stored already are skipped on the next try.
            self._rows = rows + self._rows
            raise
        finally:
            self._committing.discard(done)
            done.set()

    async def _write(self, rows: list[dict[str, object]]) -> int:
        try:
            async with self._uow() as uow:
                await ActivityRepo(uow.session).add_many(rows)
            return len(rows)
        except Exception as exc:
            if _is_transient(exc):
                raise
            if len(rows) == 1:
                reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
                log.error(
                    "activity row dropped, the database refused it: %s (%s)",
                    _row_text(rows[0]),
                    reason,
                )
                return 0
        half = len(rows) // 2
        return await self._write(rows[:half]) + await self._write(rows[half:])

    async def _loop(self) -> None:
        while not self._stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.interval_s)
            if self._stopping.is_set():
                return  # stop_service writes what is left
            try:
                await self.flush()
            except Exception:
                log.exception(
                    "activity log flush failed; %d rows kept for the next try", self.pending
                )

    def start_periodic_flush(self) -> None:
        """Live mode only: flush every interval_s (replay and tests flush explicitly)."""
        if self._task is None:
            self._stopping.clear()
            self._task = asyncio.create_task(self._loop(), name="groupops-activity-flush")

    async def stop_service(self) -> None:
        """Graceful stop: let a flush in progress finish, then write everything buffered."""
        self._stopping.set()
        task, self._task = self._task, None
        if task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(task), STOP_WAIT_S)
            except TimeoutError:
                task.cancel()  # the cancelled flush puts its rows back
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        for attempt in range(1, STOP_ATTEMPTS + 1):
            try:
                await self.flush()
                return
            except Exception:
                if attempt == STOP_ATTEMPTS:
                    log.exception(
                        "activity log: %d rows could not be written at stop", self.pending
                    )
                    return
                await asyncio.sleep(0.5)


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

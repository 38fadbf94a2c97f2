"""The outbox: every transport's way out. Transport-neutral; no platform library here.

Interface (stable; the WeCom transports build on it)
----------------------------------------------------

    outbox = Outbox(deliver, policy=OutboxPolicy(...), clock=SystemClock(), name="wecom_aibot")
    outbox.use_store(SqlOutboxStore(app.uow, "wecom_aibot"))   # optional: survive restarts
    await outbox.start()            # loads items left by a previous run, starts the loop
    await outbox.send_text(group_id, text, mentions)           # the Sender protocol
    await outbox.send_image(group_id, path, caption)
    outbox.set_connected(False)     # the transport lost its connection: delivery pauses
    outbox.set_connected(True)      # reconnected: what was queued meanwhile goes out, once
    await outbox.close()            # stop the loop; pending items stay in the store

`send_text`/`send_image` only enqueue (no I/O, so they are safe inside a handler's unit of
work). A long text is split by UTF-8 bytes at `policy.max_text_bytes` (never inside a
character; preferably at a newline) into several items; mentions go with the first part.

The delivery loop calls the transport's `deliver(item: OutboxItem) -> Awaitable[None]` one
item at a time, oldest ready item first, keeping each conversation in order:

- return normally: the platform accepted it; the item is done (and never sent again);
- raise `NotConnectedError`: the connection is down; the item stays at the head of its
  conversation, the attempt is not counted, delivery pauses until `set_connected(True)`;
- raise `TransientSendError(retry_after=...)`: try again after `retry_after` seconds or an
  exponential backoff (`retry_base_s * 2**(attempts-1)`, capped at `retry_max_s`); after
  `max_attempts` the item is given up (logged, kept as "failed" in the store);
- raise `PermanentSendError`: given up at once (logged, kept as "failed");
- any other exception is a bug in the transport: logged with its traceback and retried like
  a transient error (so nothing is lost silently).

`OutboxItem.id` is stable across retries and restarts (and `.attempt` says which try this
is): a transport whose platform de-duplicates by a client id should send it, so a retry
after an ambiguous failure (a timeout after the platform got it) is not posted twice.

Rate limits are sliding windows per conversation (`policy.per_conversation`, e.g. WeCom AI
bot 30/min and 1000/h) and over all conversations (`policy.overall`). Every attempt that
reached the platform counts.

`meta_for(conversation) -> Mapping[str, str]`, if given, is called at enqueue time and its
result travels in `OutboxItem.meta` (e.g. the req_id of the message being answered).
`enqueue(...)` is the general form of send_text (kind "markdown", meta, ...).

Tests never sleep: the loop takes `clock` (a bot.clock.Clock) and `sleep(seconds)`; a fake
sleep that advances a FakeClock drives it in virtual time. `deliver_ready()` runs one
round by hand; `join()` waits until nothing is pending.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import unicodedata
import uuid
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Literal, Protocol

from bot.clock import Clock, SystemClock

log = logging.getLogger("groupops.outbox")


# --- errors a transport's deliver() raises -----------------------------------------------


class TransientSendError(Exception):
    """The send failed but may work later (timeout, 5xx, rate limited by the platform)."""

    def __init__(self, message: str = "", *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class NotConnectedError(TransientSendError):
    """The transport has no connection right now: pause until set_connected(True)."""


class PermanentSendError(Exception):
    """The platform refused the message for good (invalid key, no such group, too long)."""


# --- data ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RateLimit:
    """At most `count` sends in any window of `per_s` seconds."""

    count: int
    per_s: float

    def __post_init__(self) -> None:
        if self.count < 1 or self.per_s <= 0:
            raise ValueError("a rate limit needs count >= 1 and per_s > 0")


@dataclass(frozen=True)
class OutboxPolicy:
    max_text_bytes: int = 2048  # one message's text limit in UTF-8 bytes
    mention_reserve_bytes: int = 0  # bytes the platform adds per mention (e.g. "@name ")
    per_conversation: tuple[RateLimit, ...] = ()
    overall: tuple[RateLimit, ...] = ()
    retry_base_s: float = 1.0
    retry_max_s: float = 300.0
    max_attempts: int = 8  # counted failures before an item is given up

    def backoff(self, attempts: int) -> float:
        """Seconds to wait after the given number of failed attempts (1, 2, ...)."""
        return float(min(self.retry_max_s, self.retry_base_s * 2 ** max(0, attempts - 1)))


@dataclass(frozen=True)
class OutboxItem:
    """One message to deliver (one part of a split text)."""

    id: str  # stable across retries and restarts
    conversation: str  # the group id
    text: str
    created_at: datetime
    kind: str = "text"  # "text", "image"; transports may use others (e.g. "markdown")
    mentions: tuple[str, ...] = ()
    image_path: str | None = None
    part: int = 1
    parts: int = 1
    meta: Mapping[str, str] = field(default_factory=dict)
    attempt: int = 1  # which try this is (set by the loop when it calls deliver)


@dataclass(frozen=True)
class PendingItem:
    """An item as a store keeps it between runs."""

    item: OutboxItem
    attempts: int = 0
    not_before: datetime | None = None


Deliver = Callable[[OutboxItem], Awaitable[None]]
Sleep = Callable[[float], Awaitable[None]]
Status = Literal["sent", "failed"]


class OutboxStore(Protocol):
    """Where pending items live so a restart loses nothing (bot/transports/outbox_store.py)."""

    async def add(self, items: Sequence[OutboxItem]) -> None: ...

    async def retry_later(
        self, item_id: str, attempts: int, not_before: datetime, error: str
    ) -> None: ...

    async def finish(
        self, item_id: str, status: Status, at: datetime, error: str | None = None
    ) -> None: ...

    async def pending(self) -> list[PendingItem]: ...


class MemoryOutboxStore:
    """Keeps items in memory (tests; a restart inside one process)."""

    def __init__(self) -> None:
        self.items: dict[str, PendingItem] = {}
        self.status: dict[str, str] = {}

    async def add(self, items: Sequence[OutboxItem]) -> None:
        for item in items:
            self.items[item.id] = PendingItem(item)
            self.status[item.id] = "pending"

    async def retry_later(
        self, item_id: str, attempts: int, not_before: datetime, error: str
    ) -> None:
        if item_id in self.items:
            self.items[item_id] = replace(
                self.items[item_id], attempts=attempts, not_before=not_before
            )

    async def finish(
        self, item_id: str, status: Status, at: datetime, error: str | None = None
    ) -> None:
        self.status[item_id] = status

    async def pending(self) -> list[PendingItem]:
        return [p for i, p in self.items.items() if self.status.get(i) == "pending"]


# --- splitting -----------------------------------------------------------------------------

_BREAK_AFTER = "。！？!?；;…"
_GLUE = {"\u200d", "\ufe0e", "\ufe0f"}


def _glued(prev: str, nxt: str) -> bool:
    """True when cutting between prev and nxt would break one visible character."""
    if prev == "\u200d" or nxt in _GLUE:
        return True
    if unicodedata.category(nxt).startswith("M"):  # combining marks
        return True
    return 0x1F3FB <= ord(nxt) <= 0x1F3FF  # emoji skin tones


def split_utf8(text: str, max_bytes: int, first_max_bytes: int | None = None) -> list[str]:
    """Split text into parts of at most max_bytes UTF-8 bytes, never inside a character.

    Prefers a newline (dropped), then the end of a sentence, then a space, as long as the
    part stays at least half full; otherwise cuts at the last character boundary that fits.
    `first_max_bytes` limits the first part differently (room for mentions)."""
    if max_bytes < 4:
        raise ValueError("max_bytes must be at least 4 (one UTF-8 character)")
    parts: list[str] = []
    rest = text
    limit = max(4, first_max_bytes) if first_max_bytes is not None else max_bytes
    while len(rest.encode("utf-8")) > limit:
        used = 0
        end = 0  # characters that fit
        for ch in rest:
            size = len(ch.encode("utf-8"))
            if used + size > limit:
                break
            used += size
            end += 1
        cut = _best_cut(rest, end)
        piece = rest[:cut]
        skip = 1 if rest[cut : cut + 1] == "\n" else 0
        if piece.strip():
            parts.append(piece.rstrip("\n") if skip else piece)
        rest = rest[cut + skip :]
        limit = max_bytes
    if rest.strip() or not parts:
        parts.append(rest)
    return parts


def _best_cut(text: str, end: int) -> int:
    """Where to cut text whose first `end` characters fit."""
    floor = max(1, end // 2)
    nl = text.rfind("\n", 0, end + 1)  # a newline right after the part is fine too
    if nl >= floor:
        return nl
    for i in range(end, floor - 1, -1):
        if text[i - 1] in _BREAK_AFTER:
            return i
    for i in range(end, floor - 1, -1):
        if text[i - 1] == " ":
            return i
    cut = end
    while cut > 1 and cut < len(text) and _glued(text[cut - 1], text[cut]):
        cut -= 1
    return cut if cut > 1 else max(1, end)


# --- the outbox ----------------------------------------------------------------------------


@dataclass
class _Entry:
    item: OutboxItem
    seq: int
    attempts: int = 0
    not_before: datetime | None = None


class _Windows:
    """Sliding windows of send times, per key."""

    def __init__(self, limits: tuple[RateLimit, ...]) -> None:
        self.limits = limits
        self.longest = max((limit.per_s for limit in limits), default=0.0)
        self.biggest = max((limit.count for limit in limits), default=0)
        self.times: dict[str, deque[datetime]] = {}

    def record(self, key: str, now: datetime) -> None:
        if self.limits:
            self.times.setdefault(key, deque(maxlen=self.biggest)).append(now)

    def next_allowed(self, key: str, now: datetime) -> datetime:
        """The earliest time another send to key is allowed (now if allowed now)."""
        times = self.times.get(key)
        if not times:
            return now
        while times and (now - times[0]).total_seconds() >= self.longest:
            times.popleft()
        allowed = now
        for limit in self.limits:
            if len(times) >= limit.count:
                oldest_in_window = times[len(times) - limit.count]
                allowed = max(allowed, oldest_in_window + timedelta(seconds=limit.per_s))
        return allowed


async def _real_sleep(seconds: float) -> None:
    await asyncio.sleep(seconds)


def _new_id() -> str:
    return uuid.uuid4().hex


class Outbox:
    """Implements the Sender protocol by queueing; a loop delivers through `deliver`."""

    def __init__(
        self,
        deliver: Deliver,
        *,
        policy: OutboxPolicy | None = None,
        clock: Clock | None = None,
        sleep: Sleep | None = None,
        store: OutboxStore | None = None,
        name: str = "outbox",
        new_id: Callable[[], str] = _new_id,
        meta_for: Callable[[str], Mapping[str, str]] | None = None,
        connected: bool = True,
    ) -> None:
        self._deliver = deliver
        self.policy = policy or OutboxPolicy()
        self.clock: Clock = clock or SystemClock()
        self._sleep: Sleep = sleep or _real_sleep
        self._store = store
        self.name = name
        self._new_id = new_id
        self._meta_for = meta_for
        self._queues: dict[str, deque[_Entry]] = {}
        self._unsaved: list[OutboxItem] = []
        self._seq = 0
        self._per_conv = _Windows(self.policy.per_conversation)
        self._overall = _Windows(self.policy.overall)
        self._connected = connected
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self.sent = 0
        self.failed = 0
        self.retried = 0

    # --- configuration -------------------------------------------------------------------

    def use_store(self, store: OutboxStore) -> None:
        """Persist items from now on (call before start())."""
        self._store = store

    # --- the Sender protocol ---------------------------------------------------------------

    async def send_text(self, group_id: str, text: str, mentions: Sequence[str] = ()) -> None:
        self.enqueue(group_id, text, mentions=mentions)

    async def send_image(self, group_id: str, path: str, caption: str = "") -> None:
        self.enqueue(group_id, caption, kind="image", image_path=path)

    # --- queueing --------------------------------------------------------------------------

    def enqueue(
        self,
        conversation: str,
        text: str,
        *,
        mentions: Sequence[str] = (),
        kind: str = "text",
        image_path: str | None = None,
        meta: Mapping[str, str] | None = None,
    ) -> list[str]:
        """Queue a message (split if too long). Returns the new item ids. No I/O."""
        if kind != "image" and not text.strip() and not mentions:
            return []
        mentions = tuple(dict.fromkeys(mentions))
        meta = dict(meta if meta is not None else (self._meta_for or _no_meta)(conversation))
        first = self.policy.max_text_bytes - self.policy.mention_reserve_bytes * len(mentions)
        chunks = split_utf8(text, self.policy.max_text_bytes, first) if text else [""]
        base = self._new_id()
        now = self.clock.now()
        ids: list[str] = []
        for n, chunk in enumerate(chunks, start=1):
            item = OutboxItem(
                id=f"{base}.{n}",
                conversation=conversation,
                text=chunk,
                created_at=now,
                kind=kind if n == 1 else "text",
                mentions=mentions if n == 1 else (),
                image_path=image_path if n == 1 else None,
                part=n,
                parts=len(chunks),
                meta=meta,
            )
            self._push(_Entry(item, self._next_seq()))
            self._unsaved.append(item)
            ids.append(item.id)
        return ids

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def _push(self, entry: _Entry) -> None:
        self._queues.setdefault(entry.item.conversation, deque()).append(entry)
        self._idle.clear()
        self._wake.set()

    def pending(self) -> list[OutboxItem]:
        """Items not yet delivered, in delivery order per conversation."""
        entries = [e for q in self._queues.values() for e in q]
        return [e.item for e in sorted(entries, key=lambda e: e.seq)]

    @property
    def connected(self) -> bool:
        return self._connected

    def set_connected(self, connected: bool) -> None:
        """Called by the transport when its connection goes down or comes back."""
        if connected != self._connected:
            self._connected = connected
            count = sum(len(q) for q in self._queues.values())
            if connected:
                log.info("%s: connected; delivering %d queued message(s)", self.name, count)
            else:
                log.warning("%s: disconnected; queueing (%d pending)", self.name, count)
        self._wake.set()

    # --- delivery --------------------------------------------------------------------------

    async def start(self) -> None:
        """Load what a previous run left pending, then start the delivery loop."""
        if self._store is not None:
            try:
                left = await self._store.pending()
            except Exception:
                log.exception("%s: could not load pending items", self.name)
                left = []
            known = {e.item.id for q in self._queues.values() for e in q}
            for p in sorted(left, key=lambda p: (p.item.created_at, p.item.id)):
                if p.item.id not in known:
                    self._push(_Entry(p.item, self._next_seq(), p.attempts, p.not_before))
            if left:
                log.info("%s: %d message(s) left from the last run", self.name, len(left))
        self._closing = False
        if self._task is None:
            self._task = asyncio.create_task(self.run(), name=f"{self.name}-outbox")

    async def close(self, grace_s: float = 5.0) -> None:
        """Stop the loop between two items (a send in progress gets `grace_s` to finish).

        Undelivered items stay pending in the store for the next run."""
        self._closing = True
        self._wake.set()
        task, self._task = self._task, None
        if task is not None:
            done, _ = await asyncio.wait({task}, timeout=grace_s)
            if not done:
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._persist_new()

    async def join(self) -> None:
        """Wait until every queued item is done (delivered or given up)."""
        await self._idle.wait()

    async def run(self) -> None:
        """The delivery loop (start() runs it as a task)."""
        while not self._closing:
            self._wake.clear()
            try:
                await self.deliver_ready()
            except asyncio.CancelledError:
                raise
            except Exception:  # a bug here must not end delivery for good
                log.exception("%s: delivery round failed", self.name)
            delay = self.seconds_until_next()
            if delay is None:
                await self._wake.wait()
            else:
                await self._wait_or_wake(delay)

    async def _wait_or_wake(self, delay: float) -> None:
        waiter = asyncio.ensure_future(self._wake.wait())
        sleeper = asyncio.ensure_future(self._sleep(delay))
        try:
            await asyncio.wait({waiter, sleeper}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for t in (waiter, sleeper):
                if not t.done():
                    t.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await t

    def seconds_until_next(self) -> float | None:
        """Seconds until some item may go out; None when nothing can (empty or offline)."""
        if not self._connected:
            return None
        now = self.clock.now()
        best: datetime | None = None
        for conv, queue in self._queues.items():
            if queue:
                ready = self._ready_at(conv, queue[0], now)
                best = ready if best is None or ready < best else best
        if best is None:
            return None
        return max(0.0, (best - now).total_seconds())

    def _ready_at(self, conv: str, entry: _Entry, now: datetime) -> datetime:
        ready = max(self._per_conv.next_allowed(conv, now), self._overall.next_allowed("*", now))
        if entry.not_before is not None and entry.not_before > ready:
            ready = entry.not_before
        return ready

    async def deliver_ready(self) -> int:
        """Deliver every item that may go out now. Returns the number of attempts made."""
        await self._persist_new()
        attempts = 0
        while self._connected and not self._closing:
            now = self.clock.now()
            ready = [
                q[0]
                for conv, q in self._queues.items()
                if q and self._ready_at(conv, q[0], now) <= now
            ]
            if not ready:
                break
            await self._attempt(min(ready, key=lambda e: e.seq))
            attempts += 1
        return attempts

    async def _attempt(self, entry: _Entry) -> None:
        item = replace(entry.item, attempt=entry.attempts + 1)
        try:
            await self._deliver(item)
        except NotConnectedError as exc:
            log.info("%s: %s not sent, no connection (%s)", self.name, item.id, exc)
            self.set_connected(False)
            return
        except PermanentSendError as exc:
            self._count_send(item)
            await self._give_up(entry, f"refused: {exc}")
            return
        except Exception as exc:
            self._count_send(item)
            if not isinstance(exc, TransientSendError):
                log.exception("%s: deliver() raised an unexpected error for %s", self.name, item.id)
            await self._failed_attempt(entry, exc)
            return
        self._count_send(item)
        self.sent += 1
        await self._finish(item.id, "sent", None)  # stored before join() can return
        self._pop(entry)

    def _count_send(self, item: OutboxItem) -> None:
        now = self.clock.now()
        self._per_conv.record(item.conversation, now)
        self._overall.record("*", now)

    async def _failed_attempt(self, entry: _Entry, exc: Exception) -> None:
        entry.attempts += 1
        error = f"{type(exc).__name__}: {exc}"
        if entry.attempts >= self.policy.max_attempts:
            await self._give_up(entry, f"{entry.attempts} attempts failed, last: {error}")
            return
        retry_after = exc.retry_after if isinstance(exc, TransientSendError) else None
        delay = retry_after if retry_after is not None else self.policy.backoff(entry.attempts)
        entry.not_before = self.clock.now() + timedelta(seconds=delay)
        self.retried += 1
        log.warning(
            "%s: sending %s to %s failed (attempt %d), retrying in %.1fs: %s",
            self.name,
            entry.item.id,
            entry.item.conversation,
            entry.attempts,
            delay,
            error,
        )
        if self._store is not None:
            try:
                await self._store.retry_later(
                    entry.item.id, entry.attempts, entry.not_before, error
                )
            except Exception:
                log.exception("%s: could not record the retry of %s", self.name, entry.item.id)

    async def _give_up(self, entry: _Entry, why: str) -> None:
        self.failed += 1
        log.error(
            "%s: gave up on %s to %s (%d bytes): %s",
            self.name,
            entry.item.id,
            entry.item.conversation,
            len(entry.item.text.encode("utf-8")),
            why,
        )
        await self._finish(entry.item.id, "failed", why)
        self._pop(entry)

    def _pop(self, entry: _Entry) -> None:
        queue = self._queues[entry.item.conversation]
        queue.remove(entry)
        if not queue:
            del self._queues[entry.item.conversation]
        if not self._queues:
            self._idle.set()

    async def _finish(self, item_id: str, status: Status, error: str | None) -> None:
        if self._store is None:
            return
        try:
            await self._store.finish(item_id, status, self.clock.now(), error)
        except Exception:
            log.exception("%s: could not mark %s as %s", self.name, item_id, status)

    async def _persist_new(self) -> None:
        if not self._unsaved:
            return
        batch, self._unsaved = self._unsaved, []
        if self._store is None:
            return
        try:
            await self._store.add(batch)
        except Exception:
            log.exception("%s: could not persist %d item(s); kept in memory", self.name, len(batch))


def _no_meta(_conversation: str) -> Mapping[str, str]:
    return {}

"""The outbox: the one way out for every transport, recorded in the database first.

Interface (stable; every transport builds on it)
-------------------------------------------------

    outbox = Outbox(deliver, policy=OutboxPolicy(...), clock=SystemClock(), name="wecom_aibot",
                    unknown_outcome=UnknownOutcome.GIVE_UP)
    outbox.use_store(SqlOutboxStore(app.uow, "wecom_aibot"))   # the database (start_outbox)
    await outbox.start()            # resolves what a crash left in `sending`, loads pending
    await outbox.send_text(group_id, text, mentions)           # the Sender protocol
    await outbox.send_image(group_id, path, caption)
    await outbox.post(group_id, text, kind="markdown", meta={...})   # the general form
    outbox.set_connected(False)     # the transport lost its connection: delivery pauses
    outbox.set_connected(True)      # reconnected: what was queued meanwhile goes out, once
    await outbox.flush(timeout_s)   # graceful stop: let what is ready go out (bounded)
    await outbox.close()            # stop the loop; an attempt in progress may finish first

The rule: a message is stored before it can be sent
---------------------------------------------------

`send_text` / `send_image` / `post` write the message's rows into the unit of work that is
open in the calling task (storage/uow.py) and return; no I/O to the platform. The bot opens
one scope around the handling of each event and each run of a scheduled job, and handlers'
`ctx.uow()` units join it, so a reply is committed in the same transaction as the state
change that caused it (the check-in row and its "打卡成功" together), or not at all. Outside
any unit the rows are committed at once, before the call returns. Only committed rows reach
the delivery loop (a rolled-back handler's reply is never sent), and a kill at any moment
after the commit loses nothing: the next start loads the rows. Handlers keep calling
`ctx.say(...)`, `ctx.reply(...)`, `ctx.sender.send_text(...)`; nothing else is needed.

Ids are deterministic where they can be: inside a scope an item's id derives from the
scope's key (the event's key, or the job and its fire time; a ritual's run key) and the
send's ordinal within the handling, plus the part number, so a redelivered event or a
re-run job produces the same ids and the insert (ON CONFLICT DO NOTHING) adds nothing:
the earlier reply stands and is sent once. Outside scopes `new_id()` is used.

Each row moves pending -> sending -> sent | failed. `sending` is committed before
`deliver(item)` is called and the outcome right after it returns (a `sent` in the same
transaction as the claim of the next item, when one is ready at that moment: still before
anything else is sent), so after a crash a row found in `sending` has an unknown outcome:
the platform may or may not have it. The transport's `unknown_outcome` decides (the README
has the table per transport):

- `RESEND`: send it again (at least once): for a platform that drops a repeated client id,
  or where a repeat is harmless (the console);
- `GIVE_UP`: mark it `unknown`, log a warning with the group and the start of the text, and
  do not send it (at most once): for platforms that cannot tell and where a message repeated
  to a whole group is worse than one missing (WeChat, WeCom);
- `confirm(item) -> bool | None`, when given, is asked first: True means the platform has it
  (marked sent), False that it does not (resent), None that it cannot tell (the rule above).

The delivery loop calls `deliver(item: OutboxItem) -> Awaitable[None]` one item at a time,
oldest ready item first, keeping each conversation in order:

- return normally: the platform accepted it; the item is done (and never sent again);
- raise `NotConnectedError`: the connection is down; the item goes back to pending at the
  head of its conversation, the attempt is not counted, delivery pauses until
  `set_connected(True)`;
- raise `TransientSendError(retry_after=...)`: try again after `retry_after` seconds or an
  exponential backoff (`retry_base_s * 2**(attempts-1)`, capped at `retry_max_s`); after
  `max_attempts` the item is given up (logged, kept as "failed" in the store);
- raise `PermanentSendError`: given up at once (logged, kept as "failed");
- any other exception is a bug in the transport: logged with its traceback and retried like
  a transient error (so nothing is lost silently).

The pending -> sending step is a conditional update: of several processes sharing one
PostgreSQL database, exactly one sends a row. `OutboxItem.id` is stable across retries and
restarts (and `.attempt` says which try this is): a platform that de-duplicates by a client
id should be given it.

A long text is split by UTF-8 bytes at `policy.max_text_bytes` (never inside a character;
preferably at a newline) into several items; mentions go with the first part. Rate limits
are sliding windows per conversation (`policy.per_conversation`) and over all conversations
(`policy.overall`); every attempt that reached the platform counts. `meta_for(conversation)`,
if given, is called at enqueue time and its result travels in `OutboxItem.meta` (e.g. the
req_id of the message being answered).

Tests never sleep: the loop takes `clock` (a bot.clock.Clock) and `sleep(seconds)`; a fake
sleep that advances a FakeClock drives it in virtual time. `deliver_ready()` runs one round
by hand; `join()` waits until nothing is pending. Without a store (tests, `persist: false`)
items live in memory only; `enqueue(...)` is then a synchronous form of `post`.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import unicodedata
import uuid
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import Enum
from typing import Literal, Protocol

from bot.clock import Clock, SystemClock
from storage.uow import UnitHandle, current_unit

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
Resolution = Literal["pending", "sent", "unknown"]
Confirm = Callable[[OutboxItem], bool | None]


@dataclass(frozen=True)
class Sent:
    """An item the platform accepted, whose `sent` is still to be recorded."""

    item_id: str
    at: datetime


class UnknownOutcome(Enum):
    """What to do with an item a crash left in `sending` (see the module docstring)."""

    RESEND = "resend"  # at least once: the platform drops repeats, or a repeat is harmless
    GIVE_UP = "give_up"  # at most once: mark it `unknown`, log it, do not send it again


class OutboxStore(Protocol):
    """Where items live so that a crash loses nothing (bot/transports/outbox_store.py)."""

    async def add(
        self,
        items: Sequence[OutboxItem],
        source: str | None,
        on_commit: Callable[[set[str]], None],
    ) -> None:
        """Store new items in the caller's open unit of work (or commit them at once when
        none is open); after the commit, call on_commit with the ids actually inserted."""
        ...

    async def claim(
        self, item_id: str, attempts: int, at: datetime, *, sent: Sent | None = None
    ) -> bool:
        """pending -> sending; False when the item is not pending. `sent`: an item whose
        delivery just succeeded, recorded as sent in the same transaction first (two
        transitions for one commit)."""
        ...

    async def release(self, item_id: str) -> None: ...

    async def retry_later(
        self, item_id: str, attempts: int, not_before: datetime, error: str
    ) -> None: ...

    async def finish(
        self, item_id: str, status: Status, at: datetime, error: str | None = None
    ) -> None: ...

    async def load(self) -> tuple[list[PendingItem], list[PendingItem]]:
        """(pending items, items left in `sending`), oldest first."""
        ...

    async def resolve(self, item_id: str, resolution: Resolution, at: datetime) -> None:
        """An item left in `sending`: back to pending, or finished as sent / unknown."""
        ...


class MemoryOutboxStore:
    """Keeps items in memory (tests; a restart inside one process). Honours an open unit of
    work the way the database store does: new items count once the unit commits."""

    def __init__(self) -> None:
        self.items: dict[str, PendingItem] = {}
        self.status: dict[str, str] = {}

    async def add(
        self,
        items: Sequence[OutboxItem],
        source: str | None,
        on_commit: Callable[[set[str]], None],
    ) -> None:
        fresh = [i for i in items if i.id not in self.items]

        def commit() -> None:
            for item in fresh:
                if item.id not in self.items:
                    self.items[item.id] = PendingItem(item)
                    self.status[item.id] = "pending"
            on_commit({i.id for i in fresh})

        unit = current_unit()
        if unit is not None:
            unit.after_commit(commit)
        else:
            commit()

    async def claim(
        self, item_id: str, attempts: int, at: datetime, *, sent: Sent | None = None
    ) -> bool:
        if sent is not None:
            await self.finish(sent.item_id, "sent", sent.at)
        if self.status.get(item_id) != "pending":
            return False
        self.status[item_id] = "sending"
        self.items[item_id] = replace(self.items[item_id], attempts=attempts)
        return True

    async def release(self, item_id: str) -> None:
        if self.status.get(item_id) == "sending":
            self.status[item_id] = "pending"

    async def retry_later(
        self, item_id: str, attempts: int, not_before: datetime, error: str
    ) -> None:
        if self.status.get(item_id) == "sending":
            self.status[item_id] = "pending"
            self.items[item_id] = replace(
                self.items[item_id], attempts=attempts, not_before=not_before
            )

    async def finish(
        self, item_id: str, status: Status, at: datetime, error: str | None = None
    ) -> None:
        if self.status.get(item_id) in ("pending", "sending"):
            self.status[item_id] = status

    async def load(self) -> tuple[list[PendingItem], list[PendingItem]]:
        def having(status: str) -> list[PendingItem]:
            return [p for i, p in self.items.items() if self.status.get(i) == status]

        return having("pending"), having("sending")

    async def resolve(self, item_id: str, resolution: Resolution, at: datetime) -> None:
        if self.status.get(item_id) == "sending":
            self.status[item_id] = resolution

    async def pending(self) -> list[PendingItem]:
        return (await self.load())[0]


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


@dataclass(eq=False)
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


def scoped_base(key: str, ordinal: int) -> str:
    """The id base of the `ordinal`-th message sent while handling `key` (an event's key or a
    job run's key): the same when the same event or run is handled again."""
    return f"{hashlib.sha256(key.encode('utf-8')).hexdigest()[:32]}.{ordinal}"


def _storable(text: str) -> str:
    # PostgreSQL text holds neither NUL nor lone surrogates, and no platform shows them: one
    # stray character in an echoed member text must not fail the transaction that holds the
    # state change the reply is about.
    if "\x00" in text:
        text = text.replace("\x00", "")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "replace").decode("utf-8")
    return text


class Outbox:
    """Implements the Sender protocol by storing; a loop delivers through `deliver`."""

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
        unknown_outcome: UnknownOutcome = UnknownOutcome.GIVE_UP,
        confirm: Confirm | None = None,
        persist: bool = True,
    ) -> None:
        self._deliver = deliver
        self.persist = persist  # App.start gives it the database unless this is False
        self.policy = policy or OutboxPolicy()
        self.clock: Clock = clock or SystemClock()
        self._sleep: Sleep = sleep or _real_sleep
        self._store = store
        self.name = name
        self._new_id = new_id
        self._meta_for = meta_for
        self.unknown_outcome = unknown_outcome
        self.confirm = confirm
        self._queues: dict[str, deque[_Entry]] = {}
        self._queued: set[str] = set()
        self._seq = 0
        # delivered; its `sent` goes with the next claim (deliver_ready)
        self._unrecorded: Sent | None = None
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
        self.unknown = 0

    # --- configuration -------------------------------------------------------------------

    def use_store(self, store: OutboxStore) -> None:
        """Persist items from now on (call before start())."""
        self._store = store

    @property
    def persistent(self) -> bool:
        return self._store is not None

    # --- the Sender protocol ---------------------------------------------------------------

    async def send_text(self, group_id: str, text: str, mentions: Sequence[str] = ()) -> None:
        await self.post(group_id, text, mentions=mentions)

    async def send_image(self, group_id: str, path: str, caption: str = "") -> None:
        await self.post(group_id, caption, kind="image", image_path=path)

    # --- queueing --------------------------------------------------------------------------

    async def post(
        self,
        conversation: str,
        text: str,
        *,
        mentions: Sequence[str] = (),
        kind: str = "text",
        image_path: str | None = None,
        meta: Mapping[str, str] | None = None,
    ) -> list[str]:
        """Store a message (split if too long) in the open unit of work, or at once when
        none is open. It is queued for delivery when that commits. Returns the item ids."""
        unit = current_unit()
        items = self._build(conversation, text, mentions, kind, image_path, meta, unit)
        if not items:
            return []
        source = unit.key if unit is not None else None
        if self._store is None:
            if unit is not None:
                unit.after_commit(lambda: self._accept(items))
            else:
                self._accept(items)
        else:
            await self._store.add(
                items, source, lambda fresh: self._accept([i for i in items if i.id in fresh])
            )
        return [i.id for i in items]

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
        """`post` for an outbox without a store (tests, `persist: false`): queued at once."""
        if self._store is not None:
            raise RuntimeError("an outbox with a store is written through `await post(...)`")
        items = self._build(conversation, text, mentions, kind, image_path, meta, None)
        self._accept(items)
        return [i.id for i in items]

    def _build(
        self,
        conversation: str,
        text: str,
        mentions: Sequence[str],
        kind: str,
        image_path: str | None,
        meta: Mapping[str, str] | None,
        unit: UnitHandle | None,
    ) -> list[OutboxItem]:
        if kind != "image" and not text.strip() and not mentions:
            return []
        text = _storable(text)
        mentions = tuple(dict.fromkeys(mentions))
        meta = dict(meta if meta is not None else (self._meta_for or _no_meta)(conversation))
        first = self.policy.max_text_bytes - self.policy.mention_reserve_bytes * len(mentions)
        chunks = split_utf8(text, self.policy.max_text_bytes, first) if text else [""]
        if unit is not None and unit.key is not None:
            base = scoped_base(unit.key, unit.next_ordinal())
        else:
            base = self._new_id()
        now = self.clock.now()
        return [
            OutboxItem(
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
            for n, chunk in enumerate(chunks, start=1)
        ]

    def _accept(self, items: Sequence[OutboxItem], entries: Sequence[_Entry] = ()) -> None:
        """Queue committed items for delivery (once each)."""
        for entry in [*entries, *(_Entry(item, 0) for item in items)]:
            if entry.item.id in self._queued:
                continue
            entry.seq = self._next_seq()
            self._queued.add(entry.item.id)
            self._queues.setdefault(entry.item.conversation, deque()).append(entry)
            self._idle.clear()
        self._wake.set()

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

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

    # --- start and stop --------------------------------------------------------------------

    async def start(self) -> None:
        """Resolve items a crash left in `sending`, queue the pending ones, start the loop."""
        await self.load()
        self._closing = False
        if self._task is None:
            self._task = asyncio.create_task(self.run(), name=f"{self.name}-outbox")

    async def load(self) -> None:
        """Resolve items a crash left in `sending` and queue the pending ones, without
        starting the loop (replay delivers by hand with deliver_ready())."""
        if self._store is not None:
            try:
                pending, sending = await self._store.load()
                resent = await self._resolve_unknown(sending)
            except Exception:
                log.exception("%s: could not load the stored outbox", self.name)
                pending, resent = [], []
            left = sorted([*pending, *resent], key=lambda p: (p.item.created_at, p.item.id))
            self._accept(
                (), [_Entry(p.item, 0, attempts=p.attempts, not_before=p.not_before) for p in left]
            )
            if left:
                log.info("%s: %d message(s) left from the last run", self.name, len(left))

    async def _resolve_unknown(self, sending: Sequence[PendingItem]) -> list[PendingItem]:
        """Apply the transport's rule to items whose last attempt's outcome is unknown;
        returns those to send again."""
        assert self._store is not None
        again: list[PendingItem] = []
        now = self.clock.now()
        for p in sending:
            item = p.item
            confirmed = None
            if self.confirm is not None:
                try:
                    confirmed = self.confirm(item)
                except Exception:
                    log.exception("%s: could not confirm %s", self.name, item.id)
            excerpt = item.text[:40].replace("\n", " ")
            if confirmed is True:
                await self._store.resolve(item.id, "sent", now)
                log.info("%s: %s was delivered before the restart (confirmed)", self.name, item.id)
            elif confirmed is False or self.unknown_outcome is UnknownOutcome.RESEND:
                await self._store.resolve(item.id, "pending", now)
                again.append(p)
                log.warning(
                    "%s: %s to %s was being sent when the bot stopped; sending it again: %r",
                    self.name,
                    item.id,
                    item.conversation,
                    excerpt,
                )
            else:
                await self._store.resolve(item.id, "unknown", now)
                self.unknown += 1
                log.warning(
                    "%s: %s to %s was being sent when the bot stopped; whether it arrived is "
                    "unknown and it is not sent again (at most once; post it by hand if it is "
                    "missing): %r",
                    self.name,
                    item.id,
                    item.conversation,
                    excerpt,
                )
        return again

    async def flush(self, timeout_s: float) -> bool:
        """Let what may go out now go out (a graceful stop, while still connected). True
        when nothing was left."""
        if self._task is None or not self._connected:
            return self._idle.is_set()
        self._wake.set()
        try:
            await asyncio.wait_for(self._idle.wait(), timeout_s)
        except TimeoutError:
            return False
        return True

    async def close(self, grace_s: float = 5.0) -> None:
        """Stop the loop between two items (an attempt in progress gets `grace_s` to finish,
        so its outcome is recorded). Undelivered items stay pending in the store."""
        self._closing = True
        self._wake.set()
        task, self._task = self._task, None
        if task is not None:
            done, _ = await asyncio.wait({task}, timeout=grace_s)
            if not done:
                log.warning("%s: a send did not finish within %.1fs; stopping", self.name, grace_s)
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def join(self) -> None:
        """Wait until every queued item is done (delivered or given up)."""
        await self._idle.wait()

    # --- delivery --------------------------------------------------------------------------

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
            if self._closing:
                break
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

    def _next_ready(self) -> _Entry | None:
        """The item to attempt now, if any (the oldest ready head of a conversation)."""
        if not self._connected or self._closing:
            return None
        now = self.clock.now()
        best: _Entry | None = None
        for conv, q in self._queues.items():
            if (
                q
                and (best is None or q[0].seq < best.seq)
                and self._ready_at(conv, q[0], now) <= now
            ):
                best = q[0]
        return best

    async def deliver_ready(self) -> int:
        """Deliver every item that may go out now. Returns the number of attempts made.

        A delivered item's `sent` is recorded with the claim of the next item when one is
        ready at that moment (one transaction for both), otherwise on its own, before the
        next item is sent and before join() can return, either way."""
        attempts = 0
        try:
            while (entry := self._next_ready()) is not None:
                await self._attempt(entry)
                attempts += 1
        finally:
            await self._record_sent()
        return attempts

    async def _record_sent(self) -> None:
        """Record the delivered item whose `sent` waits for the next claim, alone."""
        sent, self._unrecorded = self._unrecorded, None
        if sent is not None:
            await self._finish(sent.item_id, "sent", None, at=sent.at)
            self._settle()

    async def _attempt(self, entry: _Entry) -> None:
        item = replace(entry.item, attempt=entry.attempts + 1)
        if self._store is not None:
            sent = self._unrecorded
            try:
                claimed = await self._store.claim(
                    item.id, item.attempt, self.clock.now(), sent=sent
                )
            except Exception:
                log.exception("%s: could not mark %s as sending; retrying", self.name, item.id)
                entry.not_before = self.clock.now() + timedelta(seconds=self.policy.retry_base_s)
                await self._record_sent()  # the transaction that carried it failed
                return
            if sent is not None:
                self._unrecorded = None
                self._settle()
            if not claimed:
                log.info(
                    "%s: %s is no longer pending (sent by another process?)", self.name, item.id
                )
                self._pop(entry)
                return
        try:
            await self._deliver(item)
        except NotConnectedError as exc:
            log.info("%s: %s not sent, no connection (%s)", self.name, item.id, exc)
            self.set_connected(False)
            await self._store_call("release", item.id)
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
        if self._store is None:
            self._pop(entry)
            return
        # Stored before join() can return: idle is set only once `sent` is recorded. When
        # another item is ready right now, its claim records it in the same transaction,
        # before that item is sent (deliver_ready records it alone if the round ends first).
        self._unrecorded = Sent(item.id, self.clock.now())
        self._pop(entry)
        if self._next_ready() is None:
            await self._record_sent()

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
        await self._store_call(
            "retry_later", entry.item.id, entry.attempts, entry.not_before, error
        )

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
        self._queued.discard(entry.item.id)
        if not queue:
            del self._queues[entry.item.conversation]
        self._settle()

    def _settle(self) -> None:
        """Idle when nothing is queued and every delivered item's `sent` is recorded."""
        if not self._queues and self._unrecorded is None:
            self._idle.set()

    async def _finish(
        self, item_id: str, status: Status, error: str | None, *, at: datetime | None = None
    ) -> None:
        when = self.clock.now() if at is None else at
        await self._store_call("finish", item_id, status, when, error)

    async def _store_call(self, method: str, *args: object) -> None:
        """Record a state change; a failure is logged (the row then says `sending`, which the
        next start resolves by the transport's rule)."""
        if self._store is None:
            return
        try:
            await getattr(self._store, method)(*args)
        except Exception:
            log.exception("%s: could not record %s of %s", self.name, method, args[0])


def _no_meta(_conversation: str) -> Mapping[str, str]:
    return {}

"""Units of work: commit on a clean exit, roll back on an exception. They nest, and a scope
makes one transaction of everything done while handling one event or running one job.

    async with uow_factory() as uow:       # repositories are built on uow.session
        ...

Nesting. A unit opened while another unit of the same factory is open in this task (or in
a task started inside it) joins the open transaction through a SAVEPOINT: an exception
inside it rolls back only its own work (a handler that catches IntegrityError goes on with
a usable transaction, on SQLite and PostgreSQL alike), and its clean exit releases the
savepoint. The work is committed when the outermost unit commits.

Scopes. `async with uow_factory.scope(key):` is the outermost unit for everything inside it.
The bot opens one around the handling of each event (key: the event's key) and each run of
a scheduled job (key: the job and its fire time). Handlers' units join it, and so do the
outbox's rows, so a reply and the state change that caused it are committed together, or
(after a crash) not at all. A scope opens a session only when something inside uses the
database; it commits at its end, also when its body raised an Exception (the units inside
have rolled back their own work, as they would have alone), and rolls back on cancellation
or another BaseException (a crash in the making). `after_commit` callbacks registered inside
it run after its commit; those of a nested unit that rolled back are dropped.

`key` and `next_ordinal()` of the innermost scope let things created in it (outbox items)
take ids that are the same when the same event is handled again after a restart.

SQLite (one bot process per file): transactions of concurrent tasks take turns through an
asyncio lock taken when a top-level unit or scope first touches the database and released
at its end, so a transaction that awaits something slow (a chart rendered in a thread) makes
the others wait without blocking the event loop on SQLite's own lock. Rule that follows:
never wait to open a unit of work while holding another lock that a unit-holder may wait
for (open the unit first, then take the other lock). Should that rule be broken, a wait
longer than TURN_WAIT_S goes ahead without its turn, with a warning naming the holder.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import sqlite3
from collections.abc import Callable
from contextvars import ContextVar, Token
from types import TracebackType

from storage.repos.checkins import CheckinRepo
from storage.repos.ledger import LedgerRepo
from storage.repos.members import BadgeRepo, GroupStateRepo, MemberRepo
from storage.session import (
    DbSession,
    InlineSession,
    KeptSessions,
    ReadProbe,
    Savepoint,
    savepoint,
)

Hook = Callable[[], None]
log = logging.getLogger("groupops.storage")
# A transaction that waits longer than this for its turn on a SQLite file goes ahead anyway
# (SQLite's busy timeout then decides), with a warning: a lock-order mistake elsewhere
# costs a delay and one failed transaction, never a bot that hangs for good.
TURN_WAIT_S = 10.0


class _Transaction:
    """The one transaction of a top-level unit or a scope, opened on first use."""

    def __init__(self, factory: UnitOfWorkFactory) -> None:
        self.factory = factory
        self.session: DbSession | None = None
        self.closed = False
        self.used = False  # some unit inside did work that a later rollback must not undo
        self._locked = False

    async def open(self, key: str | None = None) -> DbSession:
        if self.session is None:
            lock = self.factory.writer_lock()
            if lock is not None:
                self._locked = await self.factory.take_turn(lock, key)
            try:
                self.session = self.factory.session(turn=self._locked)
            except BaseException:
                self._release()
                raise
        return self.session

    async def end(self, commit: bool) -> None:
        session, self.session = self.session, None
        self.closed = True
        self.used = False
        try:
            if session is not None:
                await self.factory.end_session(session, commit)
        finally:
            self._release()

    def _release(self) -> None:
        if self._locked:
            self._locked = False
            self.factory.give_turn()


class _Frame:
    """One open unit or scope: where after-commit hooks wait and ids get their ordinals."""

    def __init__(
        self,
        transaction: _Transaction,
        parent: _Frame | None,
        key: str | None = None,
        *,
        scope: bool = False,
    ) -> None:
        self.transaction = transaction
        self.parent = parent
        self.hooks: list[Hook] = []
        self.key = key
        self.scope = scope  # a scope's frame does no database work of its own
        self._ordinal = 0

    def keyed(self) -> _Frame | None:
        frame: _Frame | None = self
        while frame is not None and frame.key is None:
            frame = frame.parent
        return frame


_current: ContextVar[_Frame | None] = ContextVar("groupops_unit_of_work", default=None)


def _open_frame(factory: UnitOfWorkFactory) -> _Frame | None:
    """The innermost open frame of `factory` in this task's context, if any."""
    frame = _current.get()
    if frame is None or frame.transaction.closed or frame.transaction.factory is not factory:
        return None
    return frame


class UnitHandle:
    """What code inside a unit or scope may ask of it without owning it (the outbox)."""

    def __init__(self, frame: _Frame) -> None:
        self._frame = frame

    @property
    def key(self) -> str | None:
        """The innermost scope's key (None outside scopes)."""
        keyed = self._frame.keyed()
        return keyed.key if keyed is not None else None

    def next_ordinal(self) -> int:
        """1, 2, 3 ... within the innermost scope (0 outside scopes)."""
        keyed = self._frame.keyed()
        if keyed is None:
            return 0
        keyed._ordinal += 1
        return keyed._ordinal

    def after_commit(self, hook: Hook) -> None:
        """Run `hook` once the transaction is committed (never if it is rolled back)."""
        self._frame.hooks.append(hook)


def current_unit() -> UnitHandle | None:
    """The innermost open unit or scope of this task (any factory), or None."""
    frame = _current.get()
    if frame is None or frame.transaction.closed:
        return None
    return UnitHandle(frame)


def _run_hooks(hooks: list[Hook]) -> None:
    for hook in hooks:
        hook()


class UnitOfWork:
    """`async with uow_factory() as uow:`; feature repositories are built on `uow.session`."""

    session: DbSession

    def __init__(self, factory: UnitOfWorkFactory, *, savepoint: bool = True) -> None:
        self._factory = factory
        self._use_savepoint = savepoint
        self._frame: _Frame | None = None
        self._token: Token[_Frame | None] | None = None
        self._savepoint: Savepoint | None = None
        self._whole = False  # this nested unit rolls back the whole (otherwise empty) transaction
        self._top = False

    async def __aenter__(self) -> UnitOfWork:
        outer = _open_frame(self._factory)
        if outer is None:
            transaction = _Transaction(self._factory)
            self._top = True
            frame = _Frame(transaction, None)
            self.session = await transaction.open("a unit of work")
        else:
            transaction = outer.transaction
            frame = _Frame(transaction, outer)
            keyed = outer.keyed()
            self.session = await transaction.open(keyed.key if keyed is not None else None)
            if not self._use_savepoint:
                transaction.used = True
            elif outer.scope and not transaction.used:
                # The first unit in a scope whose transaction holds nothing yet: rolling the
                # whole transaction back undoes exactly this unit's work, and saves the
                # SAVEPOINT/RELEASE pair the usual event (one unit that writes) would pay.
                self._whole = True
            else:
                self._savepoint = await savepoint(self.session)
        self._frame = frame
        self._token = _current.set(frame)
        return self

    # The repositories, built when first used (most units use one or none of them).

    @functools.cached_property
    def checkins(self) -> CheckinRepo:
        return CheckinRepo(self.session)

    @functools.cached_property
    def ledger(self) -> LedgerRepo:
        return LedgerRepo(self.session)

    @functools.cached_property
    def members(self) -> MemberRepo:
        return MemberRepo(self.session)

    @functools.cached_property
    def badges(self) -> BadgeRepo:
        return BadgeRepo(self.session)

    @functools.cached_property
    def group_state(self) -> GroupStateRepo:
        return GroupStateRepo(self.session)

    def after_commit(self, hook: Hook) -> None:
        """Run `hook` once this unit's work is committed (never if it is rolled back)."""
        assert self._frame is not None, "after_commit outside `async with`"
        self._frame.hooks.append(hook)

    @property
    def outermost(self) -> bool:
        """True when this unit is its transaction (not joined to an open unit or scope)."""
        return self._top

    @property
    def handle(self) -> UnitHandle:
        assert self._frame is not None, "handle outside `async with`"
        return UnitHandle(self._frame)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        frame = self._frame
        assert frame is not None and self._token is not None
        _current.reset(self._token)
        self._frame = self._token = None
        if self._top:
            await frame.transaction.end(commit=exc_type is None)
            if exc_type is None:
                _run_hooks(frame.hooks)
            return
        assert frame.parent is not None
        transaction = frame.transaction
        if exc_type is None:
            try:
                if self._savepoint is not None:
                    await self._savepoint.commit()  # flushes: may raise IntegrityError
                elif self._whole:
                    await self.session.flush()
            except BaseException:
                await self._undo(transaction)
                raise
            transaction.used = True
            frame.parent.hooks.extend(frame.hooks)
        else:
            await self._undo(transaction)

    async def _undo(self, transaction: _Transaction) -> None:
        if transaction.closed:
            return
        with contextlib.suppress(Exception):  # the original exception matters more
            if self._savepoint is not None:
                await self._savepoint.rollback()
            elif self._whole:
                await self.session.rollback()


class UnitScope:
    """`async with uow_factory.scope(key):` one transaction for everything inside."""

    def __init__(self, factory: UnitOfWorkFactory, key: str | None) -> None:
        self._factory = factory
        self._key = key
        self._frame: _Frame | None = None
        self._token: Token[_Frame | None] | None = None
        self._top = False

    async def __aenter__(self) -> UnitHandle:
        outer = _open_frame(self._factory)
        if outer is None:
            self._top = True
            frame = _Frame(_Transaction(self._factory), None, self._key, scope=True)
        else:
            frame = _Frame(outer.transaction, outer, self._key, scope=outer.scope)
        self._frame = frame
        self._token = _current.set(frame)
        return UnitHandle(frame)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        frame = self._frame
        assert frame is not None and self._token is not None
        _current.reset(self._token)
        self._frame = self._token = None
        commit = exc_type is None or issubclass(exc_type, Exception)
        if not self._top:
            if commit:
                assert frame.parent is not None
                frame.parent.hooks.extend(frame.hooks)
            return
        await frame.transaction.end(commit=commit)
        if commit:
            _run_hooks(frame.hooks)


class UnitOfWorkFactory:
    def __init__(
        self,
        sessions: Callable[[], DbSession],
        *,
        shared: bool = False,
        reads: ReadProbe | None = None,
        writes: ReadProbe | None = None,
    ) -> None:
        self.sessions = sessions
        # True when other bot processes may use the same database at the same time
        # (PostgreSQL). Then state a service mirrors in memory can change under it, and must
        # be checked against the database where it decides something (open rounds).
        self.shared = shared
        # For those checks: one cheap round trip, outside any unit of work.
        self.reads = reads
        # For single-statement transactions made very often (the outbox's state changes on
        # a shared database): one autocommitted round trip, outside any unit of work.
        self.writes = writes
        self._serialized = bool(getattr(sessions, "serialized", False))
        # SessionSource on a SQLite file: the session the transaction with the turn reuses
        self._kept: KeptSessions | None = sessions if isinstance(sessions, KeptSessions) else None
        # told of every commit (SessionSource: a SQLite file's log checkpoints off the loop)
        self._committed: Callable[[], None] | None = getattr(sessions, "committed", None)
        self._lock: asyncio.Lock | None = None
        self._holder: str | None = None  # the key of the transaction that has the turn
        self._waiting = 0  # tasks queued for the turn

    def __call__(self) -> UnitOfWork:
        return UnitOfWork(self)

    def joined(self) -> UnitOfWork:
        """A unit that joins an open one without a savepoint (or is top-level when none is
        open): for statements that cannot fail on data (the outbox's inserts)."""
        return UnitOfWork(self, savepoint=False)

    def scope(self, key: str | None = None) -> UnitScope:
        return UnitScope(self, key)

    def session(self, *, turn: bool) -> DbSession:
        """A session for a new transaction: the kept one when it has the turn on a SQLite
        file (transactions with the turn never overlap), otherwise a new one."""
        if turn and self._kept is not None:
            return self._kept.kept()
        return self.sessions()

    async def end_session(self, session: DbSession, commit: bool) -> None:
        """Commit or roll back a transaction's session, then close it."""
        kept = self._kept is not None and self._kept.is_kept(session)
        if kept and self._kept is not None and self._kept.idle():
            return  # nothing began on it (statements that committed by themselves, or none)
        try:
            if commit:
                await session.commit()
                if self._committed is not None:
                    self._committed()
            else:
                await session.rollback()
        finally:
            if not kept:
                await session.close()
            elif self._kept is not None and not self._kept.idle():
                try:
                    await session.close()  # ends its transaction, forgets its objects; kept
                except BaseException:
                    self._kept.drop_kept()
                    raise

    def free_connection(self) -> sqlite3.Connection | None:
        """A SQLite file with no transaction open in this process (none has the turn or
        waits for it, none in this task): the kept session's sqlite3 connection, for a
        statement that is a whole transaction by itself (or a BEGIN ... COMMIT run without
        awaiting anything in between), so that no other unit of work can interleave. None
        otherwise: use a unit of work."""
        kept, lock = self._kept, self._lock
        if kept is None or _current.get() is not None or self._waiting:
            return None
        if lock is not None and lock.locked():
            return None
        if not kept.idle():
            return None
        session = kept.kept()
        return session.raw if isinstance(session, InlineSession) else None

    def writer_lock(self) -> asyncio.Lock | None:
        """The lock top-level transactions take turns with (SQLite files only)."""
        if not self._serialized:
            return None
        if self._lock is None:
            self._lock = asyncio.Lock()
        return self._lock

    async def take_turn(self, lock: asyncio.Lock, key: str | None) -> bool:
        """Wait for the turn; True when taken (release it), False when waited out."""
        if not lock.locked() and not self._waiting:
            # Free and nobody queued: acquire() returns without yielding to the loop, whereas
            # wait_for() wraps it in a task that costs a loop round trip per unit of work.
            await lock.acquire()
            self._holder = key
            return True
        self._waiting += 1
        try:
            await asyncio.wait_for(lock.acquire(), TURN_WAIT_S)
        except TimeoutError:
            log.warning(
                "%s waited %.0fs for the database, held by %s; going ahead without its turn",
                key or "a unit of work",
                TURN_WAIT_S,
                self._holder or "a unit of work",
            )
            return False
        finally:
            self._waiting -= 1
        self._holder = key
        return True

    def give_turn(self) -> None:
        self._holder = None
        if self._lock is not None:
            self._lock.release()

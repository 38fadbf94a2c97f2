"""The outbox's database store (table `outbox`, migrations 0007 and 0009), and start-up wiring.

New items are written in the caller's unit of work (the event's or job run's scope, see
storage/uow.py), so they commit with the state change that caused them. Every later state
change (claim, finish, retry) is its own short transaction, made by the delivery loop.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.transports.outbox import Outbox, OutboxItem, PendingItem, Resolution, Sent, Status
from storage.models.outbox import OutboxRow
from storage.repos.outbox import PENDING, SENDING, OutboxRepo
from storage.uow import UnitOfWorkFactory, current_unit

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger("groupops.outbox")
KEEP_FINISHED = timedelta(days=7)


def _row(item: OutboxItem, transport: str, source: str | None) -> dict[str, Any]:
    return {
        "id": item.id,
        "transport": transport,
        "conversation": item.conversation,
        "kind": item.kind,
        "text": item.text,
        "mentions": json.dumps(list(item.mentions), ensure_ascii=False) if item.mentions else "[]",
        "image_path": item.image_path,
        "part": item.part,
        "parts": item.parts,
        "meta": json.dumps(dict(item.meta), ensure_ascii=False) if item.meta else "{}",
        "created_at": item.created_at,
        "status": PENDING,
        "attempts": 0,
        "not_before": None,
        "finished_at": None,
        "last_error": None,
        "sending_at": None,
        "source": source,
    }


def _item(row: OutboxRow) -> PendingItem:
    return PendingItem(
        OutboxItem(
            id=row.id,
            conversation=row.conversation,
            text=row.text,
            created_at=row.created_at,
            kind=row.kind,
            mentions=tuple(json.loads(row.mentions)),
            image_path=row.image_path,
            part=row.part,
            parts=row.parts,
            meta=json.loads(row.meta),
        ),
        attempts=row.attempts,
        not_before=row.not_before,
    )


async def _finish(
    repo: OutboxRepo, item_id: str, status: Status, at: datetime, error: str | None
) -> None:
    if not await repo.finish(item_id, status, at, error, from_status=SENDING):
        # given up before any attempt reached `sending` (e.g. refused at once)
        await repo.finish(item_id, status, at, error, from_status=PENDING)


class SqlOutboxStore:
    """The `outbox` table, one transport's rows."""

    def __init__(self, uow: UnitOfWorkFactory, transport: str) -> None:
        self.uow = uow
        self.transport = transport

    async def add(
        self,
        items: Sequence[OutboxItem],
        source: str | None,
        on_commit: Callable[[set[str]], None],
    ) -> None:
        rows = [_row(i, self.transport, source) for i in items]
        async with self.uow.joined() as uow:
            inserted = await OutboxRepo(uow.session).insert_new(rows)
            uow.after_commit(lambda: on_commit(inserted))

    def _autocommit(self) -> OutboxRepo | None:
        """On a shared PostgreSQL database, outside any unit of work: a repo whose state
        changes are one autocommitted statement each (no session, pool checkout, BEGIN or
        COMMIT). Each is a conditional UPDATE on the row's status, as in a transaction of
        its own, so what two processes may do is unchanged."""
        if current_unit() is not None:
            return None
        writes = self.uow.writes
        if writes is not None:
            return OutboxRepo(None, writer=writes)
        # A SQLite file with no transaction open: the statement runs on the kept connection
        # at once, committing by itself (no unit of work to build and end).
        raw = self.uow.free_connection()
        return OutboxRepo(None, raw=raw) if raw is not None else None

    async def claim(
        self, item_id: str, attempts: int, at: datetime, *, sent: Sent | None = None
    ) -> bool:
        direct = self._autocommit()
        if direct is not None and direct.raw is not None and sent is not None:
            # SQLite: both in one transaction, one commit (nothing awaits in between)
            raw = direct.raw
            raw.execute("BEGIN")
            try:
                await _finish(direct, sent.item_id, "sent", sent.at, None)
                claimed = await direct.claim(item_id, attempts, at)
            except BaseException:
                raw.rollback()
                raise
            raw.commit()
            return claimed
        if direct is not None:
            if sent is not None:  # committed first: stored before this item is sent
                await _finish(direct, sent.item_id, "sent", sent.at, None)
            return await direct.claim(item_id, attempts, at)
        async with self.uow() as uow:
            # alone (a statement that commits by itself on SQLite) only when it is the one
            # statement; with `sent`, both go in one transaction
            repo = OutboxRepo(uow.session, alone=uow.outermost and sent is None)
            if sent is not None:
                await _finish(repo, sent.item_id, "sent", sent.at, None)
            return await repo.claim(item_id, attempts, at)

    async def release(self, item_id: str) -> None:
        direct = self._autocommit()
        if direct is not None:
            await direct.release(item_id)
            return
        async with self.uow() as uow:
            await OutboxRepo(uow.session, alone=uow.outermost).release(item_id)

    async def retry_later(
        self, item_id: str, attempts: int, not_before: datetime, error: str
    ) -> None:
        direct = self._autocommit()
        if direct is not None:
            await direct.retry_later(item_id, attempts, not_before, error)
            return
        async with self.uow() as uow:
            await OutboxRepo(uow.session, alone=uow.outermost).retry_later(
                item_id, attempts, not_before, error
            )

    async def finish(
        self, item_id: str, status: Status, at: datetime, error: str | None = None
    ) -> None:
        direct = self._autocommit()
        if direct is not None:
            await _finish(direct, item_id, status, at, error)
            return
        async with self.uow() as uow:
            await _finish(OutboxRepo(uow.session, alone=uow.outermost), item_id, status, at, error)

    async def load(self) -> tuple[list[PendingItem], list[PendingItem]]:
        async with self.uow() as uow:
            rows = await OutboxRepo(uow.session).open_rows(self.transport)
        pending = [_item(r) for r in rows if r.status == PENDING]
        sending = [_item(r) for r in rows if r.status == SENDING]
        return pending, sending

    async def resolve(self, item_id: str, resolution: Resolution, at: datetime) -> None:
        async with self.uow() as uow:
            repo = OutboxRepo(uow.session, alone=uow.outermost)
            if resolution == "pending":
                await repo.release(item_id)
            else:
                await repo.finish(
                    item_id,
                    resolution,
                    at,
                    "outcome unknown after a restart" if resolution == "unknown" else None,
                    from_status=SENDING,
                )

    async def pending(self) -> list[PendingItem]:
        return (await self.load())[0]

    async def prune(self, now: datetime) -> int:
        async with self.uow() as uow:
            return await OutboxRepo(uow.session).prune(self.transport, now - KEEP_FINISHED)


def attach_store(sender: object, uow: UnitOfWorkFactory) -> None:
    """Give an Outbox the database (unless it was built with persist=False). App.start()
    calls it right after the migrations, before anything can be sent."""
    if isinstance(sender, Outbox) and sender.persist and not sender.persistent:
        sender.use_store(SqlOutboxStore(uow, sender.name))


async def start_outbox(outbox: Outbox, app: App, *, persist: bool = True) -> None:
    """Make sure the outbox has the app's database (unless persist is off), prune old rows
    and start delivering. Call from Transport.run(app), after App.start()."""
    if persist and outbox.persist:
        attach_store(outbox, app.uow)
        store = SqlOutboxStore(app.uow, outbox.name)
        try:
            pruned = await store.prune(app.clock.now())
            if pruned:
                log.info("%s: pruned %d finished outbox row(s)", outbox.name, pruned)
        except Exception:
            log.exception("%s: pruning the outbox failed", outbox.name)
    await outbox.start()

"""The outbox's database store (table `outbox`, migration 0007), and start-up wiring."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.transports.outbox import Outbox, OutboxItem, PendingItem, Status
from storage.models.outbox import OutboxRow
from storage.repos.outbox import OutboxRepo
from storage.uow import UnitOfWorkFactory

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger("groupops.outbox")
KEEP_FINISHED = timedelta(days=7)


class SqlOutboxStore:
    """Pending messages in the bot's database, one short transaction per change.

    Writes happen in the outbox's delivery loop, never inside a handler's unit of work."""

    def __init__(self, uow: UnitOfWorkFactory, transport: str) -> None:
        self.uow = uow
        self.transport = transport

    async def add(self, items: Sequence[OutboxItem]) -> None:
        rows = [
            OutboxRow(
                id=i.id,
                transport=self.transport,
                conversation=i.conversation,
                kind=i.kind,
                text=i.text,
                mentions=json.dumps(list(i.mentions), ensure_ascii=False),
                image_path=i.image_path,
                part=i.part,
                parts=i.parts,
                meta=json.dumps(dict(i.meta), ensure_ascii=False),
                created_at=i.created_at,
                status="pending",
                attempts=0,
                not_before=None,
                finished_at=None,
                last_error=None,
            )
            for i in items
        ]
        async with self.uow() as uow:
            await OutboxRepo(uow.session).add(rows)

    async def retry_later(
        self, item_id: str, attempts: int, not_before: datetime, error: str
    ) -> None:
        async with self.uow() as uow:
            await OutboxRepo(uow.session).retry_later(item_id, attempts, not_before, error)

    async def finish(
        self, item_id: str, status: Status, at: datetime, error: str | None = None
    ) -> None:
        async with self.uow() as uow:
            await OutboxRepo(uow.session).finish(item_id, status, at, error)

    async def pending(self) -> list[PendingItem]:
        async with self.uow() as uow:
            rows = await OutboxRepo(uow.session).pending(self.transport)
        return [
            PendingItem(
                OutboxItem(
                    id=r.id,
                    conversation=r.conversation,
                    text=r.text,
                    created_at=r.created_at,
                    kind=r.kind,
                    mentions=tuple(json.loads(r.mentions)),
                    image_path=r.image_path,
                    part=r.part,
                    parts=r.parts,
                    meta=json.loads(r.meta),
                ),
                attempts=r.attempts,
                not_before=r.not_before,
            )
            for r in rows
        ]

    async def prune(self, now: datetime) -> int:
        async with self.uow() as uow:
            return await OutboxRepo(uow.session).prune(self.transport, now - KEEP_FINISHED)


async def start_outbox(outbox: Outbox, app: App, *, persist: bool = True) -> None:
    """Give the outbox the app's database (unless persist is off) and start delivering.

    Call from Transport.run(app): the App has started, so migrations are applied."""
    if persist:
        store = SqlOutboxStore(app.uow, outbox.name)
        try:
            pruned = await store.prune(app.clock.now())
            if pruned:
                log.info("%s: pruned %d finished outbox row(s)", outbox.name, pruned)
        except Exception:
            log.exception("%s: pruning the outbox failed", outbox.name)
        outbox.use_store(store)
    await outbox.start()

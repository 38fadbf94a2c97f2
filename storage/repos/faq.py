"""FAQ entries, similar phrasings and the unanswered-question backlog.

Other features may use:
- ``FaqRepo(uow.session).add_entry(group_id, question, answer, created_by, at)``: store an
  FAQ entry (``group_id`` None: every group). The caller should then ask the Q&A service to
  reload (``handlers.qa_service.QaService.reload``) so the matcher learns it.
- ``FaqRepo(uow.session).open_backlog(group_id, limit)``: the most recent questions the bot
  could not answer in a group, newest first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from storage import direct
from storage.models.base import table_of
from storage.models.qa import FaqAlias, FaqEntry, QaAnswered, QaBacklog
from storage.repos.members import MemberRepo
from storage.session import DbSession, scalar_or_none


def _log_unanswered(insert: Any) -> Any:
    """One backlog row per message, in one statement (Core, not an ORM object: the row is
    written on every unanswered question); RETURNING says whether it was new."""
    table = table_of(QaBacklog)
    columns = (
        "group_id",
        "message_id",
        "asker_id",
        "asker_name",
        "question",
        "asked_at",
        "mentioned_bot",
    )
    return (
        insert(table)
        .values({name: bindparam(f"v_{name}") for name in columns} | {"status": "open"})
        .on_conflict_do_nothing(index_elements=["group_id", "message_id"])
        .returning(table.c.id)
    )


_LOG_UNANSWERED = {
    "sqlite": _log_unanswered(sqlite_insert),
    "postgresql": _log_unanswered(postgresql_insert),
}
_SQLITE_LOG_UNANSWERED = direct.CompiledStatement(_LOG_UNANSWERED["sqlite"])


def _note_answer(insert: Any) -> Any:
    """Record an answer; a row already there moves only forward in time (a message delivered
    again after a later answer does not move the cooldown back). One statement, so two
    processes answering at once cannot both insert."""
    table = table_of(QaAnswered)
    stmt = insert(table).values(
        group_id=bindparam("v_group_id"),
        entry_key=bindparam("v_entry_key"),
        message_id=bindparam("v_message_id"),
        answered_at=bindparam("v_answered_at"),
    )
    return stmt.on_conflict_do_update(
        index_elements=["group_id", "entry_key"],
        set_={"message_id": stmt.excluded.message_id, "answered_at": stmt.excluded.answered_at},
        where=stmt.excluded.answered_at >= table.c.answered_at,
    )


_NOTE_ANSWER = {
    "sqlite": _note_answer(sqlite_insert),
    "postgresql": _note_answer(postgresql_insert),
}


@dataclass(frozen=True)
class BacklogItem:
    id: int
    group_id: str
    asker_id: str
    asker_name: str
    question: str
    asked_at: datetime
    mentioned_bot: bool


def _item(row: QaBacklog) -> BacklogItem:
    return BacklogItem(
        id=row.id,
        group_id=row.group_id,
        asker_id=row.asker_id,
        asker_name=row.asker_name,
        question=row.question,
        asked_at=row.asked_at,
        mentioned_bot=row.mentioned_bot,
    )


class FaqRepo:
    """Repositories never commit: use inside `async with ctx.uow() as uow`."""

    def __init__(self, session: DbSession) -> None:
        self.session = session

    # --- entries --------------------------------------------------------------------------

    async def add_entry(
        self,
        group_id: str | None,
        question: str,
        answer: str,
        created_by: str | None,
        at: datetime,
    ) -> FaqEntry:
        """Store an entry and return it with its id assigned; the entry stored before when
        the same admin added the same question and answer at the same time (the same command
        delivered again, after a restart or to a second process), so it is stored once."""
        question, answer = question.strip(), answer.strip()
        # one admin's additions are decided one at a time (PostgreSQL: an advisory lock on
        # the member), so two processes given the same command cannot both find none
        await MemberRepo(self.session).lock(group_id or "", created_by)
        same = select(FaqEntry).where(
            FaqEntry.group_id.is_(None) if group_id is None else FaqEntry.group_id == group_id,
            FaqEntry.question == question,
            FaqEntry.answer == answer,
            FaqEntry.created_by.is_(None)
            if created_by is None
            else FaqEntry.created_by == created_by,
            FaqEntry.created_at == at,
        )
        found = await scalar_or_none(self.session, same.limit(1), FaqEntry)
        if found is not None:
            return found
        entry = FaqEntry(
            group_id=group_id,
            question=question,
            answer=answer,
            created_by=created_by,
            created_at=at,
        )
        self.session.add(entry)
        await self.session.flush()
        return entry

    async def entries(self) -> list[FaqEntry]:
        stmt = select(FaqEntry).order_by(FaqEntry.id)
        return list((await self.session.execute(stmt)).scalars())

    async def entry(self, entry_id: int) -> FaqEntry | None:
        return await self.session.get(FaqEntry, entry_id)

    async def find_entry(self, group_id: str | None, question: str) -> FaqEntry | None:
        stmt = select(FaqEntry).where(
            FaqEntry.question == question.strip(),
            FaqEntry.group_id.is_(None) if group_id is None else FaqEntry.group_id == group_id,
        )
        return await scalar_or_none(self.session, stmt.limit(1), FaqEntry)

    async def delete_entry(self, entry_id: int) -> bool:
        entry = await self.session.get(FaqEntry, entry_id)
        if entry is None:
            return False
        await self.session.delete(entry)
        await self.session.execute(delete(FaqAlias).where(FaqAlias.entry_key == str(entry_id)))
        return True

    # --- similar phrasings ----------------------------------------------------------------

    async def aliases(self) -> list[FaqAlias]:
        stmt = select(FaqAlias).order_by(FaqAlias.id)
        return list((await self.session.execute(stmt)).scalars())

    async def add_alias(
        self,
        entry_key: str,
        group_id: str | None,
        text: str,
        created_by: str | None,
        at: datetime,
    ) -> bool:
        """Add a phrasing; False when the entry already has it."""
        text = text.strip()
        stmt = select(FaqAlias.id).where(
            FaqAlias.entry_key == entry_key,
            FaqAlias.text == text,
            FaqAlias.group_id.is_(None) if group_id is None else FaqAlias.group_id == group_id,
        )
        if (await self.session.execute(stmt.limit(1))).first() is not None:
            return False
        self.session.add(
            FaqAlias(
                entry_key=entry_key,
                group_id=group_id,
                text=text[:500],
                created_by=created_by,
                created_at=at,
            )
        )
        return True

    # --- backlog --------------------------------------------------------------------------

    async def log_unanswered(
        self,
        *,
        group_id: str,
        message_id: str,
        asker_id: str,
        asker_name: str,
        question: str,
        at: datetime,
        mentioned_bot: bool = False,
    ) -> bool:
        """Record an unanswered question once per message; False when already recorded."""
        params = {
            "v_group_id": group_id,
            "v_message_id": message_id,
            "v_asker_id": asker_id,
            "v_asker_name": asker_name[:128],
            "v_question": question,
            "v_asked_at": at,
            "v_mentioned_bot": mentioned_bot,
        }
        other = _LOG_UNANSWERED[self.session.get_bind().dialect.name]
        inserted = await direct.returning(
            self.session, _SQLITE_LOG_UNANSWERED, params, otherwise=other
        )
        return bool(inserted)

    # --- answers given (the cooldown) -------------------------------------------------------

    async def last_answer(self, group_id: str, entry_key: str) -> tuple[str, datetime] | None:
        """(message id, time) of the latest answer of an entry in a group."""
        row = await self.session.get(QaAnswered, (group_id, entry_key))
        return (row.message_id, row.answered_at) if row is not None else None

    async def note_answer(
        self, group_id: str, entry_key: str, message_id: str, at: datetime
    ) -> None:
        stmt = _NOTE_ANSWER[self.session.get_bind().dialect.name]
        await self.session.execute(
            stmt,
            {
                "v_group_id": group_id,
                "v_entry_key": entry_key,
                "v_message_id": message_id,
                "v_answered_at": at,
            },
        )

    async def open_backlog(self, group_id: str, limit: int = 20) -> list[BacklogItem]:
        """The most recent unanswered questions of a group, newest first."""
        stmt = (
            select(QaBacklog)
            .where(QaBacklog.group_id == group_id, QaBacklog.status == "open")
            .order_by(QaBacklog.asked_at.desc(), QaBacklog.id.desc())
            .limit(limit)
        )
        return [_item(r) for r in (await self.session.execute(stmt)).scalars()]

    async def open_questions(self) -> list[tuple[str, str]]:
        """(group_id, question) of every open item: what is already waiting for an answer."""
        stmt = select(QaBacklog.group_id, QaBacklog.question).where(QaBacklog.status == "open")
        return [(r[0], r[1]) for r in (await self.session.execute(stmt)).all()]

    async def backlog_item(self, group_id: str, item_id: int) -> QaBacklog | None:
        row = await self.session.get(QaBacklog, item_id)
        return row if row is not None and row.group_id == group_id else None

    async def close_similar(
        self, group_id: str, question: str, by: str, at: datetime, entry_key: str
    ) -> int:
        """Mark every open item of a group with exactly this question answered."""
        stmt = select(QaBacklog).where(
            QaBacklog.group_id == group_id,
            QaBacklog.status == "open",
            QaBacklog.question == question,
        )
        rows = list((await self.session.execute(stmt)).scalars())
        for row in rows:
            mark_answered(row, by, at, entry_key)
        return len(rows)


def mark_answered(row: QaBacklog, by: str, at: datetime, entry_key: str) -> None:
    row.status = "answered"
    row.answered_by = by
    row.answered_at = at
    row.entry_key = entry_key

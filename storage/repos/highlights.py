"""Highlights (精华): numbered per group; proposals wait for an admin."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from storage.models import Highlight
from storage.session import DbSession, scalar_or_none


class HighlightRepo:
    def __init__(self, session: DbSession) -> None:
        self.session = session

    async def add(
        self,
        *,
        group_id: str,
        text: str,
        author_id: str,
        author_name: str,
        posted_at: datetime,
        source_message_id: str,
        status: str,
        at: datetime,
        proposed_by: str | None = None,
        saved_by: str | None = None,
    ) -> Highlight:
        """Add with the group's next number; raises IntegrityError when the source message
        was already kept or another process took the number (the caller retries)."""
        stmt = select(func.coalesce(func.max(Highlight.number), 0)).where(
            Highlight.group_id == group_id
        )
        number = int((await self.session.execute(stmt)).scalar_one()) + 1
        highlight = Highlight(
            group_id=group_id,
            number=number,
            text=text,
            author_id=author_id,
            author_name=author_name[:128],
            posted_at=posted_at,
            source_message_id=source_message_id,
            status=status,
            proposed_by=proposed_by,
            saved_by=saved_by,
            saved_at=at if status == "saved" else None,
            created_at=at,
        )
        self.session.add(highlight)
        await self.session.flush()
        return highlight

    async def by_number(self, group_id: str, number: int) -> Highlight | None:
        stmt = select(Highlight).where(Highlight.group_id == group_id, Highlight.number == number)
        return await scalar_or_none(self.session, stmt, Highlight)

    async def by_source(self, group_id: str, source_message_id: str) -> Highlight | None:
        stmt = select(Highlight).where(
            Highlight.group_id == group_id, Highlight.source_message_id == source_message_id
        )
        return await scalar_or_none(self.session, stmt, Highlight)

    async def recent(self, group_id: str, limit: int, status: str = "saved") -> list[Highlight]:
        """Newest first (by when they were said)."""
        stmt = (
            select(Highlight)
            .where(Highlight.group_id == group_id, Highlight.status == status)
            .order_by(Highlight.posted_at.desc(), Highlight.number.desc())
            .limit(limit)
        )
        return list((await self.session.execute(stmt)).scalars())

    async def search(self, group_id: str, word: str, limit: int) -> list[Highlight]:
        """Saved highlights whose text contains `word` (case-insensitive), newest first."""
        stmt = (
            select(Highlight)
            .where(
                Highlight.group_id == group_id,
                Highlight.status == "saved",
                Highlight.text.icontains(word, autoescape=True),
            )
            .order_by(Highlight.posted_at.desc(), Highlight.number.desc())
            .limit(limit)
        )
        return list((await self.session.execute(stmt)).scalars())

    async def between(
        self,
        group_id: str,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int | None = None,
    ) -> list[Highlight]:
        """Saved highlights said in [since, until), oldest first."""
        stmt = select(Highlight).where(Highlight.group_id == group_id, Highlight.status == "saved")
        if since is not None:
            stmt = stmt.where(Highlight.posted_at >= since)
        if until is not None:
            stmt = stmt.where(Highlight.posted_at < until)
        stmt = stmt.order_by(Highlight.posted_at, Highlight.number)
        if limit is not None:
            stmt = stmt.limit(limit)
        return list((await self.session.execute(stmt)).scalars())

    async def delete(self, highlight: Highlight) -> None:
        await self.session.delete(highlight)

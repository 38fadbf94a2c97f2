"""Boards across a set of groups: the single-group leaderboard query over `group_id IN (...)`.

Points stay in each group's own ledger; a set board lists one row per (group, member), so a
member of two groups of a set appears once for each group, with what that group's ledger
holds. These functions mirror `LedgerRepo.top` (same SQL shape) and leave it untouched.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Executable, Integer, bindparam, func, select

from storage.models import LedgerEntry
from storage.models.base import table_of
from storage.session import DbSession

_LEDGER = table_of(LedgerEntry)


@dataclass(frozen=True)
class GroupStanding:
    group_id: str
    member_id: str
    points: int


def _top_across_statement(since: bool, until: bool) -> Executable:
    points = func.sum(_LEDGER.c.delta)
    stmt = select(_LEDGER.c.group_id, _LEDGER.c.member_id, points).where(
        _LEDGER.c.group_id.in_(bindparam("group_ids", expanding=True))
    )
    if since:
        stmt = stmt.where(_LEDGER.c.created_at >= bindparam("since"))
    if until:
        stmt = stmt.where(_LEDGER.c.created_at < bindparam("until"))
    return (
        stmt.group_by(_LEDGER.c.group_id, _LEDGER.c.member_id)
        .having(points > 0)
        .order_by(points.desc(), _LEDGER.c.group_id, _LEDGER.c.member_id)
        .limit(bindparam("limit", type_=Integer))
    )


_TOP_ACROSS = {(s, u): _top_across_statement(s, u) for s in (False, True) for u in (False, True)}


class SetBoardRepo:
    """Read-only queries over several groups at once."""

    def __init__(self, session: DbSession) -> None:
        self.session = session

    async def top_across(
        self,
        group_ids: Sequence[str],
        limit: int,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[GroupStanding]:
        """(group, member) pairs by points in [since, until) over `group_ids`, highest
        first (all time without since); ties by group id, then member id."""
        if not group_ids:
            return []
        stmt = _TOP_ACROSS[since is not None, until is not None]
        params = {
            "group_ids": list(group_ids),
            "since": since,
            "until": until,
            "limit": limit,
        }
        rows = (await self.session.execute(stmt, params)).all()
        return [GroupStanding(r[0], r[1], int(r[2])) for r in rows]

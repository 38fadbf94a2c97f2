"""The one rule for "this message belongs to this round", used by every round-like game.

A round is anything that is open for a stretch of time and takes members' messages while it
is open: a quiz (抢答), a notice red packet (通知红包), the day a lucky draw (抽奖) draws from,
and any later game of that shape. Its window is half-open, `[opened_at, closes_at)`: a message
counts for the round only when the message's own time (when the member sent it, as the
platform reports it) falls inside the window. When the message is delivered does not matter:
a message redelivered after a restart, or handled late by another bot process, keeps its
original time, so it can never claim a place in a round that opened after it was sent.

A round that has been decided (won, closed, replaced) takes nothing more, even from a message
that falls inside its window; callers check that with the round's status.

The same rule is written twice below, once for Python (`RoundWindow.contains`, for the
in-memory pre-checks) and once for SQL (`open_during`, `RoundWindow.holds`, for the
conditional UPDATEs and queries that decide in the database). Use these; do not compare
times against a round's start or deadline by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, SQLColumnExpression, and_


@dataclass(frozen=True)
class RoundWindow:
    """`[opened_at, closes_at)`: the times at which a message belongs to the round."""

    opened_at: datetime
    closes_at: datetime

    def contains(self, at: datetime) -> bool:
        """Does a message sent at `at` belong to this round?"""
        return self.opened_at <= at < self.closes_at

    def holds(self, sent_at: SQLColumnExpression[datetime]) -> ColumnElement[bool]:
        """SQL: the rows whose time column `sent_at` belongs to this round."""
        return and_(sent_at >= self.opened_at, sent_at < self.closes_at)


def open_during(
    opened_at: SQLColumnExpression[datetime],
    closes_at: SQLColumnExpression[datetime],
    at: datetime,
) -> ColumnElement[bool]:
    """SQL: the rounds (rows with window columns `opened_at`, `closes_at`) that a message
    sent at `at` belongs to."""
    return and_(opened_at <= at, closes_at > at)

"""Injected time. Handlers and jobs never call datetime.now()."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FakeClock:
    """A clock that only moves when told to (tests and replay)."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FakeClock needs a timezone-aware datetime")
        self._now = start

    def now(self) -> datetime:
        return self._now

    def set(self, when: datetime) -> None:
        if when.tzinfo is None:
            raise ValueError("FakeClock needs a timezone-aware datetime")
        self._now = when

    def advance(self, delta: timedelta) -> None:
        self._now = self._now + delta


# How replies name the common time zones; any other is shown by its IANA name (which the
# operator wrote in config.yaml).
_TIMEZONE_LABELS = {
    "Asia/Shanghai": "北京时间",
    "Asia/Chongqing": "北京时间",
    "Asia/Hong_Kong": "香港时间",
    "Asia/Taipei": "台北时间",
    "Asia/Macau": "澳门时间",
    "Asia/Tokyo": "东京时间",
    "Asia/Singapore": "新加坡时间",
    "Europe/London": "伦敦时间",
    "America/New_York": "纽约时间",
    "America/Los_Angeles": "洛杉矶时间",
    "UTC": "协调世界时",
}


def timezone_label(name: str) -> str:
    """A time zone as members read it: 北京时间 for Asia/Shanghai."""
    return _TIMEZONE_LABELS.get(name, name)

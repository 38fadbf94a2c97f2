"""Shared building blocks for the config models."""

from __future__ import annotations

import re
from datetime import time
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from bot.schedule_expr import parse_schedule


class Strict(BaseModel):
    """Every config model: unknown keys are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(
            f"unknown timezone {name!r} (use an IANA name like Asia/Shanghai)"
        ) from exc
    return name


def _check_schedule(expr: str) -> str:
    parse_schedule(expr)  # raises ScheduleError (a ValueError) with a readable message
    return expr


TimezoneName = Annotated[str, AfterValidator(_check_timezone)]
ScheduleExpr = Annotated[str, AfterValidator(_check_schedule)]


class ThemeSettings(Strict):
    """What a group is about: used by Q&A and off-topic detection."""

    name: str = ""
    description: str = ""
    keywords: list[str] = []
    examples: list[str] = []


_RANGE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*[-~～—]\s*(\d{1,2}):(\d{2})\s*$")


class TimeRange(Strict):
    """A daily local time range, written "HH:MM-HH:MM" (end excluded). An end before the
    start wraps midnight ("23:00-07:00"); "24:00" ends at midnight."""

    start: int = Field(ge=0, le=1439, description="minutes after local midnight")
    end: int = Field(ge=0, le=1440, description="minutes after local midnight, excluded")

    @model_validator(mode="before")
    @classmethod
    def _parse(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        found = _RANGE.match(value)
        hint = f"invalid time range {value!r}: use HH:MM-HH:MM, e.g. 23:00-07:00"
        if found is None:
            raise ValueError(hint)
        h1, m1, h2, m2 = (int(g) for g in found.groups())
        if h1 > 23 or m1 > 59 or h2 > 24 or m2 > 59 or (h2 == 24 and m2):
            raise ValueError(hint)
        return {"start": h1 * 60 + m1, "end": h2 * 60 + m2}

    @model_validator(mode="after")
    def _not_empty(self) -> TimeRange:
        if self.start == self.end % 1440:
            raise ValueError(f"time range {self} is empty (start equals end)")
        return self

    def contains(self, at: time) -> bool:
        minute = at.hour * 60 + at.minute + at.second / 60
        if self.start < self.end:
            return self.start <= minute < self.end
        return minute >= self.start or minute < self.end

    def __str__(self) -> str:
        return (
            f"{self.start // 60:02d}:{self.start % 60:02d}-{self.end // 60:02d}:{self.end % 60:02d}"
        )

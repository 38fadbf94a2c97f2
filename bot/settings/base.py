"""Shared building blocks for the config models.

Conventions for a new setting (every field of every model below `RootConfig`):

- a number has both bounds, chosen so that the bot can run at either end:
  ``points: int = Field(default=10, ge=0, le=MAX_POINTS)``;
  ``cooldown_minutes: float = Field(default=60, ge=0, le=WEEK_MINUTES)``.
  NaN and infinity are refused for every float (``Strict`` sets ``allow_inf_nan=False``).
- a duration written ``30m``/``1h``/``2天`` has both bounds too:
  ``grace: Annotated[Duration, DurationRange("0s", "7d")] = timedelta(minutes=30)``.
- a text the bot fills in and posts is a template with a closed set of placeholders, each
  with a sample value: ``Annotated[str, Placeholders(member="小明", points="10")]``
  (bot/template.py), rendered with ``render_template(text, values)``.
- a secret is never a plain value: ``token: str = ""`` plus ``token_env: str = "NAME"``
  (bot/settings/transport.py), so check-config can say which variable is missing.

tests/test_config_bounds.py walks every model and fails on a number or duration without
both bounds, and on a default text with ``{...}`` that is not a template.
"""

from __future__ import annotations

import re
from datetime import time, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    model_validator,
)
from pydantic_core import core_schema

from bot.schedule_expr import parse_duration, parse_schedule
from bot.text.inbound import config_id

# Shared upper bounds. Points end up summed in 64-bit ledger columns and in messages: a
# single award above MAX_POINTS is a typo, not a reward.
MAX_POINTS = 100_000
MAX_COUNT = 10_000  # places, winners, list sizes an operator may ask for
WEEK_MINUTES = 7 * 24 * 60
DAY_SECONDS = 24 * 60 * 60

# A user or group id as written in config.yaml, in the form events carry it: an id longer
# than 80 characters (or with invisible characters) is stored as `prefix~sha256`
# (bot/text/inbound.py), so the long form written here is mapped the same way.
ConfigId = Annotated[str, AfterValidator(config_id)]


class Strict(BaseModel):
    """Every config model: unknown keys are errors, values are immutable, floats finite."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


def _check_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise ValueError(
            f"unknown timezone {name!r} (use an IANA name like Asia/Shanghai)"
        ) from exc
    return name


def _check_schedule(expr: str) -> str:
    parse_schedule(expr)  # raises ScheduleError (a ValueError) with a readable message
    return expr


TimezoneName = Annotated[str, AfterValidator(_check_timezone)]
ScheduleExpr = Annotated[str, AfterValidator(_check_schedule)]


def _parse_duration(value: Any) -> timedelta:
    """parse_duration, with absurd sizes as a ValueError (timedelta itself overflows)."""
    if isinstance(value, str) and len(value) > 64:
        raise ValueError("not a duration: too long (use 1d, 1h, 30m, 1天, 2小时, 30分钟)")
    try:
        return parse_duration(value)
    except OverflowError as exc:
        raise ValueError("duration is far too long") from exc


class DurationRange:
    """Pydantic metadata bounding a Duration: ``Annotated[Duration, DurationRange("1m", "30d")]``."""

    def __init__(self, low: str, high: str) -> None:
        self.text = f"{low} and {high}"
        self.low = parse_duration(low)
        self.high = parse_duration(high)

    def check(self, value: timedelta) -> timedelta:
        if not self.low <= value <= self.high:
            raise ValueError(f"must be between {self.text}")
        return value

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(self.check, handler(source))


# `1d`, `1h`, `30m`, `1h30m`, `1天`, `2小时`, `30分钟`; a bare number is seconds.
Duration = Annotated[timedelta, BeforeValidator(_parse_duration)]


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

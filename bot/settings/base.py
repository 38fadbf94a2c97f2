"""Shared building blocks for the config models."""

from __future__ import annotations

from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict

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

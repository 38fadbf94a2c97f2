"""Check-in camps (打卡营): dated challenges with a daily window, tasks, reminders and reviews.

A camp runs `days` local days from `start`. A camp day is a calendar day, except that a
window wrapping midnight belongs to the day it opens on: with `window: "23:00-01:00"` a
check-in at 00:30 on the 6th counts for the 5th (the night of the 5th). Every time below is
local to the group's timezone.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, BeforeValidator, Field, model_validator

from bot.settings.base import Strict, TimeRange
from bot.text.inbound import config_id

MAX_CAMP_DAYS = 366
MAX_CAMP_POINTS = 1000  # one review or award; more is a typo, not feedback
DEFAULT_TASK_AT = time(7, 0)
_CLOCK = re.compile(r"^\s*(\d{1,2})[:：](\d{2})\s*$")


def _parse_clock(value: Any) -> Any:
    """ "HH:MM" (or what YAML makes of an unquoted 21:00: the number 1260) -> time."""
    if isinstance(value, time):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        # YAML 1.1 reads an unquoted 21:00 as the base-60 number 21 * 60 + 0.
        if 0 <= value < 24 * 60:
            return time(value // 60, value % 60)
        raise ValueError(f'invalid time {value!r}: write HH:MM, e.g. "21:00"')
    if isinstance(value, str):
        found = _CLOCK.match(value)
        if found is not None:
            hour, minute = int(found[1]), int(found[2])
            if hour <= 23 and minute <= 59:
                return time(hour, minute)
        raise ValueError(f'invalid time {value!r}: write HH:MM, e.g. "21:00"')
    raise ValueError('write a time as HH:MM, e.g. "21:00"')


def _sane_start(day: date) -> date:
    if not date(2000, 1, 1) <= day <= date(2099, 12, 31):
        raise ValueError(f"start {day.isoformat()} is not a plausible date (2000-2099)")
    return day


ClockTime = Annotated[time, BeforeValidator(_parse_clock)]
CampId = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,40}$")]
TaskText = Annotated[str, Field(min_length=1, max_length=1000)]
MemberId = Annotated[str, Field(min_length=1, max_length=1000), AfterValidator(config_id)]


def _minutes(at: time) -> int:
    return at.hour * 60 + at.minute


def _label(at: time) -> str:
    return f"{at:%H:%M}"


class Camp(Strict):
    """One camp of a group (config `camps:` list item)."""

    id: CampId  # what members type: /报名 write21
    title: str = Field(default="", max_length=40)  # shown everywhere; the id when empty
    start: Annotated[date, AfterValidator(_sane_start)]
    days: int = Field(ge=1, le=MAX_CAMP_DAYS)
    # Days done needed to finish (结营); the whole camp when not set.
    finish_days: int | None = Field(default=None, ge=1, le=MAX_CAMP_DAYS)
    # "05:00-08:00": a check-in outside it is not counted for the camp. May wrap midnight.
    window: TimeRange | None = None
    # The day's task post (only with `tasks`); default: the window's start, else 07:00.
    task_at: ClockTime | None = None
    # A reminder mentioning the members who have not checked in yet; inside the window.
    remind_at: ClockTime | None = None
    # The closing post, on the day after the last day.
    close_at: ClockTime = time(9, 0)
    # Make-up cards (补卡) that count for this camp, per member, over the whole camp.
    makeup_limit: int = Field(default=1, ge=0, le=MAX_CAMP_DAYS)
    # tasks[i] is day i+1's task; a shorter list repeats (a week of themes for 21 days).
    tasks: list[TaskText] = Field(default=[], max_length=MAX_CAMP_DAYS)
    certificate: bool = True
    # Who may /点评 besides the admins (teachers), by stable user id.
    reviewers: list[MemberId] = Field(default=[], max_length=200)
    review_points: int = Field(default=0, ge=0, le=MAX_CAMP_POINTS)  # /点评 without N分
    review_max_points: int = Field(default=20, ge=0, le=MAX_CAMP_POINTS)  # /点评 @成员 N分
    excellent_points: int = Field(default=0, ge=0, le=MAX_CAMP_POINTS)  # /优秀
    peer_points: int = Field(default=0, ge=0, le=MAX_CAMP_POINTS)  # a review of one's partner
    top: int = Field(default=3, ge=1, le=20)  # top members and works in the closing post

    @property
    def name(self) -> str:
        return self.title or self.id

    @property
    def required_days(self) -> int:
        return self.finish_days if self.finish_days is not None else self.days

    @property
    def last_day(self) -> date:
        return self.start + timedelta(days=self.days - 1)

    @property
    def close_day(self) -> date:
        return self.start + timedelta(days=self.days)

    @property
    def task_time(self) -> time:
        if self.task_at is not None:
            return self.task_at
        if self.window is not None:
            return time(self.window.start // 60, self.window.start % 60)
        return DEFAULT_TASK_AT

    @property
    def wraps(self) -> bool:
        return self.window is not None and self.window.end < self.window.start

    @property
    def window_text(self) -> str:
        return str(self.window) if self.window is not None else ""

    # --- days and moments (pure; `tz` is the group's timezone) ----------------------------

    def day_of(self, when: datetime, tz: ZoneInfo) -> date:
        """The camp day a moment belongs to (a calendar day; the part of a wrapping window
        after midnight belongs to the day before)."""
        local = when.astimezone(tz)
        if self.wraps:
            assert self.window is not None
            if _minutes(local.time()) < self.window.end:
                return local.date() - timedelta(days=1)
        return local.date()

    def index_of(self, day: date) -> int | None:
        """1 for the first day ... `days`; None outside the camp."""
        index = (day - self.start).days + 1
        return index if 1 <= index <= self.days else None

    def day_at(self, index: int) -> date:
        return self.start + timedelta(days=index - 1)

    def in_window(self, when: datetime, tz: ZoneInfo) -> bool:
        return self.window is None or self.window.contains(when.astimezone(tz).time())

    def moment(self, day: date, at: time, tz: ZoneInfo) -> datetime:
        """`at` on camp day `day`: on the next calendar day when it falls in the part of a
        wrapping window after midnight."""
        calendar = day
        if self.wraps and self.window is not None and _minutes(at) < self.window.end:
            calendar = day + timedelta(days=1)
        return datetime.combine(calendar, at, tzinfo=tz)

    def deadline(self, day: date, tz: ZoneInfo) -> datetime:
        """When check-ins for camp day `day` stop counting: the window's end, or the end of
        the day without a window."""
        if self.window is None:
            return datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
        end = self.window.end
        calendar = day + timedelta(days=1) if self.wraps or end == 24 * 60 else day
        minutes = end % (24 * 60)
        return datetime.combine(calendar, time(minutes // 60, minutes % 60), tzinfo=tz)

    def opens(self, day: date, tz: ZoneInfo) -> datetime:
        """When check-ins for camp day `day` start counting."""
        start = self.window.start if self.window is not None else 0
        return datetime.combine(day, time(start // 60, start % 60), tzinfo=tz)

    def closes_at(self, tz: ZoneInfo) -> datetime:
        """The closing post's time: `close_at` on the day after the last day."""
        return datetime.combine(self.close_day, self.close_at, tzinfo=tz)

    def task_of(self, index: int) -> str | None:
        if not self.tasks:
            return None
        return self.tasks[(index - 1) % len(self.tasks)]

    @model_validator(mode="after")
    def _check(self) -> Camp:
        if self.finish_days is not None and self.finish_days > self.days:
            raise ValueError(f"finish_days ({self.finish_days}) is more than days ({self.days})")
        window = self.window
        if (
            self.remind_at is not None
            and window is not None
            and not window.contains(self.remind_at)
        ):
            raise ValueError(
                f"remind_at {_label(self.remind_at)} is outside the window {window}: "
                "a reminder must come while members can still check in"
            )
        if self.wraps and window is not None and _minutes(self.close_at) < window.end:
            raise ValueError(
                f"close_at {_label(self.close_at)} comes before the last day's window "
                f"{window} ends: close at {window.end // 60:02d}:{window.end % 60:02d} or later"
            )
        return self


def _unique_camps(camps: list[Camp]) -> list[Camp]:
    ids: set[str] = set()
    titles: set[str] = set()
    for camp in camps:
        if camp.id.lower() in ids:
            raise ValueError(f"camp id {camp.id!r} is used twice")
        ids.add(camp.id.lower())
        if camp.title:
            if camp.title in titles:
                raise ValueError(f"camp title {camp.title!r} is used twice (members join by it)")
            titles.add(camp.title)
    return camps


CampList = Annotated[list[Camp], Field(max_length=20), AfterValidator(_unique_camps)]

"""Schedule expressions (5-field cron, or simple Chinese forms such as 每天 07:30, 每周三 20:00)
and durations (1d, 1h, 30m, 1天, 2小时)."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

_WEEKDAYS = {"一": "mon", "二": "tue", "三": "wed", "四": "thu", "五": "fri", "六": "sat"}
_WEEKDAYS.update({"日": "sun", "天": "sun", "七": "sun"})
_TIME = r"(?P<h>\d{1,2})[:：](?P<m>\d{2})"
_DAILY = re.compile(rf"^(?:每天|每日)\s*{_TIME}$")
_WORKDAY = re.compile(rf"^(?:工作日|每个工作日)\s*{_TIME}$")
_WEEKLY = re.compile(rf"^每(?:周|星期)(?P<days>[一二三四五六日天七、,，]+)\s*{_TIME}$")
_MONTHLY = re.compile(rf"^每月\s*(?P<dom>\d{{1,2}})\s*[号日]\s*{_TIME}$")


class ScheduleError(ValueError):
    pass


def _hm(match: re.Match[str]) -> tuple[int, int]:
    hour, minute = int(match["h"]), int(match["m"])
    if hour > 23 or minute > 59:
        raise ScheduleError(f"invalid time {hour}:{minute:02d}")
    return hour, minute


def parse_schedule(expr: str, timezone: str = "Asia/Shanghai") -> CronTrigger:
    """Turn an expression into an APScheduler trigger in the given timezone.

    Raises ScheduleError with a readable message when the expression is not understood.
    """
    text = expr.strip()
    tz = ZoneInfo(timezone)
    if m := _DAILY.match(text):
        hour, minute = _hm(m)
        return CronTrigger(hour=hour, minute=minute, timezone=tz)
    if m := _WORKDAY.match(text):
        hour, minute = _hm(m)
        return CronTrigger(day_of_week="mon-fri", hour=hour, minute=minute, timezone=tz)
    if m := _WEEKLY.match(text):
        hour, minute = _hm(m)
        days = [_WEEKDAYS[c] for c in m["days"] if c in _WEEKDAYS]
        return CronTrigger(day_of_week=",".join(days), hour=hour, minute=minute, timezone=tz)
    if m := _MONTHLY.match(text):
        hour, minute = _hm(m)
        dom = int(m["dom"])
        if not 1 <= dom <= 31:
            raise ScheduleError(f"invalid day of month {dom}")
        return CronTrigger(day=dom, hour=hour, minute=minute, timezone=tz)
    if len(text.split()) != 5:
        raise ScheduleError(
            f"not a schedule: {expr!r} (use 5-field cron like '0 20 * * 3', or 每天 07:30, 每周三 20:00)"
        )
    try:
        return CronTrigger.from_crontab(text, timezone=tz)
    except ValueError as exc:
        raise ScheduleError(f"bad cron expression {expr!r}: {exc}") from exc


# --- durations: "1d", "1h", "30m", "1h30m", "1天", "2小时", "30分钟" ---------------------------

_UNIT_SECONDS = {"d": 86_400, "h": 3_600, "m": 60, "s": 1}
_UNIT_OF = {
    "day": "d",
    "days": "d",
    "天": "d",
    "hr": "h",
    "hour": "h",
    "hours": "h",
    "小时": "h",
    "个小时": "h",
    "min": "m",
    "mins": "m",
    "minute": "m",
    "minutes": "m",
    "分": "m",
    "分钟": "m",
    "sec": "s",
    "秒": "s",
}
_UNITS = sorted([*_UNIT_SECONDS, *_UNIT_OF], key=len, reverse=True)  # longest first
_DURATION_PART = re.compile(
    rf"(?P<n>\d+)\s*(?P<unit>{'|'.join(map(re.escape, _UNITS))})", re.IGNORECASE
)


def parse_duration(text: str | int | float | timedelta) -> timedelta:
    """`1d`, `1h`, `30m`, `1h30m`, `1天`, `2小时`, `30分钟`; a bare number is seconds."""
    if isinstance(text, timedelta):
        return text
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        return timedelta(seconds=text)
    if not isinstance(text, str):
        raise ScheduleError(f"not a duration: {text!r} (use 1d, 1h, 30m, 1天, 2小时, 30分钟)")
    body = text.strip()
    total = 0
    pos = 0
    for m in _DURATION_PART.finditer(body):
        if body[pos : m.start()].strip():
            break
        unit = m["unit"].lower()
        total += int(m["n"]) * _UNIT_SECONDS[_UNIT_OF.get(unit, unit)]
        pos = m.end()
    if pos == 0 or body[pos:].strip():
        raise ScheduleError(f"not a duration: {text!r} (use 1d, 1h, 30m, 1天, 2小时, 30分钟)")
    return timedelta(seconds=total)


def describe_duration(delta: timedelta) -> str:
    """A Chinese reading of a duration: 1天, 2小时, 1小时30分钟."""
    seconds = int(delta.total_seconds())
    parts: list[str] = []
    for unit, size in (("天", 86_400), ("小时", 3_600), ("分钟", 60), ("秒", 1)):
        if seconds >= size:
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
    return "".join(parts) or "0分钟"

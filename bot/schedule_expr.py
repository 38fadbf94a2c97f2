"""Schedule expressions: 5-field cron, or simple Chinese forms such as 每天 07:30, 每周三 20:00."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

_WEEKDAYS = {"一": "mon", "二": "tue", "三": "wed", "四": "thu", "五": "fri", "六": "sat"}
_WEEKDAYS.update({"日": "sun", "天": "sun", "七": "sun"})
_TIME = r"(?P<h>\d{1,2})[:：](?P<m>\d{2})"
_DAILY = re.compile(rf"^每天\s*{_TIME}$")
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

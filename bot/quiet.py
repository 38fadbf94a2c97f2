"""Quiet hours: when the bot posts nothing unprompted (nudges, greetings) in a group."""

from __future__ import annotations

from datetime import datetime

from bot.config import GroupSettings


def in_quiet_hours(group: GroupSettings, when: datetime) -> bool:
    """True when `when` (timezone-aware) falls in one of the group's quiet-hours ranges,
    read in the group's own timezone. Ranges may wrap midnight (23:00-07:00)."""
    local = when.astimezone(group.tz).time()
    return any(r.contains(local) for r in group.features.quiet_hours)

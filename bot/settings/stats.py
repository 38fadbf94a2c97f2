"""Group health: /统计, /潜水, the message-log retention and the weekly picture."""

from __future__ import annotations

from pydantic import Field

from bot.settings.base import ScheduleExpr, Strict

MAX_REPORT_SETS = 20


class WeeklyReportSettings(Strict):
    """A PNG chart of the week (messages, check-ins, top members) posted to the group.

    Off unless turned on (the bundled config.yaml turns it on): a chart posted into every
    group the bot sits in is something an operator should choose."""

    enabled: bool = False
    # When to post; the chart covers the week that contains the day before the post.
    schedule: ScheduleExpr = "每周一 09:00"
    top_members: int = Field(default=5, ge=1, le=15)
    # Group sets (from `sets:`) whose picture this group also gets, after its own: every
    # group of the set on one picture. A set listed here that the group is not in is
    # skipped (so `defaults` may list it for all of its groups).
    sets: list[str] = Field(default=[], max_length=MAX_REPORT_SETS)


class StatsSettings(Strict):
    enabled: bool = True
    # The message log (who spoke when, no content) is kept this long, pruned daily at 04:00.
    retention_days: int = Field(default=90, ge=7, le=3650)
    # /潜水 lists members silent for at least this many days (admins only).
    lurker_days: int = Field(default=14, ge=1, le=365)
    lurker_limit: int = Field(default=30, ge=1, le=200)
    # Where chart PNGs are written; a relative path is relative to config.yaml.
    report_dir: str = "reports"
    weekly_report: WeeklyReportSettings = WeeklyReportSettings()

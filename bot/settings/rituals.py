from __future__ import annotations

from bot.settings.base import ScheduleExpr, Strict


class Ritual(Strict):
    id: str
    schedule: ScheduleExpr
    text: str
    enabled: bool = True

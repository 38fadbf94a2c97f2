from __future__ import annotations

from bot.settings.base import Strict


class StatsSettings(Strict):
    enabled: bool = True

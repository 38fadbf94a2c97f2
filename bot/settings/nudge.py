from __future__ import annotations

from bot.settings.base import Strict


class NudgeSettings(Strict):
    enabled: bool = True

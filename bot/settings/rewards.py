from __future__ import annotations

from bot.settings.base import Strict


class RewardsSettings(Strict):
    enabled: bool = True

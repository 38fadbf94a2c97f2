from __future__ import annotations

from bot.settings.base import Strict


class WelcomeSettings(Strict):
    enabled: bool = True

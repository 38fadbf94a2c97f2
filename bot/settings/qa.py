from __future__ import annotations

from bot.settings.base import Strict


class QASettings(Strict):
    enabled: bool = True

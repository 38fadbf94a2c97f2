from __future__ import annotations

from typing import Literal

from bot.settings.base import Strict


class ConsoleTransportSettings(Strict):
    group: str = "demo"
    user: str = "alice"


class TransportSettings(Strict):
    type: Literal["console"] = "console"
    console: ConsoleTransportSettings = ConsoleTransportSettings()

"""broadcast: how copies of a broadcast (群发) to a group set are paced.

    broadcast:
      interval: 3s          # at least this long between two groups' copies
      max_chars: 2000       # the longest broadcast text an admin may send

Copies also obey the transport's outbox limits (per group, and over all groups); the pump
never takes more than half of the transport's overall rate, so replies keep flowing while
a broadcast goes out (handlers/broadcast.py).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from pydantic import Field

from bot.settings.base import Duration, DurationRange, Strict


class BroadcastSettings(Strict):
    interval: Annotated[Duration, DurationRange("1s", "1h")] = timedelta(seconds=3)
    max_chars: int = Field(default=2000, ge=1, le=20_000)

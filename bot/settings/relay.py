"""relay: live text relay (转播) from one group to the other groups of a set.

    relay:
      merge_window: 5s      # a speaker's lines within one window go out as one post
      idle_timeout: 30m     # a relay with no speaker line for this long ends by itself
      max_duration: 6h      # and every relay ends after this long
      max_speakers: 5       # speakers one /转播 开始 may name
      question_max_chars: 300

The merge window is what keeps a fast speaker under the platforms' per-group limits
(WeChat and WeCom: about 20 messages a minute per group): one post per window per group,
so 5s means at most 12 relay posts a minute in each group whatever the speaker's pace.
When the transport's outbox limits (`transport.<type>.outbox`: per_minute, per_hour,
overall_per_minute) leave less than `rate_share` of them for that pace, the relay widens its
window at the start (wechaty's 60 a minute over all groups, relayed to 50 groups, needs
windows of about 84 s), so the backlog never grows without bound.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from pydantic import Field

from bot.settings.base import Duration, DurationRange, Strict

MAX_SPEAKERS = 50


class RelaySettings(Strict):
    enabled: bool = True
    merge_window: Annotated[Duration, DurationRange("1s", "60s")] = timedelta(seconds=5)
    idle_timeout: Annotated[Duration, DurationRange("1m", "1d")] = timedelta(minutes=30)
    max_duration: Annotated[Duration, DurationRange("10m", "7d")] = timedelta(hours=6)
    max_speakers: int = Field(default=5, ge=1, le=MAX_SPEAKERS)
    question_max_chars: int = Field(default=300, ge=10, le=2000)
    # The part of the transport's send limits (per group, and over all groups) a relay may
    # use; the rest stays for replies, rituals and other features. A relay's window is
    # widened at its start when merge_window would post faster than this share allows.
    rate_share: float = Field(default=0.6, ge=0.1, le=1.0)

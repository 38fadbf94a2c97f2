"""What every transport declares, and the report of features it cannot serve."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from bot.config import AppConfig


class Visibility(Enum):
    ALL = "all"  # every group message
    MENTIONS = "mentions"  # only messages that @-mention the bot
    NONE = "none"  # output only


@dataclass(frozen=True)
class Capabilities:
    sees: Visibility
    sees_joins: bool
    can_send_images: bool
    can_mention: bool = True


def unsupported_features(config: AppConfig, caps: Capabilities, transport: str) -> list[str]:
    """One line per enabled feature that cannot work on this transport, with how to fix it."""
    problems: list[str] = []
    groups = list(config.groups.values()) or [config.group("(defaults)")]
    fix = "use the wechaty transport, or disable it in config.yaml"
    for g in groups:
        f = g.features
        if caps.sees is not Visibility.ALL:
            seen = "nothing" if caps.sees is Visibility.NONE else "only @-mentions"
            if f.nudge.enabled:
                problems.append(
                    f"group {g.group_id}: off-topic nudges need every message but {transport} "
                    f"sees {seen}; {fix} (nudge.enabled: false)"
                )
            if f.checkin.enabled:
                problems.append(
                    f"group {g.group_id}: check-ins by keyword need every message but "
                    f"{transport} sees {seen}; members must @-mention the bot, or {fix}"
                )
        if not caps.sees_joins and f.welcome.enabled:
            problems.append(
                f"group {g.group_id}: welcomes need join events, which {transport} does not "
                f"report; disable welcome or use the wechaty transport"
            )
    return problems

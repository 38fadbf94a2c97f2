"""What every transport is and declares, and the report of features it cannot serve.

A transport (bot/transports/<name>.py) exposes a `build(config) -> Transport` function,
listed in bot/transports/registry.py TRANSPORTS. `groupops run` then:

    transport = build(config)                       # reads config, resolves secrets
    app = App(config, sender=transport.sender, ...) # an Outbox (bot/transports/outbox.py)
    await app.start()                               # migrations; the outbox gets the database
    report unsupported_features(config, transport.capabilities, transport.name)
    await transport.run(app)                        # until closed; feeds app.handle(event)
    # a graceful stop (SIGTERM/SIGINT, bot/transports/registry.py run_app):
    await app.stop_intake(); await outbox.flush(...)
    await transport.close(); await app.close()      # close: disconnect, outbox.close()

`run` raises TransportError for a clear, final start-up failure (unreachable endpoint,
refused credentials); the message is shown to the operator without a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Protocol

from bot.config import AppConfig, GroupSettings
from bot.sender import Sender
from bot.settings.transport import OutboxSettings
from bot.transports.outbox import OutboxPolicy, RateLimit

if TYPE_CHECKING:
    from bot.app import App


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


class TransportError(Exception):
    """A transport cannot start or cannot go on; the message says why and what to do."""


class Transport(Protocol):
    name: str
    capabilities: Capabilities

    @property
    def sender(self) -> Sender:
        """What the App sends through (an Outbox for network transports)."""
        ...

    async def run(self, app: App) -> None:
        """Connect, feed events into app.handle, and return when the transport ends."""
        ...

    async def close(self) -> None:
        """Disconnect and stop the outbox (pending messages stay stored)."""
        ...


def outbox_policy(settings: OutboxSettings, mention_reserve_bytes: int = 0) -> OutboxPolicy:
    """The outbox policy a transport's `outbox:` config section describes."""
    per_conv: list[RateLimit] = []
    if settings.per_minute:
        per_conv.append(RateLimit(settings.per_minute, 60))
    if settings.per_hour:
        per_conv.append(RateLimit(settings.per_hour, 3600))
    overall = (RateLimit(settings.overall_per_minute, 60),) if settings.overall_per_minute else ()
    return OutboxPolicy(
        max_text_bytes=settings.max_text_bytes,
        mention_reserve_bytes=mention_reserve_bytes,
        per_conversation=tuple(per_conv),
        overall=overall,
        retry_base_s=settings.retry_base_s,
        retry_max_s=settings.retry_max_s,
        max_attempts=settings.max_attempts,
    )


# --- the start-up report ---------------------------------------------------------------------

_WECHATY = "use the wechaty transport (it sees every message)"


@dataclass(frozen=True)
class _Need:
    feature: str  # config key under defaults / groups.<id>
    title: str
    need: str  # "all", "mentions", "joins"
    fix: str


_NEEDS: tuple[_Need, ...] = (
    _Need(
        "nudge",
        "off-topic nudges and ad control",
        "all",
        f"{_WECHATY}, or set nudge.enabled: false",
    ),
    _Need(
        "checkin",
        "check-ins by keyword",
        "all",
        f"members must @-mention the bot to check in; {_WECHATY}, or set checkin.enabled: false",
    ),
    _Need(
        "rewards",
        "quiz answers and red-packet grabs",
        "all",
        f"members must @-mention the bot to answer; {_WECHATY}, or set rewards.enabled: false",
    ),
    _Need(
        "stats",
        "activity statistics",
        "all",
        f"only messages that mention the bot are counted; {_WECHATY}, or set stats.enabled: false",
    ),
    _Need(
        "qa",
        "answers to questions",
        "mentions",
        "questions must @-mention the bot; use the wechaty or wecom_aibot transport, "
        "or set qa.enabled: false",
    ),
    _Need(
        "welcome",
        "welcome messages",
        "joins",
        "use the wechaty transport (it reports joins), or set welcome.enabled: false",
    ),
)


def _enabled(group: GroupSettings, feature: str) -> bool:
    settings = getattr(group.features, feature, None)
    return bool(getattr(settings, "enabled", False))


def _cannot(caps: Capabilities, need: str) -> str | None:
    """What the transport lacks for a need, or None when it can serve it."""
    if need == "joins":
        return None if caps.sees_joins else "does not report members joining"
    if need == "mentions" and caps.sees is not Visibility.NONE:
        return None
    if need == "all" and caps.sees is Visibility.ALL:
        return None
    return "sees nothing (output only)" if caps.sees is Visibility.NONE else "sees only @-mentions"


def unsupported_features(config: AppConfig, caps: Capabilities, transport: str) -> list[str]:
    """One line per enabled feature that cannot work on this transport, with how to fix it."""
    groups: list[tuple[str, GroupSettings]] = [(gid, g) for gid, g in sorted(config.groups.items())]
    groups.append(("(unlisted groups: defaults)", config.group("\x00defaults")))
    problems: list[str] = []
    if caps.sees is Visibility.NONE:
        problems.append(
            f"{transport} receives no messages: admin commands (/pause, /reload, ...) and "
            f"every reply to members cannot work; only scheduled posts go out. Run a "
            f"receiving transport (wechaty, wecom_aibot) for the interactive features"
        )
    for need in _NEEDS:
        lacking = _cannot(caps, need.need)
        if lacking is None:
            continue
        where = [gid for gid, g in groups if _enabled(g, need.feature)]
        if not where:
            continue
        problems.append(
            f"{need.title} ({need.feature}) enabled in {', '.join(where)}: "
            f"{transport} {lacking}; fix: {need.fix}"
        )
    return problems

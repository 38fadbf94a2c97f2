"""What each transport can do for the features that span groups (relay, broadcast), without
importing any platform library: handlers ask it before starting something that cannot work,
and `groupops run` logs the report at start-up.

The table repeats each transport module's CAPABILITIES (tests/test_relay_capabilities.py
checks that they agree), so a handler never has to import a transport module.
"""

from __future__ import annotations

import math
from datetime import timedelta

from bot.config import AppConfig
from bot.transports.base import Capabilities, Visibility

CAPABILITIES_BY_TRANSPORT: dict[str, Capabilities] = {
    "console": Capabilities(sees=Visibility.ALL, sees_joins=True, can_send_images=True),
    "wechaty": Capabilities(sees=Visibility.ALL, sees_joins=True, can_send_images=True),
    "wecom_aibot": Capabilities(sees=Visibility.MENTIONS, sees_joins=False, can_send_images=False),
    "wecom_callback": Capabilities(
        sees=Visibility.MENTIONS, sees_joins=False, can_send_images=False
    ),
    "wecom_webhook": Capabilities(sees=Visibility.NONE, sees_joins=False, can_send_images=False),
}
_UNKNOWN = Capabilities(sees=Visibility.NONE, sees_joins=False, can_send_images=False)


def capabilities_of(transport_type: str) -> Capabilities:
    return CAPABILITIES_BY_TRANSPORT.get(transport_type, _UNKNOWN)


def relay_window(config: AppConfig, targets: int) -> timedelta:
    """The merge window a relay to `targets` groups uses on the configured transport: the
    configured one, widened (to whole seconds) so that one post per window per group stays
    within `relay.rate_share` of the outbox's per-group and overall limits."""
    settings = config.root.relay
    window_s = settings.merge_window.total_seconds()
    transport = config.root.transport
    outbox = getattr(getattr(transport, transport.type, None), "outbox", None)
    if outbox is not None:
        share = settings.rate_share
        per_group = [
            float(rate)
            for rate in (outbox.per_minute, outbox.per_hour / 60 if outbox.per_hour else None)
            if rate
        ]
        if per_group:
            window_s = max(window_s, 60 / (min(per_group) * share))
        if outbox.overall_per_minute:
            window_s = max(window_s, 60 * targets / (outbox.overall_per_minute * share))
    return timedelta(seconds=math.ceil(window_s - 1e-9))


def relay_source_refusal(caps: Capabilities) -> str | None:
    """Why a group on this transport cannot be a relay's source (Chinese, for the admin who
    asked), or None when it can: the bot must see every line the speaker posts."""
    if caps.sees is Visibility.ALL:
        return None
    if caps.sees is Visibility.MENTIONS:
        return (
            "当前接入方式（企业微信智能机器人）只能收到 @机器人 的消息，看不到主讲人的每一句话，"
            "无法在本群开始转播。请改用能看到全部消息的接入方式（如个人微信号接入）。"
        )
    return "当前接入方式只能发消息、收不到群里的消息，无法在本群开始转播。"


def many_groups_report(name: str, caps: Capabilities) -> list[str]:
    """One line per feature across groups: what works on this transport and what does not."""
    sees_all = caps.sees is Visibility.ALL
    receives = caps.sees is not Visibility.NONE
    if sees_all:
        source = "yes (the bot sees every message, so every speaker line is relayed)"
    elif receives:
        source = (
            f"no ({name} sees only messages that @-mention the bot; /转播 开始 is refused "
            "with an explanation)"
        )
    else:
        source = f"no ({name} receives nothing, so no command can start a relay)"
    target = (
        "yes (posts through the outbox, paced per group)"
        if receives
        else "only as a destination of a relay run by a receiving transport"
    )
    questions = (
        "yes (#提问 in a target group reaches the source group)"
        if sees_all
        else (
            "only when members @-mention the bot with #提问"
            if receives
            else "no (nothing is received)"
        )
    )
    if caps.can_send_images:
        images = (
            "relayed as pictures when the event carries a local copy (Message.image_path; "
            "no transport fetches one yet), otherwise as a note 「[图片，请到主群查看]」"
        )
    else:
        images = f"relayed as a note 「[图片，请到主群查看]」 ({name} cannot post pictures)"
    broadcast = (
        "yes (/群发 from any group, or `groupops broadcast`)"
        if receives
        else "from the console only (`groupops broadcast`; no admin command reaches the bot)"
    )
    return [
        f"relay source (/转播 开始): {source}",
        f"relay target: {target}",
        f"relay questions: {questions}",
        f"relay images: {images}",
        "relay files: not relayed (file messages are not handed to the bot by any transport)",
        f"broadcast to a set: {broadcast}",
    ]

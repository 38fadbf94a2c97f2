"""Shared by the relay tests: a config with a set of three groups, and helpers."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.config import AppConfig
from bot.events import Message
from tests.support import Bot, at, config_from

RELAY_CONFIG = """
timezone: Asia/Shanghai
admins: [root]
groups:
  g1: {name: 主群, admins: [teacher]}
  g2: {name: 二群}
  g3: {name: 三群}
  solo: {name: 独立群}
sets:
  camp: [g1, g2, g3]
relay:
  merge_window: 5s
  idle_timeout: 10m
"""

START = at("2026-11-21 20:00")


def relay_config(extra: str = "", transport: str | None = None) -> AppConfig:
    text = RELAY_CONFIG + extra
    if transport is not None:
        text += f"transport:\n  type: {transport}\n"
    return config_from(text)


def line(
    text: str,
    seconds: float,
    *,
    user: str = "teacher",
    group: str = "g1",
    mid: str | None = None,
    quote: str | None = None,
    image: bool = False,
    mentions: tuple[str, ...] = (),
) -> Message:
    when = START + timedelta(seconds=seconds)
    return Message(
        group_id=group,
        sender_id=user,
        message_id=mid or f"{group}-{user}-{seconds}",
        text=text,
        time=when,
        sender_name={"teacher": "张老师", "root": "运营"}.get(user, user),
        quote_text=quote,
        mentions=mentions,
        is_image=image,
    )


async def run_until(bot: Bot, when: datetime) -> None:
    """Fire every job due up to `when` (merge windows closing) and move the clock there."""
    await bot.app.scheduler.run_due(when, on_fire=bot.clock.set)
    bot.clock.set(when)

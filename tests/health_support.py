"""Helpers for the welcome / stats / retention / weekly-picture tests."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from bot.config import AppConfig
from bot.events import OutgoingMessage
from storage.models import Newcomer
from tests.support import Bot, config_from

HEALTH_CONFIG = """
timezone: Asia/Shanghai
admins: [admin]
defaults:
  welcome:
    text: "欢迎加入「{group}」！"
    rules: [友善交流, 不发广告]
groups:
  g1:
    name: 测试群
    admins: [coach]
"""


def health_config(extra: str = "") -> AppConfig:
    """HEALTH_CONFIG plus lines appended at the end (e.g. more keys under groups.g1)."""
    return config_from(HEALTH_CONFIG + extra)


async def run_until(bot: Bot, when: datetime) -> list[OutgoingMessage]:
    """Let virtual time pass: run the jobs due up to `when`; returns what the bot sent."""
    before = len(bot.sender.sent)
    await bot.app.scheduler.run_due(when, on_fire=bot.clock.set)
    if when > bot.clock.now():
        bot.clock.set(when)
    return bot.sender.sent[before:]


async def newcomer_states(bot: Bot, group: str = "g1") -> dict[str, tuple[str, Any]]:
    async with bot.app.uow() as uow:
        rows = (
            await uow.session.execute(select(Newcomer).where(Newcomer.group_id == group))
        ).scalars()
        return {r.member_id: (r.guide_state, r.guided_at) for r in rows}

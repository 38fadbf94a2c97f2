"""Helpers for the ritual and highlight tests."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from bot.config import AppConfig
from bot.events import OutgoingMessage
from storage.models import RitualRun
from tests.support import Bot, at, config_from

# A virtual week: Monday 2026-11-16 .. Sunday 2026-11-22 (Asia/Shanghai).
WEEK_START = at("2026-11-16 00:00")
WEEK_END = at("2026-11-23 00:00")

RITUALS_CONFIG = """
timezone: Asia/Shanghai
admins: [admin]
defaults:
  calendar:
    topics: [散文, 小说, 诗歌]
    hosts: [小王, 小李]
    start: 2026-11-16
groups:
  g1:
    name: 测试群
    admins: [coach]
    rituals:
      - id: morning
        schedule: 每天 07:30
        text: "☀️ {date} {weekday} 早安！今日话题：{topic}"
      - id: share
        title: 周三分享会
        schedule: 每周三 20:00
        text: "🎤 {title}开始啦！本周主持：{host}"
        reminders: [{before: 1d}, {before: 1h}]
        follow_up: {after: 2h, text: "「{title}」结束啦，说说你的收获吧～"}
      - id: weekly
        schedule: 每周日 21:00
        action: digest
  ny:
    name: 纽约群
    timezone: America/New_York
    rituals:
      - id: morning
        schedule: 每天 07:30
        text: "Good morning, {date}"
"""


def rituals_config(text: str = RITUALS_CONFIG) -> AppConfig:
    return config_from(text)


def stamp(out: OutgoingMessage, config: AppConfig) -> str:
    """The local time a message was sent at, in its group's timezone: "11-18 20:00"."""
    assert out.at is not None
    return out.at.astimezone(config.group(out.group_id).tz).strftime("%m-%d %H:%M")


def posts(sent: list[OutgoingMessage], config: AppConfig, group: str = "g1") -> list[str]:
    """ "MM-DD HH:MM text" for every message sent to a group, in order."""
    return [f"{stamp(m, config)} {m.text}" for m in sent if m.group_id == group]


def starting(lines: list[str], prefix: str) -> list[str]:
    """The time stamps of the lines whose text starts with `prefix`."""
    return [line[:11] for line in lines if line[12:].startswith(prefix)]


async def run_until(bot: Bot, until: datetime) -> None:
    await bot.app.scheduler.run_due(until, on_fire=bot.clock.set)
    if until > bot.clock.now():
        bot.clock.set(until)


async def runs(bot: Bot, group: str = "g1") -> list[tuple[str, str, str, str]]:
    """(ritual, part, local scheduled time, status) of every recorded run."""
    tz = bot.app.config.group(group).tz
    async with bot.app.uow() as uow:
        rows = (
            await uow.session.execute(
                select(RitualRun)
                .where(RitualRun.group_id == group)
                .order_by(RitualRun.scheduled_at, RitualRun.id)
            )
        ).scalars()
        return [
            (r.ritual_id, r.part, r.scheduled_at.astimezone(tz).strftime("%m-%d %H:%M"), r.status)
            for r in rows
        ]

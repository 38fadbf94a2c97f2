"""Helpers for the rewards tests."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import select

from bot.config import AppConfig
from storage.models import LedgerEntry
from tests.support import Bot, at, config_from, msg

REWARDS_CONFIG = """
timezone: Asia/Shanghai
admins: [admin]
defaults:
  rewards:
    reward: {max_points: 50, admin_daily_cap: 60, member_daily_cap: 40}
    quiz:
      points: 20
      minutes: 5
      bank:
        - {question: 中国的首都是哪座城市？, answers: [北京, 北京市]}
        - {question: 一年有几个季节？, answers: ["4", 四], points: 30}
    notice: {places: 3, points: 5, minutes: 30}
    draw: {max_winners: 5, max_points: 50}
groups:
  g1:
    name: 测试群
    admins: [coach]
  ny:
    name: 纽约群
    timezone: America/New_York
"""


async def seen(bot: Bot, *members: str, group: str = "g1", when: datetime | None = None) -> None:
    """The members say hello: grants go only to members the bot has seen in the group."""
    for member in members:
        await bot.push(msg("大家好", user=member, group=group, when=when or at("2026-11-21 07:00")))


def rewards_config(text: str = REWARDS_CONFIG) -> AppConfig:
    return config_from(text)


async def ledger_lines(bot: Bot) -> list[LedgerEntry]:
    async with bot.app.uow() as uow:
        stmt = select(LedgerEntry).order_by(LedgerEntry.id)
        return list((await uow.session.execute(stmt)).scalars())


async def lines_of(bot: Bot, kind: str) -> list[tuple[str, int]]:
    return [(ln.member_id, ln.delta) for ln in await ledger_lines(bot) if ln.kind == kind]


async def assert_ledger_consistent(bot: Bot) -> dict[tuple[str, str], int]:
    """Every member's balance and lifetime total equal the sum of their ledger lines."""
    lines = await ledger_lines(bot)
    sums: dict[tuple[str, str], int] = defaultdict(int)
    earned: dict[tuple[str, str], int] = defaultdict(int)
    keys = [ln.idem_key for ln in lines if ln.idem_key is not None]
    assert len(keys) == len(set(keys)), "an idem_key was used twice"
    for ln in lines:
        sums[(ln.group_id, ln.member_id)] += ln.delta
        earned[(ln.group_id, ln.member_id)] += max(ln.delta, 0)
    async with bot.app.uow() as uow:
        for (group_id, member_id), total in sums.items():
            assert await uow.ledger.balance(group_id, member_id) == total
            assert await uow.ledger.totals(group_id, member_id) == (
                total,
                earned[(group_id, member_id)],
            )
    return dict(sums)

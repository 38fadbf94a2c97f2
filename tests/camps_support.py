"""Helpers for the check-in camp tests."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select

from bot.config import AppConfig
from bot.events import OutgoingMessage
from storage.models import CampDay, CampReview, LedgerEntry, RitualRun
from tests.support import Bot, at, config_from, msg

# A 7-day early-rising camp, Monday 2026-11-16 .. Sunday 2026-11-22 (Asia/Shanghai).
CAMP_CONFIG = """
timezone: Asia/Shanghai
admins: [admin]
groups:
  g1:
    name: 测试群
    admins: [coach]
    quiet_hours: ["23:00-07:00"]
    camps:
      - id: early
        title: 早起营
        start: 2026-11-16
        days: 7
        window: "05:00-08:00"
        remind_at: "07:30"
        finish_days: 5
        makeup_limit: 1
        tasks: [早起读书 20 分钟, 写三行晨间日记]
        reviewers: [teacher]
        review_points: 5
        review_max_points: 10
        excellent_points: 3
        peer_points: 2
"""


def camp_config(text: str = CAMP_CONFIG) -> AppConfig:
    return config_from(text)


async def say(
    bot: Bot, text: str, user: str, when: str, *, mid: str | None = None, to: str = ""
) -> list[str]:
    """A message at a local time ("2026-11-16 06:00"); `to` is a member it mentions. Returns
    the replies to it (scheduled posts due before it are sent first, not returned)."""
    mentions = (to,) if to else ()
    await run_until(bot, at(when))
    return await bot.push(msg(text, user=user, when=at(when), mid=mid, mentions=mentions))


async def run_until(bot: Bot, until: datetime) -> list[OutgoingMessage]:
    before = len(bot.sender.sent)
    await bot.app.scheduler.run_due(until, on_fire=bot.clock.set)
    if until > bot.clock.now():
        bot.clock.set(until)
    return bot.sender.sent[before:]


def local(out: OutgoingMessage, config: AppConfig) -> str:
    assert out.at is not None
    return out.at.astimezone(config.group(out.group_id).tz).strftime("%m-%d %H:%M")


async def camp_days(bot: Bot, camp: str = "early", group: str = "g1") -> dict[str, list[int]]:
    """member -> the camp day indexes done (make-ups as negative numbers)."""
    async with bot.app.uow() as uow:
        rows = (
            await uow.session.execute(
                select(CampDay)
                .where(CampDay.group_id == group, CampDay.camp_id == camp)
                .order_by(CampDay.member_id, CampDay.day)
            )
        ).scalars()
        out: dict[str, list[int]] = {}
        for r in rows:
            out.setdefault(r.member_id, []).append(-r.day_index if r.makeup else r.day_index)
        return out


async def ledger_lines(bot: Bot, kind_prefix: str = "camp_") -> list[tuple[str, int, str, str]]:
    """(member, points, kind, key) of the ledger lines of camp kinds, in order."""
    async with bot.app.uow() as uow:
        rows = (
            await uow.session.execute(
                select(LedgerEntry)
                .where(LedgerEntry.kind.startswith(kind_prefix))
                .order_by(LedgerEntry.id)
            )
        ).scalars()
        return [(r.member_id, r.delta, r.kind, r.idem_key or "") for r in rows]


async def reviews(bot: Bot) -> list[tuple[str, str, str, int, int]]:
    """(reviewer, member, kind, day index, points) of every review, in order."""
    async with bot.app.uow() as uow:
        rows = (
            await uow.session.execute(
                select(CampReview, CampDay.day_index)
                .join(CampDay, CampDay.id == CampReview.submission_id)
                .order_by(CampReview.id)
            )
        ).all()
        return [(r[0].reviewer_id, r[0].member_id, r[0].kind, r[1], r[0].points) for r in rows]


async def camp_runs(bot: Bot, group: str = "g1") -> list[tuple[str, str, date, str]]:
    """(ritual id, part, local day, status) of every recorded camp run."""
    tz = bot.app.config.group(group).tz
    async with bot.app.uow() as uow:
        rows = (
            await uow.session.execute(
                select(RitualRun)
                .where(RitualRun.group_id == group, RitualRun.ritual_id.startswith("camp:"))
                .order_by(RitualRun.scheduled_at, RitualRun.id)
            )
        ).scalars()
        return [(r.ritual_id, r.part, r.scheduled_at.astimezone(tz).date(), r.status) for r in rows]

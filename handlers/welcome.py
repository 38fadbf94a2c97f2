"""Member journey: batched welcomes with the rules (群规), `/群规`, and one first-week guide.

- A join is stored (table `newcomers`) and the first join of a quiet minute schedules a
  flush `batch_seconds` later; the flush welcomes every join not yet welcomed, in one
  message that mentions them all. Claims in the database make it once-only across
  processes, and a restart within the minute still welcomes (start_service re-arms).
- `after_days` after joining, a newcomer who has not posted (activity log) or checked in
  (check-ins) since joining gets one mention with the newcomer guide, never during quiet
  hours (postponed to their end) and never after the first week. The outcome is stored, so
  it happens at most once per member and group, across restarts.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from apscheduler.triggers.date import DateTrigger

from bot.commands import CommandCall, command
from bot.config import GroupSettings
from bot.context import Context
from bot.events import MemberJoined
from bot.quiet import in_quiet_hours
from bot.router import CONTINUE, Flow, Route
from bot.settings.welcome import WelcomeSettings
from bot.template import render_template
from handlers.activity import flushed
from scheduler.service import SchedulerService
from storage.models import Newcomer
from storage.repos.stats import StatsRepo
from storage.repos.welcome import NewcomerRepo
from storage.uow import UnitOfWorkFactory

log = logging.getLogger("groupops.welcome")

FIRST_WEEK = timedelta(days=7)
# A welcome is still sent after a restart if the join is at most this old.
LATE_WELCOME = timedelta(minutes=10)
GUIDE_JOB = "welcome.guide"
# Guides due within this much of each other go out together (members who joined together).
GUIDE_BATCH = timedelta(minutes=10)


def flush_job_id(group_id: str) -> str:
    return f"welcome.flush:{group_id}"


# --- texts ------------------------------------------------------------------------------


def rules_block(settings: WelcomeSettings) -> str:
    lines = ["📜 群规："]
    lines += [f"{i}. {rule}" for i, rule in enumerate(settings.rules, start=1)]
    return "\n".join(lines)


def welcome_text(group: GroupSettings) -> str:
    settings = group.welcome
    text = render_template(settings.text, {"group": group.name})
    if settings.show_rules and settings.rules:
        text += "\n" + rules_block(settings)
    return text


def guide_text(group: GroupSettings) -> str:
    guide = group.welcome.newcomer
    return render_template(guide.text, {"group": group.name, "days": str(guide.after_days)})


# --- quiet hours ------------------------------------------------------------------------


def quiet_end(group: GroupSettings, when: datetime) -> datetime | None:
    """`when` when it is outside quiet hours; else the first minute after they end; None
    when the whole next day is quiet."""
    if not in_quiet_hours(group, when):
        return when
    start = when.astimezone(UTC).replace(second=0, microsecond=0)
    for minutes in range(1, 24 * 60 + 1):
        candidate = start + timedelta(minutes=minutes)
        if not in_quiet_hours(group, candidate):
            return candidate
    return None


# --- the service ------------------------------------------------------------------------


class WelcomeService:
    """Schedules welcome flushes and the newcomer-guide job (virtual time in tests/replay)."""

    def __init__(
        self,
        scheduler: SchedulerService,
        uow: UnitOfWorkFactory,
        context_for: Callable[[str], Context],
    ) -> None:
        self.scheduler = scheduler
        self.uow = uow
        self.context_for = context_for

    def _pending(self, job_id: str) -> bool:
        return any(j.id == job_id and j.next_at is not None for j in self.scheduler.jobs())

    async def start_service(self) -> None:
        """After a restart: welcome recent joins not yet welcomed, and re-arm the guide."""
        now = self.scheduler.clock.now()
        async with self.uow() as uow:
            waiting = await NewcomerRepo(uow.session).unwelcomed(now - LATE_WELCOME)
        for group_id, first in waiting.items():
            group = self.context_for(group_id).group
            if group.welcome.enabled:
                self._schedule_flush(group, first)
        await self.arm_guide()

    # --- welcome ------------------------------------------------------------------------

    async def joined(self, event: MemberJoined, ctx: Context) -> None:
        group = ctx.group
        guide = group.welcome.newcomer
        due = event.time + timedelta(days=guide.after_days) if guide.enabled else None
        async with ctx.uow() as uow:
            fresh = await NewcomerRepo(uow.session).joined(
                group.group_id, event.member_id, event.member_name, event.time, due
            )
        if not fresh:
            return
        if group.welcome.enabled:
            if group.welcome.batch_seconds == 0:
                await self.flush(group.group_id, event.time)
            else:
                self._schedule_flush(group, event.time)
        if due is not None:
            current = next((j for j in self.scheduler.jobs() if j.id == GUIDE_JOB), None)
            if current is None or current.next_at is None or due < current.next_at:
                self._set_guide_job(due)

    def _schedule_flush(self, group: GroupSettings, first_join: datetime) -> None:
        job_id = flush_job_id(group.group_id)
        if self._pending(job_id):
            return  # this join joins the batch already waiting
        when = first_join + timedelta(seconds=group.welcome.batch_seconds)
        self.scheduler.set_job(
            job_id, DateTrigger(run_date=when), partial(self.flush, group.group_id)
        )

    async def flush(self, group_id: str, at: datetime) -> None:
        """Welcome every join of the group not yet welcomed, in one message."""
        if not self._pending(flush_job_id(group_id)):
            self.scheduler.remove_job(flush_job_id(group_id))
        ctx = self.context_for(group_id)
        settings = ctx.group.welcome
        if not settings.enabled:
            return
        since = at - timedelta(seconds=settings.batch_seconds) - LATE_WELCOME
        async with ctx.uow() as uow:
            rows = await NewcomerRepo(uow.session).claim_welcome(group_id, since, at, at)
        if rows:
            await ctx.say(welcome_text(ctx.group), [r.member_id for r in rows])

    # --- the first-week guide -----------------------------------------------------------

    def _set_guide_job(self, when: datetime) -> None:
        self.scheduler.set_job(GUIDE_JOB, DateTrigger(run_date=when), self.run_guides)

    async def arm_guide(self, not_before: datetime | None = None) -> None:
        async with self.uow() as uow:
            due = await NewcomerRepo(uow.session).next_guide_due()
        if due is None:
            self.scheduler.remove_job(GUIDE_JOB)
            return
        if not_before is not None and due < not_before:
            due = not_before
        self._set_guide_job(due)

    async def run_guides(self, fire_at: datetime) -> None:
        # a fire time missed while the bot was down is judged at the real time
        at = max(fire_at, self.scheduler.clock.now())
        try:
            async with self.uow() as uow:
                due = await NewcomerRepo(uow.session).guides_due(at + GUIDE_BATCH)
            groups: dict[str, list[Newcomer]] = {}
            for row in due:
                groups.setdefault(row.group_id, []).append(row)
            for group_id, rows in groups.items():
                try:
                    await self._guide_group(group_id, rows, at)
                except Exception:
                    log.exception("newcomer guide failed in group %s", group_id)
        finally:
            # never re-fire at the same instant (a failing row must not spin the loop)
            await self.arm_guide(not_before=at + timedelta(minutes=1))

    async def _guide_group(self, group_id: str, rows: list[Newcomer], at: datetime) -> None:
        ctx = self.context_for(group_id)
        await flushed(ctx)
        settings = ctx.group.welcome.newcomer
        ids = [r.member_id for r in rows]
        sent: list[str] = []
        async with ctx.uow() as uow:
            repo, stats = NewcomerRepo(uow.session), StatsRepo(uow.session)
            trails = await stats.trails(group_id, ids)
            checkins = await stats.last_checkins(group_id, ids)
            waiting: list[Newcomer] = []
            for row in rows:
                trail = trails.get(row.member_id)
                checked = checkins.get(row.member_id)
                if not settings.enabled:
                    await repo.settle_guide(group_id, row.member_id, "off")
                elif at - row.joined_at >= FIRST_WEEK:
                    await repo.settle_guide(group_id, row.member_id, "expired")
                elif trail and trail.last_leave and trail.last_leave >= row.joined_at:
                    await repo.settle_guide(group_id, row.member_id, "left")
                elif (trail and trail.last_post and trail.last_post >= row.joined_at) or (
                    checked is not None and checked >= row.joined_at
                ):
                    await repo.settle_guide(group_id, row.member_id, "spoke")
                else:
                    waiting.append(row)
            if waiting:
                end = quiet_end(ctx.group, at)
                if end is None or end > at:
                    later = end if end is not None else at + timedelta(days=1)
                    for row in waiting:
                        await repo.postpone_guide(group_id, row.member_id, later)
                else:
                    for row in waiting:
                        if await repo.settle_guide(group_id, row.member_id, "sent", at):
                            sent.append(row.member_id)
        if sent:
            await ctx.say(guide_text(ctx.group), sent)


# --- routes -----------------------------------------------------------------------------


def _always(_: Any) -> bool:
    return True


async def on_join(event: MemberJoined, ctx: Context) -> Flow:
    service = ctx.services.find(WelcomeService)
    if service is not None:
        await service.joined(event, ctx)
    return CONTINUE


async def cmd_rules(call: CommandCall, ctx: Context) -> None:
    settings = ctx.group.welcome
    if not settings.rules:
        await ctx.reply(call.message, "本群还没有设置群规。")
        return
    await ctx.reply(call.message, f"「{ctx.group.name}」{rules_block(settings)}")


ROUTES: list[Route[Any]] = [
    Route("welcome.joined", MemberJoined, _always, on_join),
    command(
        "welcome.rules",
        ("/群规", "/rules"),
        cmd_rules,
        usage="/群规",
        summary="查看本群群规",
    ),
]

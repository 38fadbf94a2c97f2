"""Group-health jobs: the daily message-log retention prune and the weekly picture.

- `stats.retention` (daily 04:00, root timezone) deletes activity-log rows older than each
  group's `stats.retention_days`. It deletes nothing else.
- `stats.weekly:<group>` (each configured group's `stats.weekly_report.schedule`, in its
  timezone) and `stats.weekly:*` (groups not listed in config, on the defaults) render the
  week that contains the day before the post and send it as an image. A week with no
  messages and no check-ins is skipped. A (job, group, week) row makes the post once-only
  across restarts and processes.
- A group whose `stats.weekly_report.sets` names a set it belongs to also gets, in the same
  job, the set's picture (every group of the set on one picture), once per (group, set,
  week).

Drawing a picture takes a while (hundreds of milliseconds), so no transaction is open
while it is drawn: the weekly jobs run without the scheduler's run scope. The week's figures
are read in one transaction (with whether the post was made already: then nothing is
drawn), the picture is drawn outside any, and the (job, group, week) row and the image's
outbox row are written together in a scope keyed by them, so a re-run or a second process
posts nothing twice and the outbox row's id is the same for the same week.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial
from pathlib import Path

from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot.config import AppConfig, GroupSettings
from bot.context import Context
from bot.schedule_expr import parse_schedule
from bot.settings.sets import GroupSet
from handlers.activity import flushed
from handlers.set_boards import collect_set_week, set_period
from handlers.stats import collect_week
from scheduler.report_chart import WeekData, render_week_chart
from scheduler.service import SchedulerService
from storage.models import HealthRun
from storage.repos.stats import StatsRepo
from storage.uow import UnitOfWork, UnitOfWorkFactory

log = logging.getLogger("groupops.health")

RETENTION_JOB = "stats.retention"
WEEKLY_PREFIX = "stats.weekly:"
WEEKLY_JOB = "weekly_report"
WEEKLY_SET_JOB = "weekly_set_report"
UNLISTED = "*"
PRUNE_HOUR = 4


def report_dir(config: AppConfig, group: GroupSettings) -> Path:
    """Where a group's charts go: stats.report_dir, relative to config.yaml's folder."""
    path = Path(group.stats.report_dir).expanduser()
    if not path.is_absolute() and config.path is not None:
        path = config.path.parent / path
    return path


def report_week(group: GroupSettings, at: datetime) -> tuple[int, int]:
    """The ISO (year, week) a post at `at` covers: the week containing the day before."""
    day = (at.astimezone(group.tz) - timedelta(days=1)).date()
    year, week, _ = day.isocalendar()
    return year, week


def caption(data: WeekData) -> str:
    first, last = data.days[0], data.days[-1]
    return (
        f"📈 「{data.group_name}」第 {data.week} 周群活跃周报（{first:%m-%d} 至 {last:%m-%d}）："
        f"消息 {sum(data.messages)} 条，打卡 {sum(data.checkins)} 人次，"
        f"活跃成员 {data.active_members} 人"
    )


@dataclass(frozen=True)
class _Spec:
    schedule: str
    timezone: str


class HealthJobs:
    def __init__(
        self,
        scheduler: SchedulerService,
        uow: UnitOfWorkFactory,
        context_for: Callable[[str], Context],
        config: AppConfig,
    ) -> None:
        self.scheduler = scheduler
        self.uow = uow
        self.context_for = context_for
        self.config = config
        self._weekly: dict[str, _Spec] = {}
        self._retention_tz: str | None = None

    async def start_service(self) -> None:
        self._plan(self.config)

    async def on_config(self, config: AppConfig) -> None:
        self.config = config
        self._plan(config)

    # --- planning -----------------------------------------------------------------------

    def _plan(self, config: AppConfig) -> None:
        if self._retention_tz != config.timezone:
            trigger = CronTrigger(hour=PRUNE_HOUR, minute=0, timezone=config.timezone)
            self.scheduler.set_job(RETENTION_JOB, trigger, self._prune_job)
            self._retention_tz = config.timezone
        desired: dict[str, _Spec] = {}
        for gid, group in config.groups.items():
            report = group.stats.weekly_report
            if group.stats.enabled and report.enabled:
                desired[gid] = _Spec(report.schedule, group.timezone)
        defaults = config.group("(defaults)")
        if defaults.stats.enabled and defaults.stats.weekly_report.enabled:
            desired[UNLISTED] = _Spec(defaults.stats.weekly_report.schedule, config.timezone)
        for key in set(self._weekly) - set(desired):
            self.scheduler.remove_job(WEEKLY_PREFIX + key)
        for key, spec in desired.items():
            if self._weekly.get(key) == spec:
                continue  # unchanged: keep the job and its next fire time
            func = self.weekly_unlisted if key == UNLISTED else partial(self._weekly_job, key)
            self.scheduler.set_job(
                WEEKLY_PREFIX + key,
                parse_schedule(spec.schedule, spec.timezone),
                func,
                scoped=False,  # each step opens its own units: no transaction while drawing
            )
        self._weekly = desired

    async def _prune_job(self, at: datetime) -> None:
        await self.prune(at)

    async def _weekly_job(self, group_id: str, at: datetime) -> None:
        await self.weekly(group_id, at)

    # --- retention ----------------------------------------------------------------------

    async def prune(self, at: datetime) -> int:
        """Delete activity-log rows older than each group's retention; nothing else."""
        config = self.config
        await flushed(self.context_for(""))  # buffered rows are written, then judged by age
        async with self.uow() as uow:
            groups = await StatsRepo(uow.session).logged_groups()
        by_days: dict[int, list[str]] = {}
        for gid in groups:
            by_days.setdefault(config.group(gid).stats.retention_days, []).append(gid)
        gone = 0
        for days, gids in sorted(by_days.items()):
            async with self.uow() as uow:
                gone += await StatsRepo(uow.session).prune_activity(gids, at - timedelta(days=days))
        if gone:
            log.info("message log retention: %d rows older than retention deleted", gone)
        return gone

    # --- the weekly picture -------------------------------------------------------------

    async def weekly(self, group_id: str, at: datetime) -> Path | None:
        ctx = self.context_for(group_id)
        year, week = report_week(ctx.group, at)
        own = await self.post_week(ctx, year, week, at)
        for name in ctx.group.stats.weekly_report.sets:
            group_set = ctx.config.group_set(name)
            if group_set is None or group_id not in group_set:
                continue  # a set the group is not in (listed in `defaults`, say)
            try:
                await self.post_set_week(ctx, group_set, year, week, at)
            except Exception:
                log.exception("weekly set report %s failed for group %s", name, group_id)
        return own

    async def weekly_unlisted(self, at: datetime) -> None:
        config = self.config
        defaults = config.group("(defaults)")
        year, week = report_week(defaults, at)
        monday = date.fromisocalendar(year, week, 1)
        async with self.uow() as uow:
            active = await StatsRepo(uow.session).groups_active_between(
                monday, monday + timedelta(days=6)
            )
        for gid in active:
            if gid in config.groups:
                continue
            try:
                await self.post_week(self.context_for(gid), year, week, at)
            except Exception:
                log.exception("weekly report failed for group %s", gid)

    async def post_week(self, ctx: Context, year: int, week: int, at: datetime) -> Path | None:
        """Render and post a group's week once; None when skipped (empty, done, disabled)."""
        group = ctx.group
        if not (group.stats.enabled and group.stats.weekly_report.enabled):
            return None
        await flushed(ctx)
        async with ctx.uow() as uow:
            data = await collect_week(uow, group, year, week)
            done = await _posted(uow, WEEKLY_JOB, group.group_id, data.label)
        if data.is_empty or done:
            return None
        out = report_dir(ctx.config, group) / f"{_safe(group.group_id)}-{data.label}.png"
        await asyncio.to_thread(render_week_chart, data, out)  # no transaction open
        return await _post_once(ctx, WEEKLY_JOB, data.label, at, out, caption(data))

    async def post_set_week(
        self, ctx: Context, group_set: GroupSet, year: int, week: int, at: datetime
    ) -> Path | None:
        """Render a set's week (every group of it on one picture) and post it to this
        group, once; None when skipped (empty, done, disabled)."""
        group = ctx.group
        if not (group.stats.enabled and group.stats.weekly_report.enabled):
            return None
        await flushed(ctx)
        top = group.stats.weekly_report.top_members
        async with ctx.uow() as uow:
            data = await collect_set_week(uow, ctx.config, group_set, year, week, top)
            period = set_period(data.label, group_set.name)
            done = await _posted(uow, WEEKLY_SET_JOB, group.group_id, period)
        if data.is_empty or done:
            return None
        name = f"set-{_safe(group_set.name)}-{data.label}.png"
        out = report_dir(ctx.config, group) / name
        await asyncio.to_thread(render_week_chart, data, out)  # no transaction open
        text = set_caption(group_set, data)
        return await _post_once(ctx, WEEKLY_SET_JOB, period, at, out, text)


async def _posted(uow: UnitOfWork, job: str, group_id: str, period: str) -> bool:
    stmt = select(HealthRun.id).where(
        HealthRun.job == job, HealthRun.group_id == group_id, HealthRun.period == period
    )
    return (await uow.session.execute(stmt.limit(1))).first() is not None


async def _post_once(
    ctx: Context, job: str, period: str, at: datetime, out: Path, text: str
) -> Path | None:
    """Record the (job, group, period) row and post the picture in one transaction, keyed
    by them: the outbox row's id is the same on a re-run, and the row's unique key lets one
    post through when two processes (or a restart) drew the same week."""
    group_id = ctx.group.group_id
    try:
        async with ctx.uow.scope(f"{job}:{group_id}:{period}"):
            async with ctx.uow() as uow:
                uow.session.add(
                    HealthRun(
                        job=job,
                        group_id=group_id,
                        period=period,
                        ran_at=at,
                        detail=str(out)[-255:],
                    )
                )
            await ctx.sender.send_image(group_id, str(out), text)
    except IntegrityError:
        return None  # already posted (a restart, or another process)
    return out


def set_caption(group_set: GroupSet, data: WeekData) -> str:
    first, last = data.days[0], data.days[-1]
    return (
        f"📈 集合「{group_set.name}」第 {data.week} 周群活跃周报（{first:%m-%d} 至 {last:%m-%d}）："
        f"消息 {sum(data.messages)} 条，"
        f"打卡 {sum(data.checkins)} 人次，活跃成员 {data.active_members} 人次（按群计）"
    )


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)[:80] or "group"

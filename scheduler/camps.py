"""Camp jobs: the day's task, the reminder and the closing post, each exactly once.

Every camp of a group listed under `groups` gets up to three jobs: `task` (each camp day at
`task_at`, with `tasks` only), `remind` (each camp day at `remind_at`) and `close` (once,
`close_at` on the day after the last day). Their fire times are computed from the config
(a reminder that falls in quiet hours is moved to their end when the day's check-ins still
count then; otherwise that day has no reminder).

Exactly once, as rituals: before anything is posted, a `ritual_runs` row keyed by (group,
`camp:<id>`, part, the camp day's local midnight) is inserted (scheduler/rituals.py
`claim_run`); whoever inserts it posts, a restart, a reload or a second process skips. The
key is the camp *day*, not the clock time, so moving `remind_at` by a hot reload after the
day's reminder went out does not remind twice.

Missed while the bot was down: at start the jobs look back from their last recorded run (at
most LOOKBACK). A late task post or reminder is still posted while the day's check-ins
count (before the window's end, or midnight) and a reminder not in quiet hours; otherwise it
is recorded as `missed` and logged. A late closing post is always posted.

The closing post's certificates take a while to draw, so no transaction is open while they
are drawn: the close job runs without the scheduler's run scope. Whether the closing was
recorded already is read first (then nothing is drawn), the camp's figures are read and the
pictures drawn (`perform` does both, and returns what posts them), and then the run's row
and the posts (the closing text, each certificate's outbox row) are written together in a
scope keyed by the group, the camp and its closing day: a re-run, a crash after drawing or
a second process posts each certificate once, with the same outbox ids.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.config import AppConfig, GroupSettings
from bot.context import Context
from bot.quiet import in_quiet_hours
from bot.settings.base import TimeRange
from bot.settings.camps import Camp
from scheduler.rituals import LOOKBACK, claim_run, perform_run
from scheduler.service import SchedulerService
from storage.repos.rituals import RitualRunRepo
from storage.uow import UnitOfWorkFactory

log = logging.getLogger("groupops.camps")

RUN_PREFIX = "camp:"  # ritual_runs.ritual_id of camp posts: "camp:<camp id>"
PARTS = ("task", "remind", "close")
_TICK = timedelta(microseconds=1)

CampPost = Callable[[], Awaitable[None]]
# Prepares a part's post for a camp day and returns what posts it; the closing post's
# preparation reads the camp and draws its pictures (with no transaction open).
CampPerformer = Callable[[Context, Camp, str, date], Awaitable[CampPost]]


def run_id_of(camp: Camp) -> str:
    return RUN_PREFIX + camp.id


def day_start(day: date, tz: ZoneInfo) -> datetime:
    """The `scheduled_at` a camp day's runs are recorded under."""
    return datetime.combine(day, time(0), tzinfo=tz)


def out_of_quiet(ranges: tuple[TimeRange, ...], when: datetime) -> datetime | None:
    """`when` (local, aware) or the first moment after it outside every quiet range; None
    when the ranges cover the whole day."""
    current = when
    for _ in range(len(ranges) + 1):
        covering = [r for r in ranges if r.contains(current.time())]
        if not covering:
            return current
        end = covering[0].end % (24 * 60)
        candidate = datetime.combine(
            current.date(), time(end // 60, end % 60), tzinfo=current.tzinfo
        )
        if candidate <= current:
            candidate = datetime.combine(
                current.date() + timedelta(days=1), time(end // 60, end % 60), tzinfo=current.tzinfo
            )
        current = candidate
    return None if any(r.contains(current.time()) for r in ranges) else current


@dataclass(frozen=True)
class CampJobSpec:
    """What a job is; an unchanged spec keeps its job (and next fire time) on reload."""

    group_id: str
    camp: Camp
    part: str  # "task" | "remind" | "close"
    timezone: str
    quiet_hours: tuple[TimeRange, ...] = ()

    @property
    def job_id(self) -> str:
        return f"camp:{self.group_id}:{self.camp.id}:{self.part}"

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def fire_times(self) -> dict[datetime, date]:
        """Every fire time of the job and the camp day it serves."""
        camp, tz = self.camp, self.tz
        if self.part == "close":
            return {camp.closes_at(tz): camp.close_day}
        out: dict[datetime, date] = {}
        for index in range(1, camp.days + 1):
            day = camp.day_at(index)
            if self.part == "task":
                out[camp.moment(day, camp.task_time, tz)] = day
                continue
            assert camp.remind_at is not None
            due = out_of_quiet(self.quiet_hours, camp.moment(day, camp.remind_at, tz))
            if due is not None and due < camp.deadline(day, tz):
                out[due] = day
        return out


def camp_job_specs(group: GroupSettings) -> list[CampJobSpec]:
    quiet = tuple(group.features.quiet_hours)
    specs = []
    for camp in group.features.camps:
        parts = ["close"]
        if camp.tasks:
            parts.insert(0, "task")
        if camp.remind_at is not None:
            parts.insert(-1, "remind")
        specs += [CampJobSpec(group.group_id, camp, p, group.timezone, quiet) for p in parts]
    return specs


class FireTimes:
    """A trigger over a fixed set of times (the APScheduler trigger protocol)."""

    def __init__(self, times: list[datetime]) -> None:
        self.times = sorted(times)

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        return next((t for t in self.times if t >= now), None)


def find_camp(group: GroupSettings, camp_id: str) -> Camp | None:
    return next((c for c in group.features.camps if c.id == camp_id), None)


class CampService:
    """Keeps the scheduler's camp jobs in step with the config; runs each post once."""

    def __init__(
        self,
        scheduler: SchedulerService,
        context_for: Callable[[str], Context],
        uow: UnitOfWorkFactory,
        clock: Clock,
        config: AppConfig,
        perform: CampPerformer,
        *,
        lookback: timedelta = LOOKBACK,
    ) -> None:
        self.scheduler = scheduler
        self.context_for = context_for
        self.uow = uow
        self.clock = clock
        self.config = config
        self.perform = perform
        self.lookback = lookback
        self._specs: dict[str, CampJobSpec] = {}
        self._days: dict[str, dict[datetime, date]] = {}

    # --- planning -------------------------------------------------------------------------

    async def start_service(self) -> None:
        now = self.clock.now()
        desired = self._desired(self.config)
        if not desired:
            return
        async with self.uow() as uow:
            lasts = await RitualRunRepo(uow.session).last_scheduled(
                sorted({s.group_id for s in desired.values()}), now
            )
        # As rituals: look back from the job's last run, else from the latest run of any
        # job of these groups (the bot was alive then); no run at all is a first start.
        # A camp run is recorded under its camp day's start (one run per day and part), not
        # its fire time: read it back as the fire time of that day, or a run recorded at a
        # day's start would look earlier than it was and bring back that day's earlier posts
        # (a task the bot was not running for, posted after a restart).
        for spec in desired.values():
            key = (spec.group_id, run_id_of(spec.camp), spec.part)
            if key in lasts:
                fired = {day_start(day, spec.tz): at for at, day in spec.fire_times().items()}
                lasts[key] = fired.get(lasts[key], lasts[key])
        alive = max((t for t in lasts.values() if t <= now), default=None)
        for job_id, spec in desired.items():
            last = lasts.get((spec.group_id, run_id_of(spec.camp), spec.part), alive)
            since = max(last + _TICK, now - self.lookback) if last else now
            self._set(job_id, spec, since=min(since, now))
        log.info("scheduled %d camp jobs", len(desired))

    async def on_config(self, config: AppConfig) -> None:
        """Hot reload: add, change and remove jobs; unchanged jobs keep their next time."""
        self.config = config
        desired = self._desired(config)
        for job_id in list(self._specs):
            if job_id not in desired:
                self.scheduler.remove_job(job_id)
                del self._specs[job_id]
                self._days.pop(job_id, None)
                log.info("camp job %s removed", job_id)
        for job_id, spec in desired.items():
            if self._specs.get(job_id) != spec:
                self._set(job_id, spec)
                log.info("camp job %s scheduled", job_id)

    def _desired(self, config: AppConfig) -> dict[str, CampJobSpec]:
        # Only groups listed under `groups` get scheduled posts (as rituals).
        return {s.job_id: s for g in config.groups.values() for s in camp_job_specs(g)}

    def _set(self, job_id: str, spec: CampJobSpec, since: datetime | None = None) -> None:
        days = spec.fire_times()

        async def fire(at: datetime) -> None:
            await self._fire(spec, at)

        self._days[job_id] = days
        # the close job opens its own units: no transaction while its pictures are drawn
        scoped = spec.part != "close"
        self.scheduler.set_job(job_id, FireTimes(list(days)), fire, since=since, scoped=scoped)
        self._specs[job_id] = spec

    def is_scheduled(self, group_id: str) -> bool:
        return group_id in self.config.groups

    # --- running --------------------------------------------------------------------------

    async def _fire(self, spec: CampJobSpec, fire_at: datetime) -> None:
        ctx = self.context_for(spec.group_id)
        camp = find_camp(ctx.group, spec.camp.id)
        day = self._days.get(spec.job_id, {}).get(fire_at)
        if camp is None or day is None:
            return  # removed or moved by a reload that has not reached this job yet
        tz = ctx.group.tz
        now = ctx.clock.now()
        status, note = "claimed", ""
        if spec.part != "close" and now >= camp.deadline(day, tz):
            status, note = "missed", "the day's check-ins were already over"
        elif spec.part == "remind" and in_quiet_hours(ctx.group, now):
            status, note = "missed", "it would have come in quiet hours"
        elif now - fire_at > self.lookback:
            status, note = "missed", "too late"
        recorded = False
        if status == "claimed":
            async with ctx.uow() as uow:
                runs = RitualRunRepo(uow.session)
                if await runs.is_paused(spec.group_id):
                    status = "paused"
                elif spec.part == "close":
                    part_day = (run_id_of(camp), spec.part, day_start(day, tz))
                    recorded = await runs.status_of(spec.group_id, *part_day) is not None
        if recorded:
            _log_recorded(spec, camp, day)  # nothing is drawn
            return
        post: CampPost | None = None
        if status == "claimed" and spec.part == "close":
            post = await self.perform(ctx, camp, spec.part, day)  # draws: no transaction open
        # The close job has no run scope: its run row and posts get one keyed by the camp's
        # closing (the other jobs' units join the scheduler's run scope).
        scope: AbstractAsyncContextManager[object] = (
            ctx.uow.scope(f"{spec.job_id}:{day.isoformat()}")
            if spec.part == "close"
            else nullcontext()
        )
        async with scope:
            await self._claim_and_post(ctx, spec, camp, day, fire_at, status, note, post)

    async def _claim_and_post(
        self,
        ctx: Context,
        spec: CampJobSpec,
        camp: Camp,
        day: date,
        fire_at: datetime,
        status: str,
        note: str,
        post: CampPost | None,
    ) -> None:
        run_id = await claim_run(
            ctx,
            ritual_id=run_id_of(camp),
            part=spec.part,
            scheduled_at=day_start(day, ctx.group.tz),
            status=status,
            note=note,
        )
        if run_id is None:
            _log_recorded(spec, camp, day)
            return
        if status == "missed":
            log.warning(
                "camp %s/%s %s of %s (due %s) was missed and skipped: %s",
                spec.group_id,
                camp.id,
                spec.part,
                day.isoformat(),
                fire_at.isoformat(),
                note,
            )
            return
        if status != "claimed":
            log.info("camp %s/%s %s of %s: %s", spec.group_id, camp.id, spec.part, day, status)
            return
        if post is None:
            post = await self.perform(ctx, camp, spec.part, day)
        await perform_run(ctx, run_id, post)


def _log_recorded(spec: CampJobSpec, camp: Camp, day: date) -> None:
    log.info(
        "camp %s/%s %s of %s already recorded; not posting",
        spec.group_id,
        camp.id,
        spec.part,
        day.isoformat(),
    )

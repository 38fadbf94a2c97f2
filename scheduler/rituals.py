"""Ritual jobs: planned from config.yaml, exactly once per (group, ritual, part, time).

Each enabled ritual of a group listed under `groups` becomes one job for the post, one per
reminder (the post's trigger shifted earlier) and one for the follow-up (shifted later).
Before anything is posted, a row keyed by (group, ritual, part, scheduled time) is
inserted; whoever inserts it posts, everyone else (a second process, a restart, a retried
fire) skips. The same jobs run live and in virtual time (replay, tests).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError

from bot.clock import Clock
from bot.config import AppConfig, GroupSettings
from bot.context import Context
from bot.schedule_expr import describe_duration, parse_schedule
from bot.settings.rituals import Reminder, Ritual
from scheduler.service import SchedulerService, ShiftedTrigger, Trigger
from storage.repos.rituals import RitualRunRepo
from storage.uow import UnitOfWorkFactory

log = logging.getLogger("groupops.rituals")

# How far back start-up looks for runs missed while the bot was down.
LOOKBACK = timedelta(days=7)
_TICK = timedelta(microseconds=1)


@dataclass(frozen=True)
class Occurrence:
    """One thing to post: a ritual's post, one of its reminders, or its follow-up."""

    group_id: str
    ritual: Ritual
    part: str  # "post" | "reminder" | "follow_up"
    event_at: datetime  # the ritual's own time
    fire_at: datetime  # when this part is due
    reminder: Reminder | None = None


Performer = Callable[[Context, Occurrence], Awaitable[None]]


@dataclass(frozen=True)
class JobSpec:
    """What a job is; an unchanged spec keeps its job (and next fire time) on reload."""

    group_id: str
    ritual_id: str
    part: str  # "post" | "reminder" | "follow_up"
    schedule: str
    timezone: str
    shift: timedelta = timedelta(0)  # fire time = event time + shift

    @property
    def run_part(self) -> str:
        """The `part` stored with a run (reminders by their offset)."""
        if self.part == "reminder":
            return f"remind-{int(-self.shift.total_seconds())}"
        return self.part

    @property
    def job_id(self) -> str:
        return f"ritual:{self.group_id}:{self.ritual_id}:{self.run_part}"

    def trigger(self) -> Trigger:
        base: Trigger = parse_schedule(self.schedule, self.timezone)
        return ShiftedTrigger(base, self.shift) if self.shift else base


def job_specs(group: GroupSettings) -> list[JobSpec]:
    specs: list[JobSpec] = []
    for ritual in group.rituals:
        if not ritual.enabled:
            continue
        base = JobSpec(group.group_id, ritual.id, "post", ritual.schedule, group.timezone)
        specs.append(base)
        for reminder in ritual.reminders:
            specs.append(_with(base, "reminder", -reminder.before))
        if ritual.follow_up is not None:
            specs.append(_with(base, "follow_up", ritual.follow_up.after))
    return specs


def _with(base: JobSpec, part: str, shift: timedelta) -> JobSpec:
    return JobSpec(base.group_id, base.ritual_id, part, base.schedule, base.timezone, shift)


def find_ritual(group: GroupSettings, ritual_id: str) -> Ritual | None:
    return next((r for r in group.rituals if r.id == ritual_id), None)


def next_event(group: GroupSettings, ritual: Ritual, after: datetime) -> datetime | None:
    """The ritual's next time strictly after `after`."""
    trigger = parse_schedule(ritual.schedule, group.timezone)
    found: datetime | None = trigger.get_next_fire_time(None, after + _TICK)
    return found


class RitualService:
    """Keeps the scheduler's ritual jobs in step with the config; runs them exactly once."""

    def __init__(
        self,
        scheduler: SchedulerService,
        context_for: Callable[[str], Context],
        uow: UnitOfWorkFactory,
        clock: Clock,
        config: AppConfig,
        perform: Performer,
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
        self._specs: dict[str, JobSpec] = {}

    # --- planning -------------------------------------------------------------------------

    async def start_service(self) -> None:
        """Schedule every ritual; runs missed while the bot was down are due at once."""
        now = self.clock.now()
        desired = self._desired(self.config)
        async with self.uow() as uow:
            lasts = await RitualRunRepo(uow.session).last_scheduled(
                sorted({s.group_id for s in desired.values()}), now
            )
        # Look back from this job's last recorded run; for a job with none (a new reminder,
        # say) from the latest run of any job (the bot was alive then), within LOOKBACK. A
        # database without any run is a first start: nothing was missed.
        alive = max(lasts.values(), default=None)
        for job_id, spec in desired.items():
            last = lasts.get((spec.group_id, spec.ritual_id, spec.run_part), alive)
            since = max(last + _TICK, now - self.lookback) if last else now
            self._set(job_id, spec, since=min(since, now))
        groups = len({spec.group_id for spec in desired.values()})
        # nothing to say on a start without rituals (a quiet start has no zero-count lines)
        log.log(
            logging.INFO if desired else logging.DEBUG,
            "scheduled %d ritual jobs in %d group%s",
            len(desired),
            groups,
            "" if groups == 1 else "s",
        )

    async def on_config(self, config: AppConfig) -> None:
        """Hot reload: add, change and remove jobs; unchanged jobs keep their next time."""
        self.config = config
        desired = self._desired(config)
        for job_id in list(self._specs):
            if job_id not in desired:
                self.scheduler.remove_job(job_id)
                del self._specs[job_id]
                log.info("ritual job %s removed", job_id)
        for job_id, spec in desired.items():
            if self._specs.get(job_id) != spec:
                self._set(job_id, spec)
                log.info("ritual job %s scheduled (%s)", job_id, spec.schedule)

    def _desired(self, config: AppConfig) -> dict[str, JobSpec]:
        # Only groups listed under `groups` get scheduled posts: a scheduled post is
        # proactive, and the bot must not start posting into a group nobody configured.
        return {s.job_id: s for g in config.groups.values() for s in job_specs(g)}

    def _set(self, job_id: str, spec: JobSpec, since: datetime | None = None) -> None:
        async def fire(at: datetime) -> None:
            await self._fire(spec, at)

        self.scheduler.set_job(job_id, spec.trigger(), fire, since=since)
        self._specs[job_id] = spec

    def is_scheduled(self, group_id: str) -> bool:
        return group_id in self.config.groups

    # --- running --------------------------------------------------------------------------

    async def _fire(self, spec: JobSpec, fire_at: datetime) -> None:
        ctx = self.context_for(spec.group_id)
        ritual = find_ritual(ctx.group, spec.ritual_id)
        if ritual is None or not ritual.enabled:
            return  # removed by a reload that has not reached this job yet
        occurrence = _occurrence(spec, ritual, fire_at)
        if occurrence is None:
            return
        now = ctx.clock.now()
        late = now - fire_at
        status, note = "claimed", ""
        if late > ritual.grace:
            status = "missed"
            note = f"{describe_duration(late)} late, grace {describe_duration(ritual.grace)}"
        elif occurrence.part == "reminder" and now >= occurrence.event_at:
            status, note = "missed", "the event has already started"
        claim_key = (spec.group_id, spec.ritual_id, spec.run_part, fire_at)
        try:
            async with ctx.uow() as uow:
                runs = RitualRunRepo(uow.session)
                if status == "claimed" and await runs.is_paused(spec.group_id):
                    status = "paused"
                if status == "claimed" and spec.part != "post":
                    event = await runs.status_of(
                        spec.group_id, spec.ritual_id, "post", occurrence.event_at
                    )
                    if event == "skipped":
                        status, note = "skipped", "its event was skipped"
                run = await runs.claim(
                    group_id=spec.group_id,
                    ritual_id=spec.ritual_id,
                    part=spec.run_part,
                    scheduled_at=fire_at,
                    status=status,
                    at=now,
                    note=note,
                )
                run_id = run.id
        except IntegrityError:
            log.info("ritual run %s at %s already recorded; not posting", claim_key[:3], fire_at)
            return
        if status == "missed":
            log.warning(
                "ritual %s/%s (%s) due %s was missed and skipped: %s",
                spec.group_id,
                spec.ritual_id,
                spec.run_part,
                fire_at.isoformat(),
                note,
            )
            return
        if status != "claimed":
            log.info("ritual %s/%s (%s) %s", spec.group_id, spec.ritual_id, spec.run_part, status)
            return
        await self._perform(ctx, occurrence, run_id)

    async def _perform(self, ctx: Context, occurrence: Occurrence, run_id: int) -> None:
        await perform_run(ctx, run_id, lambda: self.perform(ctx, occurrence))

    async def run_now(self, ctx: Context, ritual: Ritual, by: str, at: datetime) -> bool:
        """`/仪式 run ID`: post now. False when this very request was already run."""
        run_id = await claim_run(
            ctx, ritual_id=ritual.id, part="manual", scheduled_at=at, status="claimed", actor_id=by
        )
        if run_id is None:
            return False
        occurrence = Occurrence(ctx.group.group_id, ritual, "post", at, at)
        await self._perform(ctx, occurrence, run_id)
        return True

    async def skip_next(
        self, ctx: Context, ritual: Ritual, by: str
    ) -> tuple[datetime | None, bool]:
        """`/仪式 skip ID`: mark the next post skipped. Returns (its time, newly skipped)."""
        now = ctx.clock.now()
        upcoming = next_event(ctx.group, ritual, now)
        if upcoming is None:
            return None, False
        try:
            async with ctx.uow() as uow:
                await RitualRunRepo(uow.session).claim(
                    group_id=ctx.group.group_id,
                    ritual_id=ritual.id,
                    part="post",
                    scheduled_at=upcoming,
                    status="skipped",
                    at=now,
                    actor_id=by,
                    note="skipped by command",
                )
        except IntegrityError:
            return upcoming, False
        return upcoming, True


async def claim_run(
    ctx: Context,
    *,
    ritual_id: str,
    part: str,
    scheduled_at: datetime,
    status: str,
    actor_id: str | None = None,
    note: str = "",
) -> int | None:
    """Record a run in `ctx.group` before acting on it: the run's id, or None when it is
    already recorded (a restart, a retried fire, another process). Other scheduled posts
    (camps) use this and `perform_run` too, under their own `ritual_id` namespace."""
    try:
        async with ctx.uow() as uow:
            run = await RitualRunRepo(uow.session).claim(
                group_id=ctx.group.group_id,
                ritual_id=ritual_id,
                part=part,
                scheduled_at=scheduled_at,
                status=status,
                at=ctx.clock.now(),
                actor_id=actor_id,
                note=note,
            )
            return run.id
    except IntegrityError:
        return None


async def perform_run(ctx: Context, run_id: int, action: Callable[[], Awaitable[None]]) -> None:
    """Do a claimed run and record how it ended: posted, or failed (and re-raise)."""
    try:
        await action()
    except Exception as exc:
        async with ctx.uow() as uow:
            await RitualRunRepo(uow.session).finish(
                run_id, "failed", ctx.clock.now(), f"{type(exc).__name__}: {exc}"
            )
        raise
    async with ctx.uow() as uow:
        await RitualRunRepo(uow.session).finish(run_id, "posted", ctx.clock.now())


def _occurrence(spec: JobSpec, ritual: Ritual, fire_at: datetime) -> Occurrence | None:
    event_at = fire_at - spec.shift
    if spec.part == "reminder":
        reminder = next((r for r in ritual.reminders if r.before == -spec.shift), None)
        if reminder is None:
            return None
        return Occurrence(spec.group_id, ritual, "reminder", event_at, fire_at, reminder)
    if spec.part == "follow_up" and ritual.follow_up is None:
        return None
    return Occurrence(spec.group_id, ritual, spec.part, event_at, fire_at)

"""Broadcasts (群发): one message to every group of a set, now or at a set time.

    /群发 集合 内容                          to every group of the set, now
    /群发 集合 定时 2026-12-02 09:00 内容    at that time (the sender's group's timezone)
    /群发 状态 [编号]                        the delivery report (your latest by default)

`groupops broadcast` (bot/cli/broadcast.py) makes the same rows from the console.

Exactly once per group. A broadcast has a stable id (from the command's message, or the
operator's key) and one delivery row per group (storage/models/broadcasts.py). The pump, a
scheduled job armed only while there is work, queues one group's copy per turn: a
conditional update of its delivery (waiting -> queued) and the copy's outbox rows, with ids
derived from (broadcast, group), in one transaction. So a kill at any moment leaves each
group either waiting (queued by the next start) or queued (delivered by the outbox, once,
by the transport's rule); two processes never queue a group twice. Turns are at least
`broadcast.interval` apart and never take more than half of the transport's overall rate
limit; the outbox's own limits apply on top. When every copy has finished in the outbox the
pump copies the outcome into the delivery rows and posts the report to the admin once.

A process polls the database every POLL_S seconds while live, so a broadcast the CLI wrote
into the database (or another process created) is picked up without a restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from apscheduler.triggers.date import DateTrigger
from sqlalchemy.exc import IntegrityError

from bot.clock import Clock
from bot.commands import CommandCall, UsageError, command, split_command
from bot.config import AppConfig
from bot.context import Context
from bot.router import Route
from bot.sender import Sender
from bot.settings.sets import GroupSet
from scheduler.service import SchedulerService
from storage.models.broadcasts import Broadcast, BroadcastDelivery
from storage.repos.broadcasts import (
    DONE,
    QUEUED,
    SCHEDULED,
    SENDING,
    WAITING,
    BroadcastRepo,
)
from storage.repos.members import GroupStateRepo
from storage.session import DbSession
from storage.uow import UnitOfWorkFactory, current_unit

if TYPE_CHECKING:
    from handlers import ServiceDeps

log = logging.getLogger("groupops.broadcast")

BROADCAST_USAGE = (
    "/群发 集合名 内容；定时发送：/群发 集合名 定时 2026-12-02 09:00 内容；"
    "查看结果：/群发 状态 [编号]；取消还没发出的部分：/群发 取消 编号"
)
JOB_ID = "broadcast:pump"
POLL_S = 30.0  # live: how often the database is checked for broadcasts made elsewhere
SETTLE_S = 10.0  # how soon copies still in the outbox are looked at again (then doubling)
SETTLE_MAX_S = 300.0
MAX_AHEAD = timedelta(days=366)

SENT = "sent"
FAILED = "failed"
UNKNOWN = "unknown"
SKIPPED = "skipped"

KIND_TEXT = "text"
KIND_NOTICE = "notice"
KIND_NOTICE_CLOSE = "notice_close"  # a shared notice's closing list: no report

REASONS = {
    FAILED: "发送失败（平台拒绝或多次重试仍未成功）",
    UNKNOWN: "发送时机器人重启了，无法确认是否送达，未重发",
    SKIPPED: "该群已暂停，未发送",
}
CANCELLED = "群发已取消，未发送"

_AT_FULL = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})[ T](\d{1,2})[:：](\d{2})\s*")
_AT_SHORT = re.compile(r"^(\d{1,2})-(\d{1,2})[ T](\d{1,2})[:：](\d{2})\s*")
_AT_TIME = re.compile(r"^(\d{1,2})[:：](\d{2})\s*")


@runtime_checkable
class StoringSender(Protocol):
    """What the pump needs of an outbox (bot/transports/outbox.py): post and get the ids."""

    @property
    def persistent(self) -> bool: ...

    async def post(
        self,
        conversation: str,
        text: str,
        *,
        mentions: Sequence[str] = (),
        kind: str = "text",
        image_path: str | None = None,
        meta: Mapping[str, str] | None = None,
    ) -> list[str]: ...


def broadcast_id_for(key: str) -> str:
    """The short id admins type, derived from the broadcast's key."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:8]


def operator_key(set_name: str, text: str, send_at: datetime | None) -> str:
    """The CLI's key when none is given: the same command makes the same broadcast."""
    when = send_at.isoformat() if send_at is not None else "now"
    digest = hashlib.sha256(f"{set_name}\n{when}\n{text}".encode()).hexdigest()[:32]
    return f"cli:{digest}"


# --- parsing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class BroadcastCommand:
    set_name: str
    text: str
    send_at: datetime | None  # None: now


def parse_send_at(rest: str, tz: tzinfo, now: datetime) -> tuple[datetime, str]:
    """`2026-12-02 09:00 …`, `12-02 09:00 …` or `09:00 …` (the next such time) at the start
    of rest; returns the time and what follows it."""
    local_now = now.astimezone(tz)
    try:
        if found := _AT_FULL.match(rest):
            y, mo, d, h, mi = (int(x) for x in found.groups())
            when = datetime(y, mo, d, h, mi, tzinfo=tz)
        elif found := _AT_SHORT.match(rest):
            mo, d, h, mi = (int(x) for x in found.groups())
            when = datetime(local_now.year, mo, d, h, mi, tzinfo=tz)
            if when <= local_now:
                when = when.replace(year=local_now.year + 1)
        elif found := _AT_TIME.match(rest):
            h, mi = (int(x) for x in found.groups())
            when = local_now.replace(hour=h, minute=mi, second=0, microsecond=0)
            if when <= local_now:
                when += timedelta(days=1)
        else:
            raise UsageError("定时的时间要写成 2026-12-02 09:00、12-02 09:00 或 09:00。")
    except ValueError:
        raise UsageError("这个时间不存在，请检查日期和钟点。") from None
    if when <= local_now:
        raise UsageError("定时的时间已经过去了。")
    if when - local_now > MAX_AHEAD:
        raise UsageError("定时最多只能定在一年以内。")
    return when, rest[found.end() :]


def parse_broadcast_args(raw: str, tz: tzinfo, now: datetime, max_chars: int) -> BroadcastCommand:
    """The text after `/群发` (line breaks kept): a set name, optionally `定时 TIME`, text."""
    raw = raw.strip()
    name, _, rest = raw.partition(" ")
    if "\n" in name:
        name, _, more = name.partition("\n")
        rest = f"{more} {rest}"
    rest = rest.strip()
    if not name:
        raise UsageError()
    send_at: datetime | None = None
    if rest.startswith("定时"):
        send_at, rest = parse_send_at(rest[2:].strip(), tz, now)
    text = rest.strip()
    if not text:
        raise UsageError("请写上要群发的内容。")
    if len(text) > max_chars:
        raise UsageError(f"内容太长了：最多 {max_chars} 个字，现在是 {len(text)} 个字。")
    return BroadcastCommand(name, text, send_at)


def unknown_set_text(config: AppConfig, name: str) -> str:
    names = list(config.sets)
    if not names:
        return f"没有名为「{name}」的群集合：还没有配置任何群集合。"
    return f"没有名为「{name}」的群集合。现有的集合：{'、'.join(names)}。"


# --- creating --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Created:
    broadcast: Broadcast
    new: bool  # False: this key made it before (a redelivered command, a re-run CLI)


async def create_broadcast(
    uow: UnitOfWorkFactory,
    *,
    key: str,
    group_set: GroupSet,
    text: str,
    now: datetime,
    send_at: datetime | None,
    created_by: str | None,
    origin_group: str | None,
    kind: str = KIND_TEXT,
) -> Created:
    """Store a broadcast and its deliveries (in the caller's unit of work if one is open);
    the pump sends it. A key already used gives back the earlier broadcast."""
    async with uow() as work:
        found = await BroadcastRepo(work.session).by_key(key)
    if found is not None:
        return Created(found, False)
    start = send_at if send_at is not None else now
    row = Broadcast(
        id=broadcast_id_for(key),
        key=key,
        set_name=group_set.name,
        kind=kind,
        text=text,
        created_by=created_by,
        origin_group=origin_group,
        created_at=now,
        send_at=start,
        status=SCHEDULED,
        next_at=start,
        finished_at=None,
    )
    try:
        async with uow() as work:
            await BroadcastRepo(work.session).add(row, group_set.group_ids)
    except IntegrityError:  # another process stored the same key first
        async with uow() as work:
            found = await BroadcastRepo(work.session).by_key(key)
        if found is None:
            raise
        return Created(found, False)
    return Created(row, True)


# --- the report ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeliveryState:
    group_id: str
    status: str
    reason: str | None

    @classmethod
    def of(cls, row: BroadcastDelivery) -> DeliveryState:
        return cls(row.group_id, row.status, row.reason)


def _local(when: datetime, tz: tzinfo) -> str:
    return when.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def status_text(
    broadcast: Broadcast,
    deliveries: Sequence[DeliveryState],
    names: Mapping[str, str],
    tz: tzinfo,
) -> str:
    """The delivery report: what reached which group, and why the others did not."""
    total = len(deliveries)
    sent = [d for d in deliveries if d.status == SENT]
    missed = [d for d in deliveries if d.status in (FAILED, UNKNOWN, SKIPPED)]
    pending = total - len(sent) - len(missed)
    what = "通知红包" if broadcast.kind == KIND_NOTICE else "群发"
    if broadcast.status == SCHEDULED:
        head = f"📣 {what} {broadcast.id}（集合「{broadcast.set_name}」）定时在 "
        head += f"{_local(broadcast.send_at, tz)} 发送，共 {total} 个群。"
        return head
    if broadcast.status == DONE or pending == 0:
        head = (
            f"📣 {what} {broadcast.id}（集合「{broadcast.set_name}」）已完成：共 {total} 个群，"
            f"成功 {len(sent)} 个，失败 {len(missed)} 个。"
        )
    else:
        head = (
            f"📣 {what} {broadcast.id}（集合「{broadcast.set_name}」）正在发送：共 {total} 个群，"
            f"已送达 {len(sent)} 个，未送达 {len(missed)} 个，还在发送 {pending} 个。"
        )
    lines = [head]
    if missed:
        lines.append("未送达的群：")
        lines.extend(
            f"· {names.get(d.group_id, d.group_id)}：{d.reason or REASONS[d.status]}"
            for d in missed
        )
    return "\n".join(lines)


def group_names(config: AppConfig, group_ids: Sequence[str]) -> dict[str, str]:
    return {gid: config.group(gid).name or gid for gid in group_ids}


@dataclass(frozen=True)
class CurrentStates:
    all: list[DeliveryState]  # every group, queued copies with their outbox outcome if final
    changed: list[DeliveryState]  # queued copies whose outbox items have all finished


async def current_states(
    repo: BroadcastRepo, broadcast_id: str, *, only_queued: bool = False
) -> CurrentStates:
    """The deliveries as the outbox sees them now (a copy still queued in the rows may have
    finished in the outbox since the pump last looked); only the queued ones if asked."""
    if only_queued:
        rows = await repo.in_delivery_status(broadcast_id, QUEUED)
    else:
        rows = await repo.deliveries(broadcast_id)
    queued = [d for d in rows if d.status == QUEUED and d.outbox_ids]
    ids_of = {d.group_id: list(json.loads(d.outbox_ids or "[]")) for d in queued}
    states = await repo.outbox_states([i for ids in ids_of.values() for i in ids])
    result = {d.group_id: DeliveryState.of(d) for d in rows}
    changed: list[DeliveryState] = []
    for delivery in queued:
        # an item no longer in the outbox was pruned long after it finished
        found = [states.get(i, (UNKNOWN, None)) for i in ids_of[delivery.group_id]]
        outcome = _final_state(found)
        if outcome is not None:
            state = DeliveryState(delivery.group_id, outcome[0], outcome[1])
            result[delivery.group_id] = state
            changed.append(state)
    return CurrentStates([result[d.group_id] for d in rows], changed)


# --- the pump --------------------------------------------------------------------------------


def _overall_spacing_s(sender: object) -> float:
    """The shortest gap the transport's overall rate limits allow between two sends."""
    policy = getattr(sender, "policy", None)
    limits = getattr(policy, "overall", ()) or ()
    return max((float(limit.per_s) / int(limit.count) for limit in limits), default=0.0)


def _final_state(states: Sequence[tuple[str, str | None]]) -> tuple[str, str | None] | None:
    """A copy's outcome from its outbox items' states; None while any is unfinished."""
    if any(status not in (SENT, FAILED, UNKNOWN) for status, _ in states):
        return None
    for wanted in (FAILED, UNKNOWN):
        for status, _error in states:
            if status == wanted:
                return wanted, REASONS[wanted]
    return SENT, None


class BroadcastService:
    """Sends stored broadcasts group by group (the scheduled job `broadcast:pump`)."""

    def __init__(self, deps: ServiceDeps) -> None:
        self._uow = deps.uow
        self._clock: Clock = deps.clock
        self._scheduler: SchedulerService = deps.scheduler
        self._sender: Sender = deps.sender
        self._context_for = deps.context_for
        self._config = deps.config
        self._poller: asyncio.Task[None] | None = None
        # seconds until copies still in the outbox are looked at again, per broadcast:
        # doubling while nothing changes (a transport that is offline for hours)
        self._settle_wait: dict[str, float] = {}

    # --- lifecycle -------------------------------------------------------------------------

    async def start_service(self) -> None:
        """Arm the pump if an earlier run left work (a broadcast half sent, one scheduled)."""
        await self.check_database()

    async def on_config(self, config: AppConfig) -> None:
        self._config = config

    def start_live(self) -> None:
        if self._poller is None:
            self._poller = asyncio.create_task(self._poll(), name="groupops-broadcast-poll")

    async def stop_service(self) -> None:
        task, self._poller = self._poller, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(POLL_S)
            try:
                await self.check_database()
            except Exception:
                log.exception("checking for broadcasts failed")

    async def check_database(self) -> None:
        """Arm the pump for the earliest work stored (by this process or another)."""
        async with self._uow() as uow:
            repo = BroadcastRepo(uow.session)
            scheduled = await repo.next_scheduled()
            sending = await repo.has_sending()
        now = self._clock.now()
        if sending:
            self.arm(now)
        elif scheduled is not None:
            self.arm(max(scheduled, now))

    def arm(self, when: datetime) -> None:
        """Run the pump at `when` unless it already runs earlier."""
        for job in self._scheduler.jobs():
            if job.id == JOB_ID and job.next_at is not None and job.next_at <= when:
                return
        self._scheduler.set_job(JOB_ID, DateTrigger(run_date=when), self.pump)

    def arm_after_commit(self, when: datetime) -> None:
        """Arm once the caller's transaction (which stored a broadcast) has committed."""
        unit = current_unit()
        if unit is None:
            self.arm(when)
        else:
            unit.after_commit(lambda: self.arm(when))

    def interval(self) -> timedelta:
        configured = self._config.root.broadcast.interval
        floor = timedelta(seconds=2 * _overall_spacing_s(self._sender))
        return max(configured, floor)

    # --- one run ---------------------------------------------------------------------------

    async def pump(self, at: datetime) -> None:
        now = self._clock.now()
        async with self._uow() as uow:
            repo = BroadcastRepo(uow.session)
            await repo.start_due(now)
            active = await repo.in_status(SENDING)
        for broadcast in active:
            try:
                await self._advance(broadcast, now)
            except Exception:
                log.exception("broadcast %s: this turn failed; trying again", broadcast.id)
        await self._rearm(now)

    async def _advance(self, broadcast: Broadcast, now: datetime) -> None:
        async with self._uow() as uow:
            repo = BroadcastRepo(uow.session)
            if broadcast.next_at <= now and await repo.take_turn(
                broadcast.id, now, now + self.interval()
            ):
                delivery = await repo.next_waiting(broadcast.id)
                if delivery is not None and await repo.move(
                    broadcast.id, delivery.group_id, WAITING, QUEUED, queued_at=now
                ):
                    await self._queue_copy(uow.session, repo, broadcast, delivery.group_id, now)
                    self._settle_wait.pop(broadcast.id, None)
            await self._settle(repo, broadcast, now)
            if await repo.open_deliveries(broadcast.id):
                return
            self._settle_wait.pop(broadcast.id, None)
            if await repo.finish(broadcast.id, now):
                log.info("broadcast %s to %s finished", broadcast.id, broadcast.set_name)
                deliveries = [DeliveryState.of(d) for d in await repo.deliveries(broadcast.id)]
                # its own scope too: the report's outbox id derives from the broadcast, not
                # from the fire time of the pump run that found it finished (which depends
                # on restarts and on which process looked)
                async with self._uow.scope(f"broadcast:{broadcast.id}:report"):
                    await self._report(broadcast, deliveries)

    async def _queue_copy(
        self,
        session: DbSession,
        repo: BroadcastRepo,
        broadcast: Broadcast,
        group_id: str,
        now: datetime,
    ) -> None:
        if group_id in await GroupStateRepo(session).paused_groups():
            await repo.move(
                broadcast.id, group_id, QUEUED, SKIPPED, finished_at=now, reason=REASONS[SKIPPED]
            )
            return
        sender = self._sender
        # Its own scope: the copy's outbox ids derive from (broadcast, group), whichever run
        # or process queues it.
        async with self._uow.scope(f"broadcast:{broadcast.id}:{group_id}"):
            if isinstance(sender, StoringSender) and sender.persistent:
                ids = await sender.post(group_id, broadcast.text)
            else:
                await sender.send_text(group_id, broadcast.text)
                ids = []
        if ids:
            await repo.move(broadcast.id, group_id, QUEUED, QUEUED, outbox_ids=json.dumps(ids))
        else:  # sent straight away (no stored outbox): nothing to wait for
            await repo.move(broadcast.id, group_id, QUEUED, SENT, finished_at=now)

    async def _settle(self, repo: BroadcastRepo, broadcast: Broadcast, now: datetime) -> None:
        """Copy finished outbox outcomes into the deliveries still queued."""
        states = await current_states(repo, broadcast.id, only_queued=True)
        for state in states.changed:
            await repo.move(
                broadcast.id,
                state.group_id,
                QUEUED,
                state.status,
                finished_at=now,
                reason=state.reason,
            )
        if states.changed:
            self._settle_wait.pop(broadcast.id, None)

    async def _report(self, broadcast: Broadcast, deliveries: Sequence[DeliveryState]) -> None:
        if broadcast.kind == KIND_NOTICE_CLOSE or broadcast.origin_group is None:
            return
        ctx = self._context_for(broadcast.origin_group)
        names = group_names(ctx.config, [d.group_id for d in deliveries])
        text = status_text(broadcast, deliveries, names, ctx.group.tz)
        mentions = (broadcast.created_by,) if broadcast.created_by else ()
        await ctx.say(text, mentions)

    async def _rearm(self, now: datetime) -> None:
        async with self._uow() as uow:
            repo = BroadcastRepo(uow.session)
            scheduled = await repo.next_scheduled()
            active = await repo.in_status(SENDING)
            waiting = {b.id: await repo.next_waiting(b.id) is not None for b in active}
        times = [max(scheduled, now)] if scheduled is not None else []
        for broadcast in active:
            if waiting[broadcast.id]:
                times.append(max(broadcast.next_at, now))
            else:
                wait = self._settle_wait.get(broadcast.id, SETTLE_S / 2) * 2
                self._settle_wait[broadcast.id] = min(wait, SETTLE_MAX_S)
                times.append(now + timedelta(seconds=self._settle_wait[broadcast.id]))
        if times:
            self.arm(min(times))


def broadcast_service(deps: ServiceDeps) -> BroadcastService:
    return BroadcastService(deps)


# --- /群发 ----------------------------------------------------------------------------------

REFUSAL = "抱歉，群发只有这个群集合里每个群的管理员（或全局管理员）才能使用。"


def _is_an_admin(config: AppConfig, user_id: str) -> bool:
    """A global admin or an admin of some group: may learn which sets exist."""
    return user_id in config.root.admins or any(
        settings.is_admin(user_id) for settings in config.groups.values()
    )


async def cmd_broadcast(call: CommandCall, ctx: Context) -> None:
    """`/群发`: from any group, by an admin of every group of the set (or a global admin)."""
    message = call.message
    user = message.sender_id
    _, raw = split_command(message.text)  # keep the text's line breaks
    words = raw.split()
    some_admin = _is_an_admin(ctx.config, user) or ctx.is_admin(user)
    if not words:
        if not some_admin:
            await ctx.reply(message, REFUSAL)
            return
        raise UsageError()
    if words[0] in ("状态", "结果"):
        await _show_status(call, ctx, words[1:])
        return
    if words[0] == "取消":
        await _cancel(call, ctx, words[1:])
        return
    group_set = ctx.config.group_set(words[0])
    if group_set is None:
        await ctx.reply(message, unknown_set_text(ctx.config, words[0]) if some_admin else REFUSAL)
        return
    if not ctx.config.is_set_admin(group_set, user):
        await ctx.reply(message, REFUSAL)
        return
    parsed = parse_broadcast_args(
        raw, ctx.group.tz, message.time, ctx.config.root.broadcast.max_chars
    )
    created = await create_broadcast(
        ctx.uow,
        key=f"chat:{message.group_id}:{message.message_id}",
        group_set=group_set,
        text=parsed.text,
        now=message.time,
        send_at=parsed.send_at,
        created_by=user,
        origin_group=message.group_id,
    )
    row = created.broadcast
    service = ctx.services.find(BroadcastService)
    if service is not None:
        service.arm_after_commit(row.send_at)
    count = len(group_set.group_ids)
    when = (
        f"将在 {_local(row.send_at, ctx.group.tz)} 发往"
        if parsed.send_at is not None
        else "正在发往"
    )
    await ctx.reply(
        message,
        f"📣 群发 {row.id} 已创建，{when}集合「{group_set.name}」的 {count} 个群，"
        f"每个群只发一次。发完后会把结果告诉你，也可以用「/群发 状态 {row.id}」查看。",
    )


async def _show_status(call: CommandCall, ctx: Context, words: list[str]) -> None:
    message = call.message
    if len(words) > 1:
        raise UsageError()
    async with ctx.uow() as uow:
        repo = BroadcastRepo(uow.session)
        if words:
            row = await repo.get(words[0].lower())
        else:
            row = await repo.latest(created_by=message.sender_id)
        states = (await current_states(repo, row.id)).all if row is not None else []
    if row is None:
        text = f"没有编号为 {words[0]} 的群发。" if words else "你还没有发过群发。"
        await ctx.reply(message, text)
        return
    group_set = ctx.config.group_set(row.set_name)
    allowed = row.created_by == message.sender_id or (
        group_set is not None and ctx.config.is_set_admin(group_set, message.sender_id)
    )
    if not allowed:
        await ctx.reply(message, REFUSAL)
        return
    names = group_names(ctx.config, [d.group_id for d in states])
    await ctx.reply(message, status_text(row, states, names, ctx.group.tz))


async def _cancel(call: CommandCall, ctx: Context, words: list[str]) -> None:
    """`/群发 取消 编号`: the groups not yet sent to are skipped."""
    message = call.message
    if len(words) != 1:
        raise UsageError("请写上要取消的群发编号。")
    async with ctx.uow() as uow:
        row = await BroadcastRepo(uow.session).get(words[0].lower())
    if row is None:
        await ctx.reply(message, f"没有编号为 {words[0]} 的群发。")
        return
    group_set = ctx.config.group_set(row.set_name)
    if not (
        row.created_by == message.sender_id
        or (group_set is not None and ctx.config.is_set_admin(group_set, message.sender_id))
    ):
        await ctx.reply(message, REFUSAL)
        return
    async with ctx.uow() as uow:
        skipped = await BroadcastRepo(uow.session).cancel(row.id, message.time, CANCELLED)
    if skipped == 0:
        await ctx.reply(message, f"群发 {row.id} 已经全部发出，没有可以取消的部分。")
        return
    await ctx.reply(message, f"已取消群发 {row.id}：还没发出的 {skipped} 个群不再发送。")


ROUTES: list[Route[Any]] = [
    command(
        "broadcast.send",
        ("/群发", "/broadcast"),
        cmd_broadcast,
        usage=BROADCAST_USAGE,
        summary="向一个群集合的每个群各发一次消息，可定时，可查看送达结果",
        listed_for_admins=True,
        set_admins=True,
    ),
]

"""Live text relay (内容文字直播 / 转播): a speaker's lines in a source group go out to every
other group of a set, members there ask back with `#提问`, the speaker's answers return.

Commands (admins of the source group who may address the set, config.is_set_admin):

    /转播 开始 SET [@主讲人…]   relay the named speakers (default: the admin) to the set
    /转播 结束                 flush what is left, post a closing line everywhere, stop
    /红包 提问N 分数 [理由]     (or quoting a relayed question) points for a good question,
                              to the asker's ledger in the asker's own group

Members of the target groups: `#提问 问题`. The speaker answers by quoting the relayed
question (transports that report quotes: WeCom) or with `#回答 N 内容` (every transport).

Merging. Time after the start is cut into windows of `relay.merge_window`; a speaker line
is stored with its window (`relay_lines.bucket`) in the transaction of its event, and a
window is posted, once, by the session's scheduled job when it has closed (or by
`/转播 结束`). So each target group gets at most one relay post per window whatever the
speaker's pace (5 s: at most 12 a minute, under the platforms' 20 a minute), and nothing is
dropped.

Event time. Every decision about a message is made as of its own time, never as of when it
is handled, so a message delivered again after a restart (or late) gives what an
uninterrupted run gives: it belongs to the relay running at its time (not to a later one);
a line is stored in the window of its time; a line whose window was posted before it came
goes out at once by itself, marked `（补发 HH:MM:SS 的发言）`, once (it is stored in the same
transaction); the idle end is the first window end `idle_timeout` after the last line's
own time; a `#提问` asked before the relay ended is the relay's. Windows that closed while
the bot was down wait for the first window end after the start (the platform delivers the
lines of that time again first), and are then posted each with its own lines.

Exactly once. A window's posts are made inside a unit-of-work scope keyed
`relay:<session key>:<window>` (from its start key, never its row id) and `relay_sessions.flushed_through` moves past it in the same
transaction, under the session row's lock: outbox ids come from that key and the target's
ordinal, so a re-run job, a restart or a second process posts nothing twice. Lines and
questions are unique by their event key; the start by the event key of `/转播 开始`.

Answers. A speaker line that answers a question is relayed like any other line (every
target group sees the answer with the question it answers) and, in the asking group, its
post mentions the asker. The question itself goes to the source group only.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import groupby
from typing import TYPE_CHECKING

from bot.commands import CommandCall, UsageError, command, parse_call, parse_number
from bot.config import AppConfig
from bot.context import Context
from bot.events import Message, event_key
from bot.router import CONTINUE, STOP, Flow, Route, is_command_text
from bot.settings.relay import RelaySettings
from bot.transports.features import capabilities_of, relay_source_refusal, relay_window
from handlers.activity import flushed
from handlers.grants import UNKNOWN_MEMBER, GrantStatus
from handlers.rewards import grant_reward
from scheduler.service import SchedulerService
from storage.keys import round_key
from storage.models import RelayLine, RelayQuestion, RelaySession
from storage.repos.relay import ACTIVE, RelayRepo, end_session
from storage.uow import UnitOfWorkFactory

if TYPE_CHECKING:
    from collections.abc import Callable

    from handlers import ServiceDeps

log = logging.getLogger("groupops.relay")

RELAY_USAGE = "/转播 开始 集合名 [@主讲人…]（本群只在一个集合里时可以不写集合名），或 /转播 结束"
REWARD_USAGE = (
    "/红包 提问编号 分数 [理由]，例如：/红包 提问3 20 好问题（也可以引用转来的提问发 /红包 20）"
)
ASK_USAGE = "#提问 你的问题，例如：#提问 今天讲的复盘方法适合新手吗？"
ANSWER_USAGE = "#回答 提问编号 内容，例如：#回答 3 适合，先从每周一次开始。"
IMAGE_NOTE = "[图片，请到主群「{group}」查看]"
LATE_HEAD = "（补发 {time} 的发言）"  # a line whose window went out before it arrived
ASK_TAGS = ("#提问", "＃提问")
ANSWER_TAGS = ("#回答", "＃回答")
# How a relayed question names itself in the source group, and how a quote of it is read.
QUESTION_HEAD = "❓提问{number}｜来自「{group}」的{member}："
_QUESTION_REF = re.compile(r"提问\s*([0-9０-９]{1,9})")
_QUOTE_REF = re.compile(r"❓\s*提问\s*([0-9]{1,9})\s*｜")
_POINTS = re.compile(r"^\+?(\d{1,7})(?:分)?$")
FAR_BUCKET = 2**31 - 1
REMEMBER_ENDED = timedelta(days=7)  # how long a speaker's lines stay the ended relay's


# --- what the handlers know about a running relay ----------------------------------------


@dataclass(frozen=True)
class ActiveRelay:
    session_id: int
    set_name: str
    source_group: str
    targets: tuple[str, ...]
    speakers: frozenset[str]
    started_at: datetime
    window: timedelta
    key: str  # session_key(row): what its job's id and its posts' ids are built from

    @staticmethod
    def of(row: RelaySession) -> ActiveRelay:
        return ActiveRelay(
            key=session_key(row),
            session_id=row.id,
            set_name=row.set_name,
            source_group=row.source_group,
            targets=tuple(json.loads(row.targets)),
            speakers=frozenset(json.loads(row.speakers)),
            started_at=row.started_at,
            window=timedelta(milliseconds=row.window_ms),
        )


def bucket_of(started_at: datetime, window: timedelta, when: datetime) -> int:
    """The merge window `when` falls in (0 = the first window after the start)."""
    return max(0, (when - started_at) // window)


class WindowTrigger:
    """Fires at the end of each merge window: started_at + k * window, k >= 1."""

    def __init__(self, started_at: datetime, window: timedelta) -> None:
        self.started_at = started_at
        self.window = window

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        if previous_fire_time is not None:
            k = (previous_fire_time - self.started_at) // self.window + 1
        else:
            elapsed = now - self.started_at
            k = -(-elapsed // self.window)  # ceiling: the first window end at or after now
        return self.started_at + max(1, k) * self.window


def session_key(row: RelaySession) -> str:
    """What a session's job id and post ids are built from: the event key of its `/转播 开始`,
    never its row id (storage/keys.py: a re-run after a crash gets another id)."""
    return round_key(row.start_key)


def job_id(relay: ActiveRelay) -> str:
    return f"relay:{relay.key}"


class RelayService:
    """The running relays of this process (mirrored from the database) and their jobs.

    Every decision about a message is made as of its own time (the event time), never as of
    when it is handled: the relay it belongs to is the one running at its time, so a line,
    a `#提问` or a `/转播 结束` delivered again after a restart (or late) lands where it
    would have in an uninterrupted run, also when a later relay runs by then.

    With several processes on one PostgreSQL database (`uow.shared`) the handlers read the
    sessions from the database instead: another process may have started or ended one."""

    def __init__(
        self,
        config: AppConfig,
        uow: UnitOfWorkFactory,
        scheduler: SchedulerService,
        context_for: Callable[[str], Context],
    ) -> None:
        self.config = config
        self.uow = uow
        self.scheduler = scheduler
        self.context_for = context_for
        self.by_source: dict[str, ActiveRelay] = {}
        self._jobs: dict[int, str] = {}  # session row id -> its job's id
        # relays that ended lately, per source group: (relay, when it ended)
        self.ended: dict[str, list[tuple[ActiveRelay, datetime]]] = {}
        # when this process started: windows that closed before it wait for the first one
        # after it (see tick)
        self.resumed_at: datetime | None = None

    async def start_service(self) -> None:
        self.resumed_at = self.clock_now()
        async with self.uow() as uow:
            rows = await RelayRepo(uow.session).active()
            ended = await RelayRepo(uow.session).ended_since(self.clock_now() - REMEMBER_ENDED)
        for done in sorted(ended, key=lambda r: r.started_at):
            if done.ended_at is not None:
                self._ended(ActiveRelay.of(done), done.ended_at)
        for row in rows:
            relay = ActiveRelay.of(row)
            # the job's runs for windows that closed while the bot was down are due at once,
            # from the end of the first window not posted yet (tick: they wait for the first
            # window end after the start, which posts them in order)
            since = relay.started_at + relay.window * (row.flushed_through + 2)
            self.add(relay, since=since)

    async def on_config(self, config: AppConfig) -> None:
        self.config = config

    def add(self, relay: ActiveRelay, since: datetime | None = None) -> None:
        self.by_source[relay.source_group] = relay
        trigger = WindowTrigger(relay.started_at, relay.window)

        async def tick(at: datetime) -> None:
            await self.tick(relay, at)

        self._jobs[relay.session_id] = job_id(relay)
        self.scheduler.set_job(job_id(relay), trigger, tick, since=since)

    def clock_now(self) -> datetime:
        return self.scheduler.clock.now()

    def _ended(self, relay: ActiveRelay, ended_at: datetime) -> None:
        done = self.ended.setdefault(relay.source_group, [])
        if all(r.session_id != relay.session_id for r, _ in done):
            done.append((relay, ended_at))

    def _known(self) -> list[tuple[ActiveRelay, datetime | None]]:
        """Every relay this process knows of: running ones, and those ended lately."""
        running: list[tuple[ActiveRelay, datetime | None]] = [
            (r, None) for r in self.by_source.values()
        ]
        return running + [(r, e) for done in self.ended.values() for r, e in done]

    async def relay_at(self, source_group: str, at: datetime) -> ActiveRelay | None:
        """The relay from `source_group` that was running at `at` (a message's own time):
        the running one if it had started by then, or one that ended since."""
        if self.uow.shared:
            if not self.config.sets_of(source_group):
                return None
            async with self.uow() as uow:
                rows = await RelayRepo(uow.session).running_at(at, source_group)
            return ActiveRelay.of(rows[0]) if rows else None
        relay = self.by_source.get(source_group)
        if relay is not None and relay.started_at <= at:
            return relay
        ended = self.ended.get(source_group)
        if not ended:
            return None
        return next((r for r, e in reversed(ended) if r.started_at <= at < e), None)

    def forget(self, session_id: int, ended_at: datetime | None = None) -> None:
        for group, relay in list(self.by_source.items()):
            if relay.session_id == session_id:
                del self.by_source[group]
                if ended_at is not None:
                    self._ended(relay, ended_at)
        job = self._jobs.pop(session_id, None)
        if job is not None:
            self.scheduler.remove_job(job)

    async def targeting_at(self, group_id: str, at: datetime) -> ActiveRelay | None:
        """The relay that was posting into `group_id` at `at` (a message's own time); the
        latest started when there were several."""
        if self.uow.shared:
            if not self.config.sets_of(group_id):
                return None
            async with self.uow() as uow:
                relays = [ActiveRelay.of(r) for r in await RelayRepo(uow.session).running_at(at)]
        else:
            relays = [
                r
                for r, ended in self._known()
                if r.started_at <= at and (ended is None or at < ended)
            ]
        found = [r for r in relays if group_id in r.targets]
        return max(found, key=lambda r: (r.started_at, r.session_id)) if found else None

    async def tick(self, relay: ActiveRelay, at: datetime) -> None:
        """A window closed: post the windows closed so far; end the relay when it timed out.

        A window that closed before this process started (the bot was down) is not posted
        by its own late run: the speaker's lines of that time may still be on their way (a
        platform delivers them again at start-up), so it waits for the first window that
        closes after the start, which posts every closed window, each with its own lines.
        Whether the relay ended is decided by the lines' own times, not by when this runs:
        it ended at the first window end at least `idle_timeout` after the last line (or
        `max_duration` after the start), whenever that is found out."""
        ctx = self.context_for(relay.source_group)
        settings = self.config.root.relay
        async with self.uow() as uow:
            repo = RelayRepo(uow.session)
            row = await repo.lock(relay.session_id)
            if row is None or row.status != ACTIVE:
                ended_at = row.ended_at if row is not None else None
                uow.after_commit(lambda: self.forget(relay.session_id, ended_at))
                return
            if self.resumed_at is not None and at <= self.resumed_at:
                return  # closed while the bot was down: the first window after the start posts it
            ended_at, reason = timed_end(row, settings)
            # the windows closed by then (by the end, when it ended before this run)
            closed = bucket_of(relay.started_at, relay.window, min(at, ended_at)) - 1
            await flush(ctx, repo, row, closed)
            if ended_at <= at:
                log.info("relay %d from %s ended: %s", row.id, row.source_group, reason)
                await finish(ctx, repo, row, ended_at, reason)
                uow.after_commit(lambda: self.forget(relay.session_id, ended_at))


def window_end_from(started_at: datetime, window: timedelta, when: datetime) -> datetime:
    """The first end of a merge window at or after `when` (when the window job sees it)."""
    k = -(-(when - started_at) // window)  # ceiling
    return started_at + max(1, k) * window


def timed_end(row: RelaySession, settings: RelaySettings) -> tuple[datetime, str]:
    """When a running relay ends by itself, by the lines' own times (not by when this is
    found out): the first window end `idle_timeout` after its last line, or `max_duration`
    after its start; the idle end when both fall on the same window end."""
    window = timedelta(milliseconds=row.window_ms)
    idle = window_end_from(row.started_at, window, row.last_line_at + settings.idle_timeout)
    duration = window_end_from(row.started_at, window, row.started_at + settings.max_duration)
    return (idle, "idle") if idle <= duration else (duration, "duration")


def relay_service(deps: ServiceDeps) -> RelayService:
    return RelayService(deps.config, deps.uow, deps.scheduler, deps.context_for)


def _service(ctx: Context) -> RelayService | None:
    return ctx.services.find(RelayService)


# --- posting windows -------------------------------------------------------------------------


def _group_name(ctx: Context, group_id: str) -> str:
    return ctx.config.group(group_id).name


def _short(text: str, limit: int = 30) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[:limit] + "…"


def render_line(
    ctx: Context,
    line: RelayLine,
    target: str,
    source_group: str,
    questions: dict[int, RelayQuestion],
) -> tuple[str, str | None]:
    """One relayed line for one target group, and whom it mentions (an answered asker)."""
    body = (
        IMAGE_NOTE.format(group=_group_name(ctx, source_group))
        if line.kind == "image"
        else line.text
    )
    question = questions.get(line.answer_to) if line.answer_to is not None else None
    if question is None:
        return f"{line.speaker_name}：{body}", None
    asker = f"{_group_name(ctx, question.group_id)}·{question.member_name}"
    text = f"{line.speaker_name}（回答 {asker} 的提问「{_short(question.text)}」）：{body}"
    return text, question.member_id if question.group_id == target else None


async def post_window(
    ctx: Context,
    lines: list[RelayLine],
    target: str,
    source_group: str,
    questions: dict[int, RelayQuestion],
    head: str = "",
) -> None:
    """A window's lines to one target: one merged text post; a picture the transport can
    post (the event carried a local copy) goes out as itself, between the texts around it.
    `head` goes before each line (a late line's mark)."""
    can_post_images = capabilities_of(ctx.config.root.transport.type).can_send_images
    pending: list[str] = []
    mentions: list[str] = []

    async def post_text() -> None:
        if pending:
            await ctx.sender.send_text(target, "\n".join(pending), tuple(dict.fromkeys(mentions)))
            pending.clear()
            mentions.clear()

    for line in lines:
        if line.kind == "image" and line.text and can_post_images:
            await post_text()
            await ctx.sender.send_image(target, line.text, f"{head}{line.speaker_name}：")
            continue
        text, mention = render_line(ctx, line, target, source_group, questions)
        pending.append(head + text)
        if mention is not None:
            mentions.append(mention)
    await post_text()


async def post_late(ctx: Context, repo: RelayRepo, row: RelaySession, line: RelayLine) -> None:
    """A line stored after its window was posted (delivered late, or again after a restart
    that posted its window first): it keeps the window of its own time and goes out by
    itself, marked with that time, under a key built from the session and the line's event
    key (the caller stores the line in the same transaction, so it goes out once)."""
    answered = [line.answer_to] if line.answer_to is not None else []
    questions = {q.number: q for q in await repo.questions(row.id, answered)}
    said = line.at.astimezone(ctx.config.group(row.source_group).tz)
    head = LATE_HEAD.format(time=f"{said:%H:%M:%S}")
    async with ctx.uow.scope(f"relay:{session_key(row)}:late:{line.source_key}"):
        for target in json.loads(row.targets):
            await post_window(ctx, [line], target, row.source_group, questions, head)


def running_at(row: RelaySession, settings: RelaySettings, at: datetime) -> bool:
    """Whether the relay was running at `at` (a message's own time). A running relay whose
    idle or duration end lies before `at` had ended by then, though its window job has not
    found that out yet (it was down)."""
    if row.started_at > at:
        return False
    if row.status != ACTIVE:
        return row.ended_at is not None and at < row.ended_at
    return at < timed_end(row, settings)[0]


async def flush(ctx: Context, repo: RelayRepo, row: RelaySession, upto: int) -> int:
    """Post every stored window after `flushed_through` up to `upto` (the caller holds the
    session's lock); returns the number of lines posted."""
    if upto <= row.flushed_through:
        return 0
    lines = await repo.lines_between(row.id, row.flushed_through, upto)
    answered = {line.answer_to for line in lines if line.answer_to is not None}
    questions = {q.number: q for q in await repo.questions(row.id, sorted(answered))}
    targets: list[str] = json.loads(row.targets)
    last = row.flushed_through
    for bucket, in_window in groupby(lines, key=lambda line: line.bucket):
        window_lines = list(in_window)
        async with ctx.uow.scope(f"relay:{session_key(row)}:{bucket}"):
            for target in targets:
                await post_window(ctx, window_lines, target, row.source_group, questions)
        last = bucket
    row.flushed_through = max(last, upto) if upto != FAR_BUCKET else last
    return len(lines)


async def finish(
    ctx: Context, repo: RelayRepo, row: RelaySession, at: datetime, reason: str
) -> int:
    """Post what is left, the closing line everywhere, and end the session."""
    await flush(ctx, repo, row, FAR_BUCKET)
    # every window closed by the end counts as posted, whether or not the window job ran
    # for it before the end came in (after a restart it may not have)
    window = timedelta(milliseconds=row.window_ms)
    row.flushed_through = max(row.flushed_through, bucket_of(row.started_at, window, at) - 1)
    lines = await repo.count_lines(row.id)
    end_session(row, at, reason)
    why = {
        "idle": f"（{_minutes(ctx.config.root.relay.idle_timeout)}没有新发言，自动结束）",
        "duration": f"（已满{_minutes(ctx.config.root.relay.max_duration)}，自动结束）",
    }.get(reason, "")
    source = _group_name(ctx, row.source_group)
    async with ctx.uow.scope(f"relay:{session_key(row)}:end"):
        for target in json.loads(row.targets):
            await ctx.sender.send_text(
                target,
                f"📡 来自「{source}」的转播已结束{why}：共 {lines} 条发言、"
                f"{row.questions} 个提问。感谢参与！",
            )
        if reason != "command":
            await ctx.sender.send_text(
                row.source_group, f"📡 转播已结束{why}：共转发 {lines} 条发言。"
            )
    return lines


def _minutes(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes % 60 == 0:
        return f"{minutes // 60} 小时"
    return f"{minutes} 分钟"


# --- /转播 -------------------------------------------------------------------------------------


async def cmd_relay(call: CommandCall, ctx: Context) -> None:
    words = call.words
    if not words:
        raise UsageError()
    if words[0] in ("开始", "start"):
        await _start(call, ctx, words[1:])
    elif words[0] in ("结束", "停止", "stop", "end"):
        await _stop(call, ctx)
    else:
        raise UsageError()


async def _start(call: CommandCall, ctx: Context, words: list[str]) -> None:
    message = call.message
    service = _service(ctx)
    settings = ctx.config.root.relay
    if service is None or not settings.enabled:
        await ctx.reply(message, "转播功能没有开启。")
        return
    refusal = relay_source_refusal(capabilities_of(ctx.config.root.transport.type))
    if refusal is not None:
        await ctx.reply(message, refusal)
        return
    own_sets = ctx.config.sets_of(message.group_id)
    if not words and len(own_sets) == 1:
        words = [own_sets[0].name]  # the group is in one set only: no need to name it
    if len(words) != 1:
        listed = "、".join(s.name for s in own_sets) or "（本群不在任何集合里）"
        raise UsageError(f"请写一个群集合的名字。本群所在的集合：{listed}")
    group_set = ctx.config.group_set(words[0])
    if group_set is None:
        known = "、".join(ctx.config.sets) or "（还没有配置）"
        await ctx.reply(message, f"没有名为「{words[0]}」的群集合。可用的集合：{known}")
        return
    if message.group_id not in group_set:
        await ctx.reply(message, f"本群不在集合「{group_set.name}」里，不能向它转播。")
        return
    if not ctx.config.is_set_admin(group_set, message.sender_id):
        await ctx.reply(
            message, f"只有能管理集合「{group_set.name}」里每个群的管理员才能开始转播。"
        )
        return
    targets = tuple(g for g in group_set.group_ids if g != message.group_id)
    if not targets:
        await ctx.reply(message, f"集合「{group_set.name}」里没有别的群可以转播。")
        return
    window = relay_window(ctx.config, len(targets))
    speakers = call.mentions or (message.sender_id,)
    if len(speakers) > settings.max_speakers:
        raise UsageError(f"一次最多指定 {settings.max_speakers} 位主讲人。")
    await flushed(ctx)  # the speakers' names may so far only be in the buffered activity log
    key = event_key(message)
    async with ctx.uow() as uow:
        repo = RelayRepo(uow.session)
        if await repo.by_start_key(key) is not None:
            return  # a redelivered command: it was started and announced already
        running = await repo.active_for_source(message.group_id)
        if running is not None:
            await ctx.reply(
                message, f"本群已经在向集合「{running.set_name}」转播，请先发 /转播 结束。"
            )
            return
        names = await uow.members.names(message.group_id, list(speakers))
        if message.sender_name:
            names.setdefault(message.sender_id, message.sender_name)
        row = await repo.create(
            RelaySession(
                start_key=key,
                set_name=group_set.name,
                source_group=message.group_id,
                targets=json.dumps(list(targets), ensure_ascii=False),
                speakers=json.dumps(list(speakers), ensure_ascii=False),
                started_by=message.sender_id,
                started_at=message.time,
                window_ms=window // timedelta(milliseconds=1),
                status=ACTIVE,
                end_reason="",
                last_line_at=message.time,
                flushed_through=-1,
                questions=0,
            )
        )
        relay = ActiveRelay.of(row)
        uow.after_commit(lambda: service.add(relay))
    log.info(
        "relay %d: %s to set %s (%d groups), window %ss",
        relay.session_id,
        message.group_id,
        group_set.name,
        len(targets),
        window.total_seconds(),
    )
    who = "、".join(names.get(s) or s for s in speakers)
    source = _group_name(ctx, message.group_id)
    for target in targets:
        await ctx.sender.send_text(
            target,
            f"📡 「{source}」的转播开始了：{who} 的发言会陆续转到本群。"
            f"有问题请发「#提问 你的问题」，会转给主讲人。",
        )
    await ctx.reply(
        message,
        f"已开始把 {who} 的发言转播到集合「{group_set.name}」的 {len(targets)} 个群，"
        f"每 {int(window.total_seconds())} 秒合并成一条发出。结束请发 /转播 结束。",
    )


async def _stop(call: CommandCall, ctx: Context) -> None:
    message = call.message
    service = _service(ctx)
    async with ctx.uow() as uow:
        repo = RelayRepo(uow.session)
        found = await repo.active_for_source(message.group_id)
        row = await repo.lock(found.id) if found is not None else None
        if row is not None and row.status == ACTIVE and row.started_at <= message.time:
            ended_at, reason = timed_end(row, ctx.config.root.relay)
            if ended_at <= message.time:
                # as of its own time the relay had ended by itself already (the window job
                # has not found that out yet: the bot was down): it ends as it would have
                await finish(ctx, repo, row, ended_at, reason)
                session_id = row.id
                if service is not None:
                    uow.after_commit(lambda: service.forget(session_id, ended_at))
                row = None
        if row is None or row.status != ACTIVE or row.started_at > message.time:
            # (a redelivered /转播 结束 lands here too, also when a later relay runs by now:
            # as of its own time it ended the earlier one; this reply then takes the outbox
            # id of the first handling's reply, so nothing new goes out)
            await ctx.reply(message, "本群现在没有进行中的转播。")
            return
        lines = await finish(ctx, repo, row, message.time, "command")
        session_id, questions = row.id, row.questions
        if service is not None:
            uow.after_commit(lambda: service.forget(session_id, message.time))
    log.info("relay %d from %s ended by %s", session_id, message.group_id, message.sender_id)
    await ctx.reply(message, f"转播已结束，共转发 {lines} 条发言、{questions} 个提问。")


# --- speaker lines and answers ---------------------------------------------------------------


def _answer_of(message: Message) -> tuple[int | None, str]:
    """(question number, the answer's text) for `#回答 N 内容` or a quote of a relayed
    question; (None, text) for a plain line."""
    text = message.text.strip()
    for tag in ANSWER_TAGS:
        if text.startswith(tag):
            rest = text[len(tag) :].strip()
            head, _, body = rest.partition(" ")
            number = parse_number(head.removeprefix("提问"), low=1)
            if number is not None and body.strip():
                return number, body.strip()
            return 0, ""  # malformed: the caller answers with the usage
    if message.quote_text:
        found = _QUOTE_REF.search(message.quote_text)
        if found is not None:
            return int(found.group(1)), text
    return None, text


def could_be_line(message: Message) -> bool:
    return not is_command_text(message.text) and (bool(message.text.strip()) or message.is_image)


async def handle_line(message: Message, ctx: Context) -> Flow:
    service = _service(ctx)
    if service is None:
        return CONTINUE
    # the relay running at the line's own time: after a restart a line delivered again may
    # be one of an earlier relay (ended since, a later one running now)
    relay = await service.relay_at(message.group_id, message.time)
    if relay is None or message.sender_id not in relay.speakers:
        return CONTINUE
    number, text = _answer_of(message)
    if number == 0:
        await ctx.reply(message, f"用法：{ANSWER_USAGE}")
        return STOP
    key = event_key(message)
    picture = message.is_image and not text
    async with ctx.uow() as uow:
        repo = RelayRepo(uow.session)
        row = await repo.lock(relay.session_id)
        if row is None:
            return CONTINUE
        if not running_at(row, ctx.config.root.relay, message.time):
            return CONTINUE  # the relay had ended by the line's own time
        running = row.status == ACTIVE
        if await repo.has_line(row.id, key):
            return STOP  # a redelivered line: stored (and maybe posted) already
        if number is not None and await repo.question(row.id, number) is None:
            await ctx.reply(message, f"本次转播里没有编号为 {number} 的提问。")
            return STOP
        # the window of its own time, also when it arrives late
        bucket = bucket_of(relay.started_at, relay.window, message.time)
        line = RelayLine(
            session_id=row.id,
            source_key=key,
            bucket=bucket,
            speaker_id=message.sender_id,
            speaker_name=message.sender_name or message.sender_id,
            kind="image" if picture else "text",
            # a picture's line keeps its local copy, if the transport fetched one
            text=(message.image_path or "") if picture else text,
            at=message.time,
            answer_to=number,
        )
        await repo.add_line(line)
        if running:
            row.last_line_at = max(row.last_line_at, message.time)
        if not running or bucket <= row.flushed_through:
            # its window went out already (or the relay ended since): it goes out now, on
            # its own, marked as late; once, since it is stored in this same transaction
            await post_late(ctx, repo, row, line)
    return STOP


# --- #提问 -------------------------------------------------------------------------------------


def is_question(message: Message) -> bool:
    return message.text.lstrip().startswith(ASK_TAGS)


async def handle_question(message: Message, ctx: Context) -> Flow:
    service = _service(ctx)
    if service is None:
        return CONTINUE
    key = event_key(message)
    async with ctx.uow() as uow:
        # A question relayed already stays the relay's, also when it is delivered again
        # after the relay ended (a restart): it must not become chat (an unanswered FAQ
        # question, a nudge) the second time. One lookup by its unique key; `#提问` is rare.
        if await RelayRepo(uow.session).question_by_key(key) is not None:
            return STOP
    # the relay into this group at the question's own time: one asked before the relay
    # ended is the relay's even when it arrives after the end
    relay = await service.targeting_at(message.group_id, message.time)
    if relay is None:
        return CONTINUE  # no relay into this group: the tag means nothing special here
    text = message.text.lstrip()
    body = next(text[len(t) :] for t in ASK_TAGS if text.startswith(t)).strip(" ：:\n\t")
    if not body:
        await ctx.reply(message, f"请在「#提问」后面写上问题。\n用法：{ASK_USAGE}")
        return STOP
    limit = ctx.config.root.relay.question_max_chars
    if len(body) > limit:
        await ctx.reply(message, f"问题太长了，请控制在 {limit} 个字以内。")
        return STOP
    member = message.sender_name or message.sender_id
    async with ctx.uow() as uow:
        repo = RelayRepo(uow.session)
        row = await repo.lock(relay.session_id)
        if row is None:
            return CONTINUE
        if not running_at(row, ctx.config.root.relay, message.time):
            return CONTINUE  # the relay had ended by the question's own time
        running = row.status == ACTIVE
        if await repo.question_by_key(key) is not None:
            return STOP  # a redelivered question: relayed already
        row.questions += 1
        number = row.questions
        await repo.add_question(
            RelayQuestion(
                session_id=row.id,
                number=number,
                source_key=key,
                group_id=message.group_id,
                member_id=message.sender_id,
                member_name=member,
                text=body,
                asked_at=message.time,
            )
        )
    head = QUESTION_HEAD.format(
        number=number, group=_group_name(ctx, message.group_id), member=member
    )
    if running:
        how = f"（引用这条消息回复，或发「#回答 {number} 内容」，答复会转回提问的群）"
        reply = f"已转给主讲人（提问{number}），答复会发回本群。"
    else:
        how = "（这条提问在转播结束前发出，送到时转播已经结束）"
        reply = f"转播已经结束，你的问题已转给主讲人（提问{number}）。"
    await ctx.sender.send_text(relay.source_group, f"{head}{body}\n{how}")
    await ctx.reply(message, reply)
    return STOP


# --- /红包 for a good question ---------------------------------------------------------------


def _reward_question(message: Message) -> int | None:
    """The question a `/红包` in a relay's source group is about (quoted, or `提问N`)."""
    if message.quote_text:
        found = _QUOTE_REF.search(message.quote_text)
        if found is not None:
            return int(found.group(1))
    words = parse_call(message).words
    if words and words[0].startswith("提问"):
        return parse_number(words[0].removeprefix("提问"), low=1)
    return None


def is_question_reward(message: Message) -> bool:
    if not is_command_text(message.text) or message.mentions:
        return False
    name = parse_call(message).name.lower()
    if name not in ("/红包", "/reward"):
        return False
    if message.quote_text and _QUOTE_REF.search(message.quote_text):
        return True
    words = parse_call(message).words
    return bool(words) and _QUESTION_REF.fullmatch(words[0]) is not None


async def handle_question_reward(message: Message, ctx: Context) -> Flow:
    if not ctx.is_admin(message.sender_id):
        return CONTINUE  # the red-packet command refuses it as usual
    number = _reward_question(message)
    words = parse_call(message).words
    if words and _QUESTION_REF.fullmatch(words[0]):
        words = words[1:]
    found = _POINTS.match(words[0]) if words else None
    if number is None or found is None:
        await ctx.reply(message, f"用法：{REWARD_USAGE}")
        return STOP
    points = int(found.group(1))
    reason = " ".join(words[1:]) or "好问题"
    async with ctx.uow() as uow:
        repo = RelayRepo(uow.session)
        row = await repo.latest_for_source(message.group_id, message.time)
        question = await repo.question(row.id, number) if row is not None else None
        set_name = row.set_name if row is not None else ""
    if question is None:
        await ctx.reply(message, f"最近一次转播里没有编号为 {number} 的提问。")
        return STOP
    group_set = ctx.config.group_set(set_name)
    target = ctx.for_group(question.group_id)
    allowed = target.is_admin(message.sender_id) or (
        group_set is not None and ctx.config.is_set_admin(group_set, message.sender_id)
    )
    if not allowed:
        await ctx.reply(message, f"你不是「{target.group.name}」的管理员，不能给那里的成员发红包。")
        return STOP
    settings = target.group.rewards
    if not settings.enabled:
        await ctx.reply(message, f"「{target.group.name}」没有开启红包玩法。")
        return STOP
    if not 1 <= points <= settings.reward.max_points:
        await ctx.reply(message, f"一个红包要在 1 到 {settings.reward.max_points} 分之间。")
        return STOP
    result = await grant_reward(
        target,
        admin_id=message.sender_id,
        member_id=question.member_id,
        points=points,
        reason=f"{reason}（提问{number}）",
        at=message.time,
        key=f"reward:{message.group_id}:{message.message_id}",
    )
    status = result.status
    if status is GrantStatus.DUPLICATE:
        return STOP
    if status is GrantStatus.UNKNOWN_MEMBER:
        await ctx.reply(message, UNKNOWN_MEMBER.format(what="发红包"))
        return STOP
    if status is not GrantStatus.GRANTED:
        limits = {
            GrantStatus.TOO_LARGE: f"一个红包最多 {result.cap} 分。",
            GrantStatus.ADMIN_CAP: f"今天你在「{target.group.name}」已发出 {result.used} 分红包，"
            f"每位管理员每天最多 {result.cap} 分。",
            GrantStatus.MEMBER_CAP: f"这位成员今天已收到 {result.used} 分红包，"
            f"每人每天最多 {result.cap} 分。",
        }
        await ctx.reply(message, limits.get(status, "这个红包没有发出。"))
        return STOP
    giver = message.sender_name or message.sender_id
    await ctx.sender.send_text(
        question.group_id,
        f"🧧 {giver} 为好问题发来一个红包：+{points} 分\n"
        f"提问：{_short(question.text)}\n理由：{reason}\n当前积分 {result.balance}",
        (question.member_id,),
    )
    await ctx.reply(
        message,
        f"已给「{target.group.name}」的 {question.member_name} 发出 {points} 分红包（提问{number}）。",
    )
    return STOP


# --- routes ------------------------------------------------------------------------------------

COMMANDS: list[Route[Message]] = [
    command(
        "relay.command",
        ("/转播", "/relay"),
        cmd_relay,
        usage=RELAY_USAGE,
        summary="把主讲人的发言实时转播到集合里的其他群",
        admin_only=True,
    ),
    # before the red-packet command: a /红包 about a relayed question pays in the asker's group
    Route("relay.question_reward", Message, is_question_reward, handle_question_reward),
]

# A speaker's lines, before spam control and every keyword or free-text feature: the
# speakers were named by an admin of the whole set, and a lecture line is not a check-in, an
# ad, a question for the FAQ or drift.
SPEAKER_ROUTES: list[Route[Message]] = [
    Route("relay.line", Message, could_be_line, handle_line),
]

# `#提问` in a target group, after spam control (members' questions are checked like chat).
QUESTION_ROUTES: list[Route[Message]] = [
    Route("relay.question", Message, is_question, handle_question),
]

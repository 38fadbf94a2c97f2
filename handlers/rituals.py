"""Rituals: what a scheduled post says, and the admin command `/仪式`.

The scheduling (exactly once, grace time, reminders, follow-ups, hot reload) lives in
scheduler/rituals.py; this module renders templates, starts quizzes, posts digests.

    /仪式              list this group's rituals and their next time
    /仪式 run ID       post a ritual now
    /仪式 skip ID      skip its next run (persisted; reminders and follow-up skip too)
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from bot.clock import timezone_label
from bot.commands import CommandCall, UsageError, command
from bot.config import GroupSettings
from bot.context import Context
from bot.events import Message
from bot.router import Route
from bot.schedule_expr import describe_duration
from bot.settings.rituals import Ritual, template_fields
from bot.template import render_template
from handlers.checkin import leaderboard_text
from handlers.highlights import digest_text, latest_text
from handlers.rewards import start_quiz_from_bank
from scheduler.rituals import Occurrence, RitualService, find_ritual, next_event
from storage.repos.rituals import RitualRunRepo

if TYPE_CHECKING:
    from handlers import ServiceDeps

log = logging.getLogger("groupops.rituals")

WEEKDAYS = ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日")
NO_TOPIC = "自由话题"
NO_HOST = "待定"
USAGE = "/仪式 | /仪式 立即 ID | /仪式 跳过 ID"


# --- rotating lists ---------------------------------------------------------------------


def _rotate(items: list[str], index: int) -> str | None:
    return items[index % len(items)] if items else None


def _topic_index(group: GroupSettings, day: date) -> int:
    return (day - group.features.calendar.start).days


def _week_index(group: GroupSettings, day: date) -> int:
    start = group.features.calendar.start
    monday = day - timedelta(days=day.weekday())
    first_monday = start - timedelta(days=start.weekday())
    return (monday - first_monday).days // 7


def today_topic(group: GroupSettings, day: date) -> str | None:
    """The group's topic of the day from `calendar.topics` (one per day in turn), or None."""
    return _rotate(group.features.calendar.topics, _topic_index(group, day))


def host_of_week(group: GroupSettings, day: date) -> str | None:
    """The host of the ISO week containing `day` from `calendar.hosts`, or None."""
    return _rotate(group.features.calendar.hosts, _week_index(group, day))


def ritual_topic(group: GroupSettings, ritual: Ritual, day: date) -> str | None:
    """A ritual's own topic list when it has one, else the group's topic of the day."""
    if ritual.topics:
        return _rotate(ritual.topics, _topic_index(group, day))
    return today_topic(group, day)


def ritual_host(group: GroupSettings, ritual: Ritual, day: date) -> str | None:
    if ritual.hosts:
        return _rotate(ritual.hosts, _week_index(group, day))
    return host_of_week(group, day)


# --- rendering --------------------------------------------------------------------------


def local_label(group: GroupSettings, when: datetime) -> str:
    local = when.astimezone(group.tz)
    return f"{local.month}月{local.day}日 {WEEKDAYS[local.weekday()]} {local:%H:%M}"


async def render(
    ctx: Context,
    ritual: Ritual,
    template: str,
    event_at: datetime,
    *,
    countdown: timedelta | None = None,
) -> str:
    """Fill a ritual template; the leaderboard and highlights are read only when used."""
    group = ctx.group
    local = event_at.astimezone(group.tz)
    used = template_fields(template)
    values: dict[str, str] = {
        "title": ritual.name,
        "date": f"{local.month}月{local.day}日",
        "weekday": WEEKDAYS[local.weekday()],
        "time": f"{local:%H:%M}",
        "group": group.name,
        "topic": ritual_topic(group, ritual, local.date()) or NO_TOPIC,
        "host": ritual_host(group, ritual, local.date()) or NO_HOST,
        "countdown": describe_duration(countdown) + "后" if countdown else "",
    }
    if "leaderboard" in used:
        values["leaderboard"] = await leaderboard_text(ctx, ctx.now())
    if "highlights" in used:
        values["highlights"] = await latest_text(ctx, group.features.highlights.in_posts)
    return render_template(template, values)


# --- performing an occurrence (called by the scheduler after the run is recorded) ----------


async def perform(ctx: Context, occurrence: Occurrence) -> None:
    ritual = occurrence.ritual
    event_at = occurrence.event_at
    if occurrence.part == "reminder":
        assert occurrence.reminder is not None
        before = occurrence.reminder.before
        text = await render(ctx, ritual, occurrence.reminder.text, event_at, countdown=before)
        await ctx.say(text)
        return
    if occurrence.part == "follow_up":
        assert ritual.follow_up is not None
        await ctx.say(await render(ctx, ritual, ritual.follow_up.text, event_at))
        return
    header = await render(ctx, ritual, ritual.text, event_at) if ritual.text.strip() else ""
    if ritual.action == "digest":
        digest = await digest_text(ctx, ritual.digest, event_at, header)
        if not digest:
            log.info(
                "ritual %s in %s: nothing to report, no digest posted",
                ritual.id,
                ctx.group.group_id,
            )
            return
        await ctx.say(digest)
    elif ritual.action == "quiz":
        if header:
            await ctx.say(header)
        # The rewards feature picks the bank question and runs the round; the
        # round starts now (a run posted late within its grace still gets its full time).
        key = f"ritual:{ctx.group.group_id}:{ritual.id}:{event_at.isoformat()}"
        if not await start_quiz_from_bank(ctx, ctx.now(), key=key):
            log.warning(
                "ritual %s in %s: no quiz started (rewards off, empty bank, or a round open)",
                ritual.id,
                ctx.group.group_id,
            )
    elif header and not await _data_missing(ctx, ritual.text):
        await ctx.say(header)
    else:
        log.info("ritual %s in %s: its data is empty, not posted", ritual.id, ctx.group.group_id)


DATA_FIELDS = ("leaderboard", "highlights")


async def _data_missing(ctx: Context, template: str) -> bool:
    """True when a post shows data ({leaderboard}, {highlights}) and none of it exists yet:
    a board of nothing in a quiet group is noise."""
    used = [f for f in DATA_FIELDS if f in template_fields(template)]
    if not used:
        return False
    if "leaderboard" in used and await leaderboard_text(ctx, ctx.now()):
        return False
    return not ("highlights" in used and await latest_text(ctx, 1))


def ritual_service(deps: ServiceDeps) -> RitualService:
    return RitualService(
        deps.scheduler, deps.context_for, deps.uow, deps.clock, deps.config, perform
    )


# --- /仪式 ---------------------------------------------------------------------------------


def _extras(ritual: Ritual) -> str:
    parts = []
    if ritual.action == "digest":
        parts.append("日报" if ritual.digest.period == "day" else "周报")
    elif ritual.action == "quiz":
        parts.append("抢答")
    if ritual.reminders:
        befores = sorted((r.before for r in ritual.reminders), reverse=True)
        parts.append("提前" + "、".join(describe_duration(b) for b in befores) + "提醒")
    if ritual.follow_up is not None:
        parts.append(f"{describe_duration(ritual.follow_up.after)}后跟进")
    return f"（{'；'.join(parts)}）" if parts else ""


async def _list(call: CommandCall, ctx: Context) -> None:
    group = ctx.group
    if not group.rituals:
        await ctx.reply(call.message, "本群还没有配置仪式（在配置文件的仪式设置里添加）。")
        return
    now = ctx.now()
    async with ctx.uow() as uow:
        skipped = await RitualRunRepo(uow.session).skipped_after(group.group_id, now)
    lines = [f"📅 本群的仪式（{timezone_label(group.timezone)}）："]
    for ritual in group.rituals:
        title = f"「{ritual.title}」" if ritual.title else ""
        head = f"• {ritual.id}{title} {ritual.schedule}{_extras(ritual)}"
        if not ritual.enabled:
            lines.append(f"{head} — 已停用")
            continue
        upcoming = next_event(group, ritual, now)
        notes = []
        while upcoming is not None and (ritual.id, upcoming) in skipped:
            notes.append(f"{local_label(group, upcoming)} 已跳过")
            upcoming = next_event(group, ritual, upcoming)
        when = local_label(group, upcoming) if upcoming else "无"
        lines.append(f"{head}\n  下次：{when}" + (f"（{'；'.join(notes)}）" if notes else ""))
    service = ctx.services.find(RitualService)
    if service is None or not service.is_scheduled(group.group_id):
        lines.append(
            "⚠️ 本群没有列在配置文件的群列表里，仪式不会自动发布；可用 /仪式 立即 ID 手动发布。"
        )
    await ctx.reply(call.message, "\n".join(lines))


def _ritual_arg(call: CommandCall, ctx: Context) -> Ritual:
    if len(call.words) < 2:
        raise UsageError("请写仪式 ID（发送 /仪式 查看列表）。")
    ritual = find_ritual(ctx.group, call.words[1])
    if ritual is None:
        raise UsageError(f"没有找到仪式「{call.words[1]}」，发送 /仪式 查看列表。")
    return ritual


async def cmd_rituals(call: CommandCall, ctx: Context) -> None:
    words = call.words
    if not words:
        await _list(call, ctx)
        return
    sub = words[0].lower()
    service = ctx.services.get(RitualService)
    if sub in ("run", "运行", "发布", "立即"):
        ritual = _ritual_arg(call, ctx)
        await service.run_now(ctx, ritual, call.message.sender_id, call.message.time)
    elif sub in ("skip", "跳过"):
        ritual = _ritual_arg(call, ctx)
        if not ritual.enabled:
            await ctx.reply(call.message, f"仪式「{ritual.name}」已停用，无需跳过。")
            return
        when, new = await service.skip_next(ctx, ritual, call.message.sender_id)
        if when is None:
            await ctx.reply(call.message, f"仪式「{ritual.name}」没有下一次了。")
        elif new:
            await ctx.reply(
                call.message,
                f"⏭ 已跳过「{ritual.name}」{local_label(ctx.group, when)} 这一次"
                "（它的提醒和跟进也不再发送），之后照常。",
            )
        else:
            await ctx.reply(
                call.message, f"「{ritual.name}」{local_label(ctx.group, when)} 这一次已经跳过了。"
            )
    else:
        raise UsageError()


ROUTES: list[Route[Message]] = [
    command(
        "rituals.command",
        ("/仪式", "/rituals", "/ritual"),
        cmd_rituals,
        usage=USAGE,
        summary="查看本群仪式和下次时间；立即发布，或跳过下一次",
        admin_only=True,
    ),
]

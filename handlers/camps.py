"""Check-in camps (打卡营): joining, camp days from check-ins, the roster, today's task.

    /报名 [营ID或名称]      join a camp (alone: the only open camp, or the list)
    /退营 [营ID或名称]      leave it (the days done are kept; /报名 again to come back)
    /营员 [营ID或名称]      admins: the members with their days done
    /今日任务               today's task of the running camps

A member's check-in (handlers/checkin.py) counts for each camp they joined: one camp day per
camp, when the message's own time falls on a camp day and inside the camp's window. A
make-up card (补卡) fills a past camp day within the camp's own `makeup_limit`. The camp day
is written in the check-in's unit of work, so the two are stored together or not at all.
Reviews and peer review: handlers/camp_reviews.py; scheduled posts: scheduler/camps.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.exc import IntegrityError

from bot.commands import CommandCall, UsageError, command
from bot.config import GroupSettings
from bot.context import Context
from bot.events import Message
from bot.router import Route
from bot.settings.camps import Camp
from storage.repos.camps import CampRepo, CampStanding
from storage.uow import UnitOfWork

CAMP_MARK = "🏕"


# --- which camp, which day ----------------------------------------------------------------


def month_day(day: date) -> str:
    return f"{day.month}月{day.day}日"


def camp_dates(camp: Camp) -> str:
    return f"{month_day(camp.start)}—{month_day(camp.last_day)}"


def quoted(camp: Camp) -> str:
    return f"「{camp.name}」"


@dataclass(frozen=True)
class CampDayRef:
    """A camp and the camp day a moment falls on."""

    camp: Camp
    day: date
    index: int  # 1 .. camp.days


def running_at(group: GroupSettings, when: datetime) -> list[CampDayRef]:
    """The camps of the group with a camp day at `when` (pure: no database)."""
    out = []
    for camp in group.features.camps:
        day = camp.day_of(when, group.tz)
        index = camp.index_of(day)
        if index is not None:
            out.append(CampDayRef(camp, day, index))
    return out


def open_for_joining(group: GroupSettings, when: datetime) -> list[Camp]:
    """Camps a member may still join: until the last day's check-ins stop counting."""
    return [c for c in group.features.camps if when < c.deadline(c.last_day, group.tz)]


def find_camp(camps: list[Camp], word: str) -> Camp | None:
    """A camp by its id (any case) or its title."""
    wanted = word.strip().strip("「」")
    for camp in camps:
        if camp.id.lower() == wanted.lower() or (camp.title and camp.title == wanted):
            return camp
    return None


def listing(camps: list[Camp]) -> str:
    return "、".join(f"{c.id}{quoted(c)}" for c in camps)


def pick_camp(group: GroupSettings, args: str, candidates: list[Camp] | None = None) -> Camp:
    """The camp named in a command's arguments; alone, the only candidate. UsageError
    (with the camps to choose from) otherwise."""
    camps = group.features.camps
    if not camps:
        raise UsageError("本群还没有打卡营。")
    if args:
        found = find_camp(camps, args)
        if found is None:
            shown = args if len(args) <= 20 else args[:19] + "…"
            raise UsageError(f"没有找到打卡营「{shown}」。本群的打卡营：{listing(camps)}")
        return found
    choices = candidates if candidates is not None else camps
    if len(choices) == 1:
        return choices[0]
    raise UsageError(f"请写上营ID。本群的打卡营：{listing(choices or camps)}")


def rank_standings(standings: list[CampStanding]) -> list[tuple[int, CampStanding]]:
    """Best first (days, then review points, then excellent works, then who joined first),
    with competition ranks: equal days and points share a rank (1, 1, 3)."""
    ordered = sorted(
        standings, key=lambda s: (-s.days, -s.points, -s.excellent, s.joined_at, s.member_id)
    )
    ranked: list[tuple[int, CampStanding]] = []
    for position, standing in enumerate(ordered, start=1):
        previous = ranked[-1] if ranked else None
        same = previous is not None and (previous[1].days, previous[1].points) == (
            standing.days,
            standing.points,
        )
        ranked.append((previous[0] if same and previous else position, standing))
    return ranked


async def display_names(uow: UnitOfWork, group_id: str, member_ids: list[str]) -> dict[str, str]:
    names = await uow.members.names(group_id, sorted(set(member_ids)))
    return {m: names.get(m) or m for m in member_ids}


# --- check-ins and make-up cards count for the camps (called inside their unit of work) ----


def _progress(camp: Camp, done: int) -> str:
    text = f"{done}/{camp.days} 天"
    if done == camp.required_days:
        text += "，已达到结营标准 🎉"
    return text


async def camp_checkin_line(
    ctx: Context, uow: UnitOfWork, message: Message, content: str
) -> str | None:
    """Count a check-in for every camp the member joined; the line for the reply, or None
    when no camp of the member is running. Call it in the check-in's unit of work."""
    group = ctx.group
    running = running_at(group, message.time)
    if not running:
        return None  # the common case costs no query
    repo = CampRepo(uow.session)
    joined = {
        m.camp_id: m
        for m in await repo.memberships(
            group.group_id, message.sender_id, [r.camp.id for r in running], lock=True
        )
    }
    parts: list[str] = []
    for ref in running:
        membership = joined.get(ref.camp.id)
        if membership is None or message.time < membership.joined_at:
            continue
        camp = ref.camp
        if not camp.in_window(message.time, group.tz):
            parts.append(f"{quoted(camp)}的打卡时间是 {camp.window_text}，这次不计入营内天数")
            continue
        added = await repo.add_day(
            group_id=group.group_id,
            camp_id=camp.id,
            member_id=message.sender_id,
            day=ref.day,
            day_index=ref.index,
            message_id=message.message_id,
            at=message.time,
            content=content,
            makeup=False,
        )
        done, _ = await repo.progress(group.group_id, camp.id, message.sender_id)
        if added:
            parts.append(f"{quoted(camp)}第 {ref.index} 天完成（{_progress(camp, done)}）")
        else:
            parts.append(f"{quoted(camp)}今天已经计入了（{done}/{camp.days} 天）")
    return f"{CAMP_MARK} " + "；".join(parts) if parts else None


async def camp_makeup_line(
    ctx: Context, uow: UnitOfWork, message: Message, target: date
) -> str | None:
    """A make-up card for `target` fills that camp day of every camp the member joined,
    within each camp's own `makeup_limit`. Call it in the make-up's unit of work."""
    group = ctx.group
    camps = [
        c
        for c in group.features.camps
        if c.index_of(target) is not None and message.time < c.closes_at(group.tz)
    ]
    if not camps:
        return None
    repo = CampRepo(uow.session)
    joined = {
        m.camp_id: m
        for m in await repo.memberships(
            group.group_id, message.sender_id, [c.id for c in camps], lock=True
        )
    }
    parts: list[str] = []
    for camp in camps:
        membership = joined.get(camp.id)
        if membership is None:
            continue
        index = camp.index_of(target)
        assert index is not None
        if camp.day_of(membership.joined_at, group.tz) > target:
            parts.append(f"{quoted(camp)}第 {index} 天在你报名之前，不计入营内")
            continue
        done, used = await repo.progress(group.group_id, camp.id, message.sender_id)
        if used >= camp.makeup_limit:
            parts.append(
                f"{quoted(camp)}的补卡机会（每人 {camp.makeup_limit} 次）已经用完，这天不计入营内"
            )
            continue
        added = await repo.add_day(
            group_id=group.group_id,
            camp_id=camp.id,
            member_id=message.sender_id,
            day=target,
            day_index=index,
            message_id=message.message_id,
            at=message.time,
            content="",
            makeup=True,
        )
        if not added:
            parts.append(f"{quoted(camp)}第 {index} 天已经计入了")
            continue
        left = camp.makeup_limit - used - 1
        parts.append(
            f"已为{quoted(camp)}补上第 {index} 天（{_progress(camp, done + 1)}，"
            f"本营还能补卡 {left} 次）"
        )
    return f"{CAMP_MARK} " + "；".join(parts) if parts else None


async def review_counts_line(uow: UnitOfWork, group: GroupSettings, member_id: str) -> str | None:
    """/我的: the reviews of camp work the member received and gave (groups with camps)."""
    if not group.features.camps:
        return None
    received, given = await CampRepo(uow.session).review_counts(group.group_id, member_id)
    return f"📝 作业点评：收到 {received} 条，给出 {given} 条"


# --- /报名 /退营 ---------------------------------------------------------------------------


def _checkin_word(group: GroupSettings) -> str:
    return group.checkin.keywords[0] if group.checkin.keywords else "打卡"


def camp_intro(group: GroupSettings, camp: Camp) -> list[str]:
    finish = (
        f"完成 {camp.required_days} 天即可结营"
        if camp.required_days < camp.days
        else "每天都完成即可结营"
    )
    when = f"每天 {camp.window_text} " if camp.window is not None else "每天"
    lines = [
        f"📅 {camp_dates(camp)}，共 {camp.days} 天，{finish}",
        f"⏰ {when}发送「{_checkin_word(group)} + 今天的作业」计入营内",
    ]
    if camp.makeup_limit:
        lines.append(f"🩹 漏了可以「补卡 日期」，本营每人可补 {camp.makeup_limit} 次")
    return lines


async def cmd_join(call: CommandCall, ctx: Context) -> None:
    message, group = call.message, ctx.group
    open_camps = open_for_joining(group, message.time)
    if not call.args and len(open_camps) != 1:
        if not open_camps:
            await ctx.reply(message, "现在没有可以报名的打卡营。")
            return
        lines = ["可以报名的打卡营："]
        for camp in open_camps:
            window = f"，打卡时间 {camp.window_text}" if camp.window is not None else ""
            lines.append(f"• {camp.id}{quoted(camp)} {camp_dates(camp)}，共 {camp.days} 天{window}")
        lines.append(f"发送「/报名 营ID」加入，例如：/报名 {open_camps[0].id}")
        await ctx.reply(message, "\n".join(lines))
        return
    camp = pick_camp(group, call.args, open_camps)
    if camp not in open_camps:
        await ctx.reply(message, f"{quoted(camp)}已经结束了，期待下一期～")
        return
    try:
        async with ctx.uow() as uow:
            repo = CampRepo(uow.session)
            outcome = await repo.join(group.group_id, camp.id, message.sender_id, message.time)
            done, _ = await repo.progress(group.group_id, camp.id, message.sender_id)
    except IntegrityError:
        outcome, done = "already", 0  # the same member joined from another process just now
    if outcome == "already":
        await ctx.reply(message, f"你已经在{quoted(camp)}里啦，已完成 {done}/{camp.days} 天。")
        return
    if outcome == "rejoined":
        await ctx.reply(
            message,
            f"欢迎回到{quoted(camp)}！之前的 {done} 天都还在，继续加油～",
        )
        return
    lines = [f"🎉 报名成功，欢迎加入{quoted(camp)}！", *camp_intro(group, camp)]
    today = camp.day_of(message.time, group.tz)
    index = camp.index_of(today)
    if index is not None and index > 1:
        lines.append(f"今天是第 {index} 天，从今天开始计入。")
    await ctx.reply(message, "\n".join(lines))


async def cmd_leave(call: CommandCall, ctx: Context) -> None:
    message, group = call.message, ctx.group
    mine: list[Camp] = []
    if not call.args:
        async with ctx.uow() as uow:
            rows = await CampRepo(uow.session).memberships(
                group.group_id, message.sender_id, [c.id for c in group.features.camps]
            )
        ids = {r.camp_id for r in rows}
        mine = [c for c in group.features.camps if c.id in ids]
        if not mine:
            await ctx.reply(message, "你还没有报名打卡营。")
            return
    camp = pick_camp(group, call.args, mine or None)
    async with ctx.uow() as uow:
        left = await CampRepo(uow.session).leave(
            group.group_id, camp.id, message.sender_id, message.time
        )
    if not left:
        await ctx.reply(message, f"你还没有报名{quoted(camp)}。")
        return
    await ctx.reply(
        message,
        f"已退出{quoted(camp)}。之前的打卡记录会保留，想回来随时发送「/报名 {camp.id}」。",
    )


# --- /营员 /今日任务 ------------------------------------------------------------------------


async def cmd_roster(call: CommandCall, ctx: Context) -> None:
    message, group = call.message, ctx.group
    camp = pick_camp(group, call.args)
    async with ctx.uow() as uow:
        standings = await CampRepo(uow.session).standings(group.group_id, camp.id)
        names = await display_names(uow, group.group_id, [s.member_id for s in standings])
    if not standings:
        await ctx.reply(message, f"{quoted(camp)}还没有人报名。")
        return
    today = camp.day_of(message.time, group.tz)
    index = camp.index_of(today)
    if index is not None:
        when = f"今天第 {index}/{camp.days} 天"
    elif today < camp.start:
        when = f"{month_day(camp.start)}开营"
    else:
        when = "已结束"
    lines = [
        f"{CAMP_MARK} {quoted(camp)}营员 {len(standings)} 人（{when}，结营标准 {camp.required_days} 天）："
    ]
    for rank, s in rank_standings(standings):
        extra = [f"补卡 {s.makeups}"] if s.makeups else []
        if s.points:
            extra.append(f"点评 {s.points} 分")
        note = f"（{'，'.join(extra)}）" if extra else ""
        mark = " ✅" if s.days >= camp.required_days else ""
        lines.append(f"{rank}. {names[s.member_id]} {s.days} 天{note}{mark}")
    await ctx.reply(message, "\n".join(lines))


def task_line(camp: Camp, index: int) -> str:
    task = camp.task_of(index)
    if task is None:
        return f"{quoted(camp)}第 {index} 天：今天没有布置任务，按时打卡就好～"
    return f"{quoted(camp)}第 {index} 天：{task}"


async def cmd_today(call: CommandCall, ctx: Context) -> None:
    message, group = call.message, ctx.group
    running = running_at(group, message.time)
    if not running:
        upcoming = [c for c in group.features.camps if message.time < c.opens(c.start, group.tz)]
        if upcoming:
            first = min(upcoming, key=lambda c: c.start)
            await ctx.reply(
                message, f"现在没有进行中的打卡营，{quoted(first)}{month_day(first.start)}开营。"
            )
        else:
            await ctx.reply(message, "现在没有进行中的打卡营。")
        return
    lines = ["📝 今日任务"]
    for ref in running:
        line = task_line(ref.camp, ref.index)
        if ref.camp.window is not None:
            line += f"（打卡时间 {ref.camp.window_text}）"
        lines.append(line)
    await ctx.reply(message, "\n".join(lines))


ROUTES: list[Route[Message]] = [
    command(
        "camps.join",
        ("/报名", "/join"),
        cmd_join,
        usage="/报名 营ID（或营名）",
        summary="报名打卡营；不写营ID时列出可以报名的营",
    ),
    command(
        "camps.leave",
        ("/退营", "/leave"),
        cmd_leave,
        usage="/退营 营ID",
        summary="退出打卡营（打卡记录会保留）",
    ),
    command(
        "camps.roster",
        ("/营员", "/campers"),
        cmd_roster,
        usage="/营员 营ID",
        summary="打卡营的营员和完成天数",
        admin_only=True,
    ),
    command(
        "camps.today",
        ("/今日任务", "/task"),
        cmd_today,
        usage="/今日任务",
        summary="进行中的打卡营今天的任务",
    ),
]

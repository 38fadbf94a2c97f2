"""What a camp posts on its own: the day's task, the reminder, the closing post with the
certificates; and the camp's figures for the operator's `groupops camp report`.

The scheduling (exactly once, late runs, hot reload) lives in scheduler/camps.py.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.config import AppConfig, GroupSettings
from bot.context import Context
from bot.settings.camps import Camp
from handlers.camp_reviews import mention_list
from handlers.camps import (
    display_names,
    month_day,
    quoted,
    rank_standings,
)
from handlers.highlights import preview
from scheduler.camp_pictures import (
    BEFORE,
    DONE,
    EXCELLENT,
    MAKEUP,
    MISSED,
    NOT_YET,
    CalendarData,
    CalendarRow,
    CertificateData,
    render_calendar,
    render_certificate,
)
from scheduler.camps import CampPost, CampService
from scheduler.health_jobs import report_dir
from storage.models import CampDay
from storage.repos.camps import CampRepo, CampStanding, ReviewedWork
from storage.uow import UnitOfWork

if TYPE_CHECKING:
    from handlers import ServiceDeps

log = logging.getLogger("groupops.camps")

WEEKDAYS = ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日")
MEDALS = ("🥇", "🥈", "🥉")


# --- the camp's figures --------------------------------------------------------------------


@dataclass(frozen=True)
class CampResult:
    """Everything the closing post, the certificates and the calendar show."""

    camp: Camp
    group_name: str
    ranked: list[tuple[int, CampStanding]]
    names: dict[str, str]
    works: list[ReviewedWork]
    days: list[CampDay]

    @property
    def finishers(self) -> list[tuple[int, CampStanding]]:
        return [(r, s) for r, s in self.ranked if s.days >= self.camp.required_days]

    @property
    def completion(self) -> float:
        return len(self.finishers) / len(self.ranked) if self.ranked else 0.0


async def collect_camp(uow: UnitOfWork, group: GroupSettings, camp: Camp) -> CampResult:
    repo = CampRepo(uow.session)
    standings = await repo.standings(group.group_id, camp.id)
    works = await repo.reviewed_works(group.group_id, camp.id, camp.top)
    days = await repo.days_of(group.group_id, camp.id)
    names = await display_names(uow, group.group_id, [s.member_id for s in standings])
    return CampResult(camp, group.name, rank_standings(standings), names, works, days)


def certificate_of(result: CampResult, rank: int, standing: CampStanding) -> CertificateData:
    camp = result.camp
    return CertificateData(
        member_name=result.names.get(standing.member_id, standing.member_id),
        camp_title=camp.name,
        group_name=result.group_name,
        start=camp.start,
        last_day=camp.last_day,
        days_done=standing.days,
        total_days=camp.days,
        rank=rank,
        members=len(result.ranked),
        issued=camp.close_day,
    )


def calendar_of(result: CampResult, tz: ZoneInfo, today: date) -> CalendarData:
    """The members × days grid as of `today` (days from today on are not missed yet)."""
    camp = result.camp
    days = tuple(camp.day_at(i) for i in range(1, camp.days + 1))
    done: dict[tuple[str, date], CampDay] = {(d.member_id, d.day): d for d in result.days}
    rows = []
    for _rank, s in result.ranked:
        joined = camp.day_of(s.joined_at, tz)
        cells = []
        for day in days:
            found = done.get((s.member_id, day))
            if found is not None:
                cells.append(EXCELLENT if found.excellent else MAKEUP if found.makeup else DONE)
            elif day < joined:
                cells.append(BEFORE)
            elif day >= today:
                cells.append(NOT_YET)
            else:
                cells.append(MISSED)
        rows.append(CalendarRow(result.names.get(s.member_id, s.member_id), tuple(cells), s.days))
    return CalendarData(camp.name, result.group_name, days, tuple(rows), camp.required_days)


def safe_file_part(text: str) -> str:
    """A member or camp id as part of a file name: path separators and characters Windows
    refuses become `_`."""
    out = "".join("_" if c in '/\\:*?"<>|' or ord(c) < 32 else c for c in text)
    return out.lstrip(".") or "_"


def certificate_path(folder: Path, camp: Camp, member_id: str) -> Path:
    return folder / f"{safe_file_part(camp.id)}-{safe_file_part(member_id)}.png"


def calendar_path(folder: Path, camp: Camp) -> Path:
    return folder / f"{safe_file_part(camp.id)}-calendar.png"


def write_certificates(result: CampResult, folder: Path) -> list[tuple[str, Path]]:
    """One PNG per finisher in `folder`; (member id, path) each."""
    written = []
    for rank, standing in result.finishers:
        path = certificate_path(folder, result.camp, standing.member_id)
        render_certificate(certificate_of(result, rank, standing), path)
        written.append((standing.member_id, path))
    return written


def camp_folder(config: AppConfig, group: GroupSettings) -> Path:
    """Where the bot writes a group's camp pictures: <stats.report_dir>/camps/<group>."""
    return report_dir(config, group) / "camps" / safe_file_part(group.group_id)


# --- the posts -------------------------------------------------------------------------------


def task_post(group: GroupSettings, camp: Camp, day: date) -> str:
    index = camp.index_of(day)
    assert index is not None
    when = f"{month_day(day)} {WEEKDAYS[day.weekday()]}"
    word = group.checkin.keywords[0] if group.checkin.keywords else "打卡"
    within = f"请在 {camp.window_text} 之间" if camp.window is not None else "请"
    return (
        f"📝 {quoted(camp)}第 {index} 天（{when}）今日任务：{camp.task_of(index)}\n"
        f"完成后{within}发送「{word} + 你的作业」，计入营内天数～"
    )


async def remind(ctx: Context, camp: Camp, day: date) -> None:
    group = ctx.group
    async with ctx.uow() as uow:
        waiting = await CampRepo(uow.session).not_done(group.group_id, camp.id, day)
    if not waiting:
        log.info(
            "camp %s/%s: everyone has checked in on %s, no reminder", group.group_id, camp.id, day
        )
        return
    index = camp.index_of(day)
    deadline = camp.deadline(day, group.tz)
    mentioned, more = mention_list(waiting)
    ends = "今天结束前" if camp.window is None else f" {deadline.astimezone(group.tz):%H:%M} 前"
    lines = [f"⏰ {quoted(camp)}第 {index} 天还没打卡的同学看这里～ 记得在{ends}打卡哦！"]
    if more:
        lines.append(f"另外还有 {more} 位同学也还没打卡，一起加油！")
    await ctx.say("\n".join(lines), mentioned)


def closing_text(result: CampResult) -> str:
    camp = result.camp
    finishers = result.finishers
    lines = [
        f"🎓 {quoted(camp)}结营啦！（{month_day(camp.start)}—{month_day(camp.last_day)}，"
        f"共 {camp.days} 天）",
        f"👥 报名 {len(result.ranked)} 人，{len(finishers)} 人完成 {camp.required_days} 天以上，"
        f"完成率 {round(result.completion * 100)}%",
    ]
    if finishers:
        shown = "、".join(f"{result.names[s.member_id]}（{s.days} 天）" for _r, s in finishers)
        lines.append(f"🏅 结营名单：{shown}")
    else:
        lines.append("🏅 这一期没有同学达到结营标准，下一期继续加油！")
    top = [(r, s) for r, s in result.ranked if s.days > 0][: camp.top]
    if top:
        lines.append("🏆 坚持之星：")
        for rank, s in top:
            medal = MEDALS[rank - 1] if rank <= len(MEDALS) else f"{rank}."
            points = f"，点评 {s.points} 分" if s.points else ""
            lines.append(f"{medal} {result.names[s.member_id]} {s.days} 天{points}")
    if result.works:
        lines.append("✨ 优秀作业：")
        for n, work in enumerate(result.works, start=1):
            sub = work.submission
            notes = ["优秀"] if sub.excellent else []
            if work.reviews:
                notes.append(f"{work.reviews} 条点评")
            if work.points:
                notes.append(f"{work.points} 分")
            content = (
                preview(sub.content, 30)
                if sub.content.strip()
                else "（补卡）"
                if sub.makeup
                else "（打卡）"
            )
            name = result.names.get(sub.member_id, sub.member_id)
            lines.append(f"{n}. {name} 第 {sub.day_index} 天：{content}（{'，'.join(notes)}）")
    if finishers and camp.certificate:
        lines.append("🎁 结营证书已经生成，恭喜各位！")
    return "\n".join(lines)


async def prepare_closing(ctx: Context, camp: Camp) -> CampPost:
    """Read the camp and draw its pictures, then return what posts the closing post and the
    certificates. Called with no transaction open (scheduler/camps.py): the drawing holds no
    write lock. A drawing that fails is logged and the closing post goes out without the
    pictures, once, as a closing with no certificates would."""
    group = ctx.group
    async with ctx.uow() as uow:
        result = await collect_camp(uow, group, camp)
    if not result.ranked:
        return partial(_nobody_joined, group, camp)
    written: list[tuple[str, Path]] = []
    if camp.certificate:
        folder = camp_folder(ctx.config, group)
        try:
            written = await asyncio.to_thread(draw_closing_pictures, result, group.tz, folder)
        except Exception:
            # The members still get their closing post (once); the certificates are what
            # is missing, and the operators find why in the log.
            log.exception(
                "camp %s/%s: the certificates could not be drawn", group.group_id, camp.id
            )

    async def post() -> None:
        await ctx.say(closing_text(result), [s.member_id for _r, s in result.finishers][:20])
        for _member, path in written:
            # No caption: a transport that cannot send images posts nothing for it (the
            # closing post already says the certificates exist; they are in the report folder).
            await ctx.sender.send_image(group.group_id, str(path), "")

    return post


def draw_closing_pictures(result: CampResult, tz: ZoneInfo, folder: Path) -> list[tuple[str, Path]]:
    """The certificates, and the calendar for the operators (it is not posted)."""
    after_the_end = result.camp.last_day + timedelta(days=1)  # no day is "not yet" any more
    render_calendar(calendar_of(result, tz, after_the_end), calendar_path(folder, result.camp))
    return write_certificates(result, folder)


async def _nobody_joined(group: GroupSettings, camp: Camp) -> None:
    log.info("camp %s/%s: nobody joined, no closing post", group.group_id, camp.id)


async def perform(ctx: Context, camp: Camp, part: str, day: date) -> CampPost:
    if part == "task":
        return partial(ctx.say, task_post(ctx.group, camp, day))
    if part == "remind":
        return partial(remind, ctx, camp, day)
    return await prepare_closing(ctx, camp)


def camp_service(deps: ServiceDeps) -> CampService:
    return CampService(deps.scheduler, deps.context_for, deps.uow, deps.clock, deps.config, perform)

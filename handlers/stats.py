"""Group health for admins: `/统计 [7天|30天]`, `/潜水`, and the figures behind the weekly
picture and `groupops stats`. Everything is read from stored data: the activity log,
check-ins, the ledger, the Q&A backlog and the moderation records.

Definitions (shown to admins as written here):
- a window of N days is the N local days ending today (today included, so far);
- messages are text and image posts in the activity log; active members posted at least once;
- check-in rate = check-ins in the window / (active members x N days): the share of
  member-days with a check-in, among members who were active in the window;
- longest streaks are live streaks (checked in today or yesterday);
- points granted are the positive ledger lines in the window, by kind;
- questions are those the bot could not answer itself (the Q&A backlog: answered later by
  an admin, or still open), asked in the window; the bot's own answers are not stored;
- spam caught counts moderation violations in the window; the nudge feature keeps only a
  running count of off-topic nudges, shown as such (all time, with the latest).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.commands import CommandCall, UsageError, command
from bot.config import GroupSettings
from bot.context import Context
from bot.router import Route
from handlers.activity import flushed
from handlers.ledger_text import kind_label
from scheduler.report_chart import WeekData, WeekTotals
from storage.repos.activity import ActivityRepo
from storage.repos.moderation import ModerationRepo
from storage.repos.stats import StatsRepo
from storage.repos.welcome import NewcomerRepo
from storage.uow import UnitOfWork

WEEKDAYS = "一二三四五六日"
_DAYS_ARG = re.compile(r"^(\d{1,4})\s*(?:天|日|d|days?)?$", re.IGNORECASE)
STATS_USAGE = "/统计 [7天|30天]"
LURKER_USAGE = "/潜水 [N天]"


def local_midnight(group: GroupSettings, day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=group.tz)


@dataclass(frozen=True)
class DayFigures:
    day: date
    messages: int
    posters: int
    checkins: int


@dataclass(frozen=True)
class Streak:
    member_id: str
    name: str
    days: int


@dataclass(frozen=True)
class QuestionFigures:
    """Questions the bot could not answer itself (the Q&A backlog), asked in the window.

    The bot's own automatic answers are not stored by the Q&A feature, so they are not
    counted here."""

    logged: int
    answered: int  # answered later by an admin (/faq answer)
    unanswered: int


@dataclass(frozen=True)
class ModerationFigures:
    spam: int  # spam messages caught in the window
    nudges_total: int  # off-topic nudges ever (the nudge feature keeps a count, not a log)
    last_nudge_at: datetime | None


@dataclass(frozen=True)
class GroupStats:
    group_id: str
    group_name: str
    first: date
    last: date
    days: int
    per_day: list[DayFigures]
    messages: int
    active_members: int
    joins: int
    leaves: int
    checkins: int
    checkin_members: int
    streaks: list[Streak]
    points_granted: int
    points_by_kind: dict[str, int]
    questions: QuestionFigures
    moderation: ModerationFigures
    timezone: str
    # Days of the window on which the bot was there (from the group's first record on): the
    # check-in rate does not count days before the bot started.
    rate_days: int

    @property
    def checkin_rate(self) -> float | None:
        if self.active_members == 0 or self.rate_days == 0:
            return None
        return self.checkins / (self.active_members * self.rate_days)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["first"] = self.first.isoformat()
        data["last"] = self.last.isoformat()
        data["per_day"] = [{**asdict(d), "day": d.day.isoformat()} for d in self.per_day]
        rate = self.checkin_rate
        data["checkin_rate"] = None if rate is None else round(rate, 4)
        last_nudge = self.moderation.last_nudge_at
        data["moderation"]["last_nudge_at"] = last_nudge.isoformat() if last_nudge else None
        return data


# --- figures owned by other features (read through their repositories) ------------------


async def question_figures(
    uow: UnitOfWork, group_id: str, since: datetime, until: datetime
) -> QuestionFigures:
    """From the Q&A feature's backlog."""
    counts = await StatsRepo(uow.session).backlog_between(group_id, since, until)
    answered, unanswered = counts.get("answered", 0), counts.get("open", 0)
    return QuestionFigures(sum(counts.values()), answered, unanswered)


async def moderation_figures(
    uow: UnitOfWork, group_id: str, since: datetime, until: datetime
) -> ModerationFigures:
    """From the moderation feature's records."""
    spam = await StatsRepo(uow.session).spam_between(group_id, since, until)
    state = next(
        (s for s in await ModerationRepo(uow.session).states() if s.group_id == group_id), None
    )
    return ModerationFigures(
        spam=spam,
        nudges_total=state.nudge_count if state is not None else 0,
        last_nudge_at=state.last_nudge_at if state is not None else None,
    )


# --- collection -------------------------------------------------------------------------


async def display_names(uow: UnitOfWork, group_id: str, member_ids: list[str]) -> dict[str, str]:
    names = await NewcomerRepo(uow.session).names(group_id, member_ids)
    names.update(await uow.members.names(group_id, member_ids))
    return names


async def collect_stats(
    uow: UnitOfWork, group: GroupSettings, today: date, days: int, until: datetime
) -> GroupStats:
    """The figures for the `days` local days ending `today` (until `until`, e.g. now)."""
    gid = group.group_id
    first = today - timedelta(days=days - 1)
    since = local_midnight(group, first)
    stats = StatsRepo(uow.session)
    counts = {d.day: d for d in await ActivityRepo(uow.session).per_day(gid, first, today)}
    checkins = await stats.checkins_per_day(gid, first, today)
    per_day = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        found = counts.get(day)
        per_day.append(
            DayFigures(
                day=day,
                messages=found.messages if found else 0,
                posters=found.members if found else 0,
                checkins=checkins.get(day, 0),
            )
        )
    kinds = await stats.kind_counts(gid, since, until)
    streak_rows = await uow.checkins.current_streaks(gid, today, 3)
    names = await display_names(uow, gid, [s.member_id for s in streak_rows])
    points = await stats.points_granted(gid, since, until)
    first_record = await stats.first_recorded_day(gid)
    if first_record is None or first_record > today:
        rate_days = 0
    else:
        rate_days = (today - max(first, first_record)).days + 1
    return GroupStats(
        group_id=gid,
        group_name=group.name,
        first=first,
        last=today,
        days=days,
        per_day=per_day,
        messages=sum(d.messages for d in per_day),
        active_members=await stats.posters_between(gid, first, today),
        joins=kinds.get("join", 0),
        leaves=kinds.get("leave", 0),
        checkins=sum(d.checkins for d in per_day),
        checkin_members=await stats.checkin_members(gid, first, today),
        streaks=[
            Streak(s.member_id, names.get(s.member_id, s.member_id), s.streak) for s in streak_rows
        ],
        points_granted=sum(points.values()),
        points_by_kind=dict(sorted(points.items(), key=lambda kv: (-kv[1], kv[0]))),
        questions=await question_figures(uow, gid, since, until),
        moderation=await moderation_figures(uow, gid, since, until),
        timezone=group.timezone,
        rate_days=rate_days,
    )


# --- formatting -------------------------------------------------------------------------


def _percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.0f}%"


def format_stats(s: GroupStats) -> str:
    tz = ZoneInfo(s.timezone)
    lines = [f"📊 「{s.group_name}」近 {s.days} 天数据（{s.first:%m-%d} 至 {s.last:%m-%d}）"]
    lines.append("💬 每日消息：")
    for start in range(0, len(s.per_day), 7):
        week = s.per_day[start : start + 7]
        lines.append("　" + "｜".join(f"{d.day:%m-%d} {d.messages}" for d in week))
    average = s.messages / s.days
    lines.append(f"消息合计 {s.messages} 条，日均 {average:.1f} 条")
    lines.append(f"👥 活跃成员 {s.active_members} 人（新加入 {s.joins} 人，退群 {s.leaves} 人）")
    rate = _percent(s.checkin_rate)
    since_note = ""
    if 0 < s.rate_days < s.days:
        started = s.last - timedelta(days=s.rate_days - 1)
        since_note = f"，从 {started:%m-%d} 有记录起算"
    lines.append(
        f"✅ 打卡 {s.checkins} 人次（{s.checkin_members} 人），打卡率 {rate}"
        f"（{s.checkins} ÷ ({s.active_members} 人 × {s.rate_days} 天){since_note}）"
    )
    if s.streaks:
        shown = "、".join(f"{x.name} {x.days} 天" for x in s.streaks)
        lines.append(f"🔥 最长连续打卡：{shown}")
    else:
        lines.append("🔥 最长连续打卡：暂无")
    q = s.questions
    lines.append(
        f"❓ 问答：机器人没能自动回答的问题 {q.logged} 个，"
        f"其中管理员已解答 {q.answered} 个，仍未回答 {q.unanswered} 个"
    )
    m = s.moderation
    last = ""
    if m.last_nudge_at is not None:
        last = f"，最近一次 {m.last_nudge_at.astimezone(tz):%m-%d %H:%M}"
    lines.append(f"🛡 拦截广告 {m.spam} 条；跑题提醒累计 {m.nudges_total} 次（全部时间{last}）")
    detail = "，".join(f"{kind_label(k)} {v}" for k, v in s.points_by_kind.items())
    lines.append(f"🎁 积分发放 {s.points_granted} 分" + (f"（{detail}）" if detail else ""))
    return "\n".join(lines)


def parse_days(args: str, default: int, maximum: int) -> int:
    text = args.strip()
    if not text:
        return default
    found = _DAYS_ARG.match(text)
    if found is None:
        raise UsageError("天数要写成数字，例如「7天」或「30天」。")
    days = int(found.group(1))
    if not 1 <= days <= maximum:
        raise UsageError(f"天数要在 1 到 {maximum} 之间。")
    return days


# --- /统计 -------------------------------------------------------------------------------


async def group_stats(ctx: Context, days: int, now: datetime) -> GroupStats:
    await flushed(ctx)
    today = now.astimezone(ctx.group.tz).date()
    async with ctx.uow() as uow:
        return await collect_stats(uow, ctx.group, today, days, now)


async def cmd_stats(call: CommandCall, ctx: Context) -> None:
    settings = ctx.group.stats
    if not settings.enabled:
        await ctx.reply(call.message, "本群没有开启群数据统计。")
        return
    days = parse_days(call.args, 7, settings.retention_days)
    stats = await group_stats(ctx, days, call.message.time)
    await ctx.reply(call.message, format_stats(stats))


# --- /潜水 -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Lurker:
    member_id: str
    name: str
    since: datetime  # the last post, or the join when they never posted
    posted: bool

    def silent_days(self, now: datetime) -> int:
        return (now - self.since).days


async def find_lurkers(
    uow: UnitOfWork, group: GroupSettings, now: datetime, days: int
) -> list[Lurker]:
    """Members still in the group whose last post (or join, if they never posted) in the
    kept log is at least `days` old, longest silent first. Admins are not listed."""
    gid = group.group_id
    cutoff = now - timedelta(days=days)
    trails = await StatsRepo(uow.session).trails(gid)
    found: list[tuple[str, datetime, bool]] = []
    for member_id, trail in trails.items():
        if group.is_admin(member_id) or not trail.still_in_group:
            continue
        since = trail.last_post or trail.last_join
        if since is None or since > cutoff:
            continue
        found.append((member_id, since, trail.last_post is not None))
    found.sort(key=lambda f: (f[1], f[0]))
    names = await display_names(uow, gid, [f[0] for f in found])
    return [Lurker(m, names.get(m, m), since, posted) for m, since, posted in found]


def format_lurkers(lurkers: list[Lurker], days: int, now: datetime, limit: int) -> str:
    if not lurkers:
        return f"最近 {days} 天大家都发过言，没有潜水的成员 👍"
    lines = [
        f"🔍 已 {days} 天以上没有发言的成员共 {len(lurkers)} 位"
        "（仅供管理员参考，建议私下关心，不要公开点名）："
    ]
    for i, lurker in enumerate(lurkers[:limit], start=1):
        if lurker.posted:
            what = f"{lurker.silent_days(now)} 天未发言"
        else:
            what = f"加入 {lurker.silent_days(now)} 天，还没发过言"
        lines.append(f"{i}. {lurker.name} — {what}")
    if len(lurkers) > limit:
        lines.append(f"……另有 {len(lurkers) - limit} 位")
    return "\n".join(lines)


async def cmd_lurkers(call: CommandCall, ctx: Context) -> None:
    settings = ctx.group.stats
    if not settings.enabled:
        await ctx.reply(call.message, "本群没有开启群数据统计。")
        return
    days = parse_days(call.args, settings.lurker_days, settings.retention_days)
    now = call.message.time
    await flushed(ctx)
    async with ctx.uow() as uow:
        lurkers = await find_lurkers(uow, ctx.group, now, days)
    # Only the admin who asked is mentioned; the members listed are not @-mentioned.
    await ctx.reply(call.message, format_lurkers(lurkers, days, now, settings.lurker_limit))


# --- the week behind the weekly picture --------------------------------------------------


def week_days(year: int, week: int) -> list[date]:
    monday = date.fromisocalendar(year, week, 1)
    return [monday + timedelta(days=i) for i in range(7)]


async def week_totals(uow: UnitOfWork, group_id: str, first: date, last: date) -> WeekTotals:
    stats = StatsRepo(uow.session)
    per_day = await ActivityRepo(uow.session).per_day(group_id, first, last)
    checkins = await stats.checkins_per_day(group_id, first, last)
    return WeekTotals(
        messages=sum(d.messages for d in per_day),
        checkins=sum(checkins.values()),
        active_members=await stats.posters_between(group_id, first, last),
    )


async def collect_week(uow: UnitOfWork, group: GroupSettings, year: int, week: int) -> WeekData:
    gid = group.group_id
    days = week_days(year, week)
    stats = StatsRepo(uow.session)
    counts = {
        d.day: d.messages for d in await ActivityRepo(uow.session).per_day(gid, days[0], days[-1])
    }
    checkins = await stats.checkins_per_day(gid, days[0], days[-1])
    top = await stats.top_posters(gid, days[0], days[-1], group.stats.weekly_report.top_members)
    names = await display_names(uow, gid, [m for m, _ in top])
    first_record = await stats.first_recorded_day(gid)
    recorded_days = 0
    if first_record is not None and first_record <= days[-1]:
        recorded_days = (days[-1] - max(days[0], first_record)).days + 1
    previous = None
    if first_record is not None and first_record < days[0]:
        previous = await week_totals(
            uow, gid, days[0] - timedelta(days=7), days[0] - timedelta(days=1)
        )
    return WeekData(
        group_name=group.name,
        year=year,
        week=week,
        days=tuple(days),
        messages=tuple(counts.get(d, 0) for d in days),
        checkins=tuple(checkins.get(d, 0) for d in days),
        top_members=tuple((names.get(m, m), n) for m, n in top),
        active_members=await stats.posters_between(gid, days[0], days[-1]),
        previous=previous,
        recorded_days=recorded_days,
    )


ROUTES: list[Route[Any]] = [
    command(
        "stats.stats",
        ("/统计", "/stats"),
        cmd_stats,
        usage=STATS_USAGE,
        summary="群数据：每日消息、活跃成员、打卡率、连续打卡、问答、提醒拦截、积分发放；写集合名时看整个群集合",
        admin_only=True,
    ),
    command(
        "stats.lurkers",
        ("/潜水", "/lurkers"),
        cmd_lurkers,
        usage=LURKER_USAGE,
        summary="列出一段时间没有发言的成员（只回复管理员）",
        admin_only=True,
    ),
]

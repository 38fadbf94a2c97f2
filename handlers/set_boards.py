"""Boards across a group set (`sets:` in config.yaml): `/排行 SET`, `/统计 SET`, and the
figures behind `groupops stats --set` and the set's weekly picture.

A thin layer over the single-group features: each group's figures are what that group
alone shows (its own ledger, its own local days), read for all the groups at once with the
single-group queries over `group_id IN (...)` (storage/repos/set_boards.py), and then added
up.

Members are counted per (group, member): points stay in each group's ledger, so a member in
two groups of a set appears once for each group on a board, with that group's name, and
counts as an active member of each group they posted in. Nothing is merged by member id
(groups may give different points for the same thing; a board row is what one group's
ledger holds).

Who may see what:
- `/排行 SET`: anyone, in a group of the set;
- `/统计 SET [N天]`: in a group of the set, a set admin (a global admin, or an admin of
  every group of the set); the window is the N local days ending today in each group.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from bot.commands import CommandCall, UsageError, parse_call, split_command
from bot.config import AppConfig, GroupSettings
from bot.context import Context
from bot.events import Message
from bot.router import CONTINUE, STOP, Flow, Route, is_command_text
from bot.settings.sets import GroupSet
from handlers.activity import flushed
from handlers.checkin import NO_POINTS_YET, week_start
from handlers.ledger_text import kind_label
from handlers.stats import (
    DayFigures,
    GroupStats,
    ModerationFigures,
    QuestionFigures,
    Streak,
    local_midnight,
    parse_days,
    week_days,
)
from scheduler.report_chart import WeekData, WeekTotals, short_name
from storage.repos.moderation import ModerationRepo
from storage.repos.set_boards import GroupStanding, SetBoardRepo, SetStatsRepo
from storage.uow import UnitOfWork

RANK_NAMES = ("/排行", "/rank", "/排行榜")
STATS_NAMES = ("/统计", "/stats")
RANK_USAGE = "/排行 [集合名]"
STATS_USAGE = "/统计 [集合名] [7天|30天]"
SET_STATS_REFUSAL = "抱歉，查看整个群集合的数据需要是集合里每个群的管理员。"
MEDALS = ("🥇", "🥈", "🥉")
# what `/统计` reads as a number of days (handlers/stats.py); anything else may be a set name
_DAYS_WORD = re.compile(r"^(\d{1,4})\s*(?:天|日|d|days?)?$", re.IGNORECASE)


def _first_word(message: Message) -> str:
    words = parse_call(message).words
    return words[0] if words else ""


def _is_command(message: Message, names: tuple[str, ...]) -> bool:
    if not is_command_text(message.text):
        return False
    head, _ = split_command(message.text)
    return head.lower() in names


def _not_in_set(group_set: GroupSet) -> str:
    return f"本群不在集合「{group_set.name}」里，只能在集合内的群里查看它。"


def _unknown_set(word: str, ctx: Context, usage: str) -> str:
    mine = "、".join(s.name for s in ctx.config.sets_of(ctx.group.group_id))
    return f"没有叫「{word}」的群集合。本群所在的集合：{mine}\n用法：{usage}"


def group_label(config: AppConfig, group_id: str) -> str:
    return config.group(group_id).name


# --- /排行 SET ---------------------------------------------------------------------------


async def top_across_week(
    uow: UnitOfWork, groups: Sequence[GroupSettings], limit: int, when: datetime
) -> list[GroupStanding]:
    """This week's top (group, member) pairs, each group's week starting on its own local
    Monday: one query per distinct week start, merged (the top `limit` of the union is
    within the union of each part's top `limit`)."""
    by_start: dict[datetime, list[str]] = {}
    for group in groups:
        by_start.setdefault(week_start(group, when), []).append(group.group_id)
    repo = SetBoardRepo(uow.session)
    rows: list[GroupStanding] = []
    for since, gids in by_start.items():
        rows += await repo.top_across(gids, limit, since=since)
    rows.sort(key=lambda r: (-r.points, r.group_id, r.member_id))
    return rows[:limit]


async def set_leaderboard_text(
    ctx: Context, group_set: GroupSet, when: datetime, size: int | None = None
) -> str:
    """The set's weekly and all-time boards, one row per (group, member) with the group's
    name; empty when nobody in the set has points yet."""
    config = ctx.config
    size = size or ctx.group.checkin.leaderboard_size
    groups = [config.group(gid) for gid in group_set.group_ids]
    async with ctx.uow() as uow:
        week = await top_across_week(uow, groups, size, when)
        total = await SetBoardRepo(uow.session).top_across(group_set.group_ids, size)
        names: dict[tuple[str, str], str] = {}
        wanted: dict[str, set[str]] = {}
        for row in week + total:
            wanted.setdefault(row.group_id, set()).add(row.member_id)
        for gid, members in sorted(wanted.items()):
            found = await uow.members.names(gid, sorted(members))
            names.update({(gid, m): n for m, n in found.items()})
    if not total:
        return ""

    def block(title: str, rows: list[GroupStanding]) -> list[str]:
        if not rows:
            return [title, "（本周还没有人得分）"]
        out = [title]
        for i, row in enumerate(rows):
            rank = MEDALS[i] if i < len(MEDALS) else f"{i + 1}."
            name = names.get((row.group_id, row.member_id), row.member_id)
            out.append(f"{rank} {name}（{group_label(config, row.group_id)}）{row.points} 分")
        return out

    heading = f"集合「{group_set.name}」"
    lines = block(f"🏆 {heading}本周积分榜（{len(groups)} 个群）", week)
    lines += block(f"📜 {heading}总积分榜", total)
    return "\n".join(lines)


def _rank_match(message: Message) -> bool:
    return _is_command(message, RANK_NAMES) and bool(_first_word(message))


async def handle_set_rank(message: Message, ctx: Context) -> Flow:
    word = _first_word(message)
    group_set = ctx.config.group_set(word)
    if group_set is None:
        if not ctx.config.sets_of(ctx.group.group_id):
            return CONTINUE  # no sets here: `/排行 anything` stays the group's board
        await ctx.reply(message, _unknown_set(word, ctx, RANK_USAGE))
        return STOP
    if ctx.group.group_id not in group_set:
        await ctx.reply(message, _not_in_set(group_set))
        return STOP
    text = await set_leaderboard_text(ctx, group_set, message.time)
    await ctx.say(text or f"🏆 集合「{group_set.name}」{NO_POINTS_YET.removeprefix('🏆 ')}")
    return STOP


# --- /统计 SET ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SetStats:
    """A set's figures: each group's own (its local days), and their sums."""

    set_name: str
    days: int
    first: date  # the window as seen from the group that asked
    last: date
    groups: list[GroupStats]
    left_out: list[str]  # names of groups with stats turned off

    def total(self, field: str) -> int:
        return sum(int(getattr(g, field)) for g in self.groups)

    @property
    def per_day(self) -> list[int]:
        return [sum(g.per_day[i].messages for g in self.groups) for i in range(self.days)]

    @property
    def member_days(self) -> int:
        return sum(g.active_members * g.rate_days for g in self.groups)

    @property
    def checkin_rate(self) -> float | None:
        member_days = self.member_days
        return None if member_days == 0 else self.total("checkins") / member_days

    @property
    def points_by_kind(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for g in self.groups:
            for kind, points in g.points_by_kind.items():
                out[kind] = out.get(kind, 0) + points
        return dict(sorted(out.items(), key=lambda kv: (-kv[1], kv[0])))

    def streaks(self, limit: int = 3) -> list[tuple[Streak, str]]:
        found = [(s, g.group_name, i) for i, g in enumerate(self.groups) for s in g.streaks]
        found.sort(key=lambda f: (-f[0].days, f[2], f[0].member_id))
        return [(s, name) for s, name, _ in found[:limit]]

    def to_json(self) -> dict[str, Any]:
        rate = self.checkin_rate
        return {
            "set": self.set_name,
            "days": self.days,
            "first": self.first.isoformat(),
            "last": self.last.isoformat(),
            "messages": self.total("messages"),
            "active_members": self.total("active_members"),
            "joins": self.total("joins"),
            "leaves": self.total("leaves"),
            "checkins": self.total("checkins"),
            "checkin_rate": None if rate is None else round(rate, 4),
            "points_granted": self.total("points_granted"),
            "points_by_kind": self.points_by_kind,
            "streaks": [
                {"member_id": s.member_id, "name": s.name, "days": s.days, "group": g}
                for s, g in self.streaks()
            ],
            "left_out": self.left_out,
            "groups": [g.to_json() for g in self.groups],
        }


async def collect_set_stats(
    uow: UnitOfWork,
    config: AppConfig,
    group_set: GroupSet,
    days: int,
    now: datetime,
    seen_from: GroupSettings,
    today: date | None = None,
) -> SetStats:
    """Each group's `/统计` figures for the `days` local days ending today in that group,
    until `now` (or, with `today`, the days ending `today` in every group, whole days).

    Groups that share a timezone share the window, so each figure is one query over
    `group_id IN (...)` per timezone (storage/repos/set_boards.py); the live streaks are
    read per group, as `/统计` reads them."""
    enabled = [config.group(gid) for gid in group_set.group_ids]
    left_out = [g.name for g in enabled if not g.stats.enabled]
    enabled = [g for g in enabled if g.stats.enabled]
    by_zone: dict[str, list[GroupSettings]] = {}
    for group in enabled:
        by_zone.setdefault(group.timezone, []).append(group)
    repo = SetStatsRepo(uow.session)
    states = {s.group_id: s for s in await ModerationRepo(uow.session).states()}
    found: dict[str, GroupStats] = {}
    for zone_groups in by_zone.values():
        sample = zone_groups[0]
        last = today or now.astimezone(sample.tz).date()
        first = last - timedelta(days=days - 1)
        since = local_midnight(sample, first)
        until = now if today is None else local_midnight(sample, last + timedelta(days=1))
        gids = [g.group_id for g in zone_groups]
        per_day = await repo.per_day(gids, first, last)
        checkins = await repo.checkins_per_day(gids, first, last)
        kinds = await repo.kind_counts(gids, since, until)
        posters = await repo.posters_between(gids, first, last)
        checkin_members = await repo.checkin_members(gids, first, last)
        points = await repo.points_granted(gids, since, until)
        first_records = await repo.first_recorded_days(gids)
        backlog = await repo.backlog_between(gids, since, until)
        spam = await repo.spam_between(gids, since, until)
        streak_rows = {g: await uow.checkins.current_streaks(g, last, 3) for g in gids}
        names = await repo.names(
            [(g, s.member_id) for g, rows in streak_rows.items() for s in rows]
        )
        for group in zone_groups:
            gid = group.group_id
            counts, done = per_day.get(gid, {}), checkins.get(gid, {})
            figures = []
            for offset in range(days):
                day = first + timedelta(days=offset)
                messages, members = counts.get(day, (0, 0))
                figures.append(DayFigures(day, messages, members, done.get(day, 0)))
            first_record = first_records.get(gid)
            rate_days = 0
            if first_record is not None and first_record <= last:
                rate_days = (last - max(first, first_record)).days + 1
            granted = points.get(gid, {})
            asked = backlog.get(gid, {})
            state = states.get(gid)
            found[gid] = GroupStats(
                group_id=gid,
                group_name=group.name,
                first=first,
                last=last,
                days=days,
                per_day=figures,
                messages=sum(d.messages for d in figures),
                active_members=posters.get(gid, 0),
                joins=kinds.get(gid, {}).get("join", 0),
                leaves=kinds.get(gid, {}).get("leave", 0),
                checkins=sum(d.checkins for d in figures),
                checkin_members=checkin_members.get(gid, 0),
                streaks=[
                    Streak(s.member_id, names.get((gid, s.member_id), s.member_id), s.streak)
                    for s in streak_rows[gid]
                ],
                points_granted=sum(granted.values()),
                points_by_kind=dict(sorted(granted.items(), key=lambda kv: (-kv[1], kv[0]))),
                questions=QuestionFigures(
                    sum(asked.values()), asked.get("answered", 0), asked.get("open", 0)
                ),
                moderation=ModerationFigures(
                    spam=spam.get(gid, 0),
                    nudges_total=state.nudge_count if state is not None else 0,
                    last_nudge_at=state.last_nudge_at if state is not None else None,
                ),
                timezone=group.timezone,
                rate_days=rate_days,
            )
    last = today or now.astimezone(seen_from.tz).date()
    return SetStats(
        set_name=group_set.name,
        days=days,
        first=last - timedelta(days=days - 1),
        last=last,
        groups=[found[g.group_id] for g in enabled],
        left_out=left_out,
    )


def _percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.0f}%"


def format_set_stats(s: SetStats) -> str:
    lines = [
        f"📊 集合「{s.set_name}」近 {s.days} 天数据（{len(s.groups)} 个群，"
        f"{s.first:%m-%d} 至 {s.last:%m-%d}，各群按本群日期）"
    ]
    per_day = s.per_day
    lines.append("💬 每日消息（各群合计）：")
    for start in range(0, s.days, 7):
        week = range(start, min(start + 7, s.days))
        lines.append(
            "　" + "｜".join(f"{s.first + timedelta(days=i):%m-%d} {per_day[i]}" for i in week)
        )
    messages = s.total("messages")
    lines.append(f"消息合计 {messages} 条，日均 {messages / s.days:.1f} 条")
    lines.append(
        f"👥 活跃成员 {s.total('active_members')} 人次（按群计，新加入 {s.total('joins')} 人，"
        f"退群 {s.total('leaves')} 人）"
    )
    checkins = s.total("checkins")
    lines.append(
        f"✅ 打卡 {checkins} 人次（{s.total('checkin_members')} 人），"
        f"打卡率 {_percent(s.checkin_rate)}（{checkins} ÷ {s.member_days} 个成员日）"
    )
    streaks = s.streaks()
    shown = "、".join(f"{x.name}（{g}）{x.days} 天" for x, g in streaks) or "暂无"
    lines.append(f"🔥 最长连续打卡：{shown}")
    logged = sum(g.questions.logged for g in s.groups)
    answered = sum(g.questions.answered for g in s.groups)
    unanswered = sum(g.questions.unanswered for g in s.groups)
    lines.append(
        f"❓ 问答：机器人没能自动回答的问题 {logged} 个，"
        f"其中管理员已解答 {answered} 个，仍未回答 {unanswered} 个"
    )
    spam = sum(g.moderation.spam for g in s.groups)
    nudges = sum(g.moderation.nudges_total for g in s.groups)
    lines.append(f"🛡 拦截广告 {spam} 条；跑题提醒累计 {nudges} 次（全部时间）")
    detail = "，".join(f"{kind_label(k)} {v}" for k, v in s.points_by_kind.items())
    granted = s.total("points_granted")
    lines.append(f"🎁 积分发放 {granted} 分" + (f"（{detail}）" if detail else ""))
    lines.append("🏘 各群：")
    for g in s.groups:
        lines.append(
            f"　{g.group_name}：消息 {g.messages} 条，活跃 {g.active_members} 人，"
            f"打卡 {g.checkins} 人次，打卡率 {_percent(g.checkin_rate)}"
        )
    if s.left_out:
        lines.append(f"（{'、'.join(s.left_out)} 没有开启群数据统计，未计入）")
    return "\n".join(lines)


def _stats_match(message: Message) -> bool:
    if not _is_command(message, STATS_NAMES):
        return False
    word = _first_word(message)
    return bool(word) and _DAYS_WORD.match(word) is None


async def handle_set_stats(message: Message, ctx: Context) -> Flow:
    if not ctx.is_admin(message.sender_id):
        return CONTINUE  # `/统计` refuses it, as for one group
    call: CommandCall = parse_call(message)
    word, rest = call.words[0], " ".join(call.words[1:])
    group_set = ctx.config.group_set(word)
    if group_set is None:
        if not ctx.config.sets_of(ctx.group.group_id):
            return CONTINUE  # no sets here: `/统计` answers with its own usage
        await ctx.reply(message, _unknown_set(word, ctx, STATS_USAGE))
        return STOP
    if ctx.group.group_id not in group_set:
        await ctx.reply(message, _not_in_set(group_set))
        return STOP
    if not ctx.config.is_set_admin(group_set, message.sender_id):
        await ctx.reply(message, SET_STATS_REFUSAL)
        return STOP
    settings = ctx.group.stats
    if not settings.enabled:
        await ctx.reply(message, "本群没有开启群数据统计。")
        return STOP
    try:
        days = parse_days(rest, 7, settings.retention_days)
    except UsageError as exc:
        await ctx.reply(message, f"{exc.hint}\n用法：{STATS_USAGE}")
        return STOP
    await flushed(ctx)
    async with ctx.uow() as uow:
        stats = await collect_set_stats(uow, ctx.config, group_set, days, message.time, ctx.group)
    await ctx.reply(message, format_set_stats(stats))
    return STOP


# --- the set's weekly picture ------------------------------------------------------------

SET_NAME_WIDTH = 12  # display columns of a member's name on a set picture
SET_GROUP_WIDTH = 10  # and of the group's name after it


def set_title(group_set: GroupSet, groups: int) -> str:
    return f"集合「{group_set.name}」（{groups} 个群）"


async def collect_set_week(
    uow: UnitOfWork, config: AppConfig, group_set: GroupSet, year: int, week: int, top: int
) -> WeekData:
    """The ISO week over every group of the set with stats on: days and totals added up
    (days are each group's own local days, so one query per figure covers every group), the
    `top` members by messages across the set with their group's name. Per group, the
    figures are those of the group's own picture (handlers.stats.collect_week)."""
    groups = [config.group(gid) for gid in group_set.group_ids]
    groups = [g for g in groups if g.stats.enabled]
    gids = [g.group_id for g in groups]
    names_of = {g.group_id: g.name for g in groups}
    days = week_days(year, week)
    monday, sunday = days[0], days[-1]
    repo = SetStatsRepo(uow.session)
    per_day = await repo.per_day(gids, monday, sunday)
    checkins = await repo.checkins_per_day(gids, monday, sunday)
    posters = await repo.posters_between(gids, monday, sunday)
    first_records = await repo.first_recorded_days(gids)
    ranked = await repo.top_posters(gids, monday, sunday, top) if gids else []
    names = await repo.names([(g, m) for g, m, _ in ranked])
    member_days = 0
    recorded = 0
    earlier: list[str] = []  # groups with a record of the week before
    for gid in gids:
        first_record = first_records.get(gid)
        if first_record is not None and first_record <= sunday:
            days_here = (sunday - max(monday, first_record)).days + 1
            member_days += posters.get(gid, 0) * days_here
            recorded = max(recorded, days_here)
        if first_record is not None and first_record < monday:
            earlier.append(gid)
    previous = None
    if earlier:
        before_first, before_last = monday - timedelta(days=7), monday - timedelta(days=1)
        before = await repo.per_day(earlier, before_first, before_last)
        before_checkins = await repo.checkins_per_day(earlier, before_first, before_last)
        before_posters = await repo.posters_between(earlier, before_first, before_last)
        previous = WeekTotals(
            messages=sum(m for by_day in before.values() for m, _ in by_day.values()),
            checkins=sum(n for by_day in before_checkins.values() for n in by_day.values()),
            active_members=sum(before_posters.values()),
        )

    def label(gid: str, member_id: str) -> str:
        name = short_name(names.get((gid, member_id), member_id), SET_NAME_WIDTH)
        return f"{name}（{short_name(names_of[gid], SET_GROUP_WIDTH)}）"

    return WeekData(
        group_name=set_title(group_set, len(groups)),
        year=year,
        week=week,
        days=tuple(days),
        messages=tuple(sum(per_day.get(g, {}).get(d, (0, 0))[0] for g in gids) for d in days),
        checkins=tuple(sum(checkins.get(g, {}).get(d, 0) for g in gids) for d in days),
        top_members=tuple((label(g, m), n) for g, m, n in ranked),
        active_members=sum(posters.values()),
        previous=previous,
        recorded_days=recorded,
        member_days=member_days,
        name_width=SET_NAME_WIDTH + SET_GROUP_WIDTH + 4,
    )


def set_period(label: str, set_name: str) -> str:
    """The once-only key of a set picture posted to a group: the week and the set's name
    (hashed when it would not fit the 32-character column)."""
    period = f"{label}:{set_name}"
    if len(period) <= 32:
        return period
    digest = hashlib.sha256(set_name.encode()).hexdigest()[:12]
    return f"{label}:{set_name[:10]}~{digest}"


ROUTES: list[Route[Any]] = [
    # `/排行 SET` and `/统计 SET`; any other argument goes on to the group's own command
    Route("set_boards.rank", Message, _rank_match, handle_set_rank),
    Route("set_boards.stats", Message, _stats_match, handle_set_stats),
]

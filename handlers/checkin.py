"""Daily check-ins (打卡): streaks from stored dates, make-up cards, points, levels, badges."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy.exc import IntegrityError

from bot.commands import CommandCall, command
from bot.config import GroupSettings
from bot.context import Context
from bot.events import Message
from bot.router import CONTINUE, STOP, Flow, Route
from bot.settings.checkin import CheckinSettings
from handlers.camps import camp_checkin_line, camp_makeup_line, review_counts_line
from handlers.members import remember_member
from storage.uow import UnitOfWork

# A word count: 1200字, 2,000字, 1.2万字, 3千字 (after NFKC, so full-width digits count too),
# or Chinese numerals with 百/千/万 (三千字, 两千五百字, 一万二字; not 十字 or 千字文).
_WORDS = re.compile(
    r"(?<![\d.,])(?P<num>\d+(?:,\d{3})*(?:\.\d+)?)\s*(?P<unit>[千万kKwW]?)\s*字"
    r"|(?P<cn>[一二两三四五六七八九十][零〇一二两三四五六七八九十百千万]*)\s*字"
)
_UNITS = {"": 1, "千": 1000, "k": 1000, "K": 1000, "万": 10_000, "w": 10_000, "W": 10_000}
_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6}
_CN_DIGITS |= {"七": 7, "八": 8, "九": 9}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
WORD_COUNT_SCAN = 200  # a word count is read from the start of the content only
MAX_WORD_COUNT = 99_999_999  # larger counts are not stored (the reply says so)
_DATE = re.compile(r"^(?:(?P<y>\d{4})[-/.年])?(?P<m>\d{1,2})[-/.月](?P<d>\d{1,2})日?$")
_AFTER_KEYWORD = re.compile(r"^(?:$|[\s:：,，!！。.~～#\d])")


def _strip_hash(text: str) -> str:
    """The text without a leading #, / or ／ (#打卡 and /打卡 are check-ins too)."""
    return text.strip().lstrip("#＃/／").strip()


def checkin_content(text: str, keywords: list[str]) -> str | None:
    """The content after a check-in keyword, or None when the text is not a check-in.

    `打卡`, `打卡 1200字`, `#打卡 今天写了散文` are check-ins; `打卡规则是什么？` is not.
    """
    body = _strip_hash(text)
    for keyword in keywords:
        if body.startswith(keyword):
            rest = body[len(keyword) :]
            if not _AFTER_KEYWORD.match(rest):
                continue
            rest = rest.strip(" :：,，!！。~～")
            if rest.endswith(("?", "？")):
                return None
            return rest
    return None


def chinese_number(text: str) -> int | None:
    """三千 -> 3000, 两千五百 -> 2500, 一万二 -> 12000, 一千零五 -> 1005; None if malformed."""
    total = section = 0
    digit: int | None = None
    scale = 1  # the last unit seen, for a colloquial tail digit (一千二 = 1200)
    zero = False
    for ch in text:
        if ch in _CN_DIGITS:
            if digit is not None:
                return None
            digit = _CN_DIGITS[ch]
            if digit == 0:
                digit, zero = None, True
        elif ch in _CN_UNITS:
            unit = _CN_UNITS[ch]
            if unit >= scale and section:
                return None  # 三百千: units must fall
            section += (1 if digit is None else digit) * unit
            digit, scale, zero = None, unit, False
        else:  # 万
            if total:
                return None
            total = (section + (digit or 0)) * 10_000
            if total == 0:
                return None
            section, digit, scale, zero = 0, None, 10_000, False
    if digit is not None:
        section += digit if zero or scale == 1 else digit * scale // 10
    return total + section


def read_word_count(content: str) -> int | None:
    """The word count written near the start of a check-in ("1200字", "三千字"), unbounded."""
    head = unicodedata.normalize("NFKC", content[:WORD_COUNT_SCAN])
    for found in _WORDS.finditer(head):
        if found["cn"]:
            # 三千字, but not 十字路口: Chinese counts need 百, 千 or 万
            value = chinese_number(found["cn"]) if re.search("[百千万]", found["cn"]) else None
            if value is not None:
                return value
            continue
        return int(Decimal(found["num"].replace(",", "")) * _UNITS[found["unit"]])
    return None


def parse_word_count(content: str) -> int | None:
    """The word count to store: None when none is written or it is above MAX_WORD_COUNT."""
    words = read_word_count(content)
    return words if words is not None and words <= MAX_WORD_COUNT else None


def streak_bonus(settings: CheckinSettings, streak: int) -> int:
    reached = [b.points for b in settings.streak_bonus if streak >= b.min_days]
    return max(reached) if reached else 0


def level_for(settings: CheckinSettings, earned: int) -> str:
    name = ""
    for level in sorted(settings.levels, key=lambda lv: lv.min_points):
        if earned >= level.min_points:
            name = level.name
    return name


def local_day(group: GroupSettings, when: datetime) -> date:
    return when.astimezone(group.tz).date()


def local_midnight(group: GroupSettings, day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=group.tz)


def checkin_row(
    message: Message, day: date, content: str, streak: int, points: int, *, makeup: bool
) -> dict[str, object]:
    return {
        "group_id": message.group_id,
        "member_id": message.sender_id,
        "day": day,
        "checked_at": message.time,
        "message_id": message.message_id,
        "content": content[:2000],
        "word_count": None if makeup else parse_word_count(content),
        "streak": streak,
        "points": points,
        "makeup": makeup,
    }


def member_display(message: Message) -> str:
    return message.sender_name or message.sender_id


@dataclass(frozen=True)
class Award:
    """What a check-in or make-up produced, for the reply."""

    streak: int
    points: int
    bonus: int
    balance: int
    level: str
    new_level: str | None
    new_badges: list[str]


async def _after_points(
    uow: UnitOfWork,
    group: GroupSettings,
    member_id: str,
    streak: int,
    gained: int,
    at: datetime,
    totals: tuple[int, int] | None = None,
) -> Award:
    """Badges for streak milestones and the level change caused by `gained` points.

    `totals` (balance, earned) after the points, when the caller already knows them."""
    settings = group.checkin
    new_badges: list[str] = []
    reached = [b for b in sorted(settings.badges, key=lambda b: b.days) if streak >= b.days]
    if reached:
        owned = await uow.badges.codes(group.group_id, member_id)
        for badge in reached:
            code = f"streak{badge.days}"
            if code not in owned:
                uow.badges.add(group.group_id, member_id, code, badge.name, at)
                new_badges.append(badge.name)
    balance, earned = totals or await uow.ledger.totals(group.group_id, member_id)
    level = level_for(settings, earned)
    before = level_for(settings, earned - gained)
    return Award(
        streak=streak,
        points=gained,
        bonus=0,
        balance=balance,
        level=level,
        new_level=level if level != before else None,
        new_badges=new_badges,
    )


def _award_lines(award: Award) -> list[str]:
    lines = []
    for name in award.new_badges:
        lines.append(f"🏅 获得新勋章「{name}」！")
    if award.new_level:
        lines.append(f"🎉 升级为「{award.new_level}」！")
    return lines


# --- 打卡 -------------------------------------------------------------------------------


def looks_like_keyword_line(message: Message) -> bool:
    """Pure pre-filter; the group's configured keywords are checked in the handler.

    Any length: a keyword followed by a long pasted article is a check-in (inbound text
    is bounded at the transport edge). `/打卡` is a check-in too."""
    return bool(message.text) and not message.is_image


async def handle_checkin(message: Message, ctx: Context) -> Flow:
    settings = ctx.group.checkin
    if not settings.enabled:
        return CONTINUE
    content = checkin_content(message.text, settings.keywords)
    if content is None:
        return CONTINUE
    group, member = ctx.group, message.sender_id
    day = local_day(group, message.time)
    try:
        async with ctx.uow() as uow:
            # The member's check-ins, make-ups and grants are serialised (another process
            # may be storing a make-up card for yesterday right now): lock first.
            await uow.members.lock(group.group_id, member)
            # One query for the latest check-in and the ledger totals; the new totals are
            # then known without reading them back.
            standing = await uow.checkins.standing(group.group_id, member, up_to=day)
            if standing.last_day == day:
                # A camp may still count it (the earlier one was outside its window).
                camp_line = await camp_checkin_line(ctx, uow, message, content)
                await ctx.reply(
                    message,
                    f"今天已经打过卡啦（连续打卡 {standing.last_streak} 天），明天继续加油～"
                    + (f"\n{camp_line}" if camp_line else ""),
                )
                return STOP
            yesterday = day - timedelta(1)
            streak = standing.last_streak + 1 if standing.last_day == yesterday else 1
            bonus = streak_bonus(settings, streak)
            points = settings.points + bonus
            await remember_member(ctx, uow, message)
            await uow.checkins.insert(
                checkin_row(message, day, content, streak, points, makeup=False)
            )
            await uow.ledger.append(
                group_id=group.group_id,
                member_id=member,
                delta=points,
                kind="checkin",
                reason=f"打卡 {day.isoformat()}",
                at=message.time,
                idem_key=f"checkin:{group.group_id}:{member}:{day.isoformat()}",
                check_key=False,  # the unique check-in row for this day guards it
            )
            if standing.later_days:
                # delivered after later days were checked in: their streaks grow
                await _recompute_streaks(uow, group.group_id, member, day)
            totals = (standing.balance + points, standing.earned + points)
            award = await _after_points(uow, group, member, streak, points, message.time, totals)
            camp_line = await camp_checkin_line(ctx, uow, message, content)
    except IntegrityError:
        # Another process stored this member's check-in for the day first.
        await ctx.reply(message, "今天已经打过卡啦，明天继续加油～")
        return STOP
    words = read_word_count(content)
    head = f"✅ 打卡成功！连续打卡 {streak} 天"
    if words is not None and words > MAX_WORD_COUNT:
        head += f"，字数超过上限（{MAX_WORD_COUNT} 字），没有记录"
    elif words:
        head += f"，今日 {words} 字"
    gained = f"本次 +{points} 分" + (f"（含连续奖励 {bonus} 分）" if bonus else "")
    lines = [head, f"{gained}，总积分 {award.balance}，等级：{award.level}", *_award_lines(award)]
    if camp_line:
        lines.append(camp_line)
    await ctx.reply(message, "\n".join(lines))
    return STOP


# --- 补卡 -------------------------------------------------------------------------------

MAKEUP_USAGE = "补卡 MM-DD 或 补卡 昨天，例如：补卡 11-20"

# Days members name instead of a date when they make up a missed check-in.
RELATIVE_DAYS = {"昨天": 1, "昨日": 1, "前天": 2, "大前天": 3}


def parse_makeup_day(arg: str, today: date) -> date | None:
    back = RELATIVE_DAYS.get(arg.strip())
    if back is not None:
        return today - timedelta(back)
    found = _DATE.match(arg.strip())
    if not found:
        return None
    year = int(found["y"]) if found["y"] else today.year
    try:
        day = date(year, int(found["m"]), int(found["d"]))
    except ValueError:
        return None
    if not found["y"] and day > today:
        try:
            day = day.replace(year=year - 1)
        except ValueError:
            return None
    return day


async def _recompute_streaks(
    uow: UnitOfWork, group_id: str, member_id: str, first: date
) -> tuple[int, date]:
    """Recompute stored streaks from `first` on (a check-in on `first` exists).

    Returns the streak of the member's latest check-in and that check-in's day."""
    before = await uow.checkins.from_day(group_id, member_id, first - timedelta(1))
    rows = [r for r in before if r.day >= first]
    prev = next((r for r in before if r.day == first - timedelta(1)), None)
    streak = prev.streak if prev else 0
    last_day = prev.day if prev else None
    for row in rows:
        streak = streak + 1 if last_day is not None and row.day == last_day + timedelta(1) else 1
        row.streak = streak
        last_day = row.day
    return streak, rows[-1].day


async def handle_makeup(message: Message, ctx: Context) -> Flow:
    settings = ctx.group.checkin
    if not settings.enabled:
        return CONTINUE
    body = _strip_hash(message.text)
    if not body.startswith(tuple(settings.makeup_keywords)):
        return CONTINUE  # most messages: no make-up keyword at all
    keyword = next((k for k in settings.makeup_keywords if body.startswith(k)), None)
    if keyword is None:
        return CONTINUE
    arg = body[len(keyword) :].strip()
    if arg.endswith(("?", "？")) or (arg and not arg[0].isdigit() and arg not in RELATIVE_DAYS):
        return CONTINUE  # "补卡怎么操作？" is a question, not a command
    group, member = ctx.group, message.sender_id
    today = local_day(group, message.time)
    target = parse_makeup_day(arg, today) if arg else None
    if target is None:
        await ctx.reply(message, f"用法：{MAKEUP_USAGE}")
        return STOP
    if target >= today:
        await ctx.reply(message, "只能补以前漏掉的日子哦，今天的请直接发送「打卡」。")
        return STOP
    if (today - target).days > settings.makeup_window_days:
        await ctx.reply(message, f"只能补最近 {settings.makeup_window_days} 天内的卡哦。")
        return STOP
    month_start = today.replace(day=1)
    month_start_at = local_midnight(group, month_start)
    try:
        async with ctx.uow() as uow:
            # Serialise the member's make-ups and check-ins: the monthly allowance and the
            # streaks recomputed below depend on every other one being stored first.
            await uow.members.lock(group.group_id, member)
            check = await uow.checkins.makeup_check(
                group.group_id, member, target, month_start_at, message.time
            )
            if check.day_taken:
                await ctx.reply(message, f"{target:%m-%d} 已经打过卡了，不需要补卡。")
                return STOP
            used = check.used_this_month
            if used >= settings.makeup_per_month:
                await ctx.reply(
                    message, f"本月的 {settings.makeup_per_month} 次补卡机会已经用完啦。"
                )
                return STOP
            await remember_member(ctx, uow, message)
            points = settings.makeup_points
            await uow.checkins.insert(
                checkin_row(message, target, f"补卡 {target.isoformat()}", 1, points, makeup=True)
            )
            streak, latest_day = await _recompute_streaks(uow, group.group_id, member, target)
            await uow.ledger.append(
                group_id=group.group_id,
                member_id=member,
                delta=points,
                kind="makeup",
                reason=f"补卡 {target.isoformat()}",
                at=message.time,
                idem_key=f"makeup:{group.group_id}:{member}:{target.isoformat()}",
                check_key=False,  # the unique check-in row for that day guards it
            )
            live = streak if latest_day >= today - timedelta(1) else 0
            award = await _after_points(uow, group, member, live, points, message.time)
            camp_line = await camp_makeup_line(ctx, uow, message, target)
    except IntegrityError:
        await ctx.reply(message, f"{target:%m-%d} 已经打过卡了，不需要补卡。")
        return STOP
    left = settings.makeup_per_month - used - 1
    lines = [
        f"✅ 补卡成功（{target:%m-%d}）！当前连续打卡 {live} 天",
        f"本次 +{points} 分，总积分 {award.balance}，本月还剩 {left} 次补卡机会",
        *_award_lines(award),
    ]
    if camp_line:
        lines.append(camp_line)
    await ctx.reply(message, "\n".join(lines))
    return STOP


# --- /我的 /排行 ---------------------------------------------------------------------------


async def cmd_me(call: CommandCall, ctx: Context) -> None:
    message = call.message
    group, member = ctx.group, message.sender_id
    today = local_day(group, message.time)
    async with ctx.uow() as uow:
        standing, days = await uow.checkins.standing_and_days(group.group_id, member, up_to=today)
        badges = await uow.badges.names_of_member(group.group_id, member)
        reviews = await review_counts_line(uow, group, member)
    last = standing.last_day
    streak = standing.last_streak if last is not None and last >= today - timedelta(1) else 0
    checked_today = last == today
    balance, earned = standing.balance, standing.earned
    lines = [
        "📒 我的成长档案",
        f"连续打卡 {streak} 天（累计 {days} 天）" + ("，今天已打卡" if checked_today else ""),
        f"总积分 {balance}，等级：{level_for(group.checkin, earned)}",
        f"勋章：{'、'.join(badges) if badges else '暂无'}",
    ]
    if reviews:
        lines.append(reviews)
    await ctx.reply(message, "\n".join(lines))


def week_start(group: GroupSettings, when: datetime) -> datetime:
    local = when.astimezone(group.tz)
    monday = local.date() - timedelta(days=local.weekday())
    return local_midnight(group, monday)


NO_POINTS_YET = "🏆 还没有人获得积分，发送「打卡」开始吧～"


async def leaderboard_text(ctx: Context, when: datetime) -> str:
    """This week's and the all-time points boards; empty when nobody has points yet (so a
    scheduled post of the board is not sent into a quiet group)."""
    group = ctx.group
    size = group.checkin.leaderboard_size
    async with ctx.uow() as uow:
        week = await uow.ledger.top(group.group_id, size, since=week_start(group, when))
        total = await uow.ledger.top(group.group_id, size)
        names = await uow.members.names(group.group_id, sorted({s.member_id for s in week + total}))

    if not total:
        return ""

    def block(title: str, rows: list[tuple[str, int]]) -> list[str]:
        if not rows:
            return [title, "（本周还没有人得分）"]
        medals = ["🥇", "🥈", "🥉"]
        out = [title]
        for i, (member_id, points) in enumerate(rows):
            rank = medals[i] if i < 3 else f"{i + 1}."
            out.append(f"{rank} {names.get(member_id, member_id)} {points} 分")
        return out

    lines = block("🏆 本周积分榜", [(s.member_id, s.points) for s in week])
    lines += block("📜 总积分榜", [(s.member_id, s.points) for s in total])
    return "\n".join(lines)


async def cmd_rank(call: CommandCall, ctx: Context) -> None:
    await ctx.say(await leaderboard_text(ctx, call.message.time) or NO_POINTS_YET)


ROUTES: list[Route[Message]] = [
    Route("checkin.makeup", Message, looks_like_keyword_line, handle_makeup),
    Route("checkin.checkin", Message, looks_like_keyword_line, handle_checkin),
    command(
        "checkin.me",
        ("/我的", "/me"),
        cmd_me,
        usage="/我的",
        summary="查看我的连续打卡、积分、等级和勋章",
    ),
    command(
        "checkin.rank",
        ("/排行", "/rank", "/排行榜"),
        cmd_rank,
        usage="/排行 [集合名]",
        summary="本周和总积分排行榜；写集合名时看整个群集合的榜",
    ),
]

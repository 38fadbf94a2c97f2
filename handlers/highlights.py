"""Highlights (精华): kept by admins, proposed by members, listed, searched, digested, exported.

/精华 内容            admin: keep the text (a member's /精华 内容 is a proposal)
/精华  (quoting)      admin: keep the quoted message (where the transport has quotes)
消息里带 #精华         a member proposes the message; an admin confirms it
/精华                 the recent highlights
/精华 搜索 词          search
/精华 确认 [N]         admin: keep proposal N (without N: list the proposals)
/精华 删除 N           admin: remove highlight or proposal N
/精华 转FAQ N 问题     admin: turn highlight N into an FAQ entry
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError

from bot.commands import CommandCall, UsageError, command, parse_number, split_command
from bot.config import GroupSettings
from bot.context import Context
from bot.events import Message
from bot.router import CONTINUE, STOP, Flow, Route, is_command_text
from bot.settings.rituals import DigestOptions
from handlers.checkin import local_midnight
from handlers.qa_service import QaService
from storage.models import Highlight
from storage.repos.faq import FaqRepo
from storage.repos.highlights import HighlightRepo
from storage.repos.rituals import DigestRepo

log = logging.getLogger("groupops.highlights")

USAGE = "/精华 [内容] | /精华 搜索 词"
ADMIN_USAGE = "/精华 确认 N | /精华 删除 N | /精华 转问答 N 问题"
_SEARCH = ("搜索", "search", "查找", "搜")
_CONFIRM = ("确认", "confirm", "收录")
_DELETE = ("删除", "delete", "移除")
_TO_FAQ = ("转faq", "faq", "转问答")
_PREVIEW = 60


def preview(text: str, size: int = _PREVIEW) -> str:
    line = " ".join(text.split())
    return line if len(line) <= size else line[: size - 1] + "…"


def author_of(h: Highlight) -> str:
    return h.author_name or h.author_id


def _local(group: GroupSettings, when: datetime) -> datetime:
    return when.astimezone(group.tz)


def _number(word: str) -> int:
    number = parse_number(word, low=1)
    if number is None:
        raise UsageError("请写精华编号，例如：/精华 确认 3")
    return number


# --- saving -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    text: str
    author_id: str
    author_name: str
    posted_at: datetime
    source_message_id: str


async def keep(
    ctx: Context, candidate: Candidate, *, by: str, saved: bool, at: datetime
) -> tuple[Highlight, bool]:
    """Store a highlight (saved) or a proposal. Returns (row, new); an already kept source
    message returns the existing row. Retries when another process took the number."""
    group_id = ctx.group.group_id
    for _attempt in range(5):
        try:
            async with ctx.uow() as uow:
                repo = HighlightRepo(uow.session)
                existing = await repo.by_source(group_id, candidate.source_message_id)
                if existing is not None:
                    return existing, False
                row = await repo.add(
                    group_id=group_id,
                    text=candidate.text[:4000],
                    author_id=candidate.author_id,
                    author_name=candidate.author_name,
                    posted_at=candidate.posted_at,
                    source_message_id=candidate.source_message_id,
                    status="saved" if saved else "proposed",
                    at=at,
                    proposed_by=None if saved else by,
                    saved_by=by if saved else None,
                )
            return row, True
        except IntegrityError:
            continue  # the number (or the source) was taken concurrently: look again
    raise RuntimeError("could not store the highlight after 5 attempts")


async def _store_and_reply(ctx: Context, message: Message, candidate: Candidate) -> None:
    admin = ctx.is_admin(message.sender_id)
    settings = ctx.group.features.highlights
    if not admin and not settings.member_proposals:
        await ctx.reply(message, "抱歉，只有管理员可以收录精华。")
        return
    if not candidate.author_name:  # someone else's words: their name as last seen
        async with ctx.uow() as uow:
            names = await uow.members.names(ctx.group.group_id, [candidate.author_id])
        candidate = replace(candidate, author_name=names.get(candidate.author_id, ""))
    row, new = await keep(ctx, candidate, by=message.sender_id, saved=admin, at=message.time)
    if not new and row.status == "saved":
        await ctx.reply(message, f"这条已经是精华 #{row.number} 啦。")
    elif admin:
        await ctx.reply(message, f"✅ 已收录精华 #{row.number}（{author_of(row)}）")
    else:
        await ctx.reply(
            message,
            f"📌 已推荐为精华（编号 {row.number}），管理员发送「/精华 确认 {row.number}」即可收录。",
        )


def _command_text(message: Message) -> str:
    """The text after `/精华`, line breaks kept."""
    return split_command(message.text)[1]


async def _save_from_command(call: CommandCall, ctx: Context) -> None:
    message = call.message
    if call.args:
        # `/精华 @alice 她说的话`: alice is the author; otherwise whoever sent the command.
        author = call.mentions[0] if call.mentions else message.sender_id
        text = call.args if call.mentions else _command_text(message)
        name = message.sender_name if author == message.sender_id else ""
        candidate = Candidate(text, author, name, message.time, message.message_id)
    else:
        assert message.quote_text is not None
        author = message.quote_sender_id or message.sender_id
        candidate = Candidate(message.quote_text, author, "", message.time, message.message_id)
    await _store_and_reply(ctx, message, candidate)


def _tag_prefilter(message: Message) -> bool:
    """Pure and cheap (tags start with #); the configured tag is checked in the handler."""
    text = message.text
    return ("#" in text or "＃" in text) and not is_command_text(text)


async def handle_tag(message: Message, ctx: Context) -> Flow:
    """A message tagged #精华: a member's proposal, or kept at once when an admin tags it."""
    settings = ctx.group.features.highlights
    body = message.text.replace("＃", "#")  # a full-width hash is the same tag
    if not settings.enabled or settings.tag not in body:
        return CONTINUE
    text = body.replace(settings.tag, " ").strip()
    author, name = message.sender_id, message.sender_name
    if not text and message.quote_text:
        text = message.quote_text
        author = message.quote_sender_id or message.sender_id
        name = "" if author != message.sender_id else name
    if not text:
        return CONTINUE
    if not ctx.is_admin(message.sender_id) and not settings.member_proposals:
        return CONTINUE
    await _store_and_reply(
        ctx, message, Candidate(text, author, name, message.time, message.message_id)
    )
    return STOP


# --- the command --------------------------------------------------------------------------


async def cmd_highlights(call: CommandCall, ctx: Context) -> None:
    message = call.message
    settings = ctx.group.features.highlights
    if not settings.enabled:
        await ctx.reply(message, "本群没有开启精华功能。")
        return
    words = call.words
    if not words:
        if message.quote_text:
            await _save_from_command(call, ctx)
        else:
            await _list_recent(call, ctx)
        return
    sub = words[0].lower()
    if sub in _SEARCH:
        await _search(call, ctx, " ".join(words[1:]))
    elif sub in _CONFIRM:
        await _admin_only(call, ctx, _confirm)
    elif sub in _DELETE:
        await _admin_only(call, ctx, _delete)
    elif sub in _TO_FAQ:
        await _admin_only(call, ctx, _to_faq)
    else:
        await _save_from_command(call, ctx)


async def _admin_only(call: CommandCall, ctx: Context, action: Any) -> None:
    if not ctx.is_admin(call.message.sender_id):
        await ctx.reply(call.message, "抱歉，这个操作只有管理员可以使用。")
        return
    await action(call, ctx)


def _lines(group: GroupSettings, rows: list[Highlight]) -> list[str]:
    return [
        f"#{h.number} {_local(group, h.posted_at):%m-%d} {author_of(h)}：{preview(h.text)}"
        for h in rows
    ]


async def _list_recent(call: CommandCall, ctx: Context) -> None:
    size = ctx.group.features.highlights.list_size
    async with ctx.uow() as uow:
        rows = await HighlightRepo(uow.session).recent(ctx.group.group_id, size)
    if not rows:
        tag = ctx.group.features.highlights.tag
        await ctx.reply(call.message, f"本群还没有精华。好内容可以用「{tag}」推荐哦～")
        return
    lines = [f"📚 本群精华（最近 {len(rows)} 条）：", *_lines(ctx.group, rows)]
    lines.append("发送「/精华 搜索 关键词」查找更多")
    await ctx.reply(call.message, "\n".join(lines))


async def _search(call: CommandCall, ctx: Context, word: str) -> None:
    if not word:
        raise UsageError("请写要搜索的词，例如：/精华 搜索 标题")
    size = ctx.group.features.highlights.list_size
    async with ctx.uow() as uow:
        rows = await HighlightRepo(uow.session).search(ctx.group.group_id, word, size)
    if not rows:
        await ctx.reply(call.message, f"没有找到包含「{word}」的精华。")
        return
    lines = [f"🔎 包含「{word}」的精华（{len(rows)} 条）：", *_lines(ctx.group, rows)]
    await ctx.reply(call.message, "\n".join(lines))


async def _confirm(call: CommandCall, ctx: Context) -> None:
    words = call.words
    group_id = ctx.group.group_id
    if len(words) < 2:
        async with ctx.uow() as uow:
            pending = await HighlightRepo(uow.session).recent(group_id, 20, status="proposed")
        if not pending:
            await ctx.reply(call.message, "目前没有待确认的精华推荐。")
            return
        lines = ["📝 待确认的精华推荐：", *_lines(ctx.group, pending)]
        lines.append("发送「/精华 确认 N」收录，「/精华 删除 N」移除")
        await ctx.reply(call.message, "\n".join(lines))
        return
    number = _number(words[1])
    async with ctx.uow() as uow:
        row = await HighlightRepo(uow.session).by_number(group_id, number)
        if row is not None and row.status != "saved":
            row.status = "saved"
            row.saved_by = call.message.sender_id
            row.saved_at = call.message.time
            done = True
        else:
            done = False
    if row is None:
        await ctx.reply(call.message, f"没有编号为 {number} 的精华。")
    elif not done:
        await ctx.reply(call.message, f"精华 #{number} 已经收录过了。")
    else:
        await ctx.reply(call.message, f"✅ 已收录精华 #{number}（{author_of(row)}）")


async def _delete(call: CommandCall, ctx: Context) -> None:
    words = call.words
    if len(words) < 2:
        raise UsageError("请写要删除的精华编号。")
    number = _number(words[1])
    async with ctx.uow() as uow:
        repo = HighlightRepo(uow.session)
        row = await repo.by_number(ctx.group.group_id, number)
        if row is not None:
            await repo.delete(row)
    if row is None:
        await ctx.reply(call.message, f"没有编号为 {number} 的精华。")
    else:
        await ctx.reply(call.message, f"🗑 已删除精华 #{number}。")


async def _to_faq(call: CommandCall, ctx: Context) -> None:
    words = call.words
    if len(words) < 3:
        raise UsageError("请写精华编号和问题，例如：/精华 转问答 3 投稿前要注意什么？")
    number = _number(words[1])
    question = " ".join(words[2:])
    message = call.message
    async with ctx.uow() as uow:
        row = await HighlightRepo(uow.session).by_number(ctx.group.group_id, number)
        if row is not None:
            entry = await FaqRepo(uow.session).add_entry(
                ctx.group.group_id, question, row.text, message.sender_id, message.time
            )
            key = entry.id
    if row is None:
        await ctx.reply(message, f"没有编号为 {number} 的精华。")
        return
    qa = ctx.services.find(QaService)
    if qa is not None:
        await qa.reload()  # the Q&A index answers with it from now on
    await ctx.reply(message, f"✅ 精华 #{number} 已加入问答库 [{key}]：\n问：{question}")


# --- digest -----------------------------------------------------------------------------


def digest_days(group: GroupSettings, options: DigestOptions, at: datetime) -> tuple[date, date]:
    """The first and last local day a digest posted at `at` covers."""
    day = _local(group, at).date()
    if options.period == "day":
        target = day - timedelta(days=1) if options.of == "previous" else day
        return target, target
    monday = day - timedelta(days=day.weekday())
    if options.of == "previous":
        monday -= timedelta(days=7)
    return monday, monday + timedelta(days=6)


def _period_name(options: DigestOptions) -> str:
    names = {
        ("day", "current"): "今日",
        ("day", "previous"): "昨日",
        ("week", "current"): "本周",
        ("week", "previous"): "上周",
    }
    return names[(options.period, options.of)]


def digest_title(options: DigestOptions) -> str:
    kind = "日报" if options.period == "day" else "周报"
    return f"📰 {_period_name(options)}社群{kind}"


def _cn_day(day: date) -> str:
    return f"{day.month}月{day.day}日"


async def digest_text(ctx: Context, options: DigestOptions, at: datetime, header: str = "") -> str:
    """The period's highlights, check-in figures, longest streaks and points leaderboard,
    under `header` (default: 本周社群周报 and the dates). Empty when the period had none of
    them: a digest of nothing is not posted."""
    group = ctx.group
    first, last = digest_days(group, options, at)
    since = local_midnight(group, first)
    until = local_midnight(group, last + timedelta(days=1))
    async with ctx.uow() as uow:
        picks = await HighlightRepo(uow.session).between(group.group_id, since, until)
        digest = DigestRepo(uow.session)
        summary = await digest.checkin_summary(group.group_id, first, last)
        streaks = (
            await digest.top_streaks(group.group_id, first, last, options.streaks)
            if options.streaks
            else []
        )
        board = (
            await uow.ledger.top(group.group_id, options.leaderboard, since=since, until=until)
            if options.leaderboard
            else []
        )
        ids = sorted({s.member_id for s in streaks} | {b.member_id for b in board})
        names = await uow.members.names(group.group_id, ids)
    if not picks and not summary.checkins and not board:
        return ""
    name = _period_name(options)
    span = _cn_day(first) if first == last else f"{_cn_day(first)}—{_cn_day(last)}"
    lines = [header or f"{digest_title(options)}（{span}）"]
    if options.highlights:
        if picks:
            lines.append(f"✨ {name}精华（{len(picks)} 条）：")
            shown = picks[-options.highlights :]
            lines += [f"{i}. {preview(h.text)} ——{author_of(h)}" for i, h in enumerate(shown, 1)]
            if len(picks) > len(shown):
                lines.append(f"……另有 {len(picks) - len(shown)} 条，发送 /精华 查看")
        else:
            lines.append(
                f"✨ {name}精华：暂无，好内容记得用「{group.features.highlights.tag}」推荐～"
            )
    if summary.checkins:
        lines.append(f"📅 打卡：{summary.members} 人打卡，共 {summary.checkins} 次")
    else:
        lines.append(f"📅 打卡：{name}还没有人打卡")
    if streaks:
        shown_streaks = "、".join(
            f"{names.get(s.member_id, s.member_id)} {s.streak} 天" for s in streaks
        )
        lines.append(f"🔥 最长连续打卡：{shown_streaks}")
    if options.leaderboard:
        if board:
            lines.append(f"🏆 {name}积分榜：")
            medals = ["🥇", "🥈", "🥉"]
            for i, s in enumerate(board):
                rank = medals[i] if i < 3 else f"{i + 1}."
                lines.append(f"{rank} {names.get(s.member_id, s.member_id)} {s.points} 分")
        else:
            lines.append(f"🏆 {name}积分榜：暂无")
    return "\n".join(lines)


async def latest_text(ctx: Context, limit: int) -> str:
    """The latest highlights, for a ritual's {highlights}; empty when there are none."""
    async with ctx.uow() as uow:
        rows = await HighlightRepo(uow.session).recent(ctx.group.group_id, limit)
    if not rows:
        return ""
    return "\n".join(f"· {preview(h.text)} ——{author_of(h)}" for h in rows)


# --- export (groupops export highlights) ----------------------------------------------------


def export_records(group: GroupSettings, rows: list[Highlight]) -> list[dict[str, Any]]:
    out = []
    for h in rows:
        local = _local(group, h.posted_at)
        year, week, _ = local.isocalendar()
        out.append(
            {
                "number": h.number,
                "text": h.text,
                "author_id": h.author_id,
                "author_name": h.author_name,
                "posted_at": local.isoformat(),
                "week": f"{year}-W{week:02d}",
                "saved_by": h.saved_by,
                "saved_at": _local(group, h.saved_at).isoformat() if h.saved_at else None,
                "proposed_by": h.proposed_by,
            }
        )
    return out


def export_json(group: GroupSettings, rows: list[Highlight]) -> str:
    record = {
        "group": group.group_id,
        "name": group.name,
        "highlights": export_records(group, rows),
    }
    return json.dumps(record, ensure_ascii=False, indent=2) + "\n"


def export_markdown(group: GroupSettings, rows: list[Highlight]) -> str:
    """Markdown grouped by ISO week, oldest first."""
    weeks: dict[tuple[int, int], list[Highlight]] = defaultdict(list)
    for h in rows:
        year, week, _ = _local(group, h.posted_at).isocalendar()
        weeks[(year, week)].append(h)
    lines = [f"# 精华 · {group.name}（{group.group_id}）", ""]
    if not rows:
        lines += ["（暂无精华）", ""]
    for (year, week), items in sorted(weeks.items()):
        monday = date.fromisocalendar(year, week, 1)
        sunday = monday + timedelta(days=6)
        lines += [f"## {year}-W{week:02d}（{_cn_day(monday)}—{_cn_day(sunday)}）", ""]
        for h in items:
            when = _local(group, h.posted_at)
            saver = f"（收录：{h.saved_by}）" if h.saved_by else ""
            body = h.text.strip().replace("\n", "\n  ")
            lines.append(f"- **#{h.number} {author_of(h)}** · {when:%Y-%m-%d %H:%M}{saver}")
            lines.append(f"  {body}")
        lines.append("")
    return "\n".join(lines)


ROUTES: list[Route[Message]] = [
    command(
        "highlights.command",
        ("/精华", "/highlight", "/highlights"),
        cmd_highlights,
        usage=USAGE,
        summary="精华：查看、搜索、推荐",
        admin_usage=ADMIN_USAGE,
        admin_summary="精华：确认推荐、删除、转为常见问答",
    ),
    Route("highlights.tag", Message, _tag_prefilter, handle_tag),
]

"""Q&A (有问必答): answer known questions, stay silent otherwise, learn from admins.

The free-text route runs only on messages that look like questions (a cheap, pure test);
the matcher and its index live in QaService (handlers/qa_service.py), in memory.
"""

from __future__ import annotations

import re
from datetime import datetime

from bot.commands import CommandCall, UsageError, command, parse_number
from bot.context import Context
from bot.events import Message
from bot.router import CONTINUE, STOP, Flow, Route, is_command_text
from bot.text.normalize import looks_like_question
from handlers.qa_service import Entry, QaService, answered_within
from storage.repos.faq import FaqRepo, mark_answered

UNSURE = "这个问题我暂时还答不上来，已经记下来了，管理员会尽快补充答案～"
FAQ_USAGE = (
    "/问答 | /问答 添加 问题 | 答案 | /问答 删除 ID | /问答 问法 ID 新问法 | "
    "/问答 待答 | /问答 回答 N 答案"
)
# A backlog question this close to an existing entry becomes its similar phrasing.
ALIAS_SCORE = 0.6
_SPLIT = re.compile(r"\s*[|｜]\s*")


def service_of(ctx: Context) -> QaService | None:
    return ctx.services.find(QaService)


def wants_answer(message: Message) -> bool:
    """Pure pre-filter: a question, or anything said to the bot (not a command)."""
    text = message.text.lstrip()
    if not text or is_command_text(text):
        return False
    return message.mentions_bot or looks_like_question(text)


async def handle_question(message: Message, ctx: Context) -> Flow:
    settings = ctx.group.qa
    service = service_of(ctx)
    if not settings.enabled or service is None:
        return CONTINUE
    decision = service.match(ctx.group, message.text)
    key = decision.answer_key if decision is not None else None
    entry = service.entries.get(key) if key is not None else None
    if entry is not None:
        earlier = await _earlier_answer(message, ctx, service, entry.key)
        if earlier is not None:
            when = earlier.astimezone(ctx.group.tz)
            await ctx.reply(
                message,
                f"这个问题刚在 {when:%H:%M} 回答过（「{entry.question}」），往上翻翻就能看到哦～",
            )
            return STOP
        service.note_answered(message.group_id, entry.key, message.message_id, message.time)
        if settings.cooldown_minutes > 0:
            async with ctx.uow() as uow:
                await FaqRepo(uow.session).note_answer(
                    message.group_id, entry.key, message.message_id, message.time
                )
        await ctx.reply(message, entry.answer)
        return STOP
    asked = (
        decision.analysis.question if decision is not None else looks_like_question(message.text)
    )
    if not asked:
        return CONTINUE
    if settings.backlog and (message.mentions_bot or service.worth_logging(ctx.group, decision)):
        await _log_unanswered(message, ctx, service)
    if message.mentions_bot and settings.reply_when_unsure:
        await ctx.reply(message, UNSURE)
        return STOP
    return CONTINUE


async def _earlier_answer(
    message: Message, ctx: Context, service: QaService, key: str
) -> datetime | None:
    """An earlier answer of the entry in this group within the cooldown, as of the message's
    own time: this process's record, or the database's after a restart."""
    window = ctx.group.qa.cooldown_minutes
    if window <= 0:
        return None
    known = service.last_answer(message.group_id, key)
    if known is None:
        async with ctx.uow() as uow:
            known = await FaqRepo(uow.session).last_answer(message.group_id, key)
        if known is not None:
            service.note_answered(message.group_id, key, *known)
    return answered_within(known, message.time, window, message.message_id)


async def _log_unanswered(message: Message, ctx: Context, service: QaService) -> None:
    question = message.text.strip()
    if service.is_waiting(message.group_id, question):
        return  # the same question is already waiting for an admin: no write
    async with ctx.uow() as uow:
        await FaqRepo(uow.session).log_unanswered(
            group_id=message.group_id,
            message_id=message.message_id,
            asker_id=message.sender_id,
            asker_name=message.sender_name,
            question=question[:2000],
            at=message.time,
            mentioned_bot=message.mentions_bot,
        )
    service.note_waiting(message.group_id, question)


# --- /faq ------------------------------------------------------------------------------


def _entry_line(entry: Entry) -> str:
    extra = f"（另有 {len(entry.aliases)} 种问法）" if entry.aliases else ""
    return f"[{entry.key}] {entry.question}{extra}"


async def faq_list(call: CommandCall, ctx: Context, service: QaService) -> None:
    entries = service.visible(ctx.group)
    if not entries:
        await ctx.reply(
            call.message, "本群还没有常见问答。用「/问答 添加 问题 | 答案」添加一条吧。"
        )
        return
    shown = entries[:40]
    lines = [f"📚 本群常见问答（共 {len(entries)} 条）：", *(_entry_line(e) for e in shown)]
    if len(entries) > len(shown):
        lines.append(f"……还有 {len(entries) - len(shown)} 条，完整列表可请运营者从后台导出")
    await ctx.reply(call.message, "\n".join(lines))


async def faq_add(call: CommandCall, ctx: Context, service: QaService, rest: str) -> None:
    parts = _SPLIT.split(rest, maxsplit=1)
    if len(parts) != 2 or not parts[0].strip() or not parts[1].strip():
        raise UsageError("请用竖线分开问题和答案。")
    question, answer = parts[0].strip(), parts[1].strip()
    async with ctx.uow() as uow:
        entry = await FaqRepo(uow.session).add_entry(
            ctx.group.group_id, question, answer, call.message.sender_id, call.message.time
        )
        key = str(entry.id)
    await service.reload()
    await ctx.reply(call.message, f"✅ 已添加常见问答 [{key}]：{question}")


def _parse_id(word: str) -> int | None:
    return parse_number(word, low=1)


async def faq_del(call: CommandCall, ctx: Context, service: QaService, rest: str) -> None:
    key = rest.strip()
    if not key:
        raise UsageError("请写上要删除的问答编号。")
    found = service.entries.get(key)
    if found is not None and found.source == "config":
        await ctx.reply(call.message, f"[{key}] 写在配置文件里，请在配置文件中删除。")
        return
    entry_id = _parse_id(key)
    if found is None or entry_id is None or not (found.scopes & service.scopes_for(ctx.group)):
        await ctx.reply(call.message, f"没有找到编号为 {key} 的问答。")
        return
    async with ctx.uow() as uow:
        await FaqRepo(uow.session).delete_entry(entry_id)
    await service.reload()
    await ctx.reply(call.message, f"🗑 已删除常见问答 [{key}]：{found.question}")


async def faq_alias(call: CommandCall, ctx: Context, service: QaService, rest: str) -> None:
    key, _, phrasing = rest.strip().partition(" ")
    phrasing = phrasing.strip()
    if not key or not phrasing:
        raise UsageError("请写上问答编号和新的问法。")
    found = service.entries.get(key)
    if found is None or not (found.scopes & service.scopes_for(ctx.group)):
        await ctx.reply(call.message, f"没有找到编号为 {key} 的问答。")
        return
    async with ctx.uow() as uow:
        added = await FaqRepo(uow.session).add_alias(
            key, ctx.group.group_id, phrasing, call.message.sender_id, call.message.time
        )
    if not added:
        await ctx.reply(call.message, "这个问法已经收录过了。")
        return
    await service.reload()
    await ctx.reply(call.message, f"✅ 已为 [{key}] 添加问法：{phrasing}")


async def faq_todo(call: CommandCall, ctx: Context, service: QaService) -> None:
    async with ctx.uow() as uow:
        items = await FaqRepo(uow.session).open_backlog(ctx.group.group_id, 15)
    if not items:
        await ctx.reply(call.message, "🎉 目前没有待回答的问题。")
        return
    lines = ["📝 待回答的问题（用「/问答 回答 编号 答案」回答）："]
    for item in items:
        when = item.asked_at.astimezone(ctx.group.tz)
        who = item.asker_name or item.asker_id
        lines.append(f"#{item.id} {item.question} —— {who} {when:%m-%d %H:%M}")
    await ctx.reply(call.message, "\n".join(lines))


async def faq_answer(call: CommandCall, ctx: Context, service: QaService, rest: str) -> None:
    number, _, answer = rest.strip().partition(" ")
    number = number.lstrip("#")
    answer = answer.strip()
    item_id = _parse_id(number)
    if item_id is None or not answer:
        raise UsageError("请写上待回答问题的编号和答案。")
    message, group = call.message, ctx.group
    async with ctx.uow() as uow:
        repo = FaqRepo(uow.session)
        row = await repo.backlog_item(group.group_id, item_id)
        if row is None or row.status != "open":
            await ctx.reply(message, f"没有找到待回答的问题 #{number}（用 /问答 待答 查看）。")
            return
        question = service.question_key(row.question) or row.question
        decision = service.match(group, row.question)
        best = decision.best if decision is not None else None
        if best is not None and best.score >= max(ALIAS_SCORE, group.qa.threshold):
            key = best.key
            await repo.add_alias(key, group.group_id, question, message.sender_id, message.time)
            learned = f"已作为常见问答 [{key}] 的相似问法收录"
        else:
            entry = await repo.add_entry(
                group.group_id, question, answer, message.sender_id, message.time
            )
            key = str(entry.id)
            learned = f"已收录为常见问答 [{key}]"
        mark_answered(row, message.sender_id, message.time, key)
        await repo.close_similar(group.group_id, row.question, message.sender_id, message.time, key)
        asker = row.asker_id
    service.forget_waiting(group.group_id, row.question)
    await service.reload()
    await ctx.say(f"关于「{row.question}」：{answer}", [asker])
    await ctx.reply(message, f"✅ 已回复并{learned}。")


async def cmd_faq(call: CommandCall, ctx: Context) -> None:
    service = service_of(ctx)
    if service is None:
        await ctx.reply(call.message, "问答功能没有启用。")
        return
    sub, _, rest = call.args.partition(" ")
    sub = sub.lower()
    if sub in ("", "list", "列表"):
        await faq_list(call, ctx, service)
    elif sub in ("add", "添加"):
        await faq_add(call, ctx, service, rest)
    elif sub in ("del", "delete", "rm", "删除"):
        await faq_del(call, ctx, service, rest)
    elif sub in ("alias", "问法"):
        await faq_alias(call, ctx, service, rest)
    elif sub in ("todo", "待答"):
        await faq_todo(call, ctx, service)
    elif sub in ("answer", "回答"):
        await faq_answer(call, ctx, service, rest)
    else:
        raise UsageError(f"不认识的子命令：{sub}")


ROUTES: list[Route[Message]] = [
    command(
        "qa.faq",
        ("/faq", "/问答"),
        cmd_faq,
        usage=FAQ_USAGE,
        summary="管理常见问答：列表、添加、删除、相似问法、待回答问题",
        admin_only=True,
    ),
    Route("qa.answer", Message, wants_answer, handle_question),
]

"""Ad control (广告治理): every message is classified here, in memory; spam is acted on.

The route runs right after the admin commands. It labels each message (spam / off / on /
social), logs the decision with its reasons (logger ``groupops.moderation``), feeds the
group's drift window for nudges, and stops a spam message from reaching other features.

Evidence is graded. A spam message with hard evidence (a contact handle, a phone number, a
link, a QR code) from a member who is neither an admin nor whitelisted is a public
violation; the member's n-th within ``nudge.spam.ladder_window_days`` takes the n-th ladder
step: warn (mentioning the sender) → notify admins → ask admins to remove the member,
quoting the evidence. The bot never removes anyone itself. Offer words without hard
evidence are only a note for admins (``/违规``, and ``nudge.spam.review_group``), unless
the member already had a public step in the window (a repeat offer after a warning).

    /白名单 @成员          whitelist a member (their messages are never treated as spam)
    /白名单 移除 @成员     take a member off the whitelist
    /白名单                list the whitelist
    /违规 @成员            a member's spam record
    /违规                  the group's latest records, notes included"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy.exc import IntegrityError

from bot.commands import CommandCall, UsageError, command
from bot.config import GroupSettings
from bot.context import Context
from bot.events import Message
from bot.router import CONTINUE, STOP, Flow, Route, is_command_text
from bot.settings.nudge import LadderStep
from bot.text.classify import Verdict
from bot.text.spam import REASON_LABELS
from handlers.highlights import preview
from handlers.moderation import ModerationService, log
from storage.models.moderation import NOTE_ACTION, Violation
from storage.repos.moderation import ModerationRepo

STEP_NAMES: dict[str, str] = {
    NOTE_ACTION: "待复核（未公开）",
    "warn": "提醒",
    "notify_admins": "通知管理员",
    "ask_remove": "请求移出",
}


def reason_text(verdict: Verdict) -> str:
    labels = [
        REASON_LABELS.get(s.code, s.code) for s in sorted(verdict.signals, key=lambda s: -s.points)
    ]
    return "、".join(dict.fromkeys(labels)) or "广告特征"


def _is_conversation(message: Message) -> bool:
    return message.is_image or not is_command_text(message.text)


async def handle_message(message: Message, ctx: Context) -> Flow:
    moderation = ctx.services.get(ModerationService)
    group = ctx.group
    spam_on = group.nudge.spam.enabled
    nudge_on = moderation.nudge_enabled(group)
    if not (spam_on or nudge_on) or not _is_conversation(message):
        return CONTINUE  # a command is not conversation
    verdict = moderation.classify(group, message)
    admin = ctx.is_admin(message.sender_id)
    exempt = admin or moderation.is_whitelisted(group.group_id, message.sender_id)
    # off/spam at INFO (what an operator wants to see); on/social only at DEBUG, so the
    # console is not flooded with one line per chat message
    log.log(
        logging.INFO if verdict.label in ("off", "spam") else logging.DEBUG,
        "%s %s from %s: %s [%s]%s",
        group.group_id,
        message.message_id,
        message.sender_id,
        verdict.label,
        verdict,  # formatted (verdict.explain()) only when the line is emitted
        (" (admin)" if admin else " (whitelisted)") if exempt else "",
    )
    if verdict.label == "spam":
        if spam_on and not exempt:
            return await act_on_spam(message, ctx, verdict)
        return CONTINUE  # exempt: not spam, and not counted for or against drift
    if nudge_on and not admin:
        moderation.observe(group, message, verdict.label)
    return CONTINUE


def ladder_step(ladder: list[LadderStep], count: int) -> LadderStep:
    return ladder[min(count, len(ladder)) - 1]


async def act_on_spam(message: Message, ctx: Context, verdict: Verdict) -> Flow:
    """Record a spam message and take the step its evidence allows.

    Public steps (the ladder) need hard evidence -- a contact handle, a phone number, a link,
    a QR code -- or a repeat offer after a public step within the window. Offer words alone
    make a note that only admins see (``/违规``, and ``review_group`` when set); the message
    then goes on like any other, because a member's story may use the same words.
    """
    group, settings = ctx.group, ctx.group.nudge.spam
    reasons = reason_text(verdict)
    shown = ("[图片] " if message.is_image else "") + preview(message.text, 80)
    since = message.time - timedelta(days=settings.ladder_window_days)
    try:
        async with ctx.uow() as uow:
            repo = ModerationRepo(uow.session)
            if await repo.has_violation(group.group_id, message.message_id):
                return STOP  # the same message delivered again after a restart
            public = await repo.count_violations(
                group.group_id, message.sender_id, since, public_only=True
            )
            if verdict.hard_evidence or public:
                count = public + 1
                step: str = ladder_step(settings.ladder, count)
            else:
                count, step = 0, NOTE_ACTION
            repo.add_violation(
                Violation(
                    group_id=group.group_id,
                    member_id=message.sender_id,
                    message_id=message.message_id,
                    excerpt=shown,
                    reasons=f"{reasons} | {verdict.explain()}"[:500],
                    score=verdict.spam_points,
                    action=step,
                    created_at=message.time,
                )
            )
            evidence: list[Violation] = []
            if step == "ask_remove":
                await uow.session.flush()
                evidence = await repo.violations(
                    group.group_id, message.sender_id, settings.evidence_items, public_only=True
                )
            name = ""
            if step == NOTE_ACTION and settings.review_group is not None:
                names = await uow.members.names(group.group_id, [message.sender_id])
                name = names.get(message.sender_id, message.sender_id)
    except IntegrityError:
        return STOP  # another bot process recorded this message first
    if step == NOTE_ACTION:
        log.warning(
            "%s %s: possible ad from %s without hard evidence, noted for admins: %s",
            group.group_id,
            message.message_id,
            message.sender_id,
            verdict.explain(),
        )
        if settings.review_group is not None:
            await ctx.for_group(settings.review_group).say(
                f"🔎 待复核（群内未提醒）：「{group.name or group.group_id}」的 {name} "
                f"发了一条疑似广告（识别到：{reasons}，无联系方式等实据）。\n"
                f"「{shown}」\n在该群发送 /违规 @成员 可查看记录。"
            )
        return CONTINUE
    log.warning(
        "%s %s: spam from %s, violation %d, step %s: %s",
        group.group_id,
        message.message_id,
        message.sender_id,
        count,
        step,
        verdict.explain(),
    )
    admins = sorted(group.admins)
    if step == "warn":
        await ctx.reply(
            message,
            f"温馨提示：本群不欢迎广告和引流信息（识别到：{reasons}），请遵守群规～"
            "多次发布将交由管理员处理，如有误判请联系管理员。",
        )
    elif step == "notify_admins":
        await ctx.say(
            f"⚠️ 第 {count} 次发现该成员发布疑似广告（识别到：{reasons}），请管理员留意。\n"
            f"证据：「{shown}」",
            [message.sender_id, *admins],
        )
    else:
        lines = [
            f"🚫 该成员已第 {count} 次发布广告，请管理员将其移出本群。",
            "证据：",
            *(
                f"{i}. {v.created_at.astimezone(group.tz):%m-%d %H:%M} 「{v.excerpt}」"
                for i, v in enumerate(evidence, start=1)
            ),
        ]
        await ctx.say("\n".join(lines), [message.sender_id, *admins])
    return STOP


# --- admin commands ---------------------------------------------------------------------

WHITELIST_USAGE = "/白名单 @成员 | /白名单 移除 @成员 | /白名单"
_REMOVE_WORDS = {"移除", "删除", "取消", "remove", "del", "-"}


async def _names(ctx: Context, member_ids: list[str]) -> dict[str, str]:
    async with ctx.uow() as uow:
        return await uow.members.names(ctx.group.group_id, member_ids)


async def cmd_whitelist(call: CommandCall, ctx: Context) -> None:
    moderation = ctx.services.get(ModerationService)
    group_id, message = ctx.group.group_id, call.message
    words = call.words
    if not call.mentions:
        if words:
            raise UsageError("请 @ 要加入或移出白名单的成员。")
        members = sorted(m for g, m in moderation.whitelist if g == group_id)
        if not members:
            await ctx.reply(message, "本群白名单为空。")
            return
        names = await _names(ctx, members)
        listed = "、".join(names.get(m, m) for m in members)
        await ctx.reply(message, f"本群白名单（{len(members)} 人）：{listed}")
        return
    remove = bool(words) and words[0].lower() in _REMOVE_WORDS
    if words and not remove:
        raise UsageError()
    changed: list[str] = []
    async with ctx.uow() as uow:
        repo = ModerationRepo(uow.session)
        for member in call.mentions:
            if remove:
                if await repo.remove_whitelisted(group_id, member):
                    changed.append(member)
            elif await repo.add_whitelisted(group_id, member, message.sender_id, message.time):
                changed.append(member)
    for member in call.mentions:
        if remove:
            moderation.whitelist.discard((group_id, member))
        else:
            moderation.whitelist.add((group_id, member))
    log.info(
        "%s whitelist %s by %s: %s",
        group_id,
        "remove" if remove else "add",
        message.sender_id,
        ",".join(call.mentions),
    )
    if remove:
        text = "已移出白名单。" if changed else "该成员本来就不在白名单中。"
    else:
        text = "已加入白名单，其消息不再按广告处理。" if changed else "该成员已在白名单中。"
    await ctx.say(text, list(call.mentions))


VIOLATIONS_USAGE = "/违规 @成员 | /违规"
RECENT_ITEMS = 10


def _record_line(row: Violation, group: GroupSettings, who: str = "") -> str:
    when = row.created_at.astimezone(group.tz)
    why = row.reasons.split(" | ", 1)[0]
    step = STEP_NAMES.get(row.action, row.action)
    return f"{when:%m-%d %H:%M} {who}{step}（{why}）「{row.excerpt}」"


async def cmd_violations(call: CommandCall, ctx: Context) -> None:
    if len(call.mentions) > 1 or (call.words and not call.mentions):
        raise UsageError("请 @ 一位成员，或不带参数查看本群最近的记录。")
    group = ctx.group
    if not call.mentions:
        await _recent_violations(call, ctx)
        return
    target = call.mentions[0]
    settings = group.nudge.spam
    since = call.message.time - timedelta(days=settings.ladder_window_days)
    async with ctx.uow() as uow:
        repo = ModerationRepo(uow.session)
        total = await repo.total_violations(group.group_id, target)
        recent = await repo.count_violations(group.group_id, target, since, public_only=True)
        rows = await repo.violations(group.group_id, target, 5)
        names = await uow.members.names(group.group_id, [target])
    name = names.get(target, target)
    whitelisted = ctx.services.get(ModerationService).is_whitelisted(group.group_id, target)
    if total == 0:
        extra = "（白名单成员）" if whitelisted else ""
        await ctx.reply(call.message, f"{name}{extra} 没有违规记录。")
        return
    lines = [
        f"📋 {name} 的违规记录：共 {total} 次，近 {settings.ladder_window_days} 天公开处理 "
        f"{recent} 次" + ("（现为白名单成员）" if whitelisted else "")
    ]
    lines.extend(_record_line(row, group) for row in rows)
    await ctx.reply(call.message, "\n".join(lines))


async def _recent_violations(call: CommandCall, ctx: Context) -> None:
    """The group's latest records, notes included: where admins review what was not shown."""
    group = ctx.group
    async with ctx.uow() as uow:
        rows = await ModerationRepo(uow.session).violations(group.group_id, None, RECENT_ITEMS)
        names = await uow.members.names(group.group_id, sorted({r.member_id for r in rows}))
    if not rows:
        await ctx.reply(call.message, "本群还没有广告记录。")
        return
    lines = [f"📋 本群最近 {len(rows)} 条广告记录（「待复核」的仅管理员可见，群内未提醒）："]
    lines.extend(
        _record_line(row, group, f"{names.get(row.member_id, row.member_id)} ") for row in rows
    )
    await ctx.reply(call.message, "\n".join(lines))


def _always(_: Message) -> bool:
    return True


ROUTES: list[Route[Message]] = [
    command(
        "spam.whitelist",
        ("/白名单", "/whitelist"),
        cmd_whitelist,
        usage=WHITELIST_USAGE,
        summary="广告白名单：加入、移出或查看",
        admin_only=True,
    ),
    command(
        "spam.violations",
        ("/违规", "/violations"),
        cmd_violations,
        usage=VIOLATIONS_USAGE,
        summary="查看成员的广告违规记录，或本群最近的记录（含待复核）",
        admin_only=True,
    ),
    Route("spam.check", Message, _always, handle_message),
]

"""Core admin commands: /help, /reload, /pause, /resume, /积分."""

from __future__ import annotations

import re

from sqlalchemy.exc import IntegrityError

from bot.commands import CommandCall, UsageError, command
from bot.context import Context
from bot.events import Message
from bot.router import Route
from handlers.activity import flushed
from handlers.grants import UNKNOWN_MEMBER, Grant, GrantStatus, adjust_limits, apply_grant

_DELTA = re.compile(r"^([+-]?\d{1,7})(?:\s*分)?$")


async def cmd_help(call: CommandCall, ctx: Context) -> None:
    """Members see what they can use; admins also see a 管理员命令 part. A set admin who is
    no admin of this group sees the commands that address sets (`/群发`)."""
    user = call.message.sender_id
    admin = ctx.is_admin(user)
    set_admin = admin or any(ctx.config.is_set_admin(s, user) for s in ctx.config.sets.values())
    members = ["📖 可用命令："]
    admins: list[str] = []
    for info in ctx.controls.commands():
        line = f"{info.usage} — {info.summary}"
        if not info.admin_only:
            members.append(line)
        elif admin or (set_admin and info.set_admins):
            admins.append(line)
        elif info.listed_to is not None and info.listed_to(ctx, user):
            members.append(line)  # not an admin, but may use it (a camp's reviewer)
        if info.admin_usage and admin:
            admins.append(f"{info.admin_usage} — {info.admin_summary}")
    members.append("打卡 / 签到 — 每日打卡，可附字数，如「打卡 1200字」")
    members.append("补卡 月-日 — 补上最近漏掉的一天，如「补卡 11-20」「补卡 昨天」")
    if admins:
        members.extend(["", "🔧 管理员命令：", *admins])
    await ctx.reply(call.message, "\n".join(members))


async def cmd_reload(call: CommandCall, ctx: Context) -> None:
    problems = await ctx.controls.reload_config()
    if problems:
        shown = "\n".join(str(p) for p in problems[:5])
        more = f"\n……共 {len(problems)} 处问题" if len(problems) > 5 else ""
        await ctx.reply(call.message, f"⚠️ 配置有误，继续使用旧配置：\n{shown}{more}")
    else:
        await ctx.reply(call.message, "✅ 配置已重新加载。")


async def cmd_pause(call: CommandCall, ctx: Context) -> None:
    await ctx.controls.set_paused(call.message.group_id, True, call.message.sender_id)
    await ctx.reply(call.message, "⏸ 机器人已在本群暂停，发送 /恢复 即可恢复。")


async def cmd_resume(call: CommandCall, ctx: Context) -> None:
    await ctx.controls.set_paused(call.message.group_id, False, call.message.sender_id)
    await ctx.reply(call.message, "▶️ 机器人已在本群恢复工作。")


POINTS_USAGE = "/积分 @成员"
POINTS_ADJUST_USAGE = "/积分 @成员 +N|-N 理由"


async def cmd_points(call: CommandCall, ctx: Context) -> None:
    """`/积分 @user` shows a balance; `/积分 @user +N 理由` (admins) adjusts it through the
    grant policy (handlers/grants.py): a maximum per adjustment and per day, no balance
    below zero unless the group allows it, only members seen in the group."""
    message = call.message
    if len(call.mentions) != 1:
        raise UsageError("请 @ 一位成员。")
    target = call.mentions[0]
    words = call.words
    group_id = ctx.group.group_id
    if not words:
        async with ctx.uow() as uow:
            balance = await uow.ledger.balance(group_id, target)
        await ctx.say(f"该成员当前积分：{balance}", [target])
        return
    if not ctx.is_admin(message.sender_id):
        await ctx.reply(message, "抱歉，只有管理员可以调整积分。")
        return
    found = _DELTA.match(words[0])
    if found is None:
        raise UsageError("积分变动要写成 +N 或 -N。")
    delta = int(found.group(1))
    reason = " ".join(words[1:])
    if delta == 0:
        raise UsageError("积分变动不能为 0。")
    limits = adjust_limits(ctx.group.rewards)
    if abs(delta) > limits.max_points:
        raise UsageError(f"一次最多调整 {limits.max_points} 分（加或减）。")
    if not reason:
        raise UsageError("请写明调整理由。")
    await flushed(ctx)  # the member may so far only be in the buffered activity log
    grant = Grant(
        group_id=group_id,
        member_id=target,
        points=delta,
        kind="admin_adjust",
        reason=reason,
        at=message.time,
        key=f"adjust:{group_id}:{message.message_id}",
        actor_id=message.sender_id,
    )
    try:
        async with ctx.uow() as uow:
            result = await apply_grant(uow, ctx.group, grant, limits)
    except IntegrityError:
        return  # another process made this adjustment first
    status = result.status
    left = max(0, result.cap - result.used)
    if status is GrantStatus.DUPLICATE:
        return  # the same command delivered twice
    if status is GrantStatus.UNKNOWN_MEMBER:
        await ctx.reply(message, UNKNOWN_MEMBER.format(what="调整积分"))
    elif status is GrantStatus.TOO_LARGE:
        await ctx.reply(message, f"一次最多调整 {result.cap} 分（加或减）。")
    elif status is GrantStatus.ADMIN_CAP:
        await ctx.reply(
            message,
            f"今天你已调整 {result.used} 分，每位管理员每天最多调整 {result.cap} 分，"
            f"还能调整 {left} 分。",
        )
    elif status is GrantStatus.MEMBER_CAP:
        await ctx.reply(
            message,
            f"这位成员今天的积分已被调整 {result.used} 分，每人每天最多 {result.cap} 分，"
            f"还能调整 {left} 分。",
        )
    elif status is GrantStatus.BELOW_ZERO:
        await ctx.reply(
            message,
            f"该成员当前积分 {result.balance}，扣除 {-delta} 分后会低于 0，"
            f"最多可扣 {max(0, result.balance)} 分。",
        )
    else:
        sign = "+" if delta > 0 else ""
        await ctx.say(f"积分调整：{sign}{delta}（{reason}），当前积分 {result.balance}", [target])


ROUTES: list[Route[Message]] = [
    command("admin.help", ("/help", "/帮助"), cmd_help, usage="/帮助", summary="查看可用命令"),
    command(
        "admin.reload",
        ("/reload", "/重载"),
        cmd_reload,
        usage="/重载",
        summary="重新加载配置文件",
        admin_only=True,
    ),
    command(
        "admin.pause",
        ("/pause", "/暂停"),
        cmd_pause,
        usage="/暂停",
        summary="让机器人在本群暂停",
        admin_only=True,
        runs_when_paused=True,
    ),
    command(
        "admin.resume",
        ("/resume", "/恢复"),
        cmd_resume,
        usage="/恢复",
        summary="让机器人在本群恢复",
        admin_only=True,
        runs_when_paused=True,
    ),
    command(
        "admin.points",
        ("/积分", "/points"),
        cmd_points,
        usage=POINTS_USAGE,
        summary="查看成员积分",
        admin_usage=POINTS_ADJUST_USAGE,
        admin_summary="调整成员积分，须写明理由",
    ),
]

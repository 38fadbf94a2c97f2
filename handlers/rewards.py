"""Red-packet style rewards (红包玩法) on the points ledger.

Commands (admins): `/红包 @成员 N 理由`, `/抢答 …`, `/通知 …`, `/抽奖 N名 M分`, `/账本 @成员`.
Ordinary messages: a quiz answer or a notice reply, matched in memory (handlers/rewards_state).
Every grant passes the grant policy (handlers/grants.py) and every point is a ledger line
with a deterministic idem_key, so a redelivered message or a retried job never pays twice:

    reward:{group}:{message_id}     /红包
    quiz:{group}:{round}            the quiz winner (one per round)
    notice:{group}:{round}:{member}
    draw:{group}:{round}:{member}

where {round} is rewards_state.round_key(the round's start key), never a row id.

For scheduled jobs (rituals): `start_quiz_from_bank(ctx, at)`, `open_notice(...)`,
`run_draw(...)` and `grant_reward(...)` take a context and a fire time and need no message.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.exc import IntegrityError

from bot.commands import CommandCall, CommandHandler, UsageError, command, split_command
from bot.context import Context
from bot.events import Message
from bot.router import Route, is_command_text
from handlers import notice_sets, rewards_quiz
from handlers.activity import flushed
from handlers.grants import (
    UNKNOWN_MEMBER,
    Grant,
    GrantResult,
    GrantStatus,
    apply_grant,
    reward_limits,
)
from handlers.ledger_text import describe_line
from handlers.rewards_draw import DRAW_USAGE, draw_text, parse_draw_args, run_draw
from handlers.rewards_notice import NOTICE_USAGE, open_notice, parse_notice_args
from handlers.rewards_quiz import (
    QUIZ_USAGE,
    StartOutcome,
    parse_quiz_args,
    pick_bank_question,
    spec_from_bank,
    start_quiz,
    start_quiz_from_bank,
)
from handlers.rewards_state import RewardsService
from storage.repos.rewards import RewardsRepo

if TYPE_CHECKING:
    from handlers import ServiceDeps

__all__ = [
    "ROUTES",
    "GrantResult",
    "GrantStatus",
    "RewardsService",
    "grant_reward",
    "make_service",
    "open_notice",
    "run_draw",
    "start_quiz_from_bank",
]

REWARD_USAGE = "/红包 @成员 N 理由，例如：/红包 @小明 20 优秀作业"
LEDGER_USAGE = "/账本 @成员"
DISABLED = "本群没有开启红包玩法。"
# To the admin only (a reply, nothing announced): the member's ads are the admins' business.
BARRED = (
    "这位成员近期有未处理的广告违规，暂时不能领取红包和奖励。"
    "可以用 /违规 @成员 查看记录；确认是误判的话，加入白名单后再发。"
)

_POINTS = re.compile(r"^\+?(\d{1,7})(?:分)?$")


def make_service(deps: ServiceDeps) -> RewardsService:
    return RewardsService(
        deps, quiz_due=rewards_quiz.quiz_due, notice_due=notice_sets.close_any_notice
    )


# --- /红包 ------------------------------------------------------------------------------------


async def grant_reward(
    ctx: Context,
    *,
    admin_id: str | None,
    member_id: str,
    points: int,
    reason: str,
    at: datetime,
    key: str,
) -> GrantResult:
    """One red packet through the grant policy (handlers/grants.py): the member must have
    been seen in the group; caps are counted from the ledger in the group's local day of
    `at`."""
    await flushed(ctx)  # the member may so far only be in the buffered activity log
    grant = Grant(
        group_id=ctx.group.group_id,
        member_id=member_id,
        points=points,
        kind="reward",
        reason=reason,
        at=at,
        key=key,
        actor_id=admin_id,
    )
    try:
        async with ctx.uow() as uow:
            return await apply_grant(uow, ctx.group, grant, reward_limits(ctx.group.rewards))
    except IntegrityError:
        return GrantResult(GrantStatus.DUPLICATE)  # another process paid this key first


async def cmd_reward(call: CommandCall, ctx: Context) -> None:
    message = call.message
    settings = ctx.group.rewards
    if len(call.mentions) != 1:
        raise UsageError("请 @ 一位成员。")
    target = call.mentions[0]
    words = call.words
    found = _POINTS.match(words[0]) if words else None
    if found is None:
        raise UsageError("积分要写成正整数，例如 20。")
    points = int(found.group(1))
    if not 1 <= points <= settings.reward.max_points:
        raise UsageError(f"一个红包要在 1 到 {settings.reward.max_points} 分之间。")
    reason = " ".join(words[1:])
    if not reason:
        raise UsageError("请写明理由。")
    if target == message.sender_id:
        await ctx.reply(message, "不能给自己发红包哦。")
        return
    result = await grant_reward(
        ctx,
        admin_id=message.sender_id,
        member_id=target,
        points=points,
        reason=reason,
        at=message.time,
        key=f"reward:{ctx.group.group_id}:{message.message_id}",
    )
    status = result.status
    if status is GrantStatus.DUPLICATE:
        return
    left = max(0, result.cap - result.used)
    if status is GrantStatus.UNKNOWN_MEMBER:
        await ctx.reply(message, UNKNOWN_MEMBER.format(what="发红包"))
        return
    if status is GrantStatus.BARRED:
        await ctx.reply(message, BARRED)
        return
    if status is GrantStatus.TOO_LARGE:
        await ctx.reply(message, f"一个红包最多 {result.cap} 分。")
        return
    if status is GrantStatus.ADMIN_CAP:
        await ctx.reply(
            message,
            f"今天你已发出 {result.used} 分红包，每位管理员每天最多 {result.cap} 分，"
            f"还能发 {left} 分。",
        )
        return
    if status is GrantStatus.MEMBER_CAP:
        await ctx.reply(
            message,
            f"这位成员今天已收到 {result.used} 分红包，每人每天最多 {result.cap} 分，"
            f"还能收 {left} 分。",
        )
        return
    giver = message.sender_name or message.sender_id
    await ctx.say(
        f"🧧 {giver} 发来一个红包：+{points} 分\n理由：{reason}\n当前积分 {result.balance}",
        [target],
    )


# --- /抢答 /通知 /抽奖 -------------------------------------------------------------------------


async def cmd_quiz(call: CommandCall, ctx: Context) -> None:
    message = call.message
    settings = ctx.group.rewards
    if call.args in ("", "题库"):
        question = await pick_bank_question(ctx)
        if question is None:
            raise UsageError("题库是空的：请写上题目和答案，或在配置文件的抢答题库里添加题目。")
        spec, source = spec_from_bank(question, settings.quiz), "bank"
    else:
        spec, source = parse_quiz_args(call.args, settings.quiz), "command"
    outcome = await start_quiz(
        ctx,
        spec,
        at=message.time,
        start_key=f"quiz:{ctx.group.group_id}:{message.message_id}",
        created_by=message.sender_id,
        source=source,
    )
    if outcome is StartOutcome.BUSY:
        await ctx.reply(message, "还有一道抢答题没有结束，等它结束后再出新题吧。")


async def cmd_notice(call: CommandCall, ctx: Context) -> None:
    message = call.message
    settings = ctx.group.rewards
    _, raw = split_command(message.text)  # keep the announcement's line breaks
    shared = notice_sets.split_set_prefix(ctx, raw)
    if shared is not None:  # `/通知 集合 …`: one notice red packet across the set
        await notice_sets.cmd_shared_notice(ctx, message, *shared)
        return
    spec = parse_notice_args(raw, settings.notice)
    await open_notice(
        ctx,
        spec,
        at=message.time,
        start_key=f"notice:{ctx.group.group_id}:{message.message_id}",
        created_by=message.sender_id,
    )


async def cmd_draw(call: CommandCall, ctx: Context) -> None:
    message = call.message
    settings = ctx.group.rewards
    wanted, points = parse_draw_args(call.args, settings.draw)
    result = await run_draw(
        ctx,
        wanted,
        points,
        at=message.time,
        start_key=f"draw:{ctx.group.group_id}:{message.message_id}",
        created_by=message.sender_id,
    )
    if result is None:
        return  # the same command delivered twice
    await ctx.say(draw_text(result), result.winners)


# --- /账本 ------------------------------------------------------------------------------------


async def cmd_ledger(call: CommandCall, ctx: Context) -> None:
    """A member's recent ledger lines: when, how much, what for, and who granted them."""
    if len(call.mentions) != 1:
        raise UsageError("请 @ 一位成员。")
    if call.words:
        raise UsageError()
    target = call.mentions[0]
    group = ctx.group
    async with ctx.uow() as uow:
        lines = await uow.ledger.recent(group.group_id, target, limit=group.rewards.ledger_lines)
        balance = await uow.ledger.balance(group.group_id, target)
        count = await RewardsRepo(uow.session).count_lines(group.group_id, target)
        people = sorted({target, *(ln.actor_id for ln in lines if ln.actor_id)})
        names = await uow.members.names(group.group_id, people)
    who = names.get(target, target)
    if not lines:
        await ctx.reply(call.message, f"{who} 还没有积分记录。")
        return
    out = [f"📒 {who} 的积分账本：共 {count} 条，当前积分 {balance}（最近 {len(lines)} 条）"]
    for line in lines:
        when = line.created_at.astimezone(group.tz).strftime("%m-%d %H:%M")
        by = f"（{names.get(line.actor_id, line.actor_id)} 发放）" if line.actor_id else ""
        out.append(f"{when} {line.delta:+d} {describe_line(line.kind, line.reason)}{by}")
    await ctx.reply(call.message, "\n".join(out))


# --- routes ---------------------------------------------------------------------------------


def could_answer(message: Message) -> bool:
    """Pure pre-filter for quiz answers and notice replies (open games are checked in memory)."""
    text = message.text
    return 0 < len(text) <= 200 and not message.is_image and not is_command_text(text)


def _when_enabled(handler: CommandHandler) -> CommandHandler:
    """Red-packet commands answer with a short notice in groups that switched the games off."""

    async def guarded(call: CommandCall, ctx: Context) -> None:
        if not ctx.group.rewards.enabled:
            await ctx.reply(call.message, DISABLED)
            return
        await handler(call, ctx)

    return guarded


ROUTES: list[Route[Message]] = [
    command(
        "rewards.reward",
        ("/红包", "/reward"),
        _when_enabled(cmd_reward),
        usage=REWARD_USAGE,
        summary="给成员发积分红包（每天有上限）",
        admin_only=True,
    ),
    command(
        "rewards.quiz",
        ("/抢答", "/quiz"),
        _when_enabled(cmd_quiz),
        usage=QUIZ_USAGE,
        summary="发起抢答，第一个答对的成员得分",
        admin_only=True,
    ),
    command(
        "rewards.notice",
        ("/通知", "/notice"),
        _when_enabled(cmd_notice),
        usage=NOTICE_USAGE,
        summary="发通知红包，前 N 位回复「收到」的成员得分；/通知 集合名 … 发到整个群集合",
        admin_only=True,
    ),
    command(
        "rewards.draw",
        ("/抽奖", "/draw"),
        _when_enabled(cmd_draw),
        usage=DRAW_USAGE,
        summary="从今天发言或打卡的成员中抽奖",
        admin_only=True,
    ),
    command(
        "rewards.ledger",
        ("/账本", "/ledger"),
        cmd_ledger,
        usage=LEDGER_USAGE,
        summary="查看成员最近的积分明细和发放人",
        admin_only=True,
    ),
    Route("rewards.quiz_answer", Message, could_answer, rewards_quiz.handle_answer),
    Route("rewards.notice_reply", Message, could_answer, notice_sets.handle_reply),
]

"""Camp reviews: teachers' comments with points, excellent work, and peer review.

    /点评 @成员 [N分] 内容     admins and the camp's reviewers: a comment on the member's
                              latest camp submission; N分 (or the camp's review_points)
                              are granted on the ledger
    /优秀 @成员               marks that submission excellent and keeps it as a highlight
    /互评 开始 [营ID]          admins: pairs today's submitters at random, each reviews one
                              other; the pairs are announced once
    /互评                     today's pairs and who has reviewed
    #点评 @成员 内容           a camp member's review of another's work; a review of one's
                              own partner earns the camp's peer_points, once a day

Every review is a row keyed by its message (one review per message); every point is a
ledger line granted through the grant policy (handlers/grants.py: an open spam violator gets
no points), with a deterministic key: `camp-review:{group}:{message}`,
`camp-excellent:{group}:{camp}:{member}:{day}` (what the submission is unique by, never its
row id: PostgreSQL skips the ids of transactions that died, so a re-run would pay under
another key), `camp-peer:{group}:{camp}:{day}:{reviewer}`. A
redelivered message, before or after a restart, neither comments nor pays twice.
"""

from __future__ import annotations

import random
import re
from datetime import date, datetime

from sqlalchemy.exc import IntegrityError

from bot.commands import CommandCall, UsageError, command, option_number
from bot.context import Context
from bot.events import Message
from bot.router import CONTINUE, STOP, Flow, Route, is_command_text
from bot.settings.camps import Camp
from handlers.activity import flushed
from handlers.camps import (
    display_names,
    find_camp,
    pick_camp,
    quoted,
    running_at,
)
from handlers.grants import Grant, GrantStatus, apply_grant, camp_limits
from handlers.highlights import Candidate, keep
from storage.models import CampDay
from storage.repos.camps import CampRepo
from storage.uow import UnitOfWork

MAX_MENTIONS = 20  # one message mentions at most this many members
NOT_A_REVIEWER = "抱歉，只有管理员和本营的点评老师可以点评作业。"
PEER_TAGS = ("#点评", "＃点评")
PEER_USAGE = "#点评 @同学 你的点评"
_POINTS = re.compile(r"^(\d+)\s*分\s*")
_MENTION_TOKEN = re.compile(r"@\S+[\u2005\s]?")


async def grant_camp_points(
    ctx: Context,
    uow: UnitOfWork,
    *,
    member_id: str,
    points: int,
    max_points: int,
    kind: str,
    reason: str,
    at: datetime,
    actor_id: str | None,
    key: str,
) -> bool:
    """The one way camp points are granted: through the grant policy (handlers/grants.py),
    a ledger line under a deterministic key. False when nothing was granted (no points, the
    key already paid, or the policy refused, e.g. an open spam violator)."""
    if points <= 0:
        return False
    grant = Grant(
        group_id=ctx.group.group_id,
        member_id=member_id,
        points=points,
        kind=kind,
        reason=reason,
        at=at,
        key=key,
        actor_id=actor_id,
    )
    result = await apply_grant(uow, ctx.group, grant, camp_limits(max_points))
    return result.status is GrantStatus.GRANTED


def excellent_key(submission: CampDay) -> str:
    """The ledger key of a submission's /优秀 points: the camp day it is unique by."""
    return (
        f"camp-excellent:{submission.group_id}:{submission.camp_id}:"
        f"{submission.member_id}:{submission.day.isoformat()}"
    )


def _camp_of(camps: list[Camp], submission: CampDay) -> Camp:
    found = find_camp(camps, submission.camp_id)
    assert found is not None
    return found


def _reviewer_camps(ctx: Context, member_id: str) -> list[Camp]:
    camps = ctx.group.features.camps
    if ctx.is_admin(member_id):
        return list(camps)
    return [c for c in camps if member_id in c.reviewers]


def is_reviewer(ctx: Context, member_id: str) -> bool:
    """A reviewer (点评老师) of some camp of this group: /帮助 lists /点评 and /优秀 to them."""
    return any(member_id in c.reviewers for c in ctx.group.features.camps)


def _target(call: CommandCall) -> str:
    if len(call.mentions) != 1:
        raise UsageError("请 @ 一位营员。")
    return call.mentions[0]


def work_label(camp: Camp, submission: CampDay) -> str:
    return f"{quoted(camp)}第 {submission.day_index} 天的作业"


# --- /点评 --------------------------------------------------------------------------------


async def cmd_review(call: CommandCall, ctx: Context) -> None:
    message, group = call.message, ctx.group
    if not group.features.camps:
        await ctx.reply(message, "本群还没有打卡营。")
        return
    allowed = _reviewer_camps(ctx, message.sender_id)
    if not allowed:
        await ctx.reply(message, NOT_A_REVIEWER)
        return
    target = _target(call)
    found = _POINTS.match(call.args)
    points = option_number(found.group(1)) if found else None
    text = call.args[found.end() :] if found else call.args
    if not text.strip():
        raise UsageError("请写上点评内容。")
    if target == message.sender_id:
        await ctx.reply(message, "不能点评自己的作业哦。")
        return
    await flushed(ctx)  # the member may so far only be in the buffered activity log
    try:
        async with ctx.uow() as uow:
            repo = CampRepo(uow.session)
            if await repo.review_by_message(group.group_id, message.message_id) is not None:
                return  # this message was already handled (a redelivery)
            submission = await repo.latest_submission(
                group.group_id, target, [c.id for c in allowed], message.time
            )
            if submission is None:
                names = await display_names(uow, group.group_id, [target])
                await ctx.reply(message, f"{names[target]} 还没有交过营内作业。")
                return
            camp = _camp_of(allowed, submission)
            granted = camp.review_points if points is None else points
            if granted > camp.review_max_points:
                await ctx.reply(
                    message, f"{quoted(camp)}每次点评最多 {camp.review_max_points} 分。"
                )
                return
            await repo.add_review(
                submission=submission,
                reviewer_id=message.sender_id,
                kind="teacher",
                text=text.strip(),
                points=granted,
                message_id=message.message_id,
                at=message.time,
            )
            paid = await grant_camp_points(
                ctx,
                uow,
                member_id=target,
                points=granted,
                max_points=camp.review_max_points,
                kind="camp_review",
                reason=f"{quoted(camp)}第 {submission.day_index} 天",
                at=message.time,
                actor_id=message.sender_id,
                key=f"camp-review:{group.group_id}:{message.message_id}",
            )
            balance = await uow.ledger.balance(group.group_id, target)
    except IntegrityError:
        return  # another process stored this review first
    reviewer = message.sender_name or message.sender_id
    text_out = f"📝 你在{work_label(camp, submission)}收到了 {reviewer} 的点评"
    if paid:
        text_out += f"，+{granted} 分（当前积分 {balance}）"
    await ctx.say(text_out, [target])


# --- /优秀 --------------------------------------------------------------------------------


async def cmd_excellent(call: CommandCall, ctx: Context) -> None:
    message, group = call.message, ctx.group
    if not group.features.camps:
        await ctx.reply(message, "本群还没有打卡营。")
        return
    allowed = _reviewer_camps(ctx, message.sender_id)
    if not allowed:
        await ctx.reply(message, NOT_A_REVIEWER)
        return
    target = _target(call)
    await flushed(ctx)  # the member may so far only be in the buffered activity log
    async with ctx.uow() as uow:
        repo = CampRepo(uow.session)
        submission = await repo.latest_submission(
            group.group_id, target, [c.id for c in allowed], message.time
        )
        names = await display_names(uow, group.group_id, [target])
        if submission is None:
            await ctx.reply(message, f"{names[target]} 还没有交过营内作业。")
            return
        camp = _camp_of(allowed, submission)
        fresh = await repo.mark_excellent(submission.id)
        granted = camp.excellent_points if fresh else 0
        paid = await grant_camp_points(
            ctx,
            uow,
            member_id=target,
            points=granted,
            max_points=camp.excellent_points,
            kind="camp_excellent",
            reason=f"{quoted(camp)}第 {submission.day_index} 天",
            at=message.time,
            actor_id=message.sender_id,
            key=excellent_key(submission),
        )
    label = work_label(camp, submission)
    if not fresh:
        await ctx.reply(message, f"{names[target]} 的{label}已经是优秀作业啦。")
        return
    kept = ""
    if group.features.highlights.enabled:
        text = submission.content.strip() or label
        candidate = Candidate(
            text, target, names[target], submission.submitted_at, submission.message_id
        )
        row, _new = await keep(ctx, candidate, by=message.sender_id, saved=True, at=message.time)
        kept = f"，已收录为精华 #{row.number}"
    bonus = f"，+{granted} 分" if paid else ""
    await ctx.say(f"🌟 {label}被评为优秀作业{kept}{bonus}！", [target])


# --- /互评 and #点评 -----------------------------------------------------------------------


def pair_up(members: list[str], seed: str) -> list[tuple[str, str]]:
    """Each member reviews one other and is reviewed by one other: a random cycle, the
    same for the same seed (the command's message), so a pairing can be re-derived."""
    order = sorted(members)
    random.Random(seed).shuffle(order)
    return [(order[i], order[(i + 1) % len(order)]) for i in range(len(order))]


def mention_list(members: list[str]) -> tuple[list[str], int]:
    """At most MAX_MENTIONS members to mention, and how many more there are."""
    return members[:MAX_MENTIONS], max(0, len(members) - MAX_MENTIONS)


async def _start_pairs(call: CommandCall, ctx: Context, camp_arg: str) -> None:
    message, group = call.message, ctx.group
    running = running_at(group, message.time)
    camp = pick_camp(group, camp_arg, [r.camp for r in running])
    ref = next((r for r in running if r.camp.id == camp.id), None)
    if ref is None:
        await ctx.reply(message, f"{quoted(camp)}今天不在营期内。")
        return
    try:
        async with ctx.uow() as uow:
            repo = CampRepo(uow.session)
            existing = await repo.pairs(group.group_id, camp.id, ref.day)
            if existing:
                await ctx.reply(
                    message,
                    f"{quoted(camp)}第 {ref.index} 天的互评已经配好对了（{len(existing)} 位同学），"
                    "发送 /互评 查看。",
                )
                return
            submitters = await repo.submitters(group.group_id, camp.id, ref.day, message.time)
            if len(submitters) < 2:
                await ctx.reply(
                    message, f"{quoted(camp)}今天交作业的同学还不到 2 位，暂时没法互评。"
                )
                return
            seed = f"{group.group_id}:{camp.id}:{ref.day.isoformat()}:{message.message_id}"
            pairs = pair_up(submitters, seed)
            await repo.add_pairs(group.group_id, camp.id, ref.day, pairs, message.time)
            names = await display_names(uow, group.group_id, submitters)
    except IntegrityError:
        return  # another process paired this day first and announced it
    lines = [
        f"🤝 {quoted(camp)}第 {ref.index} 天互评开始！今天交作业的 {len(pairs)} 位同学结对互评：",
        *(f"{names[a]} → {names[b]}" for a, b in pairs),
        f"箭头后面是你要点评的同学，发送「{PEER_USAGE}」即可"
        + (f"，完成可得 {camp.peer_points} 分" if camp.peer_points else "")
        + "。",
    ]
    mentioned, more = mention_list([a for a, _ in pairs])
    if more:
        lines.append(f"（另有 {more} 位同学没有逐一提醒，请看上面的名单）")
    await ctx.say("\n".join(lines), mentioned)


async def _show_pairs(call: CommandCall, ctx: Context) -> None:
    message, group = call.message, ctx.group
    running = running_at(group, message.time)
    lines: list[str] = []
    async with ctx.uow() as uow:
        repo = CampRepo(uow.session)
        for ref in running:
            pairs = await repo.pairs(group.group_id, ref.camp.id, ref.day)
            if not pairs:
                continue
            names = await display_names(
                uow, group.group_id, [p.reviewer_id for p in pairs] + [p.reviewee_id for p in pairs]
            )
            lines.append(f"🤝 {quoted(ref.camp)}第 {ref.index} 天互评：")
            for p in pairs:
                mark = "✅" if p.reviewed_at is not None else "⏳"
                lines.append(f"{mark} {names[p.reviewer_id]} → {names[p.reviewee_id]}")
    if not lines:
        await ctx.reply(message, "今天还没有开始互评。")
        return
    await ctx.reply(message, "\n".join(lines))


async def cmd_peer(call: CommandCall, ctx: Context) -> None:
    words = call.words
    if words and words[0] in ("开始", "start", "配对"):
        if not ctx.is_admin(call.message.sender_id):
            await ctx.reply(call.message, "抱歉，只有管理员可以开始互评。")
            return
        await _start_pairs(call, ctx, " ".join(words[1:]))
        return
    if words:
        raise UsageError()
    await _show_pairs(call, ctx)


def _peer_prefilter(message: Message) -> bool:
    text = message.text.lstrip()
    return text.startswith(PEER_TAGS) and not is_command_text(text)


def _peer_text(message: Message) -> str:
    body = message.text.lstrip()
    for tag in PEER_TAGS:
        body = body.removeprefix(tag)
    return " ".join(_MENTION_TOKEN.sub(" ", body).split())


async def handle_peer_review(message: Message, ctx: Context) -> Flow:
    group = ctx.group
    camps = group.features.camps
    if not camps:
        return CONTINUE
    if not message.mentions:
        await ctx.reply(message, f"用法：{PEER_USAGE}")
        return STOP
    target = message.mentions[0]
    text = _peer_text(message)
    if not text:
        await ctx.reply(message, f"请写上点评内容。用法：{PEER_USAGE}")
        return STOP
    if target == message.sender_id:
        await ctx.reply(message, "不能点评自己的作业哦。")
        return STOP
    reply: str | None = None
    await flushed(ctx)  # the reviewer may so far only be in the buffered activity log
    try:
        async with ctx.uow() as uow:
            repo = CampRepo(uow.session)
            if await repo.review_by_message(group.group_id, message.message_id) is not None:
                return STOP  # a redelivery
            # locked: one reviewer's reviews are decided one at a time, so the partner's
            # points are paid once a day even when two processes take two of their messages
            mine = await repo.memberships(
                group.group_id, message.sender_id, [c.id for c in camps], lock=True
            )
            # as of the review's own time: delivered again after a later /报名, it is still
            # the review of someone who was not in the camp yet
            mine = [m for m in mine if m.joined_at <= message.time]
            if not mine:
                await ctx.reply(message, "报名打卡营之后才能参加互评哦，发送 /报名 看看吧。")
                return STOP
            camp_ids = [m.camp_id for m in mine]
            reply = await _record_peer_review(ctx, uow, message, target, text, camp_ids)
    except IntegrityError:
        return STOP  # another process stored this review first
    if reply is not None:
        await ctx.reply(message, reply)
    return STOP


async def _record_peer_review(
    ctx: Context, uow: UnitOfWork, message: Message, target: str, text: str, camp_ids: list[str]
) -> str:
    group = ctx.group
    repo = CampRepo(uow.session)
    camps = [c for c in group.features.camps if c.id in camp_ids]
    submission: CampDay | None = None
    pair_day: date | None = None
    for camp in camps:
        pair = await repo.open_pair(
            group.group_id, camp.id, message.sender_id, target, message.time
        )
        if pair is not None:
            submission = await repo.submission_on(
                group.group_id, camp.id, target, pair.day, message.time
            )
            if submission is not None:
                pair.reviewed_at = message.time
                pair_day = pair.day
                break
    if submission is None:
        submission = await repo.latest_submission(group.group_id, target, camp_ids, message.time)
    names = await display_names(uow, group.group_id, [target])
    if submission is None:
        return f"{names[target]} 还没有交过营内作业。"
    camp = _camp_of(camps, submission)
    points = camp.peer_points if pair_day is not None else 0
    await repo.add_review(
        submission=submission,
        reviewer_id=message.sender_id,
        kind="peer",
        text=text,
        points=0,  # a review's points are what the work earned; the reviewer is paid below
        message_id=message.message_id,
        at=message.time,
    )
    granted = pair_day is not None and await grant_camp_points(
        ctx,
        uow,
        member_id=message.sender_id,
        points=points,
        max_points=camp.peer_points,
        kind="camp_peer",
        reason=f"{quoted(camp)}第 {camp.index_of(pair_day) if pair_day else submission.day_index} 天",
        at=message.time,
        actor_id=None,
        key=f"camp-peer:{group.group_id}:{camp.id}:{pair_day}:{message.sender_id}",
    )
    head = f"👍 互评已记录：你点评了 {names[target]} 的{work_label(camp, submission)}"
    if granted:
        return f"{head}，+{points} 分"
    return head


ROUTES: list[Route[Message]] = [
    command(
        "camps.review",
        ("/点评", "/review"),
        cmd_review,
        usage="/点评 @营员 [N分] 点评内容",
        summary="点评营员最近一次营内作业，可加积分（管理员和点评老师）",
        listed_for_admins=True,
        listed_to=is_reviewer,
    ),
    command(
        "camps.excellent",
        ("/优秀", "/excellent"),
        cmd_excellent,
        usage="/优秀 @营员",
        summary="把营员最近一次作业评为优秀并收录为精华（管理员和点评老师）",
        listed_for_admins=True,
        listed_to=is_reviewer,
    ),
    command(
        "camps.peer",
        ("/互评", "/peer"),
        cmd_peer,
        usage="/互评",
        summary="查看今天的互评配对",
        admin_usage="/互评 开始 营ID",
        admin_summary="为今天交作业的同学随机结对互评",
    ),
    Route("camps.peer_review", Message, _peer_prefilter, handle_peer_review),
]

"""Notice red packets shared by a group set: `/通知 集合 内容 [前N名] [M分] [限时M分钟]`.

The announcement goes to every group of the set as a broadcast (handlers/broadcast.py:
paced, once per group, with a delivery report to the admin). Each group gets its own open
notice (reward_notices, so replies are matched in memory as for any notice), all linked
to one pool (notice_pools). The first N replies across all the groups are paid, once per
member whichever group they reply in; the points go to the ledger of the group the member
replied in. The pool row is the one arbiter: a place is a conditional UPDATE on it
(claimed < places, still open), a member's place a row keyed (pool, member), and closing
it (full, or time up in any group) a conditional UPDATE too, so redelivered replies, a
restart and two bot processes on PostgreSQL make the same winners. Locks are taken in one
order (member, then pool, then the groups' notices) so two processes cannot deadlock.
The closing list is broadcast to every group of the set once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError

from bot.context import Context
from bot.events import Message
from bot.router import CONTINUE, STOP, Flow
from bot.settings.sets import GroupSet
from handlers import rewards_notice
from handlers.broadcast import (
    KIND_NOTICE,
    KIND_NOTICE_CLOSE,
    REFUSAL,
    BroadcastService,
    create_broadcast,
)
from handlers.grants import (
    GrantResult,
    GrantStatus,
    apply_prize,
    game_limits,
    game_refusal_text,
)
from handlers.members import seen_now
from handlers.rewards_notice import NoticeSpec, announcement_text, parse_notice_args
from handlers.rewards_state import OpenNotice, RewardsService
from storage.keys import fit_key, round_key
from storage.models import NoticePool, RewardNotice
from storage.repos.broadcasts import BroadcastRepo
from storage.repos.members import MemberRepo
from storage.repos.rewards import RewardsRepo


def split_set_prefix(ctx: Context, raw: str) -> tuple[GroupSet, str] | None:
    """(the set, the rest) when the text after `/通知` starts with a set's name."""
    words = raw.split(maxsplit=1)
    if not words:
        return None
    group_set = ctx.config.group_set(words[0])
    if group_set is None:
        return None
    return group_set, raw.strip()[len(words[0]) :].strip()


async def cmd_shared_notice(ctx: Context, message: Message, group_set: GroupSet, rest: str) -> None:
    """`/通知 集合 …`: open one notice per group of the set, sharing the places."""
    if not ctx.config.is_set_admin(group_set, message.sender_id):
        await ctx.reply(message, REFUSAL.replace("群发", "跨群通知"))
        return
    spec = parse_notice_args(rest, ctx.group.rewards.notice)
    # groups that switched the games off get neither the notice nor the announcement
    playing = tuple(g for g in group_set.group_ids if ctx.config.group(g).rewards.enabled)
    if not playing:
        await ctx.reply(message, f"集合「{group_set.name}」里没有开启红包玩法的群。")
        return
    group_set = GroupSet(group_set.name, playing)
    at = message.time
    start_key = f"pool:{message.group_id}:{message.message_id}"
    async with ctx.uow() as uow:
        if await BroadcastRepo(uow.session).pool_by_key(start_key) is not None:
            return  # the same command delivered again
    keyword = ctx.group.rewards.notice.keywords[0]
    count = len(group_set.group_ids)
    text = announcement_text(spec, keyword) + f"\n（{count} 个群共享这些名额，每人限领一次）"
    created = await create_broadcast(
        ctx.uow,
        key=f"chat:{message.group_id}:{message.message_id}:notice",
        group_set=group_set,
        text=text,
        now=at,
        send_at=None,
        created_by=message.sender_id,
        origin_group=message.group_id,
        kind=KIND_NOTICE,
    )
    service = ctx.services.get(RewardsService)
    try:  # the pool's unique key decides, before anything else changes
        async with ctx.uow() as uow:
            pool = await BroadcastRepo(uow.session).add_pool(
                NoticePool(
                    start_key=start_key,
                    set_name=group_set.name,
                    broadcast_id=created.broadcast.id,
                    places=spec.places,
                    points=spec.points,
                    claimed=0,
                    status="open",
                    closed_at=None,
                )
            )
    except IntegrityError:
        return  # another process opened it from the same command first
    for group_id in group_set.group_ids:  # a notice already open in a group ends first
        group_ctx = ctx.for_group(group_id)
        async with ctx.uow() as uow:
            older = [n.id for n in await RewardsRepo(uow.session).open_notices_in(group_id)]
        for notice_id in older:
            await rewards_notice.close_notice(group_ctx, notice_id, at)
    opened: list[OpenNotice] = []
    async with ctx.uow() as uow:
        pools, repo = BroadcastRepo(uow.session), RewardsRepo(uow.session)
        for group_id in group_set.group_ids:
            row = await repo.add_notice(_notice_row(group_id, spec, at, start_key, message))
            await pools.link_notice(pool.id, row.id, group_id)
            opened.append(OpenNotice.from_row(row, (), pool.id))
    for notice in opened:
        service.track_notice(notice)
    broadcasts = ctx.services.find(BroadcastService)
    if broadcasts is not None:
        broadcasts.arm_after_commit(at)
    await ctx.reply(
        message,
        f"🧧 跨群通知红包 {created.broadcast.id} 已创建：集合「{group_set.name}」的 {count} 个群"
        f"共享前 {spec.places} 个名额，每人 {spec.points} 分，通知会依次发到各群。",
    )


def _notice_row(
    group_id: str, spec: NoticeSpec, at: datetime, start_key: str, message: Message
) -> RewardNotice:
    return RewardNotice(
        group_id=group_id,
        text=spec.text,
        places=spec.places,
        points=spec.points,
        claimed=0,
        created_by=message.sender_id,
        start_key=fit_key(f"{start_key}:{group_id}"),  # two platform ids may not fit
        started_at=at,
        deadline=at + timedelta(minutes=spec.minutes),
        status="open",
    )


async def handle_reply(message: Message, ctx: Context) -> Flow:
    """Route handler for notice replies: a place in a shared notice, or in the group's own."""
    replied = await rewards_notice.replied_notice(message, ctx)
    if replied is None:
        return CONTINUE
    service, notice = replied
    if notice.pool_id is None:
        return await rewards_notice.take_place(message, ctx, service, notice)
    return await _take_place(message, ctx, service, notice, notice.pool_id)


async def _take_place(
    message: Message, ctx: Context, service: RewardsService, notice: OpenNotice, pool_id: int
) -> Flow:
    member, group_id = message.sender_id, notice.group_id
    grant = rewards_notice.notice_grant(notice, message)
    closed = no_place = False
    claimed = places = 0
    result = GrantResult(GrantStatus.TAKEN)
    try:
        async with ctx.uow() as uow:
            pools, repo = BroadcastRepo(uow.session), RewardsRepo(uow.session)
            await seen_now(uow, message)

            async def take_place() -> bool:
                # one place per member across the pool, then a place of the pool's own
                nonlocal no_place
                if await pools.has_pool_claim(pool_id, member):
                    return False
                if not await pools.take_pool_place(pool_id):
                    no_place = True
                    return False
                await pools.add_pool_claim(pool_id, member, group_id, notice.id, message.time)
                await repo.add_claim(notice.id, member, message.message_id, message.time)
                return True

            limits = game_limits(ctx.group.rewards, notice.points)
            result = await apply_prize(uow, ctx.group, grant, limits, take_place)
            if result.status is GrantStatus.GRANTED:
                pool = await pools.pool(pool_id)
                assert pool is not None
                claimed, places = pool.claimed, pool.places
                if claimed >= places:
                    closed = await _close_pool(ctx, pools, repo, pool_id, message.time)
    except IntegrityError:
        # this member's place was stored by another process first
        result = GrantResult(GrantStatus.DUPLICATE)
    if no_place:
        # The pool is full or closed: stop matching it here (its deadline job stays armed).
        service.forget_notice(notice.group_id, notice.id, keep_job=True)
        return CONTINUE
    notice.claimed.add(member)  # asked once; a refused member's place stays for others
    if result.status is not GrantStatus.GRANTED:
        refusal = game_refusal_text(result)
        if refusal is None:
            return CONTINUE
        await ctx.reply(message, refusal)
        return STOP
    await ctx.reply(
        message,
        f"🧧 抢到跨群通知红包 +{notice.points} 分（{claimed}/{places}），当前积分 {result.balance}",
    )
    if closed:
        await _after_close(ctx, service, pool_id)
    return STOP


async def _close_pool(
    ctx: Context, pools: BroadcastRepo, repo: RewardsRepo, pool_id: int, at: datetime
) -> bool:
    """Close the pool and every group's notice in it; True for the one call that closed it
    (it also stores the closing list's broadcast)."""
    if not await pools.close_pool(pool_id, at):
        return False
    for notice_id, _group_id in await pools.pool_notices(pool_id):
        await repo.close_notice(notice_id, at)
    pool = await pools.pool(pool_id)
    group_set = ctx.config.group_set(pool.set_name) if pool is not None else None
    if pool is None or group_set is None:
        return True
    claims = await pools.pool_claims(pool_id)
    by_group: dict[str, list[str]] = {}
    for claim in claims:
        by_group.setdefault(claim.group_id, []).append(claim.member_id)
    names: dict[tuple[str, str], str] = {}
    for group_id, members in by_group.items():
        found = await MemberRepo(pools.session).names(group_id, members)
        names.update({(group_id, m): name for m, name in found.items()})
    lines = [
        f"{n}. {names.get((c.group_id, c.member_id), c.member_id)}"
        f"（{ctx.config.group(c.group_id).name or c.group_id}）"
        for n, c in enumerate(claims, start=1)
    ]
    full = len(claims) >= pool.places
    head = "🧧 跨群通知红包已领完" if full else "⏰ 跨群通知红包已结束"
    if claims:
        text = (
            f"{head}（{len(claims)}/{pool.places}），以下成员各得 {pool.points} 分：\n"
            + "\n".join(lines)
        )
    else:
        text = f"{head}，没有成员领取。"
    await create_broadcast(
        ctx.uow,
        key=f"pool-close:{round_key(pool.start_key)}",  # not its row id: see round_key
        group_set=group_set,
        text=text,
        now=at,
        send_at=None,
        created_by=None,
        origin_group=None,
        kind=KIND_NOTICE_CLOSE,
    )
    return True


async def _after_close(ctx: Context, service: RewardsService, pool_id: int) -> None:
    """Stop matching the pool's notices in every group, and send the closing list."""
    async with ctx.uow() as uow:
        notices = await BroadcastRepo(uow.session).pool_notices(pool_id)
    for notice_id, group_id in notices:
        service.forget_notice(group_id, notice_id)
    broadcasts = ctx.services.find(BroadcastService)
    if broadcasts is not None:
        broadcasts.arm_after_commit(ctx.now())


async def close_any_notice(ctx: Context, notice_id: int, at: datetime) -> None:
    """A notice's deadline job: a shared notice closes its whole pool (once), any other
    notice closes as before."""
    async with ctx.uow() as uow:
        pool_id = await BroadcastRepo(uow.session).pool_of(notice_id)
    if pool_id is None:
        await rewards_notice.close_notice(ctx, notice_id, at)
        return
    service = ctx.services.get(RewardsService)
    async with ctx.uow() as uow:
        closed = await _close_pool(
            ctx, BroadcastRepo(uow.session), RewardsRepo(uow.session), pool_id, at
        )
    if closed:
        await _after_close(ctx, service, pool_id)
    else:
        service.forget_notice(ctx.group.group_id, notice_id)

"""Notice red packets (通知红包): an announcement whose first N repliers get M points each.

`/通知 内容 [前N名] [M分] [限时M分钟]`. A reply is the configured keyword (default 收到).
Places are taken with a conditional UPDATE (claimed < places), one claim row per member, and
the closing message (all places taken, or time up) is posted once. Every place is a grant
through the grant policy (handlers/grants.py): members with open spam violations, or past the
games' daily cap, take no place.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from sqlalchemy.exc import IntegrityError

from bot.commands import UsageError, option_number
from bot.context import Context
from bot.events import Message
from bot.router import CONTINUE, STOP, Flow
from bot.settings.rewards import NoticeSettings
from handlers.grants import (
    Grant,
    GrantResult,
    GrantStatus,
    apply_prize,
    game_limits,
    game_refusal_text,
)
from handlers.members import seen_now
from handlers.rewards_state import OpenNotice, RewardsService, is_notice_reply, message_key
from storage.models import RewardNotice
from storage.repos.rewards import RewardsRepo

NOTICE_USAGE = "/通知 内容 [前N名] [M分] [限时M分钟]，例如：/通知 今晚八点分享会 前10名 5分"

_OPTION = re.compile(
    r"\s+(?:前\s*(?P<places>\d+)\s*名|(?P<points>\d+)\s*分|限时\s*(?P<minutes>\d+)\s*分钟)\s*$"
)


@dataclass(frozen=True)
class NoticeSpec:
    text: str
    places: int
    points: int
    minutes: int


class NoticeOutcome(Enum):
    OPENED = "opened"
    DUPLICATE = "duplicate"


def parse_notice_args(raw: str, settings: NoticeSettings) -> NoticeSpec:
    """The text after `/通知` (line breaks kept); options are read from its end."""
    text = " " + raw.strip()
    places, points, minutes = settings.places, settings.points, settings.minutes
    while True:
        found = _OPTION.search(text)
        if found is None:
            break
        if found["places"]:
            places = option_number(found["places"])
        elif found["points"]:
            points = option_number(found["points"])
        else:
            minutes = option_number(found["minutes"])
        text = text[: found.start()]
    text = text.strip()
    if not text:
        raise UsageError("请写上通知内容。")
    if not 1 <= places <= settings.max_places:
        raise UsageError(f"名额要在 1 到 {settings.max_places} 之间。")
    if not 1 <= points <= settings.max_points:
        raise UsageError(f"每人积分要在 1 到 {settings.max_points} 之间。")
    if not 1 <= minutes <= 7 * 24 * 60:
        raise UsageError("限时要在 1 分钟到 7 天之间。")
    return NoticeSpec(text, places, points, minutes)


def announcement_text(spec: NoticeSpec, keyword: str) -> str:
    return (
        f"📢 通知\n{spec.text}\n\n"
        f"🧧 通知红包：前 {spec.places} 位回复「{keyword}」的成员各得 {spec.points} 分"
        f"（{spec.minutes} 分钟内有效）"
    )


def closing_text(notice: RewardNotice, claimers: list[str], names: dict[str, str]) -> str:
    full = len(claimers) >= notice.places
    head = "🧧 通知红包已领完" if full else "⏰ 通知红包已结束"
    if not claimers:
        return f"{head}，没有成员领取。"
    listed = "\n".join(f"{i}. {names.get(m, m)}" for i, m in enumerate(claimers, start=1))
    return f"{head}（{len(claimers)}/{notice.places}），以下成员各得 {notice.points} 分：\n{listed}"


async def _post_closing(ctx: Context, notice: RewardNotice, claimers: list[str]) -> None:
    async with ctx.uow() as uow:
        names = await uow.members.names(notice.group_id, claimers)
    await ctx.say(closing_text(notice, claimers, names), claimers)


async def close_notice(ctx: Context, notice_id: int, at: datetime) -> None:
    """Close a notice (deadline job, or a newer notice replacing it); posts the list once."""
    service = ctx.services.get(RewardsService)
    async with ctx.uow() as uow:
        repo = RewardsRepo(uow.session)
        row = await repo.notice(notice_id)
        closed = row is not None and await repo.close_notice(notice_id, at)
        claimers = await repo.claimers(notice_id) if closed else []
    if row is None:
        return
    service.forget_notice(row.group_id, notice_id)
    if closed:
        await _post_closing(ctx, row, claimers)


async def open_notice(
    ctx: Context, spec: NoticeSpec, *, at: datetime, start_key: str, created_by: str | None
) -> NoticeOutcome:
    """Post an announcement with a notice red packet; an older open one is closed first."""
    service = ctx.services.get(RewardsService)
    group_id = ctx.group.group_id
    async with ctx.uow() as uow:
        repo = RewardsRepo(uow.session)
        if await repo.notice_by_key(start_key) is not None:
            return NoticeOutcome.DUPLICATE
        older = [n.id for n in await repo.open_notices_in(group_id)]
    for notice_id in older:
        await close_notice(ctx, notice_id, at)
    try:
        async with ctx.uow() as uow:
            row = await RewardsRepo(uow.session).add_notice(
                RewardNotice(
                    group_id=group_id,
                    text=spec.text,
                    places=spec.places,
                    points=spec.points,
                    claimed=0,
                    created_by=created_by,
                    start_key=start_key,
                    started_at=at,
                    deadline=at + timedelta(minutes=spec.minutes),
                    status="open",
                )
            )
    except IntegrityError:
        return NoticeOutcome.DUPLICATE
    service.track_notice(OpenNotice.from_row(row))
    keyword = ctx.group.rewards.notice.keywords[0]
    await ctx.say(announcement_text(spec, keyword))
    return NoticeOutcome.OPENED


async def replied_notice(
    message: Message, ctx: Context
) -> tuple[RewardsService, OpenNotice] | None:
    """The open notice (of this group or shared by a set) that `message` takes a place in
    when there is one: a keyword reply, sent while it was open, by a member who has no
    place yet and did not open it. In memory unless it is such a reply."""
    service = ctx.services.find(RewardsService)
    if service is None:
        return None
    if service.refreshes and ctx.group.rewards.enabled:
        await service.refresh(message.group_id, message_key(message))
    notice = service.notices.get(message.group_id)
    if notice is None:
        return None
    member = message.sender_id
    # Only a reply sent while this notice was open counts (a redelivered reply to an
    # earlier notice takes no place in this one).
    if member in notice.claimed or member == notice.created_by:
        return None
    if not notice.window.contains(message.time):
        return None
    if not is_notice_reply(message.text, ctx.group.rewards.notice.keywords):
        return None
    return service, notice


async def handle_reply(message: Message, ctx: Context) -> Flow:
    """A place in this group's own notice (shared notices: handlers/notice_sets.py)."""
    replied = await replied_notice(message, ctx)
    if replied is None:
        return CONTINUE
    return await take_place(message, ctx, *replied)


def notice_grant(notice: OpenNotice, message: Message) -> Grant:
    """What a place in `notice` pays the member who replied (a group's own notice or its
    share of a set's), keyed by the round, once per member."""
    member = message.sender_id
    return Grant(
        group_id=notice.group_id,
        member_id=member,
        points=notice.points,
        kind="notice",
        reason=f"通知红包：{notice.text}",
        at=message.time,
        key=f"notice:{notice.group_id}:{notice.key}:{member}",
        actor_id=notice.created_by,
    )


async def take_place(
    message: Message, ctx: Context, service: RewardsService, notice: OpenNotice
) -> Flow:
    member = message.sender_id
    group_id = notice.group_id
    grant = notice_grant(notice, message)
    closed = False
    claimed = 0
    claimers: list[str] = []
    row: RewardNotice | None = None
    result = GrantResult(GrantStatus.TAKEN)
    try:
        async with ctx.uow() as uow:
            repo = RewardsRepo(uow.session)
            await seen_now(uow, message)

            async def take_place() -> bool:
                if not await repo.take_notice_place(notice.id, message.time):
                    return False
                await repo.add_claim(notice.id, member, message.message_id, message.time)
                return True

            limits = game_limits(ctx.group.rewards, notice.points)
            result = await apply_prize(uow, ctx.group, grant, limits, take_place)
            if result.status is GrantStatus.GRANTED:
                claimed, places = await repo.notice_progress(notice.id)
                if claimed >= places and await repo.close_notice(notice.id, message.time):
                    closed = True
                    row = await repo.notice(notice.id)
                    claimers = await repo.claimers(notice.id)
    except IntegrityError:
        # this member's claim was stored by another process first
        result = GrantResult(GrantStatus.DUPLICATE)
    status = result.status
    if status is GrantStatus.TAKEN:
        # No place left: the notice is full or closed. Stop matching it here; its deadline
        # job stays armed and finds it closed.
        service.forget_notice(group_id, notice.id, keep_job=True)
        return CONTINUE
    notice.claimed.add(member)  # asked once; a refused member's place stays for others
    if status is not GrantStatus.GRANTED:
        refusal = game_refusal_text(result)
        if refusal is None:
            return CONTINUE
        await ctx.reply(message, refusal)
        return STOP
    balance = result.balance
    await ctx.reply(
        message,
        f"🧧 抢到通知红包 +{notice.points} 分（{claimed}/{notice.places}），当前积分 {balance}",
    )
    if closed and row is not None:
        service.forget_notice(group_id, notice.id)
        await _post_closing(ctx, row, claimers)
    return STOP

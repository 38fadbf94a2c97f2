"""The grant policy: the one gate every grant of points passes.

`/积分` adjustments, `/红包` red packets, the games' prizes (quiz, notice red packet, draw)
and the camps' points (a teacher's review, excellent work, a peer review) are all made with
`apply_grant` (or, for a draw choosing among many, `eligible` then `record_grant`). A grant
is refused when

- its key was used before (a redelivered command, a retried job): DUPLICATE, nothing happens;
- |points| is above the kind's maximum per grant: TOO_LARGE;
- the member had not been seen in the group by the grant's time (no message, join, check-in
  or ledger line dated no later): UNKNOWN_MEMBER (callers flush the activity log first, see
  handlers.activity.flushed);
- the member had open spam violations at the grant's time and the kind leaves violators out
  (`nudge.spam.exclude_from_rewards`, see `open_violators`): BARRED; deductions never are;
- the points the actor granted, or the member received, with the counted kinds in the
  group's local day, plus these, would pass a daily cap: ACTOR_CAP / MEMBER_CAP (absolute
  values, so deductions count against a cap as well);
- a deduction would take the member's balance below zero, unless the group allows it
  (`rewards.allow_negative_balance`): BELOW_ZERO.

Every check is taken as of the grant's time (the message's or the job's), never as of when
it is processed: a refused command that is redelivered after a restart, when later messages
have already been stored, is refused again, as in an uninterrupted run.

The checks and the ledger line are made in the caller's unit of work after
`uow.members.lock(...)` has serialised the actor and the member: on PostgreSQL two bot
processes never both pass a cap that only one of them fits.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import Enum

from bot.config import GroupSettings
from bot.settings.rewards import RewardsSettings
from storage.repos.moderation import ModerationRepo
from storage.uow import UnitOfWork

GAME_KINDS = ("quiz", "notice", "draw")
CAMP_KINDS = ("camp_review", "camp_excellent", "camp_peer")
# The refusal for a member never seen in the group; {what}: 发红包, 调整积分.
UNKNOWN_MEMBER = (
    "还没有在本群见过这位成员（没有发言、入群或打卡记录），不能{what}。请确认 @ 的是本群成员。"
)


class GrantStatus(Enum):
    GRANTED = "granted"
    DUPLICATE = "duplicate"  # this key already paid (a redelivered command)
    UNKNOWN_MEMBER = "unknown_member"  # never seen in this group
    BARRED = "barred"  # open spam violations: left out of rewards
    TOO_LARGE = "too_large"  # above the maximum for one grant
    ADMIN_CAP = "admin_cap"  # the actor's daily cap
    MEMBER_CAP = "member_cap"  # the member's daily cap
    BELOW_ZERO = "below_zero"  # a deduction larger than the balance
    TAKEN = "taken"  # a game's prize: the policy allowed it, the game gave it to no one here


@dataclass(frozen=True)
class GrantResult:
    status: GrantStatus
    balance: int = 0  # after the grant; for BELOW_ZERO the balance now
    used: int = 0  # points already counted against the cap that refused it
    cap: int = 0  # that cap, or the maximum for TOO_LARGE


@dataclass(frozen=True)
class GrantLimits:
    """What one kind of grant may do. A cap of None is no cap."""

    max_points: int
    counted_kinds: tuple[str, ...]  # the ledger kinds counted against the daily caps
    actor_daily_cap: int | None = None
    member_daily_cap: int | None = None
    # Leave out members with open spam violations (when the group's
    # nudge.spam.exclude_from_rewards is on). Off only for /积分, the admins' correction.
    bars_violators: bool = True


@dataclass(frozen=True)
class Grant:
    group_id: str
    member_id: str
    points: int  # negative: a deduction
    kind: str
    reason: str
    at: datetime  # the time of the message or job it comes from; caps use its local day
    key: str  # idempotency key: the same key never pays twice
    actor_id: str | None = None


def reward_limits(settings: RewardsSettings) -> GrantLimits:
    """`/红包`."""
    reward = settings.reward
    return GrantLimits(
        reward.max_points, ("reward",), reward.admin_daily_cap, reward.member_daily_cap
    )


def adjust_limits(settings: RewardsSettings) -> GrantLimits:
    """`/积分 +N|-N`."""
    adjust = settings.adjust
    return GrantLimits(
        adjust.max_points,
        ("admin_adjust",),
        adjust.admin_daily_cap,
        adjust.member_daily_cap,
        bars_violators=False,
    )


def game_limits(settings: RewardsSettings, points: int) -> GrantLimits:
    """A game's prize: its own points (bounded by the game's max_points when the round was
    made) and the members' daily cap over every game."""
    return GrantLimits(points, GAME_KINDS, None, settings.game_member_daily_cap)


def camp_limits(max_points: int) -> GrantLimits:
    """A camp's points: a review (bounded by the camp's review_max_points), excellent work or
    a peer review; the camps' own keys make each once, so there is no daily cap."""
    return GrantLimits(max_points, CAMP_KINDS)


async def open_violators(uow: UnitOfWork, group: GroupSettings, at: datetime) -> frozenset[str]:
    """Members of the group with open spam violations at `at`: a violation at the
    ask_remove step, or `open_after` public ones, within `ladder_window_days` before `at`,
    and not whitelisted by then. Empty when `nudge.spam.exclude_from_rewards` is off."""
    spam = group.nudge.spam
    if not spam.exclude_from_rewards:
        return frozenset()
    since = at - timedelta(days=spam.ladder_window_days)
    repo = ModerationRepo(uow.session)
    return frozenset(await repo.open_violators(group.group_id, since, spam.open_after, until=at))


def local_day_window(group: GroupSettings, at: datetime) -> tuple[datetime, datetime]:
    """[local midnight, next local midnight) of the group-local day containing `at`."""
    day = at.astimezone(group.tz).date()
    start = datetime.combine(day, time(0), tzinfo=group.tz)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=group.tz)
    return start, end


async def check_grant(
    uow: UnitOfWork, group: GroupSettings, grant: Grant, limits: GrantLimits
) -> GrantResult | None:
    """Lock the actor and the member, then check; None when the grant may be made (then
    make it with `record_grant` in the same unit of work)."""
    group_id, member = grant.group_id, grant.member_id
    actor_capped = limits.actor_daily_cap is not None and grant.actor_id is not None
    await uow.members.lock(group_id, member, grant.actor_id if actor_capped else None)
    if await uow.ledger.has_key(grant.key):
        return GrantResult(GrantStatus.DUPLICATE)
    amount = abs(grant.points)
    if amount > limits.max_points:
        return GrantResult(GrantStatus.TOO_LARGE, cap=limits.max_points)
    if not await uow.members.known(group_id, member, grant.at):
        return GrantResult(GrantStatus.UNKNOWN_MEMBER)
    if (
        limits.bars_violators
        and grant.points > 0
        and member in await open_violators(uow, group, grant.at)
    ):
        return GrantResult(GrantStatus.BARRED)
    since, until = local_day_window(group, grant.at)
    kinds = limits.counted_kinds
    if actor_capped and limits.actor_daily_cap is not None:
        given = await uow.ledger.volume(group_id, kinds, since, until, actor_id=grant.actor_id)
        if given + amount > limits.actor_daily_cap:
            return GrantResult(GrantStatus.ADMIN_CAP, used=given, cap=limits.actor_daily_cap)
    if limits.member_daily_cap is not None:
        got = await uow.ledger.volume(group_id, kinds, since, until, member_id=member)
        if got + amount > limits.member_daily_cap:
            return GrantResult(GrantStatus.MEMBER_CAP, used=got, cap=limits.member_daily_cap)
    if grant.points < 0 and not group.rewards.allow_negative_balance:
        balance = await uow.ledger.balance(group_id, member)
        if balance + grant.points < 0:
            return GrantResult(GrantStatus.BELOW_ZERO, balance=balance)
    return None


def game_refusal_text(result: GrantResult) -> str | None:
    """What a member is told when a game's prize is refused: only the members' daily cap
    over every game is explained (the round stays open for the others). Anything else is
    silent: a duplicate was answered before, and an open violator is not told in public."""
    if result.status is not GrantStatus.MEMBER_CAP:
        return None
    return (
        f"你今天在群游戏里已获得 {result.used} 分，每人每天最多 {result.cap} 分，"
        "这次的奖励留给其他成员吧。"
    )


async def record_grant(uow: UnitOfWork, grant: Grant) -> int:
    """Append the grant's ledger line (after `check_grant`, or `eligible` for a draw);
    returns the member's balance."""
    await uow.ledger.append(
        group_id=grant.group_id,
        member_id=grant.member_id,
        delta=grant.points,
        kind=grant.kind,
        reason=grant.reason,
        at=grant.at,
        actor_id=grant.actor_id,
        idem_key=grant.key,
        check_key=False,  # checked under the member's lock; the unique index still guards
    )
    return await uow.ledger.balance(grant.group_id, grant.member_id)


async def apply_grant(
    uow: UnitOfWork, group: GroupSettings, grant: Grant, limits: GrantLimits
) -> GrantResult:
    """Check and make one grant in the caller's unit of work."""
    refused = await check_grant(uow, group, grant, limits)
    if refused is not None:
        return refused
    return GrantResult(GrantStatus.GRANTED, balance=await record_grant(uow, grant))


async def apply_prize(
    uow: UnitOfWork,
    group: GroupSettings,
    grant: Grant,
    limits: GrantLimits,
    take: Callable[[], Awaitable[bool]],
) -> GrantResult:
    """A game's prize to one member (a quiz's first right answer, a notice's place): the
    grant policy first, then `take`, the game's own decision stored in the same unit of
    work (False: the round went to someone else or has no place left: TAKEN)."""
    refused = await check_grant(uow, group, grant, limits)
    if refused is not None:
        return refused
    if not await take():
        return GrantResult(GrantStatus.TAKEN)
    return GrantResult(GrantStatus.GRANTED, balance=await record_grant(uow, grant))


async def eligible(
    uow: UnitOfWork,
    group: GroupSettings,
    members: list[str],
    points: int,
    limits: GrantLimits,
    at: datetime,
) -> list[str]:
    """The members (all seen, e.g. a draw's candidates) who may receive `points` at `at`:
    not barred as open violators, and still under the member daily cap; locked for the rest
    of the unit of work."""
    if limits.bars_violators and points > 0 and members:
        barred = await open_violators(uow, group, at)
        members = [m for m in members if m not in barred]
    cap = limits.member_daily_cap
    if cap is None or not members:
        return members
    await uow.members.lock(group.group_id, *members)
    since, until = local_day_window(group, at)
    got = await uow.ledger.volumes(group.group_id, members, limits.counted_kinds, since, until)
    return [m for m in members if got.get(m, 0) + points <= cap]

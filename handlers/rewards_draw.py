"""Lucky draws (抽奖) among today's active members, recorded so they can be audited.

`/抽奖 N名 M分`: candidates are the members who spoke or checked in on the group's local day
before the draw (minus the admin running it, admins when `draw.exclude_admins`, the bot, and
members with open spam violations or past the games' daily cap: the grant policy's
`handlers.grants.eligible`). The seed is
derived from the draw's start key (the command's message id), and the seed, the sorted
candidate list, the method and the winners are stored in reward_draws. `pick_winners(seed,
candidates, n)` re-derives the winners from those stored values.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time

from sqlalchemy.exc import IntegrityError

from bot.commands import UsageError, option_number
from bot.context import Context
from bot.settings.rewards import DrawSettings
from handlers.activity import flushed
from handlers.grants import Grant, eligible, game_limits, record_grant
from storage.keys import round_key
from storage.models import RewardDraw
from storage.repos.activity import ActivityRepo
from storage.repos.rewards import RewardsRepo
from storage.rounds import RoundWindow

DRAW_USAGE = "/抽奖 N名 M分，例如：/抽奖 3名 10分"
# random.Random(seed).random() is guaranteed to give the same sequence on every Python version
# (random.sample is not), so the shuffle below is written out with it.
DRAW_METHOD = "fisher-yates/random.random/v1"

_ARGS = re.compile(r"^(\d+)\s*[名人个位]?\s+(\d+)\s*分?$")


def parse_draw_args(args: str, settings: DrawSettings) -> tuple[int, int]:
    found = _ARGS.match(args.strip())
    if found is None:
        raise UsageError("请写明抽几名、每人几分。")
    winners, points = option_number(found.group(1)), option_number(found.group(2))
    if not 1 <= winners <= settings.max_winners:
        raise UsageError(f"一次最多抽 {settings.max_winners} 名，至少 1 名。")
    if not 1 <= points <= settings.max_points:
        raise UsageError(f"每人积分要在 1 到 {settings.max_points} 之间。")
    return winners, points


def draw_seed(start_key: str) -> int:
    """A 60-bit seed derived from the draw's start key (fits a signed BIGINT)."""
    return int(hashlib.sha256(start_key.encode("utf-8")).hexdigest()[:15], 16)


def pick_winners(seed: int, candidates: Sequence[str], n: int) -> list[str]:
    """n distinct winners: a partial Fisher-Yates shuffle of the sorted candidates."""
    pool = sorted(set(candidates))
    rng = random.Random(seed)
    count = min(n, len(pool))
    for i in range(count):
        j = i + int(rng.random() * (len(pool) - i))
        pool[i], pool[j] = pool[j], pool[i]
    return pool[:count]


def verify_draw(draw: RewardDraw) -> bool:
    """Re-derive a stored draw from its seed and candidates; True when the winners match."""
    if draw.method != DRAW_METHOD:
        return False
    candidates = [str(c) for c in json.loads(draw.candidates)]
    winners = [str(w) for w in json.loads(draw.winners)]
    return pick_winners(draw.seed, candidates, draw.wanted) == winners


@dataclass(frozen=True)
class DrawResult:
    draw_id: int
    number: int  # the draw's ordinal in its group (RewardsRepo.draw_number)
    seed: int
    candidates: tuple[str, ...]
    winners: tuple[str, ...]
    points: int
    names: dict[str, str]


async def run_draw(
    ctx: Context,
    wanted: int,
    points: int,
    *,
    at: datetime,
    start_key: str,
    created_by: str | None,
) -> DrawResult | None:
    """Draw and pay; None when this start key already ran. Works from jobs (created_by None).

    A result with no winners means nobody was eligible (nothing is stored then).
    """
    group = ctx.group
    day = at.astimezone(group.tz).date()
    # The draw is a round over the local day up to its own time: a message or check-in
    # counts only when it was sent before the draw (storage/rounds.py), however late it
    # was delivered.
    window = RoundWindow(datetime.combine(day, time(0), tzinfo=group.tz), at)
    await flushed(ctx)  # the activity log is buffered
    excluded = {ctx.config.root.bot.user_id}
    if created_by is not None:
        excluded.add(created_by)
    try:
        async with ctx.uow() as uow:
            repo = RewardsRepo(uow.session)
            if await repo.draw_by_key(start_key) is not None:
                return None
            spoke = await ActivityRepo(uow.session).active_on_day(group.group_id, day, window)
            checked = await repo.checked_in_on(group.group_id, day, window)
            candidates = sorted(
                m
                for m in spoke | checked
                if m not in excluded and not (group.rewards.draw.exclude_admins and ctx.is_admin(m))
            )
            # the grant policy leaves out open spam violators and members past the daily
            # game cap (locked until the draw is stored)
            limits = game_limits(group.rewards, points)
            candidates = await eligible(uow, group, candidates, points, limits, at)
            seed = draw_seed(start_key)
            if not candidates:
                return DrawResult(0, 0, seed, (), (), points, {})
            winners = pick_winners(seed, candidates, wanted)
            draw = await repo.add_draw(
                RewardDraw(
                    group_id=group.group_id,
                    start_key=start_key,
                    created_by=created_by,
                    created_at=at,
                    day=day,
                    wanted=wanted,
                    points=points,
                    seed=seed,
                    method=DRAW_METHOD,
                    candidates=json.dumps(candidates, ensure_ascii=False),
                    winners=json.dumps(winners, ensure_ascii=False),
                )
            )
            number = await repo.draw_number(group.group_id, draw.id)
            key = round_key(start_key)  # not its row id (see draw_number)
            for member in winners:
                grant = Grant(
                    group_id=group.group_id,
                    member_id=member,
                    points=points,
                    kind="draw",
                    reason=f"抽奖 {day.isoformat()}（#{number}）",
                    at=at,
                    key=f"draw:{group.group_id}:{key}:{member}",
                    actor_id=created_by,
                )
                await record_grant(uow, grant)  # eligible checked it; the draw key guards
            names = await uow.members.names(group.group_id, winners)
    except IntegrityError:
        return None  # the same draw was stored by another process first
    return DrawResult(draw.id, number, seed, tuple(candidates), tuple(winners), points, names)


def draw_text(result: DrawResult) -> str:
    if not result.winners:
        return "今天还没有可以参与抽奖的成员（发言或打卡过的成员才能参与）。"
    listed = "、".join(result.names.get(m, m) for m in result.winners)
    return (
        f"🎲 抽奖结果：从今天发言或打卡的 {len(result.candidates)} 位成员中抽出 "
        f"{len(result.winners)} 位，各得 {result.points} 分！\n"
        f"🧧 {listed}\n"
        f"（本群第 {result.number} 次抽奖，随机种子 {result.seed}，可复核）"
    )

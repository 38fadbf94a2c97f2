"""Quiz rounds (抢答): the first matching answer wins, decided once in the database.

`/抢答 题目 | 答案[|答案2…] [N分] [限时M分钟]` starts a round; `/抢答` alone takes the next
question from the bank in config. A scheduler job reveals the answer when time runs out.
`start_quiz_from_bank(ctx, at)` starts a bank round from a scheduled job (rituals).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from sqlalchemy.exc import IntegrityError

from bot.commands import UsageError, option_number
from bot.context import Context
from bot.events import Message
from bot.router import CONTINUE, STOP, Flow
from bot.settings.rewards import QuizQuestion, QuizSettings
from handlers.grants import (
    Grant,
    GrantResult,
    GrantStatus,
    apply_prize,
    game_limits,
    game_refusal_text,
)
from handlers.members import seen_now
from handlers.rewards_state import OpenQuiz, RewardsService, message_key, normalize_answer
from storage.models import RewardQuiz
from storage.repos.rewards import RewardsRepo

QUIZ_USAGE = "/抢答 题目 | 答案[|答案2…] [N分] [限时M分钟]，或只发 /抢答 从题库出题"

_SEPARATORS = re.compile(r"[|｜]")
_POINTS = re.compile(r"^(\d+)分$")
_MINUTES = re.compile(r"^(?:限时)?(\d+)分钟$|^限时(\d+)分$")


@dataclass(frozen=True)
class QuizSpec:
    question: str
    answers: tuple[str, ...]
    points: int
    minutes: int


class StartOutcome(Enum):
    STARTED = "started"
    DUPLICATE = "duplicate"  # the same start key was used before (a redelivered command)
    BUSY = "busy"  # another round is open in the group
    UNAVAILABLE = "unavailable"  # rewards disabled or the bank is empty


def _check_limits(points: int, minutes: int, settings: QuizSettings) -> None:
    if not 1 <= points <= settings.max_points:
        raise UsageError(f"奖励积分要在 1 到 {settings.max_points} 之间。")
    if not 1 <= minutes <= settings.max_minutes:
        raise UsageError(f"限时要在 1 到 {settings.max_minutes} 分钟之间。")


def parse_quiz_args(args: str, settings: QuizSettings) -> QuizSpec:
    """`题目 | 答案1 | 答案2 20分 限时5分钟` -> QuizSpec. Raises UsageError."""
    parts = [p.strip() for p in _SEPARATORS.split(args)]
    if len(parts) < 2:
        raise UsageError("题目和答案之间用 | 隔开。")
    question, answers = parts[0], parts[1:]
    points, minutes = settings.points, settings.minutes
    tail = answers[-1].split()
    while tail:
        found_points = _POINTS.match(tail[-1])
        found_minutes = _MINUTES.match(tail[-1])
        if found_points:
            points = option_number(found_points.group(1))
        elif found_minutes:
            minutes = option_number(found_minutes.group(1) or found_minutes.group(2))
        else:
            break
        tail.pop()
    answers[-1] = " ".join(tail)
    answers = [a for a in answers if a]
    if not question:
        raise UsageError("请写上题目。")
    if not answers or not any(normalize_answer(a) for a in answers):
        raise UsageError("请至少写一个答案。")
    _check_limits(points, minutes, settings)
    return QuizSpec(question, tuple(answers), points, minutes)


def spec_from_bank(question: QuizQuestion, settings: QuizSettings) -> QuizSpec:
    return QuizSpec(
        question=question.question,
        answers=tuple(question.answers),
        points=min(question.points or settings.points, settings.max_points),
        minutes=settings.minutes,
    )


async def pick_bank_question(ctx: Context) -> QuizQuestion | None:
    """The bank question asked least recently in this group (never asked first, config order)."""
    bank = ctx.group.rewards.quiz.bank
    if not bank:
        return None
    async with ctx.uow() as uow:
        last = await RewardsRepo(uow.session).bank_last_asked(ctx.group.group_id)
    never = [q for q in bank if q.question not in last]
    if never:
        return never[0]
    return min(bank, key=lambda q: last[q.question])


def question_text(spec: QuizSpec) -> str:
    return (
        "🧧 抢答红包来啦！\n"
        f"题目：{spec.question}\n"
        f"第一个答对的成员得 {spec.points} 分，限时 {spec.minutes} 分钟，直接在群里回复答案～"
    )


async def start_quiz(
    ctx: Context,
    spec: QuizSpec,
    *,
    at: datetime,
    start_key: str,
    created_by: str | None,
    source: str,
) -> StartOutcome:
    """Store a round, track it in memory, arm its deadline and post the question."""
    service = ctx.services.get(RewardsService)
    group_id = ctx.group.group_id
    try:
        async with ctx.uow() as uow:
            repo = RewardsRepo(uow.session)
            if await repo.quiz_by_key(start_key) is not None:
                return StartOutcome.DUPLICATE
            if await repo.open_quiz_in(group_id) is not None:
                return StartOutcome.BUSY
            row = await repo.add_quiz(
                RewardQuiz(
                    group_id=group_id,
                    question=spec.question,
                    answers=json.dumps(list(spec.answers), ensure_ascii=False),
                    points=spec.points,
                    source=source,
                    created_by=created_by,
                    start_key=start_key,
                    started_at=at,
                    deadline=at + timedelta(minutes=spec.minutes),
                    status="open",
                )
            )
    except IntegrityError:
        return StartOutcome.DUPLICATE  # another process stored the same start key first
    service.track_quiz(OpenQuiz.from_row(row))
    await ctx.say(question_text(spec))
    return StartOutcome.STARTED


async def start_quiz_from_bank(ctx: Context, at: datetime, *, key: str | None = None) -> bool:
    """Start a round with the next bank question in `ctx.group`, e.g. from a ritual job.

    `at` is the job's fire time; with `key` (default derived from the group and `at`) a
    retried job starts nothing twice. A late (catch-up) fire starts the clock now, so members
    get the full time limit. Returns True when a round started; False when rewards are
    disabled, the bank is empty, a round is already open, or this key already ran.
    """
    if not ctx.group.rewards.enabled:
        return False
    question = await pick_bank_question(ctx)
    if question is None:
        return False
    outcome = await start_quiz(
        ctx,
        spec_from_bank(question, ctx.group.rewards.quiz),
        at=max(at, ctx.now()),
        start_key=key or f"quiz:{ctx.group.group_id}:job:{at.isoformat()}",
        created_by=None,
        source="job",
    )
    return outcome is StartOutcome.STARTED


# --- answers --------------------------------------------------------------------------------


async def handle_answer(message: Message, ctx: Context) -> Flow:
    """Route handler for ordinary messages: in memory unless the text matches an answer."""
    service = ctx.services.find(RewardsService)
    if service is None:
        return CONTINUE
    if service.refreshes and ctx.group.rewards.enabled:
        await service.refresh(message.group_id, message_key(message))
    quiz = service.quizzes.get(message.group_id)
    if quiz is None:
        return CONTINUE
    # Only an answer sent while this round was open counts (a redelivered old answer
    # does not win a later round).
    if message.sender_id == quiz.created_by or not quiz.window.contains(message.time):
        return CONTINUE
    if normalize_answer(message.text) not in quiz.accepted:
        return CONTINUE
    member, group_id = message.sender_id, quiz.group_id
    grant = Grant(
        group_id=group_id,
        member_id=member,
        points=quiz.points,
        kind="quiz",
        reason=f"抢答：{quiz.question}",
        at=message.time,
        key=f"quiz:{group_id}:{quiz.key}",
        actor_id=quiz.created_by,
    )
    result = GrantResult(GrantStatus.TAKEN)
    try:
        async with ctx.uow() as uow:
            await seen_now(uow, message)
            repo = RewardsRepo(uow.session)
            result = await apply_prize(
                uow,
                ctx.group,
                grant,
                game_limits(ctx.group.rewards, quiz.points),
                lambda: repo.decide_quiz_winner(quiz.id, member, message.message_id, message.time),
            )
    except IntegrityError:
        # the quiz's ledger line exists already: it was decided elsewhere
        result = GrantResult(GrantStatus.TAKEN)
    status = result.status
    if status in (GrantStatus.MEMBER_CAP, GrantStatus.BARRED):
        # This member may not win; the round stays open for the others.
        refusal = game_refusal_text(result)
        if refusal is None:
            return CONTINUE
        await ctx.reply(message, refusal)
        return STOP
    # Otherwise the database has decided this round: stop matching it here. When this
    # message lost, the deadline job stays armed; it finds the round closed and says nothing.
    won = status is GrantStatus.GRANTED
    service.forget_quiz(group_id, quiz.id, keep_job=not won)
    if not won:
        return CONTINUE
    balance = result.balance
    await ctx.reply(
        message,
        f"🎉 恭喜抢答成功！答案：{quiz.answers[0]}\n+{quiz.points} 分，当前积分 {balance}",
    )
    return STOP


async def quiz_due(ctx: Context, quiz_id: int, at: datetime) -> None:
    """The deadline job: reveal the answer once, unless someone won first."""
    service = ctx.services.get(RewardsService)
    async with ctx.uow() as uow:
        repo = RewardsRepo(uow.session)
        row = await repo.quiz(quiz_id)
        expired = row is not None and await repo.expire_quiz(quiz_id, at)
    if row is None:
        return
    service.forget_quiz(row.group_id, quiz_id)
    if not expired:
        return
    answers = "／".join(str(a) for a in json.loads(row.answers))
    await ctx.say(f"⏰ 抢答时间到，没有人答对。\n题目：{row.question}\n答案：{answers}")

"""In-memory state of the open red-packet games, so ordinary messages cost no database trip.

The database is the source of truth (rows in reward_quizzes / reward_notices). This service
mirrors the *open* ones per group: it is loaded at start (open games survive a restart),
updated when a game opens or closes, and schedules each game's deadline job. A message that
does not match an open game's answer or keyword is dismissed with one dict lookup.

Whether a message belongs to a round is decided by its own time (storage/rounds.py), here
and again in the database.

On a shared database (PostgreSQL, several bot processes) another process may open or close a
round at any moment, so `refresh` checks the group's open rounds against the database (one
small query) before a message that could be an answer or reply is matched. On SQLite (one
process per file) memory is the truth and ordinary chat costs no query.
"""

from __future__ import annotations

import json
import logging
import re
import unicodedata
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from apscheduler.triggers.date import DateTrigger

from bot.context import Context
from bot.events import Message
from scheduler.service import SchedulerService
from storage.keys import round_key
from storage.models import RewardNotice, RewardQuiz
from storage.repos.broadcasts import BroadcastRepo
from storage.repos.rewards import OPEN_ROUND_IDS, RewardsRepo, round_ids
from storage.rounds import RoundWindow
from storage.uow import UnitOfWorkFactory

if TYPE_CHECKING:
    from handlers import ServiceDeps

log = logging.getLogger("groupops.rewards")

_LEADING_MENTIONS = re.compile(r"^(?:@\S+\s*)+")
# After punctuation is stripped, what may follow a notice keyword: 收到了 / 收到啦 / 收到收到.
_PARTICLES = frozenset("了啦啊呀哦喔哈嗯的滴~")


def _is_punct(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "PS" and ch not in "+#$%&*=<>"


def normalize_answer(text: str) -> str:
    """Full-width to half-width (NFKC), no spaces, case-folded, no edge punctuation.

    `ＢＥＩ Jing！`, `beijing。` and `@小助手 Beijing` all become `beijing`.
    """
    t = unicodedata.normalize("NFKC", text).strip()
    t = _LEADING_MENTIONS.sub("", t)
    t = "".join(t.split()).casefold()
    start, end = 0, len(t)
    while end > start and _is_punct(t[end - 1]):
        end -= 1
    while start < end and _is_punct(t[start]):
        start += 1
    return t[start:end]


def is_notice_reply(text: str, keywords: Iterable[str]) -> bool:
    """`收到`, `收到！`, `收到啦`, `收到收到` reply to a notice; `收到了吗，什么时候开始` does not."""
    body = normalize_answer(text)
    if not body:
        return False
    for keyword in keywords:
        key = normalize_answer(keyword)
        if not key or not body.startswith(key):
            continue
        rest = body
        while rest.startswith(key):
            rest = rest[len(key) :]
        if all(ch in _PARTICLES or _is_punct(ch) for ch in rest):
            return True
    return False


@dataclass(frozen=True)
class OpenQuiz:
    id: int
    group_id: str
    question: str
    answers: tuple[str, ...]
    accepted: frozenset[str]  # normalised answers
    points: int
    started_at: datetime
    deadline: datetime
    created_by: str | None
    key: str  # round_key(start_key): what its ledger keys are built from

    @property
    def window(self) -> RoundWindow:
        return RoundWindow(self.started_at, self.deadline)

    @classmethod
    def from_row(cls, row: RewardQuiz) -> OpenQuiz:
        answers = tuple(str(a) for a in json.loads(row.answers))
        return cls(
            id=row.id,
            group_id=row.group_id,
            question=row.question,
            answers=answers,
            accepted=frozenset(n for n in (normalize_answer(a) for a in answers) if n),
            points=row.points,
            started_at=row.started_at,
            deadline=row.deadline,
            created_by=row.created_by,
            key=round_key(row.start_key),
        )


@dataclass(frozen=True)
class OpenNotice:
    id: int
    group_id: str
    text: str
    places: int
    points: int
    started_at: datetime
    deadline: datetime
    created_by: str | None
    key: str  # round_key(start_key): what its ledger keys are built from
    claimed: set[str] = field(default_factory=set)  # members known to hold a place
    pool_id: int | None = None  # shared by a group set (handlers/notice_sets.py)

    @property
    def window(self) -> RoundWindow:
        return RoundWindow(self.started_at, self.deadline)

    @classmethod
    def from_row(
        cls, row: RewardNotice, claimed: Iterable[str] = (), pool_id: int | None = None
    ) -> OpenNotice:
        return cls(
            id=row.id,
            group_id=row.group_id,
            text=row.text,
            places=row.places,
            points=row.points,
            started_at=row.started_at,
            deadline=row.deadline,
            created_by=row.created_by,
            key=round_key(row.start_key),
            claimed=set(claimed),
            pool_id=pool_id,
        )


def message_key(message: Message) -> str:
    return f"{message.group_id}:{message.message_id}"


DueFunc = Callable[[Context, int, datetime], Awaitable[None]]


class RewardsService:
    """Open quizzes and notices per group (one of each at a time) and their deadline jobs."""

    def __init__(self, deps: ServiceDeps, *, quiz_due: DueFunc, notice_due: DueFunc) -> None:
        self._uow: UnitOfWorkFactory = deps.uow
        self._scheduler: SchedulerService = deps.scheduler
        self._context_for = deps.context_for
        self._quiz_due = quiz_due
        self._notice_due = notice_due
        self.quizzes: dict[str, OpenQuiz] = {}
        self.notices: dict[str, OpenNotice] = {}
        self._refreshed_for: str | None = None  # the message the last refresh was made for
        self._job_ids: dict[tuple[str, int], str] = {}  # (kind, row id) -> its deadline job

    async def start_service(self) -> None:
        """Reload the games left open by the previous run and re-arm their deadlines."""
        async with self._uow() as uow:
            repo = RewardsRepo(uow.session)
            quizzes = await repo.open_quizzes()
            pools = BroadcastRepo(uow.session)
            notices = [
                (n, await repo.claimers(n.id), await pools.pool_of(n.id))
                for n in await repo.open_notices()
            ]
        for quiz in quizzes:
            self.track_quiz(OpenQuiz.from_row(quiz))
        for notice, claimed, pool_id in notices:
            self.track_notice(OpenNotice.from_row(notice, claimed, pool_id))
        if quizzes or notices:
            log.info("reloaded %d open quizzes and %d open notices", len(quizzes), len(notices))

    @property
    def refreshes(self) -> bool:
        """Whether `refresh` can change anything (a shared database): callers on the hot
        path skip it, and the key it needs, otherwise."""
        return self._uow.shared

    async def refresh(self, group_id: str, message_key: str) -> None:
        """On a shared database, make the group's open rounds in memory match the database
        (a round another process opened or closed). One query per message (the quiz and the
        notice handlers share it); nothing on an unshared database."""
        if not self._uow.shared or self._refreshed_for == message_key:
            return
        self._refreshed_for = message_key
        quiz, notice = self.quizzes.get(group_id), self.notices.get(group_id)
        try:
            if self._uow.reads is not None:
                row = await self._uow.reads.one(OPEN_ROUND_IDS, {"group_id": group_id})
                quiz_id, notice_id = round_ids(row)
            else:
                async with self._uow() as uow:
                    quiz_id, notice_id = await RewardsRepo(uow.session).open_round_ids(group_id)
        except Exception as exc:  # the database is unreachable: match what memory holds
            log.warning("open rounds of %s not checked against the database: %s", group_id, exc)
            return
        quiz_changed = quiz_id is not None and (quiz is None or quiz.id != quiz_id)
        notice_changed = notice_id is not None and (notice is None or notice.id != notice_id)
        new_quiz: RewardQuiz | None = None
        new_notice: RewardNotice | None = None
        claimed: list[str] = []
        pool_id: int | None = None
        if quiz_changed or notice_changed:  # rare: load what another process opened
            async with self._uow() as uow:
                repo = RewardsRepo(uow.session)
                if quiz_changed and quiz_id is not None:
                    new_quiz = await repo.quiz(quiz_id)
                if notice_changed and notice_id is not None:
                    new_notice = await repo.notice(notice_id)
                    claimed = await repo.claimers(notice_id)
                    pool_id = await BroadcastRepo(uow.session).pool_of(notice_id)
        # A round closed elsewhere keeps its (idempotent) deadline job: it finds it closed.
        if quiz is not None and quiz.id != quiz_id:
            self.forget_quiz(group_id, quiz.id, keep_job=True)
        if new_quiz is not None:
            self.track_quiz(OpenQuiz.from_row(new_quiz))
        if notice is not None and notice.id != notice_id:
            self.forget_notice(group_id, notice.id, keep_job=True)
        if new_notice is not None:
            self.track_notice(OpenNotice.from_row(new_notice, claimed, pool_id))

    # --- quizzes ---------------------------------------------------------------------------

    def track_quiz(self, quiz: OpenQuiz) -> None:
        self.quizzes[quiz.group_id] = quiz

        async def due(at: datetime) -> None:
            await self._quiz_due(self._context_for(quiz.group_id), quiz.id, at)

        self._arm(("quiz", quiz.id), f"rewards:quiz:{quiz.key}", quiz.deadline, due)

    def forget_quiz(self, group_id: str, quiz_id: int, *, keep_job: bool = False) -> None:
        """Stop matching a round; keep_job leaves its (idempotent) deadline job armed."""
        current = self.quizzes.get(group_id)
        if current is not None and current.id == quiz_id:
            del self.quizzes[group_id]
        if not keep_job:
            self._disarm(("quiz", quiz_id))

    # --- notices ---------------------------------------------------------------------------

    def track_notice(self, notice: OpenNotice) -> None:
        self.notices[notice.group_id] = notice

        async def due(at: datetime) -> None:
            await self._notice_due(self._context_for(notice.group_id), notice.id, at)

        self._arm(("notice", notice.id), f"rewards:notice:{notice.key}", notice.deadline, due)

    def forget_notice(self, group_id: str, notice_id: int, *, keep_job: bool = False) -> None:
        """Stop matching a notice; keep_job leaves its (idempotent) deadline job armed."""
        current = self.notices.get(group_id)
        if current is not None and current.id == notice_id:
            del self.notices[group_id]
        if not keep_job:
            self._disarm(("notice", notice_id))

    def _arm(
        self,
        row: tuple[str, int],
        job_id: str,
        deadline: datetime,
        func: Callable[[datetime], Awaitable[None]],
    ) -> None:
        # The job's id and fire time make its run's key, and so the ids of what it posts
        # (storage/uow.py): both come from the round (its start key and deadline), never
        # from its row id or the time the job happens to run. A deadline that passed while
        # the bot was down is due at once and runs with the deadline as its time.
        self._job_ids[row] = job_id
        self._scheduler.set_job(job_id, DateTrigger(run_date=deadline), func)

    def _disarm(self, row: tuple[str, int]) -> None:
        job_id = self._job_ids.pop(row, None)
        if job_id is not None:
            self._scheduler.remove_job(job_id)

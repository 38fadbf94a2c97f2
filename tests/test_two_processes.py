"""Two real bot processes on one PostgreSQL database, fed *different* messages at the same
time, end with the same rows as one process fed all the messages in order.

The messages come in ticks (a stretch of time, as the shared wall clock gives them): within
a tick each process gets its share, both handle them concurrently; between ticks both run
their due jobs and flush the activity log. The single reference process gets every message
of a tick in time order.

"Same rows", table by table (surrogate ids left out; rows compared as sorted lists):

- checkins, activity_log, badges, reward_notices, reward_notice_claims, reward_draws:
  identical, every other column.
- ledger: identical in (group, member, kind, delta, actor, reason, time). The idempotency key
  is left out: under a daily cap, *which* of several identical red packets (same admin,
  member, points, reason and second) is refused depends on which process got there first;
  how many are paid does not.
- reward_quizzes: identical, except where order decides: two correct answers sent in the
  same second to different processes. Then the winner is one of them (exactly one ledger
  line, to that member); one process alone takes the first in its order.
- members: identical in (group, member, name, first seen); `last_seen` is left out (it is
  written only when a process has not cached the member's name yet, so it depends on which
  process saw the member first).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from storage.db import create_engine, session_factory
from storage.models import (
    ActivityEntry,
    Badge,
    Checkin,
    LedgerEntry,
    Member,
    RewardDraw,
    RewardNotice,
    RewardNoticeClaim,
    RewardQuiz,
)
from tests.support import PG_ENV, at, fresh_pg_database

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(
    not os.environ.get(PG_ENV), reason=f"two bot processes share PostgreSQL ({PG_ENV})"
)

CONFIG = """
timezone: Asia/Shanghai
admins: [admin]
defaults:
  checkin:
    makeup_per_month: 2
  rewards:
    reward: {max_points: 50, admin_daily_cap: 1000, member_daily_cap: 100}
    notice: {places: 4, points: 5, minutes: 30}
    draw: {max_winners: 5, max_points: 50}
groups:
  g1:
    name: 测试群
    admins: [coach]
"""

CONTESTED_QUIZ = "2+2=?"


@dataclass(frozen=True)
class Sent:
    to: str  # "A", "B", or "AB" (delivered to both processes: a redelivery)
    data: dict[str, Any]


def say(to: str, user: str, text: str, when: str, mid: str, mentions: tuple[str, ...] = ()) -> Sent:
    data = {
        "kind": "msg",
        "group": "g1",
        "user": user,
        "id": mid,
        "text": text,
        "time": at(when).isoformat(),
        "mentions": list(mentions),
    }
    return Sent(to, data)


def scenario() -> list[tuple[list[Sent], str]]:
    """(messages, tick end) pairs."""
    ticks: list[tuple[list[Sent], str]] = []
    streakers = [f"m{i}" for i in range(4)]
    # earlier days: check-ins with gaps on 11-18 and 11-20
    for day in (17, 19):
        ticks.append(
            (
                [
                    say("AB"[i % 2], m, "打卡", f"2026-11-{day} 08:00", f"ci-{m}-{day}")
                    for i, m in enumerate(streakers)
                ],
                f"2026-11-{day} 09:00",
            )
        )
    # 11-21 morning: check-ins and chatter, split; one chat message redelivered to both
    morning = [
        say("AB"[i % 2], m, "打卡", "2026-11-21 08:00", f"ci-{m}-21")
        for i, m in enumerate(streakers)
    ]
    morning += [
        say("AB"[i % 2], u, "打卡 800字", "2026-11-21 08:10", f"ci-{u}")
        for i, u in enumerate(["q2", "q3", "n0"])
    ]
    morning += [
        say("AB"[i % 2], f"x{i}", "早上好", "2026-11-21 08:20", f"hi-{i}") for i in range(6)
    ]
    morning += [say("AB", "x0", "早上好", "2026-11-21 08:20", "hi-0")]
    ticks.append((morning, "2026-11-21 08:59"))
    # make-up cards for 11-18 in one process and 11-20 in the other, for every member at once
    makeups = [say("A", m, "补卡 11-18", "2026-11-21 09:00", f"mk18-{m}") for m in streakers]
    makeups += [say("B", m, "补卡 11-20", "2026-11-21 09:00", f"mk20-{m}") for m in streakers]
    ticks.append((makeups, "2026-11-21 09:29"))
    # 24 identical red packets of 10 for x1, whose daily cap is 100
    packets = [
        say("AB"[i % 2], "coach", "/红包 @x1 10 好", "2026-11-21 09:30", f"rp-{i}", ("x1",))
        for i in range(24)
    ]
    ticks.append((packets, "2026-11-21 09:59"))
    # a quiz opened in A and answered in B; a wrong answer in A
    ticks.append(
        (
            [say("A", "coach", "/抢答 1+1=? | 2 限时5分钟", "2026-11-21 20:00", "quiz-1")],
            "2026-11-21 20:00",
        )
    )
    ticks.append(
        (
            [
                say("B", "q1", "2", "2026-11-21 20:00:10", "ans-q1"),
                say("A", "q4", "3", "2026-11-21 20:00:10", "ans-q4"),
            ],
            "2026-11-21 20:09",
        )
    )
    # a quiz opened in B, two correct answers in the same second, one per process
    ticks.append(
        (
            [
                say(
                    "B",
                    "coach",
                    f"/抢答 {CONTESTED_QUIZ} | 4 限时5分钟",
                    "2026-11-21 20:10",
                    "quiz-2",
                )
            ],
            "2026-11-21 20:10",
        )
    )
    ticks.append(
        (
            [
                say("A", "q2", "4", "2026-11-21 20:10:10", "ans-q2"),
                say("B", "q3", "4", "2026-11-21 20:10:10", "ans-q3"),
            ],
            "2026-11-21 20:19",
        )
    )
    # a quiz nobody answers: revealed once when time is up
    ticks.append(
        (
            [say("A", "coach", "/抢答 3+3=? | 6 限时2分钟", "2026-11-21 20:20", "quiz-3")],
            "2026-11-21 20:29",
        )
    )
    # a notice red packet opened in B, replies split (one redelivered to both)
    ticks.append(
        (
            [say("B", "coach", "/通知 明天停课 前4名 5分", "2026-11-21 20:30", "notice-1")],
            "2026-11-21 20:30",
        )
    )
    replies = [
        say("AB"[i % 2], f"n{i}", "收到", "2026-11-21 20:30:10", f"rcv-{i}") for i in range(4)
    ]
    replies += [
        say("AB", "n0", "收到", "2026-11-21 20:30:10", "rcv-0"),
        say("A", "coach", "收到", "2026-11-21 20:30:10", "rcv-c"),
    ]
    ticks.append((replies, "2026-11-21 20:59"))
    # a draw among everyone who spoke or checked in today (logged by both processes)
    ticks.append(
        ([say("A", "coach", "/抽奖 3名 10分", "2026-11-21 21:00", "draw-1")], "2026-11-21 22:00")
    )
    return ticks


class BotProcess:
    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc

    @classmethod
    async def start(cls, db_url: str, config_file: Path) -> BotProcess:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.bot_process",
            db_url,
            str(config_file),
            at("2026-11-17 07:00").isoformat(),
            cwd=ROOT,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        started = cls(proc)
        assert await started._read() == {"ready": True}
        return started

    async def _read(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = await self.proc.stdout.readline()
        assert line, "the bot process exited"
        answer: dict[str, Any] = json.loads(line)
        return answer

    async def call(self, **command: Any) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.proc.stdin.write((json.dumps(command, ensure_ascii=False) + "\n").encode())
        await self.proc.stdin.drain()
        return await self._read()

    async def stop(self) -> None:
        await self.call(op="stop")
        assert await self.proc.wait() == 0


async def run(db_url: str, config_file: Path, *, processes: int) -> list[list[Any]]:
    bots = list(
        await asyncio.gather(*(BotProcess.start(db_url, config_file) for _ in range(processes)))
    )
    said: list[list[Any]] = []
    try:
        for messages, until in scenario():
            tick_end = at(until).isoformat()
            if processes == 1:
                # in time order; a message delivered to both processes arrives twice
                ordered = sorted(
                    [s.data for s in messages] + [s.data for s in messages if s.to == "AB"],
                    key=lambda d: d["time"],
                )
                await bots[0].call(op="events", events=ordered)
            else:
                shares = [[s.data for s in messages if name in s.to] for name in "AB"]
                await asyncio.gather(
                    *(
                        bot.call(op="events", events=share)
                        for bot, share in zip(bots, shares, strict=True)
                    )
                )
            await asyncio.gather(*(bot.call(op="tick", until=tick_end) for bot in bots))
        for bot in bots:
            said += (await bot.call(op="sent"))["sent"]
    finally:
        for bot in bots:
            await bot.stop()
    return said


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


async def snapshot(db_url: str) -> dict[str, list[tuple[Any, ...]]]:
    tables: dict[str, list[Any]] = {
        "checkins": [
            Checkin.group_id, Checkin.member_id, Checkin.day, Checkin.checked_at, Checkin.message_id,
            Checkin.content, Checkin.word_count, Checkin.streak, Checkin.points, Checkin.makeup,
        ],
        "ledger": [
            LedgerEntry.group_id, LedgerEntry.member_id, LedgerEntry.kind, LedgerEntry.delta,
            LedgerEntry.actor_id, LedgerEntry.reason, LedgerEntry.created_at,
        ],
        "activity_log": [
            ActivityEntry.group_id, ActivityEntry.member_id, ActivityEntry.message_id,
            ActivityEntry.kind, ActivityEntry.at, ActivityEntry.day, ActivityEntry.chars,
        ],
        "badges": [Badge.group_id, Badge.member_id, Badge.code, Badge.name, Badge.earned_at],
        "members": [Member.group_id, Member.member_id, Member.display_name, Member.first_seen],
        "reward_quizzes": [
            RewardQuiz.group_id, RewardQuiz.question, RewardQuiz.answers, RewardQuiz.points,
            RewardQuiz.source, RewardQuiz.created_by, RewardQuiz.start_key, RewardQuiz.started_at,
            RewardQuiz.deadline, RewardQuiz.status, RewardQuiz.winner_id,
            RewardQuiz.winner_message_id, RewardQuiz.closed_at,
        ],
        "reward_notices": [
            RewardNotice.group_id, RewardNotice.text, RewardNotice.places, RewardNotice.points,
            RewardNotice.claimed, RewardNotice.created_by, RewardNotice.start_key,
            RewardNotice.started_at, RewardNotice.deadline, RewardNotice.status,
            RewardNotice.closed_at,
        ],
        "reward_notice_claims": [
            RewardNoticeClaim.member_id, RewardNoticeClaim.message_id, RewardNoticeClaim.claimed_at,
        ],
        "reward_draws": [
            RewardDraw.group_id, RewardDraw.start_key, RewardDraw.created_by, RewardDraw.created_at,
            RewardDraw.day, RewardDraw.wanted, RewardDraw.points, RewardDraw.seed, RewardDraw.method,
            RewardDraw.candidates, RewardDraw.winners,
        ],
    }  # fmt: skip
    engine = create_engine(db_url)
    out: dict[str, list[tuple[Any, ...]]] = {}
    try:
        async with session_factory(engine)() as session:
            for name, columns in tables.items():
                rows = (await session.execute(select(*columns))).all()
                out[name] = sorted(
                    (tuple(_plain(v) for v in row) for row in rows),
                    key=lambda r: json.dumps(r, default=str),
                )
    finally:
        await engine.dispose()
    return out


def decide_contest(rows: dict[str, list[tuple[Any, ...]]]) -> str:
    """Blank out the winner of the contested quiz (where order decides); returns it."""
    quizzes = rows["reward_quizzes"]
    (index,) = [i for i, q in enumerate(quizzes) if q[1] == CONTESTED_QUIZ]
    quiz = quizzes[index]
    winner = str(quiz[10])
    quizzes[index] = (*quiz[:10], "*", "*", quiz[12])
    reason = f"抢答：{CONTESTED_QUIZ}"
    ledger = rows["ledger"]
    (line,) = [i for i, ln in enumerate(ledger) if ln[5] == reason]
    ledger[line] = (ledger[line][0], "*", *ledger[line][2:])
    rows["ledger"] = sorted(ledger, key=lambda r: json.dumps(r, default=str))
    return winner


async def test_two_processes_fed_different_messages_end_with_the_rows_of_one(
    tmp_path: Path,
) -> None:
    config_file = tmp_path / "config.yaml"
    config_file.write_text(CONFIG, encoding="utf-8")
    async with fresh_pg_database() as one_db, fresh_pg_database() as shared_db:
        await run(one_db, config_file, processes=1)
        said = await run(shared_db, config_file, processes=2)
        alone, together = await snapshot(one_db), await snapshot(shared_db)
    assert decide_contest(alone) == "q2"  # one process: the first in its order
    assert decide_contest(together) in ("q2", "q3")
    for table in alone:
        assert together[table] == alone[table], table
    # what the rows say, spelled out
    streaks = [(r[1], r[2], r[7]) for r in alone["checkins"] if r[1] == "m0"]
    assert [s[2] for s in sorted(streaks, key=lambda s: s[1])] == [1, 2, 3, 4, 5]
    assert sum(r[3] for r in alone["ledger"] if r[1] == "x1" and r[2] == "reward") == 100
    assert [(q[1], q[9], q[10]) for q in sorted(alone["reward_quizzes"], key=lambda q: q[7])] == [
        ("1+1=?", "won", "q1"),
        (CONTESTED_QUIZ, "won", "*"),
        ("3+3=?", "expired", None),
    ]
    assert sorted(c[0] for c in alone["reward_notice_claims"]) == ["n0", "n1", "n2", "n3"]
    assert len(alone["reward_draws"]) == 1
    # each decision was announced once, by one of the two processes
    texts = [t for _, t, _ in said]
    assert sum(t.startswith("🎉 恭喜抢答成功") for t in texts) == 2
    assert sum(t.startswith("⏰ 抢答时间到") for t in texts) == 1
    assert sum(t.startswith("🧧 通知红包已领完") for t in texts) == 1
    assert sum(t.startswith("🎲 抽奖结果") for t in texts) == 1
    assert sum(t.startswith("🧧 coach 发来一个红包") for t in texts) == 10

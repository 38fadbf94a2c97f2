"""Two real bot processes on one PostgreSQL database: a broadcast delivered to both still
reaches each group once, and a notice red packet shared by a set, with replies split
between the processes (some delivered to both, one member replying in two groups at once),
pays exactly N members once each."""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from storage.db import create_engine, session_factory
from storage.models import Broadcast, BroadcastDelivery, LedgerEntry, NoticePool, NoticePoolClaim
from tests.support import PG_ENV, at, fresh_pg_database
from tests.test_two_processes import BotProcess

pytestmark = pytest.mark.skipif(
    not os.environ.get(PG_ENV), reason=f"two bot processes share PostgreSQL ({PG_ENV})"
)

CONFIG = """
timezone: Asia/Shanghai
admins: [boss]
broadcast: {interval: 1s}
defaults:
  rewards:
    notice: {places: 3, points: 5, minutes: 30}
groups:
  g1: {name: 一群, admins: [coach]}
  g2: {name: 二群, admins: [coach]}
  g3: {name: 三群, admins: [coach]}
sets:
  camp: [g1, g2, g3]
"""
BODY = "本周六上午十点线下见面会"


def event(group: str, user: str, text: str, when: str, mid: str) -> dict[str, Any]:
    return {
        "kind": "msg", "group": group, "user": user, "id": mid, "text": text,
        "time": at(when).isoformat(), "mentions": [],
    }  # fmt: skip


async def both(bots: list[BotProcess], a: list[dict[str, Any]], b: list[dict[str, Any]]) -> None:
    await asyncio.gather(bots[0].call(op="events", events=a), bots[1].call(op="events", events=b))


async def tick(bots: list[BotProcess], until: str) -> None:
    await asyncio.gather(*(bot.call(op="tick", until=at(until).isoformat()) for bot in bots))


async def rows(db_url: str, model: Any) -> list[Any]:
    engine = create_engine(db_url)
    try:
        async with session_factory(engine)() as session:
            return list((await session.execute(select(model))).scalars())
    finally:
        await engine.dispose()


async def test_two_processes_send_each_copy_once_and_pay_each_place_once(tmp_path: Path) -> None:
    config_file = tmp_path / "config.yaml"
    config_file.write_text(CONFIG, encoding="utf-8")
    async with fresh_pg_database() as db_url:
        bots = list(await asyncio.gather(*(BotProcess.start(db_url, config_file) for _ in "AB")))
        try:
            members = {"g1": ["a1", "a2", "x"], "g2": ["b1", "b2", "x"], "g3": ["c1", "c2"]}
            hello = [
                event(g, m, "大家好", "2026-12-01 19:00", f"hi-{g}-{m}")
                for g, ms in members.items()
                for m in ms
            ]
            await both(bots, hello[::2], hello[1::2])
            # the same broadcast command delivered to both processes
            command = event("g1", "boss", f"/群发 camp {BODY}", "2026-12-01 19:30", "bc-1")
            await both(bots, [command], [command])
            await tick(bots, "2026-12-01 19:40")
            notice = event(
                "g1", "coach", "/通知 camp 明天停课 前3名 5分", "2026-12-01 20:00", "n-1"
            )
            await both(bots, [notice], [notice])  # delivered to both
            await tick(bots, "2026-12-01 20:00:05")
            replies_a = [
                event("g1", "a1", "收到", "2026-12-01 20:00:10", "r-a1"),
                event("g1", "x", "收到", "2026-12-01 20:00:10", "r-x1"),
                event("g3", "c1", "收到", "2026-12-01 20:00:10", "r-c1"),
                event("g2", "b1", "收到", "2026-12-01 20:00:10", "r-b1"),
            ]
            replies_b = [
                event("g2", "x", "收到", "2026-12-01 20:00:10", "r-x2"),
                event("g2", "b1", "收到", "2026-12-01 20:00:10", "r-b1"),  # redelivered
                event("g2", "b2", "收到", "2026-12-01 20:00:10", "r-b2"),
                event("g3", "c2", "收到", "2026-12-01 20:00:10", "r-c2"),
                event("g1", "a2", "收到", "2026-12-01 20:00:10", "r-a2"),
            ]
            await both(bots, replies_a, replies_b)
            await tick(bots, "2026-12-01 21:00")
            said: list[list[Any]] = []
            for bot in bots:
                said += (await bot.call(op="sent"))["sent"]
        finally:
            for bot in bots:
                await bot.stop()
        copies = Counter(group for group, text, _ in said if text == BODY)
        assert copies == {"g1": 1, "g2": 1, "g3": 1}
        announced = Counter(
            group for group, text, _ in said if text.startswith("📢 通知\n明天停课")
        )
        assert announced == {"g1": 1, "g2": 1, "g3": 1}
        closing = Counter(group for group, text, _ in said if "跨群通知红包已领完" in text)
        assert not any("通知红包已结束" in text for _, text, _ in said)  # nothing closed early
        assert closing == {"g1": 1, "g2": 1, "g3": 1}
        paid = [
            (r.group_id, r.member_id, r.delta)
            for r in await rows(db_url, LedgerEntry)
            if r.kind == "notice"
        ]
        assert len(paid) == 3 and len({m for _, m, _ in paid}) == 3
        assert all(m in members[g] for g, m, _ in paid)  # in the group they replied in
        claims = await rows(db_url, NoticePoolClaim)
        assert sorted((c.group_id, c.member_id) for c in claims) == sorted(
            (g, m) for g, m, _ in paid
        )
        (pool,) = await rows(db_url, NoticePool)
        assert (pool.claimed, pool.status) == (3, "closed")
        kinds = sorted(b.kind for b in await rows(db_url, Broadcast))
        assert kinds == ["notice", "notice_close", "text"]
        deliveries = await rows(db_url, BroadcastDelivery)
        assert len(deliveries) == 9 and {d.status for d in deliveries} == {"sent"}

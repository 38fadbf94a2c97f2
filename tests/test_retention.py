"""The message-log retention job prunes old activity-log rows and nothing else."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot.replay import run_replay
from handlers.activity import flushed
from storage.models import ActivityEntry, Base
from tests.health_support import health_config, run_until
from tests.support import Bot, at, joined, msg, running_bot

HERE = Path(__file__).parent
G2 = "  g2:\n    name: 二群\n    stats: {retention_days: 30}\n"


async def snapshot(bot: Bot) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table except the activity log."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    async with bot.app.uow() as uow:
        for table in Base.metadata.sorted_tables:
            if table.name == ActivityEntry.__tablename__:
                continue
            rows = (await uow.session.execute(select(table))).all()
            out[table.name] = sorted((tuple(r) for r in rows), key=repr)
    return out


async def activity(bot: Bot) -> list[tuple[str, str, str]]:
    async with bot.app.uow() as uow:
        rows = await uow.session.execute(
            select(ActivityEntry.group_id, ActivityEntry.member_id, ActivityEntry.at).order_by(
                ActivityEntry.at
            )
        )
        return [(g, m, at_.isoformat()) for g, m, at_ in rows.all()]


async def test_retention_prunes_old_activity_and_nothing_else(db_url: str) -> None:
    async with running_bot(db_url, health_config(G2), at("2026-11-20 07:00")) as bot:
        # old rows arrive while the clock stands at 11-20 (no job runs in between)
        await bot.push(msg("打卡", user="alice", when=at("2026-07-20 08:00")))
        await bot.push(joined("carol", when=at("2026-07-20 09:00")))
        await bot.push(msg("早", user="dave", group="g2", when=at("2026-10-10 10:00")))
        await bot.push(msg("十月", user="bob", when=at("2026-10-10 10:01")))
        await bot.push(msg("打卡", user="alice", when=at("2026-11-20 08:00")))
        await bot.push(msg("早", user="dave", group="g2", when=at("2026-11-20 08:05")))
        await run_until(bot, at("2026-11-20 09:00"))
        await flushed(bot.app.context("g1"))
        before = await snapshot(bot)
        assert len(await activity(bot)) == 6
        assert before["checkins"] and before["ledger"] and before["newcomers"]
        assert before["members"]

        await run_until(bot, at("2026-11-21 03:59"))
        assert len(await activity(bot)) == 6  # not yet: the job runs at 04:00
        await run_until(bot, at("2026-11-21 04:00"))
        kept = await activity(bot)
        after = await snapshot(bot)
    assert [(g, m) for g, m, _ in kept] == [("g1", "bob"), ("g1", "alice"), ("g2", "dave")]
    assert after == before  # every other table is untouched, row for row


async def test_retention_transcript(tmp_path: Path) -> None:
    db = tmp_path / "replay.db"
    transcript = (HERE / "transcripts" / "retention.txt").read_text(encoding="utf-8")
    await run_replay(
        transcript,
        health_config(G2),
        f"sqlite+aiosqlite:///{db}",
        until=at("2026-11-21 05:00"),
    )
    with sqlite3.connect(db) as conn:
        log = conn.execute(
            "select group_id, member_id, kind, day from activity_log order by at"
        ).fetchall()
        checkins = conn.execute("select member_id, day from checkins order by day").fetchall()
        ledger = conn.execute("select count(*), sum(delta) from ledger").fetchone()
        newcomers = conn.execute("select member_id from newcomers").fetchall()
    assert log == [
        ("g1", "bob", "text", "2026-10-10"),
        ("g1", "alice", "text", "2026-11-20"),
        ("g2", "dave", "text", "2026-11-20"),
    ]
    # check-ins, points and members from July are all still there
    assert checkins == [("alice", "2026-07-20"), ("alice", "2026-11-20"), ("dave", "2026-11-20")]
    assert ledger == (3, 30)
    assert newcomers == [("carol",)]

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select

from handlers.activity import ActivityLog
from storage.models import ActivityEntry
from storage.repos.activity import ActivityRepo
from tests.support import BASE_CONFIG, at, config_from, joined, running_bot


async def test_messages_and_joins_are_logged_without_content(db_url: str) -> None:
    async with running_bot(db_url) as bot:
        await bot.say("大家好", user="alice", when=at("2026-11-21 08:00"))
        await bot.say("打卡", user="bob", when=at("2026-11-21 23:59"))
        await bot.push(joined("carol", when=at("2026-11-22 00:01")))
        log = bot.app.services.get(ActivityLog)
        assert log.pending == 3  # buffered, not yet written
        assert await log.flush() == 3
        async with bot.app.uow() as uow:
            rows = list(
                (
                    await uow.session.execute(select(ActivityEntry).order_by(ActivityEntry.id))
                ).scalars()
            )
            repo = ActivityRepo(uow.session)
            day_one = await repo.active_on_day("g1", date(2026, 11, 21))
            per_day = await repo.per_day("g1", date(2026, 11, 21), date(2026, 11, 22))
            seen = await repo.last_seen("g1")
        assert [(r.member_id, r.kind, r.day, r.chars) for r in rows] == [
            ("alice", "text", date(2026, 11, 21), 3),
            ("bob", "text", date(2026, 11, 21), 2),
            ("carol", "join", date(2026, 11, 22), 0),
        ]
        assert day_one == {"alice", "bob"}
        assert [(d.day, d.messages, d.members) for d in per_day] == [(date(2026, 11, 21), 2, 2)]
        assert seen["carol"] == at("2026-11-22 00:01")


async def test_paused_group_is_still_counted_and_close_flushes(sqlite_db: str) -> None:
    async with running_bot(sqlite_db) as bot:
        await bot.say("/pause", user="admin")
        await bot.say("还在吗", user="alice")
    async with running_bot(sqlite_db) as bot:
        async with bot.app.uow() as uow:
            count = (await uow.session.execute(select(func.count(ActivityEntry.id)))).scalar_one()
        assert count == 2


async def test_prune_removes_only_rows_older_than_cutoff(sqlite_db: str) -> None:
    # a long retention, so the daily retention job leaves the old row to this test
    keep = config_from(BASE_CONFIG + "defaults:\n  stats:\n    retention_days: 3650\n")
    async with running_bot(sqlite_db, keep) as bot:
        await bot.say("old", when=at("2026-08-01 08:00"))
        await bot.say("new", when=at("2026-11-20 08:00"))
        await bot.app.services.get(ActivityLog).flush()
        async with bot.app.uow() as uow:
            gone = await ActivityRepo(uow.session).prune_before(
                at("2026-11-20 08:00") - timedelta(90)
            )
        assert gone == 1
        async with bot.app.uow() as uow:
            left = list((await uow.session.execute(select(ActivityEntry.chars))).scalars())
        assert left == [3]


async def test_live_mode_starts_the_periodic_flush(sqlite_db: str) -> None:
    async with running_bot(sqlite_db) as bot:
        log = bot.app.services.get(ActivityLog)
        assert log._task is None  # replay and tests flush explicitly
        bot.app.start_live()
        assert log._task is not None and not log._task.done()

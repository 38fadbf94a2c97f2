"""Migration 0004 matches the rewards models; the once-only decisions in the repository."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect

from storage import migrate
from storage.db import create_engine, session_factory
from storage.models import Base, RewardNotice, RewardQuiz
from storage.repos.rewards import RewardsRepo
from storage.uow import UnitOfWorkFactory

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
TABLES = {"reward_quizzes", "reward_notices", "reward_notice_claims", "reward_draws"}


def _touches_rewards(diff: object) -> bool:
    return any(t in repr(diff) for t in TABLES)


def _diff(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return [d for d in compare_metadata(context, Base.metadata) if _touches_rewards(d)]


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


def _downgrade_rewards(connection: Connection) -> None:
    cfg = migrate.alembic_config()
    cfg.attributes["connection"] = connection
    command.downgrade(cfg, "0004@-1")


async def test_migration_matches_models_and_downgrades_alone(db_url: str) -> None:
    engine = create_engine(db_url)
    try:
        await migrate.upgrade(engine)
        async with engine.connect() as conn:
            assert await conn.run_sync(_diff) == []
            assert await conn.run_sync(_tables) >= TABLES
        uow = UnitOfWorkFactory(session_factory(engine))
        async with uow() as u:
            await u.ledger.append(
                group_id="g", member_id="m", delta=5, kind="reward", reason="r", at=NOW
            )
        async with engine.begin() as conn:
            await conn.run_sync(_downgrade_rewards)
        async with engine.connect() as conn:
            left = await conn.run_sync(_tables)
        assert not TABLES & left and "ledger" in left
        assert "0004" not in await migrate.current_revisions(engine)
        async with uow() as u:
            assert await u.ledger.balance("g", "m") == 5  # the ledger is untouched
        await migrate.upgrade(engine)  # and back up
        assert "0004" in await migrate.current_revisions(engine)
    finally:
        await engine.dispose()


async def test_conditional_updates_decide_once(db_url: str) -> None:
    engine = create_engine(db_url)
    await migrate.upgrade(engine)
    uow = UnitOfWorkFactory(session_factory(engine))
    later = NOW + timedelta(minutes=5)
    try:
        async with uow() as u:
            repo = RewardsRepo(u.session)
            quiz = await repo.add_quiz(
                RewardQuiz(
                    group_id="g",
                    question="q",
                    answers='["a"]',
                    points=5,
                    source="command",
                    created_by="admin",
                    start_key="k1",
                    started_at=NOW,
                    deadline=later,
                    status="open",
                )
            )
            notice = await repo.add_notice(
                RewardNotice(
                    group_id="g",
                    text="t",
                    places=1,
                    points=3,
                    claimed=0,
                    created_by="admin",
                    start_key="k2",
                    started_at=NOW,
                    deadline=later,
                    status="open",
                )
            )
        async with uow() as u:
            repo = RewardsRepo(u.session)
            assert (
                await repo.decide_quiz_winner(quiz.id, "late", "m0", later + timedelta(1)) is False
            )
            assert await repo.decide_quiz_winner(quiz.id, "bob", "m1", NOW) is True
            assert await repo.decide_quiz_winner(quiz.id, "carol", "m2", NOW) is False
            assert await repo.expire_quiz(quiz.id, later) is False  # won: nothing to reveal
            assert await repo.take_notice_place(notice.id, NOW) is True
            assert await repo.take_notice_place(notice.id, NOW) is False  # one place only
            assert await repo.close_notice(notice.id, NOW) is True
            assert await repo.close_notice(notice.id, NOW) is False
        async with uow() as u:
            stored = await RewardsRepo(u.session).quiz(quiz.id)
            assert stored is not None and (stored.status, stored.winner_id) == ("won", "bob")
            assert (await RewardsRepo(u.session).notice_progress(notice.id)) == (1, 1)
    finally:
        await engine.dispose()

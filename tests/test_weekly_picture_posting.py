"""The weekly picture is drawn with no database transaction open (a slow drawing holds no
write lock), and is still posted exactly once per group and week: after a drawing that
failed, on a re-run, and when two runs draw the same week at once."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import func, select

from scheduler import health_jobs
from scheduler.health_jobs import HealthJobs
from storage.models import HealthRun
from tests.drawing_support import FakeDrawing
from tests.health_support import health_config, run_until
from tests.support import Bot, at, msg, running_bot

WEEKLY = """    stats:
      weekly_report: {enabled: true, schedule: "每周一 09:00"}
      report_dir: REPORTS
"""
MONDAY = at("2026-11-23 09:00")


async def with_a_week(bot: Bot) -> None:
    await bot.push(msg("打卡", user="alice", when=at("2026-11-16 08:00")))
    await bot.push(msg("早上好", user="bob", when=at("2026-11-18 08:00")))


async def posted_rows(bot: Bot) -> int:
    async with bot.app.uow() as uow:
        stmt = select(func.count()).select_from(HealthRun).where(HealthRun.job == "weekly_report")
        return int((await uow.session.execute(stmt)).scalar_one())


def images(bot: Bot) -> list[str]:
    return [m.text for m in bot.sender.sent if m.image_path]


async def test_the_picture_is_drawn_with_no_transaction_open(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = health_config(WEEKLY.replace("REPORTS", str(tmp_path / "reports")))
    async with running_bot(db_url, config, at("2026-11-16 07:00")) as bot:
        drawing = FakeDrawing(bot)
        monkeypatch.setattr(health_jobs, "render_week_chart", drawing)
        await with_a_week(bot)
        sent = [m for m in await run_until(bot, MONDAY) if m.image_path]  # the scheduled run
        assert drawing.seen == [(False, False)]
        assert [m.image_path for m in sent] == [str(tmp_path / "reports" / "g1-2026-W47.png")]
        assert await posted_rows(bot) == 1


async def test_a_failed_drawing_posts_nothing_and_the_rerun_posts_once(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = health_config(WEEKLY.replace("REPORTS", str(tmp_path / "reports")))
    async with running_bot(db_url, config, at("2026-11-16 07:00")) as bot:
        drawing = FakeDrawing(bot, fail_first=1)
        monkeypatch.setattr(health_jobs, "render_week_chart", drawing)
        await with_a_week(bot)
        jobs = bot.app.services.get(HealthJobs)
        with pytest.raises(RuntimeError):
            await jobs.weekly("g1", MONDAY)
        assert images(bot) == [] and await posted_rows(bot) == 0
        assert await jobs.weekly("g1", MONDAY) is not None
        assert await jobs.weekly("g1", MONDAY) is None  # done: not even drawn again
        assert len(drawing.seen) == 2
        assert len(images(bot)) == 1 and await posted_rows(bot) == 1


async def test_two_runs_drawing_the_same_week_post_one_picture(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = health_config(WEEKLY.replace("REPORTS", str(tmp_path / "reports")))
    async with running_bot(db_url, config, at("2026-11-16 07:00")) as bot:
        drawing = FakeDrawing(bot)
        monkeypatch.setattr(health_jobs, "render_week_chart", drawing)
        await with_a_week(bot)
        jobs = bot.app.services.get(HealthJobs)
        results = await asyncio.gather(jobs.weekly("g1", MONDAY), jobs.weekly("g1", MONDAY))
        assert sorted(r is None for r in results) == [False, True]
        assert 1 <= len(drawing.seen) <= 2  # the second may find it posted, or draw too
        assert images(bot) == [
            "📈 「测试群」第 47 周群活跃周报（11-16 至 11-22）：消息 2 条，打卡 1 人次，活跃成员 2 人"
        ]
        assert await posted_rows(bot) == 1

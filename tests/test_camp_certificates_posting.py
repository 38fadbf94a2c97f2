"""A camp's certificates are drawn with no database transaction open (a slow drawing holds no
write lock), and the closing post and each certificate are still posted exactly once: after
a drawing that failed (the closing post goes out without them), on a re-run, and when two runs close the same camp at once."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from handlers import camp_posts
from tests.camps_support import CAMP_CONFIG, camp_config, camp_runs, run_until, say
from tests.drawing_support import FakeDrawing
from tests.support import Bot, at, running_bot

START = at("2026-11-15 10:00")
CLOSE = at("2026-11-23 09:00")  # close_at's default, the day after the last camp day
CLOSE_JOB = "camp:g1:early:close"


def certificate_config(tmp_path: Path) -> str:
    return CAMP_CONFIG.replace(
        "    admins: [coach]\n", f"    admins: [coach]\n    stats: {{report_dir: {tmp_path}}}\n", 1
    )


async def a_camp(bot: Bot) -> None:
    """alice and bob finish the camp (every day); carol joins and never checks in."""
    for user in ("alice", "bob", "carol"):
        await say(bot, "/报名 early", user, "2026-11-15 10:00")
    for n in range(1, 8):
        for user in ("alice", "bob"):
            await say(bot, f"打卡 {user}第{n}天", user, f"2026-11-{15 + n} 06:00")
    await run_until(bot, CLOSE - timedelta(minutes=1))
    bot.clock.set(CLOSE)


def close_job(bot: Bot) -> Callable[[datetime], Awaitable[None]]:
    """The scheduled closing run, to fire again by hand (as a restart or a second run would)."""
    return next(j for j in bot.app.scheduler.jobs() if j.id == CLOSE_JOB).func


def closing_posts(bot: Bot) -> list[str]:
    return [m.text for m in bot.sender.sent if m.text.startswith("🎓")]


def images(bot: Bot) -> list[str]:
    return [m.image_path for m in bot.sender.sent if m.image_path]


async def close_runs(bot: Bot) -> list[str]:
    return [r[3] for r in await camp_runs(bot) if r[1] == "close"]


def certificates(tmp_path: Path) -> list[str]:
    folder = tmp_path / "camps" / "g1"
    return [str(folder / "early-alice.png"), str(folder / "early-bob.png")]


async def test_the_certificates_are_drawn_with_no_transaction_open(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with running_bot(db_url, camp_config(certificate_config(tmp_path)), START) as bot:
        drawing = FakeDrawing(bot)
        monkeypatch.setattr(camp_posts, "render_certificate", drawing)
        await a_camp(bot)
        await run_until(bot, CLOSE)  # the scheduled run
        assert drawing.seen == [(False, False), (False, False)]
        assert len(closing_posts(bot)) == 1 and images(bot) == certificates(tmp_path)
        assert await close_runs(bot) == ["posted"]


async def test_a_failed_drawing_still_closes_once_without_pictures(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with running_bot(db_url, camp_config(certificate_config(tmp_path)), START) as bot:
        drawing = FakeDrawing(bot, fail_first=1)
        monkeypatch.setattr(camp_posts, "render_certificate", drawing)
        await a_camp(bot)
        rerun = close_job(bot)
        await run_until(bot, CLOSE)  # the scheduled run: its drawing fails (and is logged)
        assert len(closing_posts(bot)) == 1 and images(bot) == []
        assert await close_runs(bot) == ["posted"]
        await rerun(CLOSE)  # done: not drawn again, nothing posted again
        assert len(drawing.seen) == 1
        assert len(closing_posts(bot)) == 1 and images(bot) == []
        assert await close_runs(bot) == ["posted"]


async def test_two_runs_closing_the_same_camp_post_each_certificate_once(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with running_bot(db_url, camp_config(certificate_config(tmp_path)), START) as bot:
        drawing = FakeDrawing(bot)
        monkeypatch.setattr(camp_posts, "render_certificate", drawing)
        await a_camp(bot)
        run = close_job(bot)
        await asyncio.gather(run(CLOSE), run(CLOSE))
        assert len(drawing.seen) in (2, 4)  # the second may find it closed, or draw too
        assert set(drawing.seen) == {(False, False)}
        assert len(closing_posts(bot)) == 1 and images(bot) == certificates(tmp_path)
        assert await close_runs(bot) == ["posted"]

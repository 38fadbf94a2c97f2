"""Running totals: kept with every ledger line, equal to what the lines add up to, and
checked by `groupops ledger verify` (after real flows, redelivery and a migration backfill);
leaderboards over any period equal summing the period's lines."""

from __future__ import annotations

import random
import subprocess
import sys
from collections import defaultdict
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from alembic import command
from sqlalchemy import Connection, insert, inspect, select, text, update
from sqlalchemy.exc import IntegrityError

from bot.config import parse_config
from bot.replay import run_replay
from storage import migrate
from storage.db import create_engine, session_factory
from storage.models import LedgerEntry, LedgerTotal
from storage.models.base import table_of
from storage.repos.ledger import LedgerRepo
from storage.uow import UnitOfWorkFactory
from tests.faults.transcript import Shape, harness_config, make_transcript
from tests.support import at
from tests.test_camps_replay import config_for, transcript

HERE = Path(__file__).parent
START = datetime(2026, 11, 16, 0, 0, tzinfo=UTC)
Line = tuple[str, int, datetime]  # member, delta, created_at


def board(
    lines: list[Line], since: datetime | None, until: datetime | None
) -> list[tuple[str, int]]:
    """The leaderboard the slow way: every line in [since, until) summed."""
    points: dict[str, int] = defaultdict(int)
    for member, delta, created in lines:
        if (since is None or created >= since) and (until is None or created < until):
            points[member] += delta
    ranked = sorted(((m, p) for m, p in points.items() if p > 0), key=lambda r: (-r[1], r[0]))
    return ranked


def windows(rng: random.Random) -> list[tuple[datetime | None, datetime | None]]:
    """Period edges on UTC midnights, local midnights (whole- and half-hour zones), random
    minutes; empty, reversed, open-ended and all-time periods."""
    edges: list[datetime] = [START - timedelta(days=2), START + timedelta(days=20)]
    for zone in ("Asia/Shanghai", "Asia/Kolkata", "America/New_York"):
        tz = ZoneInfo(zone)
        for day in range(0, 12, 3):
            local = datetime.combine(START.date() + timedelta(days=day), time(), tz)
            edges.append(local.astimezone(UTC))
    edges += [START + timedelta(days=d) for d in (0, 1, 5, 9)]
    edges += [START + timedelta(minutes=rng.randrange(0, 12 * 24 * 60)) for _ in range(12)]
    out: list[tuple[datetime | None, datetime | None]] = [(None, None)]
    for _ in range(60):
        since, until = rng.choice(edges), rng.choice(edges)
        out.append((since, until))
        out.append((since, None))
        out.append((None, until))
    out.append((START + timedelta(hours=5), START + timedelta(hours=5)))  # empty
    return out


async def test_leaderboards_and_standings_equal_summing_every_line(
    uow: UnitOfWorkFactory,
) -> None:
    rng = random.Random(5)
    lines: list[Line] = []
    async with uow() as u:
        for _ in range(400):
            member = f"m{rng.randrange(8)}"
            delta = rng.choice([5, 10, 3, -4, -20, 1, 0])
            created = START + timedelta(minutes=rng.randrange(0, 12 * 24 * 60))
            lines.append((member, delta, created))
            await u.ledger.append(
                group_id="g", member_id=member, delta=delta, kind="t", reason="", at=created
            )
        # another group's lines never count
        await u.ledger.append(
            group_id="h", member_id="m1", delta=999, kind="t", reason="", at=START
        )
    async with uow() as u:
        for since, until in windows(rng):
            got = [(s.member_id, s.points) for s in await u.ledger.top("g", 20, since, until)]
            assert got == board(lines, since, until), (since, until)
        for member in sorted({m for m, _, _ in lines}):
            mine = [d for m, d, _ in lines if m == member]
            want = (sum(mine), sum(d for d in mine if d > 0))
            assert await u.ledger.totals("g", member) == want
            assert await u.ledger.balance("g", member) == want[0]
        assert await u.ledger.totals("g", "nobody") == (0, 0)
        check = await u.ledger.check_totals()
    assert check.differences == []
    assert check.members == 9


async def test_a_refused_or_rolled_back_line_never_reaches_the_totals(
    uow: UnitOfWorkFactory,
) -> None:
    async with uow() as u:
        assert await u.ledger.append(
            group_id="g", member_id="m", delta=5, kind="t", reason="", at=START, idem_key="k"
        )
        # the same key again (a redelivery): nothing added
        assert not await u.ledger.append(
            group_id="g", member_id="m", delta=5, kind="t", reason="", at=START, idem_key="k"
        )
    with pytest.raises(RuntimeError):
        async with uow() as u:
            await u.ledger.append(
                group_id="g", member_id="m", delta=7, kind="t", reason="", at=START
            )
            raise RuntimeError("handler crashed")
    with pytest.raises(IntegrityError):
        async with uow() as u:
            await u.ledger.append(
                group_id="g",
                member_id="m",
                delta=9,
                kind="t",
                reason="",
                at=START,
                idem_key="k",
                check_key=False,
            )
    async with uow() as u:
        assert await u.ledger.totals("g", "m") == (5, 5)
        assert (await u.ledger.check_totals()).differences == []


def verify(url: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "ledger", "verify", "--db", url, *extra],
        capture_output=True,
        text=True,
        check=False,
    )


REWARD_TRANSCRIPTS = (
    "rewards_red_packets.txt",
    "rewards_quiz.txt",
    "rewards_notice.txt",
    "rewards_draw.txt",
)
REWARDS_CONFIG = """
timezone: Asia/Shanghai
admins: [admin]
defaults:
  rewards:
    reward: {max_points: 50, admin_daily_cap: 60, member_daily_cap: 40}
    quiz:
      bank:
        - {question: 2+2=？, answers: ["4", 四]}
    notice: {places: 3, points: 5}
groups:
  writers:
    name: 写作群
    admins: [coach]
"""


async def test_verify_finds_nothing_after_every_flow_and_a_redelivery_then_catches_a_change(
    db_url: str, tmp_path: Path
) -> None:
    """Check-ins, make-up cards, red packets, /积分, quizzes, notices and draws (the fault
    harness's transcript), the rewards transcripts and a 21-day camp, each replayed twice
    (the second time every message is a redelivery)."""
    shape = Shape(groups=2, members=4, days=3)
    harness = parse_config(harness_config(shape))
    script = make_transcript(shape, 7)
    rewards = parse_config(REWARDS_CONFIG)
    camp = config_for(tmp_path)
    end = datetime.fromisoformat(shape.until).replace(tzinfo=ZoneInfo(harness.timezone))
    for _ in range(2):
        await run_replay(script, harness, db_url, until=end)
        for name in REWARD_TRANSCRIPTS:
            body = (HERE / "transcripts" / name).read_text(encoding="utf-8")
            await run_replay(body, rewards, db_url, until=at("2026-11-22 12:00"))
        await run_replay(transcript(), camp, db_url, until=at("2026-12-07 12:00"))

    engine = create_engine(db_url)
    try:
        async with session_factory(engine)() as session:
            kinds = set((await session.execute(select(LedgerEntry.kind).distinct())).scalars())
            lines = (
                await session.execute(
                    select(LedgerEntry.group_id, LedgerEntry.member_id, LedgerEntry.delta)
                )
            ).all()
        assert {"checkin", "makeup"} <= kinds and any(k.startswith("camp_") for k in kinds)
        assert len(kinds) >= 6, kinds

        done = verify(db_url)
        assert done.returncode == 0, done.stdout + done.stderr
        members = len({(g, m) for g, m, _ in lines})
        assert done.stdout.strip() == f"all {members} totals match", done.stdout

        # a total changed behind the ledger's back is reported, and --repair restores it
        totals = table_of(LedgerTotal)
        g, m, _ = lines[0]
        async with engine.begin() as conn:
            await conn.execute(
                update(totals)
                .where(totals.c.group_id == g, totals.c.member_id == m)
                .values(balance=totals.c.balance + 1)
            )
            await conn.execute(
                insert(totals).values(group_id=g, member_id="ghost", balance=3, earned=3)
            )
        done = verify(db_url)
        assert done.returncode == 1
        assert f"{g} {m}: stored balance " in done.stdout, done.stdout
        assert f"{g} ghost: stored balance 3, earned 3; ledger says no lines" in done.stdout
        assert "2 of " in done.stderr and "--repair" in done.stderr
        repaired = verify(db_url, "--repair")
        assert repaired.returncode == 0, repaired.stdout + repaired.stderr
        assert "repaired 2 differing totals" in repaired.stdout
        assert verify(db_url).returncode == 0
    finally:
        await engine.dispose()


async def test_the_migration_fills_the_totals_from_an_existing_ledger(db_url: str) -> None:
    engine = create_engine(db_url)
    rng = random.Random(3)
    made = [
        (
            f"g{rng.randrange(3)}",
            f"m{rng.randrange(5)}",
            rng.choice([10, 5, -3]),
            START + timedelta(minutes=rng.randrange(0, 5 * 24 * 60)),
        )
        for _ in range(200)
    ]
    rows = [
        {
            "group_id": g,
            "member_id": m,
            "delta": d,
            "kind": "checkin",
            "reason": "",
            "actor_id": None,
            "created_at": t,
            "idem_key": None,
        }
        for g, m, d, t in made
    ]
    try:
        # every branch, the ledger's without its running totals (0021, after 0020)
        for head in sorted((migrate.head_revisions() - {"0021"}) | {"0020"}):
            await migrate.upgrade(engine, head)
        async with engine.begin() as conn:
            tables = set(
                (
                    await conn.execute(
                        text(
                            "select name from sqlite_master where type = 'table'"
                            if engine.dialect.name == "sqlite"
                            else "select tablename from pg_tables where schemaname = 'public'"
                        )
                    )
                ).scalars()
            )
            assert "ledger" in tables and "ledger_totals" not in tables
            await conn.execute(insert(table_of(LedgerEntry)), rows)
        await migrate.upgrade(engine)
        async with session_factory(engine)() as session:
            repo = LedgerRepo(session)
            check = await repo.check_totals()
            assert check.differences == []
            assert check.members == len({(g, m) for g, m, _, _ in made})
            since = START + timedelta(days=1, hours=3)
            for group in ("g0", "g1", "g2"):
                lines = [(m, d, t) for g, m, d, t in made if g == group]
                got = await repo.top(group, 10, since=since)
                assert [(s.member_id, s.points) for s in got] == board(lines, since, None)
                for member in {m for m, _, _ in lines}:
                    mine = [d for m, d, _ in lines if m == member]
                    want = (sum(mine), sum(d for d in mine if d > 0))
                    assert await repo.totals(group, member) == want
    finally:
        await engine.dispose()


def _downgrade_totals(connection: Connection) -> None:
    cfg = migrate.alembic_config()
    cfg.attributes["connection"] = connection
    command.downgrade(cfg, "0021@0020")


async def test_the_totals_downgrade_alone_and_upgrade_again_from_the_ledger(db_url: str) -> None:
    engine = create_engine(db_url)
    line = {
        "group_id": "g",
        "member_id": "m",
        "delta": 4,
        "kind": "t",
        "reason": "",
        "actor_id": None,
        "created_at": START,
        "idem_key": None,
    }
    try:
        await migrate.upgrade(engine)
        async with engine.begin() as conn:
            await conn.run_sync(_downgrade_totals)
        async with engine.begin() as conn:
            assert "ledger_totals" not in await conn.run_sync(
                lambda c: inspect(c).get_table_names()
            )
            # without the trigger (it went with its table), lines still go in
            await conn.execute(insert(table_of(LedgerEntry)), [line, {**line, "delta": -1}])
        await migrate.upgrade(engine)
        assert await migrate.current_revisions(engine) == migrate.head_revisions()
        async with engine.begin() as conn:
            await conn.execute(insert(table_of(LedgerEntry)), [{**line, "delta": 10}])
        async with session_factory(engine)() as session:
            repo = LedgerRepo(session)
            assert await repo.totals("g", "m") == (13, 14)
            assert (await repo.check_totals()).differences == []
    finally:
        await engine.dispose()

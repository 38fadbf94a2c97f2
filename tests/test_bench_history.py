"""`groupops bench --history N`: N past check-ins with their ledger lines, spread over the
bench's members and the preceding days, and every check-in of the measured stream kept."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bot.bench import run_bench
from bot.config import parse_config


async def test_history_prefills_what_it_says_and_every_checkin_is_still_kept(
    tmp_path: Path,
) -> None:
    config = parse_config("{}")
    db = tmp_path / "bench.db"
    result = await run_bench(config, 600, 3, 4, str(db), history=1_000)

    assert (result.history_checkins, result.history_ledger_lines) == (1_000, 1_000)
    assert result.checkins_expected > 0
    assert result.checkins_stored == result.checkins_expected
    assert result.p99_ms_by_kind is not None and {"打卡", "/我的", "/排行"} <= set(
        result.p99_ms_by_kind
    )

    with sqlite3.connect(db) as conn:
        per_member = conn.execute(
            "select group_id, member_id, count(*), min(day), max(day), count(distinct day)"
            " from checkins where message_id like 'h%'"
            " group by group_id, member_id"
        ).fetchall()
        ledger = dict(
            ((g, m), (n, total))
            for g, m, n, total in conn.execute(
                "select group_id, member_id, count(*), sum(delta) from ledger"
                " where kind = 'checkin' and created_at < '2026-11-01 16:00:00'"
                " group by group_id, member_id"
            )
        )
        # the bulk-inserted history is in the running totals too (the database's trigger)
        totals = conn.execute(
            "select count(*) from ledger_totals t where t.balance !="
            " (select sum(delta) from ledger l"
            " where l.group_id = t.group_id and l.member_id = t.member_id)"
        ).fetchone()
        members_with_totals = conn.execute("select count(*) from ledger_totals").fetchone()
    assert totals == (0,) and members_with_totals == (12,)
    # 12 members (3 groups x 4), 1,000 check-ins: 83 or 84 each, one per day, over a year.
    assert len(per_member) == 12
    assert sum(row[2] for row in per_member) == 1_000
    points = config.group("g0").checkin.points
    for group_id, member_id, count, first, last, distinct in per_member:
        assert count in (83, 84) and distinct == count
        assert first >= "2025-11-02" and last <= "2026-11-01"
        assert ledger[group_id, member_id] == (count, count * points)

"""Time a standing and the leaderboards on a kept bench database: the statements before
running totals (summing a member's or a group's ledger lines) against the ones the bot uses
now (the running totals; a period's lines from the covering index by time), in alternating
rounds on the same file. Build the file first, e.g.:

    groupops bench --messages 100 --history 1000000 --keep-db /tmp/h1m.db
    python tests/perf/totals_queries.py /tmp/h1m.db

It only reads. The period board covers the last 7 local days (Asia/Shanghai) before the
newest line, starting at a local midnight (a partial UTC day at its start, as a week's
board in that timezone).
"""

from __future__ import annotations

import sqlite3
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Executable
from sqlalchemy.dialects import sqlite

from storage.repos import ledger as ledger_repo

SUMS = {
    "standing": "select coalesce(sum(delta), 0),"
    " coalesce(sum(case when delta > 0 then delta else 0 end), 0)"
    " from ledger where group_id = :group_id and member_id = :member_id",
    "top_all_time": "select member_id, sum(delta) from ledger where group_id = :group_id"
    " group by member_id having sum(delta) > 0 order by sum(delta) desc, member_id limit 10",
    "top_7_days": "select member_id, sum(delta) from ledger where group_id = :group_id"
    " and created_at >= :since group by member_id having sum(delta) > 0"
    " order by sum(delta) desc, member_id limit 10",
}


def compiled(statement: Executable) -> Callable[[dict[str, Any]], tuple[str, dict[str, Any]]]:
    done = statement.compile(dialect=sqlite.dialect(paramstyle="named"))  # type: ignore[attr-defined]

    def bind(params: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        values = done.construct_params(params)
        return str(done), {k: _sqlite_value(v) for k, v in values.items()}

    return bind


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    return value


def main() -> int:
    db = sqlite3.connect(sys.argv[1])
    last = db.execute("select max(created_at) from ledger").fetchone()[0]
    local = datetime.fromisoformat(last).replace(tzinfo=UTC).astimezone(ZoneInfo("Asia/Shanghai"))
    first = local.date() - timedelta(days=7)
    since = datetime.combine(first, datetime.min.time(), ZoneInfo("Asia/Shanghai"))
    totals = {
        "standing": compiled(ledger_repo._TOTALS_OF_MEMBER),
        "top_all_time": compiled(ledger_repo._TOP_ALL_TIME),
        "top_7_days": compiled(ledger_repo._TOP_OF_PERIOD[True, False]),
    }
    figures: dict[str, list[float]] = {}
    for _ in range(3):
        for label in ("sums", "totals"):
            for name in SUMS:
                spent: list[float] = []
                for i in range(300):
                    params: dict[str, Any] = {"group_id": f"g{i % 100}", "limit": 10}
                    if name == "standing":
                        params["member_id"] = f"u{i % 30}"
                    if name == "top_7_days":
                        params["since"] = since
                    if label == "sums":
                        sql, bound = SUMS[name], {k: _sqlite_value(v) for k, v in params.items()}
                    else:
                        sql, bound = totals[name](params)
                    t0 = time.perf_counter()
                    db.execute(sql, bound).fetchall()
                    spent.append(time.perf_counter() - t0)
                figures.setdefault(f"{label} {name}", []).append(statistics.median(spent))
    for key, medians in figures.items():
        print(f"{key} median_ms {round(statistics.median(medians) * 1000, 3)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Time the standing and all-time leaderboard SQL on a kept bench database, with the old
(group_id, member_id) index and with the covering (group_id, member_id, delta) one, in
alternating rounds on the same file. Build the file first, e.g.:

    groupops bench --messages 100 --history 1000000 --keep-db /tmp/h1m.db
    python tests/perf/ledger_queries.py /tmp/h1m.db

It rebuilds the indexes in place: use it on a scratch copy only.
"""

from __future__ import annotations

import sqlite3
import statistics
import sys
import time

QUERIES = {
    "standing": "select coalesce(sum(delta), 0),"
    " coalesce(sum(case when delta > 0 then delta else 0 end), 0)"
    " from ledger where group_id = ? and member_id = ?",
    "top_all_time": "select member_id, sum(delta) from ledger where group_id = ?"
    " group by member_id having sum(delta) > 0 order by sum(delta) desc, member_id limit 10",
}
OLD = "create index if not exists ix_ledger_group_member on ledger (group_id, member_id)"
NEW = (
    "create index if not exists ix_ledger_group_member_delta on ledger (group_id, member_id, delta)"
)


def time_queries(db: sqlite3.Connection, label: str, runs: int = 300) -> None:
    for name, sql in QUERIES.items():
        spent: list[float] = []
        for i in range(runs):
            args = (f"g{i % 100}", f"u{i % 30}") if name == "standing" else (f"g{i % 100}",)
            t0 = time.perf_counter()
            db.execute(sql, args).fetchall()
            spent.append(time.perf_counter() - t0)
        spent.sort()
        median = round(statistics.median(spent) * 1000, 3)
        p99 = round(spent[int(len(spent) * 0.99) - 1] * 1000, 3)
        print(f"{label} {name} median_ms {median} p99_ms {p99}")


def main() -> int:
    db = sqlite3.connect(sys.argv[1])
    for _ in range(3):
        db.execute("drop index if exists ix_ledger_group_member_delta")
        db.execute(OLD)
        time_queries(db, "before")
        db.execute("drop index if exists ix_ledger_group_member")
        db.execute(NEW)
        time_queries(db, "after")
    return 0


if __name__ == "__main__":
    sys.exit(main())

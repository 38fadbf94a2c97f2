"""The fault harness in its bounded CI form: `groupops replay` killed with SIGKILL ~10 times
on SQLite and ~5 times on PostgreSQL (when GROUPOPS_TEST_PG_URL is set), resumed, and
compared with an uninterrupted run (see tests/faults/harness.py; `--kills N` runs more)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.faults.harness import Report, run_harness
from tests.faults.transcript import Shape
from tests.support import PG_ENV

SHAPE = Shape(groups=2, members=4, days=3)

# Invariants that depend on fixes made on other branches, with what they wait for. Delete an
# entry once its fix is merged: from then on the invariant fails this test.
KNOWN_ELSEWHERE = {
    "activity rows": "the activity log idempotent by the event's key",
    "a replay after a kill during the first migration": "a first migration that finishes or "
    "leaves nothing (SQLite has transactional DDL)",
    "the database cannot be read": "the same (a half-migrated SQLite file)",
    # a redelivered 收到 or quiz answer may claim a later round (a message must count only
    # for a round open when it was sent); the changed balances change the replies after it
    "ledger lines": "rounds",
    "ledger totals per member differ from the reference": "rounds",
    "table reward_notices": "rounds",
    "table reward_notice_claims": "rounds",
    "table reward_quizzes": "rounds",
    "table outbox": "rounds",
    "outbox items never delivered": "rounds",
    "outbox items the reference did not deliver": "rounds",
    "outbox items delivered with another text": "rounds",
}


def check(report: Report) -> None:
    summary = report.as_dict()
    print(summary)
    assert report.faults >= 1 and report.checked > 0
    unexpected = {name: n for name, n in report.failures.items() if name not in KNOWN_ELSEWHERE}
    assert not unexpected, summary
    if report.failures:
        pytest.xfail(f"only invariants fixed on other branches failed: {dict(report.failures)}")


def test_sqlite_survives_ten_kills(tmp_path: Path) -> None:
    check(run_harness("sqlite", 10, 7, SHAPE, per_trial=5, work=tmp_path, echo=True))


@pytest.mark.skipif(not os.environ.get(PG_ENV), reason=f"PostgreSQL runs need {PG_ENV}")
def test_postgresql_survives_five_kills(tmp_path: Path) -> None:
    report = run_harness(
        "postgresql", 5, 7, SHAPE, per_trial=5, work=tmp_path, pg_admin=os.environ[PG_ENV]
    )
    check(report)

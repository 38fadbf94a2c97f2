"""The fault harness in its bounded CI form: `groupops replay` killed with SIGKILL ~10 times
on SQLite and ~5 times on PostgreSQL (when GROUPOPS_TEST_PG_URL is set), resumed, and
compared with an uninterrupted run (see tests/faults/harness.py; `--kills N` runs more)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.faults.harness import Report, run_harness, run_skipped_ids
from tests.faults.transcript import Shape
from tests.support import PG_ENV

SHAPE = Shape(groups=2, members=4, days=3)


def check(report: Report) -> None:
    summary = report.as_dict()
    print(summary)
    assert report.faults >= 1 and report.checked > 0
    assert not report.failures, summary


def test_sqlite_survives_ten_kills(tmp_path: Path) -> None:
    check(run_harness("sqlite", 10, 7, SHAPE, per_trial=5, work=tmp_path, echo=True))


@pytest.mark.skipif(not os.environ.get(PG_ENV), reason=f"PostgreSQL runs need {PG_ENV}")
def test_postgresql_survives_five_kills(tmp_path: Path) -> None:
    report = run_harness(
        "postgresql", 5, 7, SHAPE, per_trial=5, work=tmp_path, pg_admin=os.environ[PG_ENV]
    )
    check(report)


@pytest.mark.skipif(not os.environ.get(PG_ENV), reason=f"PostgreSQL runs need {PG_ENV}")
def test_postgresql_keys_never_come_from_row_ids(tmp_path: Path) -> None:
    """The same transcript into a database whose sequences skipped ids (as after a crash)
    leaves the same rows, outbox ids and deliveries: fails for any ledger key, outbox id or
    broadcast id built from a row id (a camp's excellent work, a shared notice's closing
    list and a relay's posts were)."""
    verdict = run_skipped_ids(SHAPE, 7, tmp_path, os.environ[PG_ENV])
    assert verdict.checked > 0
    assert not verdict.failures, verdict.failures

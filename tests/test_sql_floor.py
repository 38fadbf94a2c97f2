"""The same-SQL floor, short: the recorded statements replayed on a plain sqlite3
connection leave the very rows the bot's run left, the summary has every figure, and a
replay that skips one message's statements is caught (timings are the script's business,
not this test's)."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

from tests.perf.sql_floor import (
    COMMIT,
    InProcessRuns,
    differing,
    measure,
    parser,
    run_floor,
    save_recording,
    table_rows,
)

ROOT = Path(__file__).resolve().parents[1]
FIELDS = {
    "messages",
    "statements",
    "commits",
    "floor_msgs_per_s",
    "floor_cpu_us_per_msg",
    "bot_msgs_per_s",
    "bot_cpu_us_per_msg",
    "ratio",
}


def test_the_floor_replays_the_bots_statements_row_for_row(tmp_path: Path) -> None:
    ns = parser().parse_args(
        ["--messages", "300", "--rounds", "1", "--config", str(ROOT / "config.yaml")]
    )
    ns.dump_log = str(tmp_path / "log.jsonl")
    summary, rows, ok = measure(ns, InProcessRuns, str(tmp_path))

    assert ok and summary["rows_match"] is True
    assert set(summary) >= FIELDS
    assert summary["messages"] == 300
    assert summary["statements"] > summary["commits"] > 0
    assert rows["checkins"] > 0 and rows["outbox"] > 0 and rows["activity_log"] == 300
    assert len((tmp_path / "log.jsonl").read_text(encoding="utf-8").splitlines()) == 300

    # the check has teeth: one message's statements left out, the rows differ
    with open(tmp_path / "recording.pickle", "rb") as f:
        recording = pickle.load(f)
    index = next(i for i, ops in enumerate(recording["messages"]) if (COMMIT, "COMMIT", ()) in ops)
    recording["messages"][index] = []
    short = str(tmp_path / "short.pickle")
    save_recording(recording, short, None)
    result = run_floor(short, str(tmp_path), freeze=False)
    assert differing(recording["rows"], result.rows)
    assert result.rows != table_rows(os.path.join(tmp_path, "recorded.db"))

"""The relay bench, short: every line reaches every group, and no group gets more posts in
any minute than its limit (timings are the bench's business, not this test's)."""

from __future__ import annotations

import pytest

from tests.perf.relay_bench import run


@pytest.mark.parametrize(("overall", "groups"), [(None, 6), (30, 8)])
async def test_a_short_relay_bench_delivers_everything_within_the_limits(
    overall: int | None, groups: int
) -> None:
    result = await run(
        groups=groups,
        minutes=1.5,
        window_s=1,
        per_minute=20,
        lines_per_s=2,
        overall_per_minute=overall,
    )
    assert result["complete"] is True and result["missing"] == 0
    assert result["lines"] == 180
    assert int(str(result["max_per_minute"])) <= 20
    if overall is not None:
        assert int(str(result["max_overall_per_minute"])) <= overall
    # the window was widened to what the limits allow (1 s asked for)
    assert float(str(result["window_used_s"])) >= 5

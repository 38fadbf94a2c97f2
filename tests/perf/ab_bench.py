"""A/B `groupops bench` between two source trees, alternating runs, medians reported.

The development machine is shared and its speed drifts by ±25%, so the two trees run in
turn (A, B, A, B, ...) and each figure is the median of its runs. Every run gets its own
fresh database (and its own `--history` prefill). Example, the previous commit against
the working tree:

    git archive HEAD~1 | (mkdir -p /tmp/ab_before && tar -x -C /tmp/ab_before)
    python tests/perf/ab_bench.py --a /tmp/ab_before --b . --rounds 3 -- --history 1000000

Extra arguments after `--` go to `groupops bench` (which always gets `--json`).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
from pathlib import Path

KINDS = ("/我的", "/排行", "打卡")


def run_once(tree: Path, bench_args: list[str]) -> dict[str, object]:
    env = dict(os.environ, PYTHONPATH=str(tree.resolve()))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "bench", "--json", *bench_args],
        capture_output=True,
        text=True,
        env=env,
        cwd=tree,
        check=True,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    summary: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    # the whole run's CPU time (start-up, prefill and the stream), user + system
    summary["process_cpu_s"] = round(
        after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime, 2
    )
    return summary


def figures(summary: dict[str, object]) -> dict[str, float]:
    out = {
        "msgs_per_s": float(summary["msgs_per_s"]),  # type: ignore[arg-type]
        "p99_ms": float(summary["p99_ms"]),  # type: ignore[arg-type]
        "peak_rss_mb": float(summary["peak_rss_mb"]),  # type: ignore[arg-type]
        "process_cpu_s": float(summary["process_cpu_s"]),  # type: ignore[arg-type]
    }
    if "cpu_us_per_msg" in summary:  # absent from trees older than the field
        out["cpu_us_per_msg"] = float(summary["cpu_us_per_msg"])  # type: ignore[arg-type]
    for field in ("p50_ms_by_kind", "p99_ms_by_kind"):
        by_kind = summary.get(field) or {}
        assert isinstance(by_kind, dict)
        for kind in KINDS:
            if kind in by_kind:
                out[f"{field[:6]}[{kind}]"] = float(by_kind[kind])
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--a", type=Path, required=True, help="source tree A (before)")
    parser.add_argument("--b", type=Path, required=True, help="source tree B (after)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("bench_args", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    bench_args = [a for a in args.bench_args if a != "--"]
    runs: dict[str, list[dict[str, float]]] = {"A": [], "B": []}
    for round_no in range(args.rounds):
        order = (
            (("A", args.a), ("B", args.b)) if round_no % 2 == 0 else (("B", args.b), ("A", args.a))
        )
        for label, tree in order:
            result = figures(run_once(tree, bench_args))
            runs[label].append(result)
            print(json.dumps({"round": round_no, "tree": label, **result}, ensure_ascii=False))
            sys.stdout.flush()
    medians = {
        label: {
            key: round(statistics.median(r[key] for r in results), 3)
            for key in results[0]
            if all(key in r for r in results)
        }
        for label, results in runs.items()
    }
    print(json.dumps({"median": medians, "bench_args": bench_args}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())

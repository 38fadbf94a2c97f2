"""The fault harness: `groupops replay` killed with SIGKILL at random points, resumed, and
compared with an uninterrupted run.

    python -m tests.faults.harness --kills N [--pg URL] [--seed S] [--per-trial K]
                                   [--groups G] [--members M] [--days D] [--keep DIR] [--json]

What it does, for SQLite and (with --pg, an admin URL such as
postgresql://postgres@127.0.0.1:5432/test) for PostgreSQL:

1. writes a seeded transcript (tests/faults/transcript.py: check-ins, make-up cards, red
   packets, quizzes, notices, draws, Q&A, joins, commands, chatter in several groups over
   several days; the config's rituals run up to the end with --until);
2. replays it once without faults into a fresh database: the reference;
3. in trials (a fresh database each), starts the same replay as a subprocess into the
   trial's database and kills it with SIGKILL at a random point (seeded): a random time
   after the start, or right after a random number of delivered messages, plus a few
   milliseconds; then starts it again with the same transcript and the same message ids,
   `--per-trial` times, and lets a last run finish. On PostgreSQL every sequence skips a
   random number of ids after each kill (as a killed transaction's ids are skipped), and
   every other trial starts from a migrated database whose sequences already skipped some:
   row ids then differ from the reference's everywhere, so a key, outbox id or broadcast id
   built from a row id instead of what made the row is caught;
4. checks the trial's database and delivery log against the reference:
   identical check-ins, ledger lines, activity rows and every other table (outbox rows
   by id and text, ritual runs, rounds, draws, members, ...; a column holding another
   row's id compares as that row's natural key); each member's balance as the
   bot computes it equals the sum of the member's ledger lines; every running total
   matches the ledger (what `groupops ledger verify` checks); streaks follow from the
   stored days; `PRAGMA integrity_check` (SQLite); no outbox item delivered twice, none
   lost, none delivered that the reference did not deliver, each with the reference's
   text; no outbox row left pending, sending, unknown or failed.

Each replay appends its deliveries to a log file with fsync (`replay --delivery-log`): the
log is the platform, so a message is delivered once exactly when its id appears once.

It prints the faults injected, the invariants checked and the data lost or doubled, and
exits 1 when an invariant failed. A bounded form runs in CI (tests/test_fault_harness.py).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from tests.faults.transcript import ROOT, Shape, harness_config, make_transcript

# Columns that legitimately differ between an interrupted and an uninterrupted run: surrogate
# keys, and the outbox's own bookkeeping of attempts (a resent item has two attempts).
VOLATILE = {
    "outbox": {"attempts", "not_before", "sending_at", "finished_at", "last_error", "created_at"},
    # when the broadcast pump saw its copies' outcomes in the outbox (and so queued the
    # admin's report, outbox.created_at above): after a kill the next start sees them later;
    # which copies went out, once each, and the report's id and text are still compared
    "broadcasts": {"finished_at", "next_at"},
    "broadcast_deliveries": {"finished_at"},
    # written once per member and process (the member cache): a restart moves it
    "members": {"last_seen"},
}
# Columns that hold another row's surrogate id: compared as the natural key of the row they
# name (what it is unique by), since PostgreSQL skips the ids of transactions a kill ended.
# Anything else derived from a row id (a ledger key, an outbox id, a broadcast id) is a bug
# the comparison catches.
NATURAL_KEYS: dict[str, tuple[str, ...]] = {
    "camp_days": ("group_id", "camp_id", "member_id", "day"),
    "relay_sessions": ("start_key",),
    "reward_notices": ("start_key",),
    "notice_pools": ("start_key",),
}
REFERENCES: dict[tuple[str, str], str] = {
    ("camp_reviews", "submission_id"): "camp_days",
    ("relay_lines", "session_id"): "relay_sessions",
    ("relay_questions", "session_id"): "relay_sessions",
    ("reward_notice_claims", "notice_id"): "reward_notices",
    ("notice_pool_groups", "notice_id"): "reward_notices",
    ("notice_pool_groups", "pool_id"): "notice_pools",
    ("notice_pool_claims", "notice_id"): "reward_notices",
    ("notice_pool_claims", "pool_id"): "notice_pools",
}
RUN_LIMIT_S = 600.0


# --- databases -------------------------------------------------------------------------------


class Databases:
    """Fresh databases for the runs: SQLite files in a folder, or PostgreSQL databases."""

    def __init__(self, kind: str, folder: Path, pg_admin: str | None = None) -> None:
        self.kind = kind
        self.folder = folder
        self.pg_admin = pg_admin
        self.created: list[str] = []

    def fresh(self, name: str) -> str:
        if self.kind == "sqlite":
            path = self.folder / f"{name}.db"
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            return f"sqlite+aiosqlite:///{path}"
        assert self.pg_admin is not None
        db = f"groupops_faults_{name}_{uuid.uuid4().hex[:8]}"
        asyncio.run(_pg_execute(self.pg_admin, f'CREATE DATABASE "{db}"'))
        self.created.append(db)
        url = make_url(self.pg_admin.replace("postgresql+asyncpg://", "postgresql://"))
        return url.set(database=db).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        for db in self.created:
            assert self.pg_admin is not None
            asyncio.run(_pg_execute(self.pg_admin, f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))
        self.created.clear()


async def _pg_execute(admin: str, statement: str) -> None:
    import asyncpg

    url = make_url(admin.replace("postgresql+asyncpg://", "postgresql://"))
    dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


async def _pg_skip_ids(url: str, skips: list[int]) -> int:
    """Move every sequence of the database on by the next of `skips` (cycled): the ids a
    crashed transaction would have used are never used again, as after a kill on
    PostgreSQL, only more of them. Returns how many sequences moved."""
    import asyncpg

    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch("select schemaname, sequencename from pg_sequences")
        for n, row in enumerate(rows):
            name = f'"{row["schemaname"]}"."{row["sequencename"]}"'
            await conn.execute(
                f"select setval('{name}', nextval('{name}') + {skips[n % len(skips)]})"
            )
        return len(rows)
    finally:
        await conn.close()


def skip_ids(url: str, rng: random.Random) -> int:
    """PostgreSQL: skip a random number of ids in every sequence (see _pg_skip_ids)."""
    return asyncio.run(_pg_skip_ids(url, [rng.randint(1, 500) for _ in range(16)]))


def migrate(files: Files, db_url: str) -> None:
    """Create the schema without running the transcript (`groupops db upgrade`)."""
    command = [sys.executable, "-m", "bot.cli", "db", "--config", str(files.config)]
    subprocess.run(
        [*command, "--url", db_url, "upgrade"], cwd=ROOT, check=True, capture_output=True
    )


# --- runs ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Kill:
    after_lines: int  # 0: after `delay_s` from the start; n: n delivered lines, then delay_s
    delay_s: float


@dataclass
class RunResult:
    killed: bool
    returncode: int
    lines: int
    seconds: float
    stderr: str
    first_line_s: float | None = None  # when the first message was delivered (start-up done)


@dataclass
class Files:
    transcript: Path
    config: Path
    until: str


def replay_command(files: Files, db_url: str, log: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "bot.cli",
        "replay",
        str(files.transcript),
        "--config",
        str(files.config),
        "--db",
        db_url,
        "--until",
        files.until,
        "--json",
        "--delivery-log",
        str(log),
    ]


def run_replay(files: Files, db_url: str, log: Path, kill: Kill | None) -> RunResult:
    """One replay subprocess; killed with SIGKILL as `kill` says (None: runs to its end)."""
    began = time.monotonic()
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(
            replay_command(files, db_url, log),
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=err,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        assert proc.stdout is not None
        lines = 0
        killed = False
        first: float | None = None
        try:
            if kill is None or kill.after_lines > 0:
                for _ in iter(proc.stdout.readline, b""):
                    lines += 1
                    if first is None:
                        first = time.monotonic() - began
                    if kill is not None and lines >= kill.after_lines:
                        killed = _kill_after(proc, kill.delay_s)
                        break
            else:
                killed = _kill_after(proc, kill.delay_s)
            if not killed:
                for _ in iter(proc.stdout.readline, b""):
                    lines += 1
            code = proc.wait(timeout=RUN_LIMIT_S)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            proc.stdout.close()
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
    return RunResult(killed, code, lines, time.monotonic() - began, stderr, first)


def _kill_after(proc: subprocess.Popen[bytes], delay_s: float) -> bool:
    """SIGKILL after delay_s unless the process ended first. True when it was killed."""
    try:
        proc.wait(timeout=delay_s)
        return False
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        return True


# --- what the databases hold -----------------------------------------------------------------


@dataclass
class Snapshot:
    tables: dict[str, Counter[tuple[Any, ...]]]
    ledger_sums: dict[tuple[str, str], int]
    balances: dict[tuple[str, str], int]  # as the bot computes them
    checkins: list[tuple[str, str, date, int]]  # group, member, day, stored streak
    outbox_status: Counter[str]
    integrity: str | None
    # what `groupops ledger verify` reports: running totals that differ from the ledger
    totals_differences: list[str] = field(default_factory=list)
    totals_checked: int = 0


def snapshot(db_url: str) -> Snapshot:
    return asyncio.run(_snapshot(db_url))


async def _snapshot(db_url: str) -> Snapshot:
    import storage.models  # noqa: F401  (every table on the metadata)
    from storage.db import create_engine
    from storage.models.base import Base
    from storage.models.core import Checkin, LedgerEntry
    from storage.repos.ledger import LedgerRepo
    from storage.session import SessionSource
    from storage.uow import UnitOfWorkFactory

    engine = create_engine(db_url)
    sessions = SessionSource(engine)
    uow = UnitOfWorkFactory(sessions)
    tables: dict[str, Counter[tuple[Any, ...]]] = {}
    try:
        async with uow() as unit:
            by_id: dict[str, dict[Any, tuple[Any, ...]]] = {}
            for name, natural in NATURAL_KEYS.items():
                table = Base.metadata.tables[name]
                rows = await unit.session.execute(
                    select(table.c.id, *(table.c[c] for c in natural))
                )
                by_id[name] = {r[0]: tuple(r[1:]) for r in rows}
            for table in Base.metadata.sorted_tables:
                skip = VOLATILE.get(table.name, set())
                columns = [
                    c
                    for c in table.columns
                    if c.name not in skip
                    and not (c.primary_key and c.autoincrement is True)
                    and not (c.primary_key and c.name == "id" and str(c.type) == "INTEGER")
                ]
                rows = await unit.session.execute(select(*columns))
                refs = [
                    by_id[REFERENCES[(table.name, c.name)]]
                    if (table.name, c.name) in REFERENCES
                    else None
                    for c in columns
                ]
                tables[table.name] = Counter(
                    tuple(
                        v if ref is None else ("ref", ref.get(v, ("missing", v)))
                        for v, ref in zip(r, refs, strict=True)
                    )
                    for r in rows
                )
            sums: dict[tuple[str, str], int] = defaultdict(int)
            for g, m, delta in await unit.session.execute(
                select(LedgerEntry.group_id, LedgerEntry.member_id, LedgerEntry.delta)
            ):
                sums[(g, m)] += delta
            balances = {}
            for key in sums:
                balances[key] = (await LedgerRepo(unit.session).totals(*key))[0]
            checkins = [
                (r[0], r[1], r[2], r[3])
                for r in await unit.session.execute(
                    select(Checkin.group_id, Checkin.member_id, Checkin.day, Checkin.streak)
                )
            ]
            verified = await LedgerRepo(unit.session).check_totals()
            differences = [repr(d) for d in verified.differences]
            status = Counter(
                r[0] for r in await unit.session.execute(text("select status from outbox"))
            )
            integrity = None
            if db_url.startswith("sqlite"):
                integrity = str(
                    (await unit.session.execute(text("PRAGMA integrity_check"))).scalar_one()
                )
    finally:
        sessions.dispose()
        await engine.dispose()
    return Snapshot(
        tables,
        dict(sums),
        balances,
        checkins,
        status,
        integrity,
        differences,
        verified.members,
    )


def read_log(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    out = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        try:
            out.append(json.loads(raw))
        except ValueError:
            continue
    return out


# --- invariants ------------------------------------------------------------------------------


@dataclass
class Verdict:
    checked: int = 0
    failures: list[str] = field(default_factory=list)
    lost: int = 0  # rows or messages the reference has and the trial does not
    doubled: int = 0  # rows or messages the trial has more often than the reference

    def check(self, ok: bool, what: str) -> None:
        self.checked += 1
        if not ok:
            self.failures.append(what)


def compare(
    ref: Snapshot, got: Snapshot, ref_log: list[dict[str, Any]], log: list[dict[str, Any]]
) -> Verdict:
    v = Verdict()
    named = {"checkins": "check-ins", "ledger": "ledger lines", "activity_log": "activity rows"}
    for name in [*named, *sorted(set(ref.tables) - set(named))]:
        want, have = ref.tables.get(name, Counter()), got.tables.get(name, Counter())
        missing, extra = want - have, have - want
        label = named.get(name, f"table {name}")
        v.check(
            not missing and not extra,
            f"{label}: {sum(missing.values())} missing, "
            f"{sum(extra.values())} extra (e.g. {_example(missing or extra)})",
        )
        v.lost += sum(missing.values())
        v.doubled += sum(extra.values())
    v.check(
        got.ledger_sums == ref.ledger_sums, "ledger totals per member differ from the reference"
    )
    wrong = {
        k: (got.balances.get(k), s) for k, s in got.ledger_sums.items() if got.balances.get(k) != s
    }
    v.check(not wrong, f"balances not equal to the sum of ledger lines: {_example(wrong)}")
    v.check(
        not got.totals_differences and got.totals_checked > 0,
        f"ledger verify: {len(got.totals_differences)} running totals differ from the "
        f"ledger (e.g. {_example(got.totals_differences)})",
    )
    v.check(_streaks_follow(got.checkins), "streaks do not follow from the stored days")
    if got.integrity is not None:
        v.check(got.integrity == "ok", f"PRAGMA integrity_check: {got.integrity}")
    open_rows = {s: n for s, n in got.outbox_status.items() if s != "sent"}
    v.check(not open_rows, f"outbox rows not sent: {open_rows}")
    ids = Counter(entry["id"] for entry in log)
    twice = {i: n for i, n in ids.items() if n > 1}
    v.check(not twice, f"outbox items delivered more than once: {len(twice)} ({_example(twice)})")
    v.doubled += sum(n - 1 for n in twice.values())
    want_ids = {entry["id"]: entry for entry in ref_log}
    lost = set(want_ids) - set(ids)
    extra_ids = set(ids) - set(want_ids)
    v.check(not lost, f"outbox items never delivered: {len(lost)} ({_example(sorted(lost))})")
    v.check(not extra_ids, f"outbox items the reference did not deliver: {len(extra_ids)}")
    v.lost += len(lost)
    v.doubled += len(extra_ids)
    texts = {entry["id"]: (entry["text"], entry["mentions"]) for entry in log}
    differ = [
        i for i, e in want_ids.items() if i in texts and texts[i] != (e["text"], e["mentions"])
    ]
    v.check(not differ, f"outbox items delivered with another text: {len(differ)}")
    return v


def _streaks_follow(rows: list[tuple[str, str, date, int]]) -> bool:
    by_member: dict[tuple[str, str], dict[date, int]] = defaultdict(dict)
    for group, member, day, streak in rows:
        by_member[(group, member)][day] = streak
    for days in by_member.values():
        for day, streak in days.items():
            before = days.get(day - timedelta(days=1))
            if streak != (before + 1 if before is not None else 1):
                return False
    return True


def _example(found: Any) -> str:
    if not found:
        return "-"
    items = list(found.items())[:1] if isinstance(found, dict) else list(found)[:1]
    return repr(items[0])[:160]


# --- the harness -----------------------------------------------------------------------------


@dataclass
class Report:
    kind: str
    faults: int = 0
    runs: int = 0
    trials: int = 0
    checked: int = 0
    lost: int = 0
    doubled: int = 0
    failures: Counter[str] = field(default_factory=Counter)
    run_errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "database": self.kind,
            "faults_injected": self.faults,
            "replays": self.runs,
            "trials": self.trials,
            "invariants_checked": self.checked,
            "invariants_failed": sum(self.failures.values()),
            "data_lost": self.lost,
            "data_doubled": self.doubled,
            "failures": dict(self.failures),
            "run_errors": self.run_errors[:5],
        }


def replay_failure(run: RunResult) -> str:
    """What a replay that exited with an error (not killed) says, as an invariant."""
    last = next((line for line in reversed(run.stderr.splitlines()) if line.strip()), "")
    if "already exists" in last:
        return "a replay after a kill during the first migration: " + last[-160:]
    return "a replay exited with an error: " + last[-160:]


def _failure_kind(message: str) -> str:
    return message.split(":", 1)[0]


def run_harness(
    kind: str,
    kills: int,
    seed: int,
    shape: Shape,
    per_trial: int,
    work: Path,
    pg_admin: str | None = None,
    echo: bool = True,
) -> Report:
    rng = random.Random(seed)
    report = Report(kind)
    files = Files(work / "transcript.txt", work / "config.yaml", shape.until)
    files.transcript.write_text(make_transcript(shape, seed), encoding="utf-8")
    files.config.write_text(harness_config(shape), encoding="utf-8")
    dbs = Databases(kind, work, pg_admin)

    def say(line: str) -> None:
        if echo:
            print(f"[{kind}] {line}", flush=True)

    try:
        ref_url = dbs.fresh("reference")
        ref_log_path = work / f"{kind}-reference.log"
        ref_log_path.unlink(missing_ok=True)
        ref = run_replay(files, ref_url, ref_log_path, None)
        report.runs += 1
        if ref.returncode != 0:
            raise RuntimeError(f"the reference replay failed:\n{ref.stderr[-2000:]}")
        ref_snap = snapshot(ref_url)
        ref_log = read_log(ref_log_path)
        say(f"reference: {ref.lines} messages delivered in {ref.seconds:.1f}s")
        trial = 0
        pace = 1.0
        while report.faults < kills:
            trial += 1
            report.trials += 1
            url = dbs.fresh(f"trial{trial}")
            log = work / f"{kind}-trial{trial}.log"
            log.unlink(missing_ok=True)
            if kind != "sqlite" and trial % 2 == 1:
                # every row id differs from the reference's from the start: anything keyed
                # by a row id (instead of what made the row) shows up as a difference
                migrate(files, url)
                skip_ids(url, rng)
            injected = attempts = 0
            failed_runs: list[RunResult] = []
            while injected < per_trial and report.faults < kills and attempts < 3 * per_trial:
                attempts += 1
                result = run_replay(files, url, log, kill_plan(rng, ref, pace))
                report.runs += 1
                if not result.killed and result.returncode == 0:
                    # it ended before its kill: later kills come sooner (a replay of what is
                    # all stored already takes about as long as the reference, less output)
                    pace = min(1.0, max(0.2, result.seconds / ref.seconds))
                if result.killed:
                    injected += 1
                    report.faults += 1
                    if kind != "sqlite":
                        skip_ids(url, rng)  # what the killed transactions' ids did, and more
                elif result.returncode != 0:
                    failed_runs.append(result)
                    break
                # a run that ended before its kill completed the transcript: the next kills
                # land in a replay of what is all stored already (a redelivery after a crash)
            final = run_replay(files, url, log, None)
            report.runs += 1
            if final.returncode != 0:
                failed_runs.append(final)
            try:
                verdict = compare(ref_snap, snapshot(url), ref_log, read_log(log))
            except Exception as exc:
                verdict = Verdict()
                verdict.check(False, f"the database cannot be read: {type(exc).__name__}")
            for failed in failed_runs:
                report.run_errors.append(failed.stderr[-1500:])
                verdict.check(False, replay_failure(failed))
            report.checked += verdict.checked
            report.lost += verdict.lost
            report.doubled += verdict.doubled
            for failure in verdict.failures:
                report.failures[_failure_kind(failure)] += 1
            say(
                f"trial {trial}: {injected} kill(s), {verdict.checked} invariants, "
                + ("all hold" if not verdict.failures else "FAILED: " + "; ".join(verdict.failures))
            )
            if kind != "sqlite":
                dbs.drop_all()
    finally:
        dbs.drop_all()
    return report


def run_skipped_ids(shape: Shape, seed: int, work: Path, pg_admin: str) -> Verdict:
    """No kill: the transcript replayed once into a fresh PostgreSQL database and once into
    a migrated one whose sequences skipped ids first, compared like a trial. Every row id
    differs between the two, so any key, outbox id or broadcast id built from a row id
    (instead of what made the row) is reported; deterministic and faster than kills."""
    rng = random.Random(seed)
    files = Files(work / "transcript.txt", work / "config.yaml", shape.until)
    files.transcript.write_text(make_transcript(shape, seed), encoding="utf-8")
    files.config.write_text(harness_config(shape), encoding="utf-8")
    dbs = Databases("postgresql", work, pg_admin)
    try:
        ref_url, url = dbs.fresh("reference"), dbs.fresh("skipped")
        migrate(files, url)
        skip_ids(url, rng)
        logs = work / "skipped-reference.log", work / "skipped.log"
        for db_url, log in ((ref_url, logs[0]), (url, logs[1])):
            log.unlink(missing_ok=True)
            run = run_replay(files, db_url, log, None)
            if run.returncode != 0:
                raise RuntimeError(f"a replay failed:\n{run.stderr[-2000:]}")
        return compare(snapshot(ref_url), snapshot(url), read_log(logs[0]), read_log(logs[1]))
    finally:
        dbs.drop_all()


def kill_plan(rng: random.Random, ref: RunResult, pace: float) -> Kill:
    """Where to kill: during start-up (imports, migrations), at a random time while the
    transcript is handled, or right after the n-th message is delivered (a few ms later).
    `pace` scales the reference's timings to how fast runs go now (the machine's load)."""
    total = ref.seconds * pace
    started = (ref.first_line_s or ref.seconds / 2) * pace
    roll = rng.random()
    if roll < 0.25:
        return Kill(0, rng.uniform(0.0, started))
    if roll < 0.6:
        return Kill(0, rng.uniform(started, total * 0.95))
    return Kill(rng.randint(1, max(1, min(40, ref.lines))), rng.uniform(0.0, 0.03))


@contextmanager
def workdir(keep: str | None) -> Iterator[Path]:
    if keep:
        path = Path(keep)
        path.mkdir(parents=True, exist_ok=True)
        yield path
        return
    # tmpfs when there is one: the runs fsync every delivery, and a kill is not a power cut
    base = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
    path = Path(tempfile.mkdtemp(prefix="groupops-faults-", dir=base))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.faults.harness", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--kills", type=int, default=10, help="SIGKILLs per database")
    parser.add_argument(
        "--pg", help="a PostgreSQL admin URL: also run on fresh PostgreSQL databases"
    )
    parser.add_argument("--pg-kills", type=int, help="kills on PostgreSQL (default: --kills)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--per-trial", type=int, default=5, help="kills before a trial's last run")
    parser.add_argument("--groups", type=int, default=4)
    parser.add_argument("--members", type=int, default=8)
    parser.add_argument("--days", type=int, default=4)
    parser.add_argument(
        "--no-rounds",
        action="store_true",
        help="leave notices and quizzes out of the transcript (rounds a redelivered old "
        "message may claim)",
    )
    parser.add_argument("--no-sqlite", action="store_true", help="only PostgreSQL")
    parser.add_argument(
        "--keep", metavar="DIR", help="keep the transcript, logs and SQLite files here"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON summary per database")
    args = parser.parse_args(argv)
    shape = Shape(args.groups, args.members, args.days, rounds=not args.no_rounds)
    reports: list[Report] = []
    with workdir(args.keep) as work:
        if not args.no_sqlite:
            reports.append(
                run_harness("sqlite", args.kills, args.seed, shape, args.per_trial, work)
            )
        if args.pg:
            kills = args.pg_kills if args.pg_kills is not None else args.kills
            reports.append(
                run_harness("postgresql", kills, args.seed, shape, args.per_trial, work, args.pg)
            )
    for report in reports:
        summary = report.as_dict()
        if args.json:
            print(json.dumps(summary, ensure_ascii=False))
        else:
            print(
                f"{report.kind}: faults injected {report.faults} in {report.trials} trial(s) "
                f"({report.runs} replays); invariants checked {report.checked}, failed "
                f"{summary['invariants_failed']}; data lost {report.lost}, doubled {report.doubled}"
            )
            for what, n in sorted(report.failures.items()):
                print(f"  FAILED {n}x: {what}")
            for error in report.run_errors[:3]:
                print("  a replay failed:\n" + error)
    ok = all(not r.failures for r in reports)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

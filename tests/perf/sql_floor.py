"""The same-SQL floor of `groupops bench`: how fast a plain asyncio + sqlite3 loop runs the
very statements the bot runs for the bench's message stream, and the bot's share of it.

1. Record: one in-process run of `groupops bench` (bot/bench.py, unchanged) with every
   sqlite3 connection the bot's unit-of-work engine opens made a recording connection
   (SQLAlchemy's `do_connect` event hands sqlite3 a `factory`). It logs each statement as
   sqlite3 receives it (SQL text, bound parameters, execute or executemany, whether it
   failed), every real COMMIT and ROLLBACK, per message: from the stream yielding a message
   to it yielding the next, so a message's replies delivered through the outbox count with
   it. This sees SQLAlchemy's statements and the ones storage/direct.py runs straight on
   the sqlite3 connection alike. The file is copied (sqlite3 backup) as the first message
   arrives: the migrated schema plus what start-up wrote.
2. Floor: a fresh copy of that file on one sqlite3 connection with the bot's settings
   (storage/session.py: WAL, synchronous=NORMAL, busy_timeout, foreign keys, no automatic
   checkpoints but a PASSIVE one in a worker thread every 200 commits). Per message one
   loop turn (`await asyncio.sleep(0)`), then its statements with their parameters, every
   row fetched, the same commits. Only this loop is timed (wall and process CPU).
3. Bot: `python -m bot.cli bench --json` with the same stream and sender, in rounds that
   alternate with the floor's (the machine drifts), each a fresh process as the floor's.

The figures are medians over the rounds; `ratio` is the median of each round's bot/floor
msg/s, `cpu_ratio` of each round's floor/bot CPU per message (both: the bot's share of the
floor, 1.0 = as fast as the bare SQL). Both loops are measured the same way: from the first
message to the last, start-up excluded. The bot's loop also generates its messages and
times each one (a few µs per message), which the floor has no need of.

Faithful replay is checked: the rows in every table after the floor's run must equal the
recorded bot's, and each timed bot run's too (exit 1 otherwise).

    python tests/perf/sql_floor.py --rounds 3                  # replies through the outbox
    python tests/perf/sql_floor.py --rounds 3 --sender memory
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import hashlib
import io
import json
import os
import pickle
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

ROOT = Path(__file__).resolve().parents[2]
# What the floor replays, one tuple per call sqlite3 received: (op, sql, parameters).
EXECUTE, FAILED, EXECUTEMANY, COMMIT, ROLLBACK = range(5)
Op = tuple[int, str, Any]
OP_NAMES = ("execute", "execute (fails)", "executemany", "commit", "rollback")
# The bot's checkpointer (storage/session.py WalCheckpointer): one every this many commits.
CHECKPOINT_EVERY = 200


# --- recording ----------------------------------------------------------------------------


@dataclass
class Recorder:
    """Where recording connections log what they are asked to run."""

    db_path: str
    snapshot_path: str
    setup: list[Op] = field(default_factory=list)
    messages: list[list[Op]] = field(default_factory=list)
    tail: list[Op] = field(default_factory=list)
    current: list[Op] | None = None
    stopped: bool = False

    def __post_init__(self) -> None:
        self.current = self.setup

    def log(self, op: Op) -> None:
        if self.current is not None:
            self.current.append(op)

    def begin_message(self) -> None:
        if self.stopped:
            return
        if not self.messages:
            snapshot(self.db_path, self.snapshot_path)
        self.current = []
        self.messages.append(self.current)

    def stop(self) -> None:
        self.stopped = True
        self.current = self.tail


_recorder: Recorder | None = None


def _log(op: Op) -> None:
    if _recorder is not None:
        _recorder.log(op)


def _params(parameters: Any) -> Any:
    if isinstance(parameters, dict):
        return dict(parameters)
    return tuple(parameters)


class RecordingCursor(sqlite3.Cursor):
    def execute(self, sql: str, parameters: Any = (), /) -> Self:
        params = _params(parameters)
        try:
            super().execute(sql, params)
        except sqlite3.Error:
            _log((FAILED, sql, params))
            raise
        _log((EXECUTE, sql, params))
        return self

    def executemany(self, sql: str, seq_of_parameters: Any, /) -> Self:
        rows = [_params(p) for p in seq_of_parameters]
        super().executemany(sql, rows)  # a failed executemany is not expected: let it fail
        _log((EXECUTEMANY, sql, rows))
        return self


class RecordingConnection(sqlite3.Connection):
    """A sqlite3 connection that logs what it runs (its `execute` is the C method, which
    would not go through the cursor's override: both are wrapped)."""

    def cursor(self, factory: Any = RecordingCursor) -> Any:
        return super().cursor(factory)

    def execute(self, sql: str, parameters: Any = (), /) -> Any:
        return self.cursor().execute(sql, parameters)

    def executemany(self, sql: str, parameters: Any, /) -> Any:
        return self.cursor().executemany(sql, parameters)

    def commit(self) -> None:
        real = self.in_transaction  # without one, sqlite3's commit() does nothing
        super().commit()
        if real:
            _log((COMMIT, "COMMIT", ()))

    def rollback(self) -> None:
        real = self.in_transaction
        super().rollback()
        if real:
            _log((ROLLBACK, "ROLLBACK", ()))


def snapshot(db_path: str, target: str) -> None:
    """A consistent copy of the database file as it is now (its WAL included)."""
    source = sqlite3.connect(db_path)
    dest = sqlite3.connect(target)
    try:
        source.backup(dest)
    finally:
        dest.close()
        source.close()


def load_config(config_path: str) -> Any:
    """The config `groupops bench --config` would load."""
    from bot.config import load_config as load
    from bot.config import parse_config

    path = Path(config_path)
    return load(path) if path.exists() else parse_config("{}")


def record(
    *,
    messages: int,
    groups: int,
    members: int,
    sender: str,
    config_path: str,
    workdir: str,
) -> dict[str, Any]:
    """Run the bench once with recording connections; returns the recording."""
    global _recorder
    from sqlalchemy import Engine, event

    import bot.bench

    db_path = os.path.join(workdir, "recorded.db")
    snapshot_path = os.path.join(workdir, "start.db")
    recorder = Recorder(db_path, snapshot_path)

    def recording_connections(
        dialect: Any, _record: Any, cargs: list[Any], cparams: dict[str, Any]
    ) -> None:
        # only the bot's unit-of-work engine (pysqlite on the bench file); the migrations'
        # engine has its own creator and the checkpointer its own plain connection
        if dialect.driver == "pysqlite" and cargs and cargs[0] == db_path:
            cparams["factory"] = RecordingConnection

    original = bot.bench.iter_messages

    def marked_messages(*args: Any, **kwargs: Any) -> Iterator[Any]:
        for message in original(*args, **kwargs):
            recorder.begin_message()
            yield message
        recorder.stop()  # the stream is done: what follows is the bench's own check

    event.listen(Engine, "do_connect", recording_connections)
    bot.bench.iter_messages = marked_messages
    _recorder = recorder
    try:
        result = asyncio.run(
            bot.bench.run_bench(
                load_config(config_path),
                messages,
                groups,
                members,
                db_path,
                outbox=sender == "outbox",
            )
        )
    finally:
        _recorder = None
        bot.bench.iter_messages = original
        event.remove(Engine, "do_connect", recording_connections)
    if not recorder.messages:
        raise RuntimeError("nothing recorded: the bench's stream was not seen")
    return {
        "sender": sender,
        "messages": recorder.messages,
        # after the stream: the bench's own check and what closing the bot writes (the
        # activity log's buffered rows), outside its measured loop
        "tail": recorder.tail,
        "setup_statements": len(recorder.setup),
        "tail_statements": len(recorder.tail),
        "snapshot": snapshot_path,
        "rows": table_rows(db_path),
        "digest": table_digests(db_path),
        "bot_msgs_per_s": result.msgs_per_s,
        "checkins_stored": result.checkins_stored,
        "checkins_expected": result.checkins_expected,
    }


# --- the floor ------------------------------------------------------------------------------


def open_like_the_bot(path: str) -> sqlite3.Connection:
    """A connection as the bot's unit-of-work engine opens one (storage/session.py)."""
    conn = sqlite3.connect(path, timeout=5.0, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA busy_timeout=5000")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA wal_autocheckpoint=0")
    return conn


class Checkpointer:
    """The bot's WAL checkpointer, bare: every CHECKPOINT_EVERY commits a PASSIVE checkpoint
    on a connection of its own in a worker thread, one at a time."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.commits = 0
        self.running: asyncio.Future[None] | None = None

    def committed(self) -> None:
        self.commits += 1
        if self.commits % CHECKPOINT_EVERY or self.running is not None:
            return
        running = asyncio.get_running_loop().run_in_executor(None, self._checkpoint)
        self.running = running
        running.add_done_callback(self._finished)

    def _finished(self, _future: asyncio.Future[None]) -> None:
        self.running = None

    def _checkpoint(self) -> None:
        conn = sqlite3.connect(self.path, timeout=0, isolation_level=None)
        try:
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        finally:
            conn.close()

    async def idle(self) -> None:
        if self.running is not None:
            await asyncio.shield(self.running)


@dataclass(frozen=True)
class FloorResult:
    messages: int
    statements: int
    commits: int
    msgs_per_s: float
    cpu_us_per_msg: float
    rows: dict[str, int]
    digest: dict[str, str]


def run_ops(conn: sqlite3.Connection, ops: list[Op]) -> None:
    """Recorded statements, untimed (the bot's closing work)."""
    for op, sql, params in ops:
        if op == EXECUTEMANY:
            conn.executemany(sql, params)
        elif op in (EXECUTE, FAILED):
            try:
                conn.execute(sql, params).fetchall()
            except sqlite3.Error:
                if op == EXECUTE:
                    raise
        elif op == COMMIT:
            conn.commit()
        else:
            conn.rollback()


async def replay(messages: list[list[Op]], tail: list[Op], db_path: str) -> FloorResult:
    """Run the recorded statements, message by message, on a copy of the start-up file;
    then, untimed as in the bench, what the bot ran after the stream."""
    conn = open_like_the_bot(db_path)
    checkpointer = Checkpointer(db_path)
    statements = commits = 0
    execute, executemany, commit, rollback = (
        conn.execute,
        conn.executemany,
        conn.commit,
        conn.rollback,
    )
    committed = checkpointer.committed
    try:
        began = time.perf_counter()
        cpu_began = time.process_time()
        for ops in messages:
            await asyncio.sleep(0)
            for op, sql, params in ops:
                if op == EXECUTE:
                    execute(sql, params).fetchall()
                elif op == COMMIT:
                    commit()
                    committed()
                elif op == FAILED:
                    with contextlib.suppress(sqlite3.Error):
                        execute(sql, params).fetchall()
                elif op == EXECUTEMANY:
                    executemany(sql, params)
                else:
                    rollback()
        elapsed = time.perf_counter() - began
        cpu = time.process_time() - cpu_began
        await checkpointer.idle()
        run_ops(conn, tail)
    finally:
        conn.close()
    for ops in messages:
        statements += sum(1 for op in ops if op[0] in (EXECUTE, FAILED, EXECUTEMANY))
        commits += sum(1 for op in ops if op[0] == COMMIT)
    return FloorResult(
        messages=len(messages),
        statements=statements,
        commits=commits,
        msgs_per_s=round(len(messages) / elapsed, 1),
        cpu_us_per_msg=round(cpu / max(1, len(messages)) * 1e6, 1),
        rows=table_rows(db_path),
        digest=table_digests(db_path),
    )


def run_floor(recording_path: str, workdir: str, *, freeze: bool = True) -> FloorResult:
    with open(recording_path, "rb") as f:
        recording: dict[str, Any] = pickle.load(f)
    db_path = os.path.join(workdir, "floor.db")
    for suffix in ("", "-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            os.remove(db_path + suffix)
    shutil.copyfile(recording["snapshot"], db_path)
    messages: list[list[Op]] = recording["messages"]
    tail: list[Op] = recording["tail"]
    del recording
    if freeze:  # as the bot freezes its start-up objects: the log is not garbage to scan
        gc.collect()
        gc.freeze()
    return asyncio.run(replay(messages, tail, db_path))


# --- checks ---------------------------------------------------------------------------------


def _tables(conn: sqlite3.Connection) -> list[str]:
    return [
        str(name)
        for (name,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'"
            " AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
    ]


def table_rows(db_path: str) -> dict[str, int]:
    conn = sqlite3.connect(db_path)
    try:
        return {
            t: int(conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]) for t in _tables(conn)
        }
    finally:
        conn.close()


def table_digests(db_path: str) -> dict[str, str]:
    """A digest of each table's rows (in rowid order where there is one): equal digests
    mean the same rows, ids and values included."""
    conn = sqlite3.connect(db_path)
    try:
        out: dict[str, str] = {}
        for t in _tables(conn):
            h = hashlib.sha256()
            try:
                rows = conn.execute(f'SELECT * FROM "{t}" ORDER BY rowid')
            except sqlite3.OperationalError:  # WITHOUT ROWID
                rows = conn.execute(f'SELECT * FROM "{t}" ORDER BY 1')
            for row in rows:
                h.update(repr(row).encode())
            out[t] = h.hexdigest()[:16]
        return out
    finally:
        conn.close()


def differing(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    return sorted(t for t in set(a) | set(b) if a.get(t) != b.get(t))


# --- orchestration --------------------------------------------------------------------------


def _json_line(stdout: str) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(stdout.strip().splitlines()[-1])
    return found


def _child(args: list[str]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=dict(os.environ),
        check=False,
    )
    if done.returncode not in (0, 1) or not done.stdout.strip():
        raise RuntimeError(f"{args[:3]} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return _json_line(done.stdout)


def shape_args(ns: argparse.Namespace) -> list[str]:
    """The stream's shape, as both `groupops bench` and this script take it."""
    return [
        "--messages",
        str(ns.messages),
        "--groups",
        str(ns.groups),
        "--members",
        str(ns.members),
        "--sender",
        ns.sender,
        "--config",
        ns.config,
    ]


class Runs:
    """Each step in a fresh process, as the bot's own bench runs (the default)."""

    def __init__(self, ns: argparse.Namespace, workdir: str) -> None:
        self.ns = ns
        self.workdir = workdir
        self.recording = os.path.join(workdir, "recording.pickle")

    def record(self) -> dict[str, Any]:
        dump = ["--dump-log", str(Path(self.ns.dump_log).resolve())] if self.ns.dump_log else []
        script = str(Path(__file__).resolve())
        return _child([script, *shape_args(self.ns), *dump, "--record-to", self.recording])

    def floor(self) -> dict[str, Any]:
        script = str(Path(__file__).resolve())
        return _child([script, "--replay", self.recording, "--workdir", self.workdir])

    def bot(self, kept_db: str) -> dict[str, Any]:
        bench = ["-m", "bot.cli", "bench", "--json", *shape_args(self.ns)]
        return _child([*bench, "--keep-db", kept_db])


class InProcessRuns(Runs):
    """The same steps in this process (quick checks; the figures then carry this process's
    state, so measure with `Runs`)."""

    def record(self) -> dict[str, Any]:
        recording = record(
            messages=self.ns.messages,
            groups=self.ns.groups,
            members=self.ns.members,
            sender=self.ns.sender,
            config_path=self.ns.config,
            workdir=self.workdir,
        )
        save_recording(recording, self.recording, self.ns.dump_log)
        return recording

    def floor(self) -> dict[str, Any]:
        return run_floor(self.recording, self.workdir, freeze=False).__dict__

    def bot(self, kept_db: str) -> dict[str, Any]:
        from bot.cli import build_parser

        ns = build_parser().parse_args(
            ["bench", "--json", *shape_args(self.ns), "--keep-db", kept_db]
        )
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            ns.func(ns)
        return _json_line(out.getvalue())


def measure(
    ns: argparse.Namespace, runs: type[Runs] = Runs, workdir: str | None = None
) -> tuple[dict[str, Any], dict[str, int], bool]:
    """Record, then alternate floor and bot rounds. Returns the summary, the recorded rows
    per table and whether every run left those rows. The files go to `workdir` if given
    (kept), otherwise to a temporary directory."""
    with contextlib.ExitStack() as stack:
        if workdir is None:
            workdir = stack.enter_context(tempfile.TemporaryDirectory(prefix="groupops-floor-"))
        runner = runs(ns, workdir)
        recorded = runner.record()
        rows: dict[str, int] = recorded["rows"]
        digest: dict[str, str] = recorded["digest"]
        floors: list[dict[str, Any]] = []
        bots: list[dict[str, Any]] = []
        ok = True
        for index in range(ns.rounds):
            for which in ("floor", "bot") if index % 2 == 0 else ("bot", "floor"):
                if which == "floor":
                    result = runner.floor()
                    floors.append(result)
                    other, other_digest = result["rows"], result["digest"]
                else:
                    kept = os.path.join(workdir, f"bot{index}.db")
                    result = runner.bot(kept)
                    bots.append(result)
                    other, other_digest = table_rows(kept), table_digests(kept)
                wrong = differing(rows, other)
                changed = differing(digest, other_digest)
                print(
                    f"round {index + 1} {which}: {float(result['msgs_per_s']):.0f} msg/s, "
                    f"{float(result['cpu_us_per_msg']):.0f} µs CPU a message; "
                    + (f"rows differ in {wrong}" if wrong else "rows match")
                    + (f" (contents differ in {changed})" if changed and not wrong else ""),
                    file=sys.stderr,
                )
                ok = ok and not wrong
    pairs = list(zip(bots, floors, strict=True))

    def median(values: Iterator[float]) -> float:
        return round(statistics.median(values), 1)

    summary = {
        "sender": ns.sender,
        "messages": floors[0]["messages"],
        "statements": floors[0]["statements"],
        "commits": floors[0]["commits"],
        "floor_msgs_per_s": median(float(f["msgs_per_s"]) for f in floors),
        "floor_cpu_us_per_msg": median(float(f["cpu_us_per_msg"]) for f in floors),
        "bot_msgs_per_s": median(float(b["msgs_per_s"]) for b in bots),
        "bot_cpu_us_per_msg": median(float(b["cpu_us_per_msg"]) for b in bots),
        "ratio": round(
            statistics.median(float(b["msgs_per_s"]) / float(f["msgs_per_s"]) for b, f in pairs),
            3,
        ),
        "cpu_ratio": round(
            statistics.median(
                float(f["cpu_us_per_msg"]) / float(b["cpu_us_per_msg"]) for b, f in pairs
            ),
            3,
        ),
        "rounds": ns.rounds,
        "rows_match": ok,
    }
    return summary, rows, ok


def save_recording(recording: dict[str, Any], path: str, dump_log: str | None) -> None:
    with open(path, "wb") as f:
        pickle.dump(recording, f, protocol=pickle.HIGHEST_PROTOCOL)
    if dump_log:
        with open(dump_log, "w", encoding="utf-8") as f:
            for ops in recording["messages"]:
                readable = [[OP_NAMES[op], sql, params] for op, sql, params in ops]
                f.write(json.dumps(readable, ensure_ascii=False, default=repr) + "\n")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--sender", choices=["outbox", "memory"], default="outbox")
    p.add_argument("--messages", type=int, default=20_000)
    p.add_argument("--groups", type=int, default=100)
    p.add_argument("--members", type=int, default=30, help="members per group")
    p.add_argument("--config", default="config.yaml", help="as `groupops bench --config`")
    p.add_argument(
        "--dump-log", help="also write the recorded statements here, one JSON line a message"
    )
    # the steps, each run in a process of its own by the rounds
    p.add_argument("--record-to", help=argparse.SUPPRESS)
    p.add_argument("--replay", help=argparse.SUPPRESS)
    p.add_argument("--workdir", help=argparse.SUPPRESS)
    return p


def main(argv: list[str] | None = None) -> int:
    ns = parser().parse_args(argv)
    if ns.record_to:
        recording = record(
            messages=ns.messages,
            groups=ns.groups,
            members=ns.members,
            sender=ns.sender,
            config_path=ns.config,
            workdir=os.path.dirname(ns.record_to),
        )
        save_recording(recording, ns.record_to, ns.dump_log)
        print(json.dumps({k: recording[k] for k in ("rows", "digest", "setup_statements")}))
        return 0
    if ns.replay:
        result = run_floor(ns.replay, ns.workdir or os.path.dirname(ns.replay))
        print(json.dumps(result.__dict__))
        return 0
    if ns.rounds < 1:
        parser().error("--rounds must be 1 or more")
    summary, rows, ok = measure(ns)
    print("rows per table (bot = floor):" if ok else "rows per table (bot):", file=sys.stderr)
    for table, count in rows.items():
        if count:
            print(f"  {table}: {count}", file=sys.stderr)
    print(json.dumps(summary))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

"""Broadcasts replayed over several groups: each group gets its copy once, also when the
process is killed between two groups (simulated in process, and a real SIGKILL of
`groupops replay`), and the operator CLI makes the same broadcast once."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.events import OutgoingMessage
from bot.replay import DeliveryLog, run_replay
from bot.transports.outbox import OutboxItem
from tests.broadcast_support import SETS_CONFIG, sets_config
from tests.support import at, config_from, running_bot, sqlite_url

HERE = Path(__file__).parent
BODY = "📚 本周共读《额尔古纳河右岸》，周五晚八点线上交流"


async def test_the_transcript_reaches_each_group_of_the_set_once(tmp_path: Path) -> None:
    transcript = (HERE / "transcripts" / "broadcast.txt").read_text("utf-8")
    sent = await run_replay(
        transcript, sets_config(), sqlite_url(tmp_path / "r.db"), until=at("2026-12-01 11:00")
    )
    copies = [m for m in sent if m.text == BODY]
    assert sorted(m.group_id for m in copies) == ["g1", "g2", "g3"]
    assert [m.at.strftime("%H:%M:%S") for m in copies if m.at] == [
        "10:00:00",
        "10:00:03",
        "10:00:06",
    ]
    refused = [m for m in sent if m.group_id == "g2" and m.mentions == ("bob",)]
    assert "只有" in refused[0].text
    report = [m for m in sent if "已完成" in m.text]
    assert len(report) == 2  # the pump's report, and /群发 状态 at 10:05
    assert all(m.group_id == "g4" and m.mentions == ("boss",) for m in report)
    assert "成功 3 个，失败 0 个" in report[0].text


class Killed(BaseException):
    """Stands for SIGKILL between two groups' deliveries."""


class DyingLog(DeliveryLog):
    """Dies when the n-th broadcast copy is delivered, before or after logging it."""

    def __init__(self, path: Path, die_at: int, after_write: bool) -> None:
        super().__init__(path)
        self.die_at, self.after_write, self.count = die_at, after_write, 0

    def record(self, item: OutboxItem, out: OutgoingMessage) -> None:
        if item.text == BODY:
            self.count += 1
            if self.count == self.die_at and not self.after_write:
                raise Killed
        super().record(item, out)
        if item.text == BODY and self.count == self.die_at:
            raise Killed


def logged_copies(path: Path) -> list[str]:
    """The groups whose copy the delivery log holds (a line torn by a kill does not count,
    as for the replay itself: that delivery did not complete)."""
    groups = []
    for line in path.read_bytes().decode("utf-8", "replace").splitlines():
        try:
            row = json.loads(line)
        except ValueError:
            continue
        if row["text"] == BODY:
            groups.append(row["group"])
    return sorted(groups)


def copies_so_far(path: Path) -> int:
    """Whole lines logged so far by a running replay (the last may be half written)."""
    if not path.exists():
        return 0
    return path.read_bytes().count(BODY.encode("utf-8"))


@pytest.mark.parametrize("after_write", [True, False])
async def test_killed_between_groups_the_rest_goes_out_and_none_twice(
    tmp_path: Path, after_write: bool
) -> None:
    transcript = (HERE / "transcripts" / "broadcast.txt").read_text("utf-8")
    db = sqlite_url(tmp_path / "r.db")
    path = tmp_path / "deliveries.log"
    with pytest.raises(Killed):
        await run_replay(
            transcript,
            sets_config(),
            db,
            until=at("2026-12-01 11:00"),
            delivery_log=DyingLog(path, die_at=2, after_write=after_write),
        )
    assert len(logged_copies(path)) == (2 if after_write else 1)
    log = DeliveryLog(path)
    try:
        await run_replay(
            transcript, sets_config(), db, until=at("2026-12-01 11:00"), delivery_log=log
        )
    finally:
        log.close()
    assert logged_copies(path) == ["g1", "g2", "g3"]


MANY = 150


def many_groups_config() -> str:
    groups = "\n".join(f"  c{n:03d}: {{name: 分群{n}}}" for n in range(MANY))
    return (
        "timezone: Asia/Shanghai\nadmins: [boss]\nbroadcast: {interval: 1s}\n"
        f'groups:\n  hq: {{name: 总部}}\n{groups}\nsets:\n  every: "*"\n'
    )


def test_a_real_sigkill_mid_broadcast_then_a_restart_sends_each_group_once(
    tmp_path: Path,
) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(many_groups_config(), encoding="utf-8")
    transcript = tmp_path / "t.txt"
    transcript.write_text(f"2026-12-01T10:00:00 hq boss#k-1: /群发 every {BODY}\n", "utf-8")
    db, log = tmp_path / "r.db", tmp_path / "deliveries.log"
    cmd = [
        sys.executable, "-m", "bot.cli", "replay", str(transcript), "--config", str(config),
        "--db", str(db), "--delivery-log", str(log), "--until", "2026-12-01T12:00",
    ]  # fmt: skip
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    deadline = time.monotonic() + 120
    try:
        # kill -9 once some copies are out: the broadcast is then half sent
        while time.monotonic() < deadline and proc.poll() is None:
            if copies_so_far(log) >= 5:
                break
            time.sleep(0.005)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(30)
    assert proc.returncode == -signal.SIGKILL
    before = logged_copies(log)
    assert 5 <= len(before) < MANY + 1, "the kill should land in the middle of the broadcast"
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    after = logged_copies(log)
    groups = ["hq", *(f"c{n:03d}" for n in range(MANY))]
    assert after == sorted(groups)  # every group once: nothing repeated, nothing lost


def test_the_cli_makes_a_broadcast_once_and_prints_its_report(tmp_path: Path) -> None:
    config_file = tmp_path / "config.yaml"
    config_file.write_text(SETS_CONFIG, encoding="utf-8")
    db = tmp_path / "bot.db"
    start = datetime.now(UTC).astimezone(at("2026-12-01 00:00").tzinfo)

    async def migrate() -> None:
        async with running_bot(sqlite_url(db), config_from(SETS_CONFIG), start):
            pass

    asyncio.run(migrate())
    cli = [sys.executable, "-m", "bot.cli", "broadcast", "--config", str(config_file)]
    made = [*cli, "--db", str(db), "--set", "camp", "--text", "今晚八点直播"]
    first = subprocess.run(made, capture_output=True, text=True, check=True)
    assert "3 groups" in first.stdout
    again = subprocess.run(made, capture_output=True, text=True, check=True)
    assert "already exists" in again.stdout
    bid = first.stdout.split()[1].rstrip(":")
    unknown = subprocess.run(
        [*made[:-4], "--set", "nope", "--text", "x"], capture_output=True, text=True
    )
    assert unknown.returncode == 2 and "camp、all" in unknown.stderr
    later = start + timedelta(minutes=1)

    async def run_bot() -> list[str]:
        async with running_bot(sqlite_url(db), config_from(SETS_CONFIG), later) as bot:
            await bot.app.scheduler.run_due(later + timedelta(minutes=5), on_fire=bot.clock.set)
            return [m.group_id for m in bot.sender.sent if m.text == "今晚八点直播"]

    assert sorted(asyncio.run(run_bot())) == ["g1", "g2", "g3"]
    status = subprocess.run(
        [*cli, "--db", str(db), "--status", bid], capture_output=True, text=True, check=True
    )
    assert f"群发 {bid}" in status.stdout and "成功 3 个，失败 0 个" in status.stdout
    latest = subprocess.run(
        [*cli, "--db", str(db), "--status"], capture_output=True, text=True, check=True
    )
    assert latest.stdout == status.stdout
    tomorrow = (start + timedelta(days=1)).strftime("%Y-%m-%d %H:%M")
    scheduled = subprocess.run(
        [*made, "--at", tomorrow, "--key", "second"], capture_output=True, text=True, check=True
    )
    second = scheduled.stdout.split()[1].rstrip(":")
    cancelled = subprocess.run(
        [*cli, "--db", str(db), "--cancel", second], capture_output=True, text=True, check=True
    )
    assert cancelled.stdout.startswith(f"broadcast {second}: 3 group(s)")

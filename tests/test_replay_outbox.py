"""Replay delivers through the outbox: a transcript replayed again into the same database adds
no message, and a replay that died while delivering learns from its delivery log whether
that message got out (neither lost nor repeated)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.events import OutgoingMessage
from bot.replay import DeliveryLog, run_replay
from bot.transports.outbox import OutboxItem
from tests.support import config_from, sqlite_url

TRANSCRIPT = """\
2026-11-21T08:00:00 g1 alice#m-1: 打卡 800字
2026-11-21T08:01:00 g1 bob#m-2: 打卡
2026-11-21T08:02:00 g1 carol#m-3: 签到
"""


class Killed(BaseException):
    """Stands for SIGKILL in the middle of a delivery."""


class DyingLog(DeliveryLog):
    """Dies at the n-th delivery, before or after writing it down."""

    def __init__(self, path: Path, die_at: int, after_write: bool) -> None:
        super().__init__(path)
        self.die_at = die_at
        self.after_write = after_write
        self.count = 0

    def record(self, item: OutboxItem, out: OutgoingMessage) -> None:
        self.count += 1
        if self.count == self.die_at and not self.after_write:
            raise Killed
        super().record(item, out)
        if self.count == self.die_at:
            raise Killed


def logged(path: Path) -> list[str]:
    return [json.loads(line)["text"][:6] for line in path.read_text("utf-8").splitlines()]


@pytest.mark.parametrize("after_write", [True, False])
async def test_a_replay_killed_while_delivering_resumes_without_loss_or_repeat(
    tmp_path: Path, after_write: bool
) -> None:
    config = config_from()
    db = sqlite_url(tmp_path / "r.db")
    path = tmp_path / "deliveries.log"
    dying = DyingLog(path, die_at=2, after_write=after_write)
    with pytest.raises(Killed):
        await run_replay(TRANSCRIPT, config, db, delivery_log=dying)
    dying.close()
    again = DeliveryLog(path)
    await run_replay(TRANSCRIPT, config, db, delivery_log=again)
    again.close()
    assert logged(path) == ["✅ 打卡成功"] * 3
    ids = [json.loads(line)["id"] for line in path.read_text("utf-8").splitlines()]
    assert len(set(ids)) == 3


async def test_replaying_a_transcript_again_adds_no_message(tmp_path: Path) -> None:
    config = config_from()
    db = sqlite_url(tmp_path / "r.db")
    first = await run_replay(TRANSCRIPT, config, db)
    again = await run_replay(TRANSCRIPT, config, db)
    assert len(first) == 3 and again == []


def test_a_torn_last_line_is_ended_before_the_next_append(tmp_path: Path) -> None:
    path = tmp_path / "deliveries.log"
    path.write_bytes(b'{"id": "a.1.1", "text": "x"}\n{"id": "b.1')
    log = DeliveryLog(path)
    assert log.delivered == {"a.1.1"}
    item = OutboxItem(
        id="c.1.1", conversation="g1", text="hi", created_at=datetime(2026, 11, 21, tzinfo=UTC)
    )
    log.record(item, OutgoingMessage("g1", "hi"))
    log.close()
    assert DeliveryLog(path).delivered == {"a.1.1", "c.1.1"}

"""The relay decides every message as of its own time (the event time): a message delivered
again after a restart, after the window job ran or after a later relay started, gives the
rows and posts of an uninterrupted run. Each test injects one order that a crash and a
restart produce and compares with the clean order."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.app import App
from bot.clock import FakeClock
from bot.events import Message
from bot.replay import run_replay
from bot.transports.outbox import Outbox, OutboxItem
from storage.db import create_engine, session_factory
from storage.models import OutboxRow, QaBacklog, RelayLine, RelayQuestion, RelaySession
from tests.relay_support import START, line, relay_config
from tests.support import at, fresh_pg_database, sqlite_url

Snapshot = dict[str, Any]


@pytest.fixture
async def urls(db_url: str, tmp_path: Path) -> AsyncIterator[tuple[str, str]]:
    """Two fresh databases of one kind (SQLite and PostgreSQL, see conftest's db_url): one
    for the clean run, one for the run with the injected order."""
    if db_url.startswith("sqlite"):
        yield db_url, sqlite_url(tmp_path / "other.db")
        return
    async with fresh_pg_database() as other:
        yield db_url, other


async def snapshot(url: str) -> Snapshot:
    """What the relay left in a database, without row ids (they differ after a crash)."""
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session:
            sessions = (await session.scalars(select(RelaySession))).all()
            key_of = {s.id: s.start_key for s in sessions}
            lines = (await session.scalars(select(RelayLine))).all()
            questions = (await session.scalars(select(RelayQuestion))).all()
            outbox = (await session.scalars(select(OutboxRow))).all()
            backlog = (await session.execute(select(func.count(QaBacklog.id)))).scalar_one()
    finally:
        await engine.dispose()
    return {
        "sessions": sorted(
            (s.start_key, s.status, s.ended_at, s.end_reason, s.flushed_through, s.questions)
            for s in sessions
        ),
        "lines": sorted((key_of[x.session_id], x.source_key, x.bucket, x.at) for x in lines),
        "questions": sorted((key_of[q.session_id], q.number, q.source_key) for q in questions),
        "outbox": sorted((r.id, r.conversation, r.text) for r in outbox),
        "qa_backlog": backlog,
    }


def bot_process(url: str, clock: FakeClock) -> App:
    async def deliver(item: OutboxItem) -> None:
        return None

    outbox = Outbox(deliver, clock=clock, name="relay-test")
    return App(relay_config(), sender=outbox, clock=clock, db_url=url)


async def run_in_order(url: str, start: datetime, steps: Sequence[Message | float]) -> None:
    """One bot process: a number runs the scheduler up to START + that many seconds (the
    window jobs), a message is handled; the clock never goes back (a message older than
    the clock is a late or redelivered one)."""
    clock = FakeClock(start)
    app = bot_process(url, clock)
    await app.start()
    try:
        for step in steps:
            if isinstance(step, Message):
                if step.time > clock.now():
                    await app.scheduler.run_due(step.time, on_fire=clock.set)
                    clock.set(step.time)
                await app.handle(step)
            else:
                until = START + timedelta(seconds=step)
                await app.scheduler.run_due(until, on_fire=clock.set)
                clock.set(max(clock.now(), until))
    finally:
        await app.close()


START_CMD = line("/转播 开始 camp @teacher", 0, user="root", mentions=("teacher",))


def said(text: str, seconds: float) -> Message:
    return line(text, seconds, mid=f"t{seconds}")


# --- a line delivered again after a later relay started ---------------------------------


TWO_RELAYS = """\
2026-11-21T19:00:00 g1 root: /转播 开始 camp @teacher
2026-11-21T19:00:01 g1 teacher: 第一场第1句
2026-11-21T19:00:08 g1 teacher: 第一场第2句
2026-11-21T19:00:20 g2 bob: #提问 第一场怎么开头？
2026-11-21T19:00:30 g1 root: /转播 结束
2026-11-21T20:00:00 g1 root: /转播 开始 camp @teacher
2026-11-21T20:00:01 g1 teacher: 第二场第1句
2026-11-21T20:00:08 g1 teacher: 第二场第2句
2026-11-21T20:00:20 g2 bob: #提问 第二场怎么结尾？
2026-11-21T20:00:21 g1 teacher: 第二场第3句
2026-11-21T20:00:40 g1 root: /转播 结束
"""


async def test_a_replay_resumed_during_a_later_relay_leaves_what_a_clean_run_leaves(
    urls: tuple[str, str],
) -> None:
    """Killed during the second relay and replayed from the start: the first relay's lines,
    its question and its `/转播 结束` come again while the second relay runs. As of their
    own time they are the first relay's (stored already): they must not join the second
    one, end it, or turn its `#提问` into chat."""
    until = at("2026-11-21 20:10")
    clean, crashed = urls
    await run_replay(TWO_RELAYS, relay_config(), clean, until=until)
    prefix = "".join(TWO_RELAYS.splitlines(keepends=True)[:8])  # up to 第二场第2句
    await run_replay(prefix, relay_config(), crashed)
    await run_replay(TWO_RELAYS, relay_config(), crashed, until=until)
    want, got = await snapshot(clean), await snapshot(crashed)
    assert [s[1:4] for s in want["sessions"]] == [
        ("ended", at("2026-11-21 19:00:30"), "command"),
        ("ended", at("2026-11-21 20:00:40"), "command"),
    ]
    assert want["qa_backlog"] == 0
    assert got == want


# --- the window job before a redelivered line of its window ------------------------------


async def test_windows_closed_while_down_wait_for_the_lines_delivered_again_at_the_start(
    urls: tuple[str, str],
) -> None:
    """The bot dies after the first line; at the restart a minute later the window job's
    late runs come due before the platform delivers the rest again. The lines keep the
    windows of their own time: the same rows and posts (same ids) as without the crash."""
    lines = [said("第1句", 1), said("第2句", 2), said("第3句", 7)]
    stop = line("/转播 结束", 20, user="root")
    clean, crashed = urls
    await run_in_order(clean, START, [START_CMD, *lines, stop])
    await run_in_order(crashed, START, [START_CMD, lines[0]])
    # restarted at +60 s: the window job runs first (its runs for 5 s ... 60 s), then the
    # platform delivers the lines again, the first one included
    await run_in_order(crashed, START + timedelta(seconds=60), [60, *lines, stop])
    want, got = await snapshot(clean), await snapshot(crashed)
    assert [b for _, _, b, _ in want["lines"]] == [0, 0, 1]
    assert got == want


async def test_a_line_whose_window_went_out_goes_out_once_by_itself(db_url: str) -> None:
    """A line that arrives after its window was posted (the job ran on time first) is not
    moved to a later window and not lost: it keeps its window and goes out at once, marked
    with its time, once, however often it is delivered again."""
    late = said("晚到的第2句", 2)
    await run_in_order(db_url, START, [START_CMD, said("第1句", 1), 12, late, late, 13])
    await run_in_order(db_url, START + timedelta(seconds=14), [late, 14])  # after a restart too
    got = await snapshot(db_url)
    assert [(x[1], x[2]) for x in got["lines"]] == [("m:g1:t1", 0), ("m:g1:t2", 0)]
    for group in ("g2", "g3"):
        texts = [t for _, g, t in got["outbox"] if g == group]
        assert texts.count("张老师：第1句") == 1
        assert texts.count("（补发 20:00:02 的发言）张老师：晚到的第2句") == 1
        assert sum("晚到的第2句" in t for t in texts) == 1


# --- the idle end, decided by the lines' own times ------------------------------------------


async def test_lines_of_the_downtime_keep_the_relay_alive_after_a_long_restart(
    urls: tuple[str, str],
) -> None:
    """Down for 20 minutes (longer than the 10 minute idle timeout) while the speaker kept
    talking: the window job's late runs must not end the relay as idle before the lines of
    that time are delivered again; each of them is within 10 minutes of the one before."""
    lines = [said("第1句", 1), said("第2句", 300), said("第3句", 540), said("第4句", 1100)]
    stop = line("/转播 结束", 1150, user="root")
    clean, crashed = urls
    await run_in_order(clean, START, [START_CMD, *lines, stop])
    await run_in_order(crashed, START, [START_CMD, lines[0]])
    await run_in_order(crashed, START + timedelta(minutes=20), [1200, *lines, stop])
    want, got = await snapshot(clean), await snapshot(crashed)
    assert [s[1:4] for s in want["sessions"]] == [
        ("ended", START + timedelta(seconds=1150), "command")
    ]
    assert got == want


async def test_the_idle_end_and_a_question_asked_before_it_follow_their_own_times(
    urls: tuple[str, str],
) -> None:
    """The relay ends as idle at the first window end 10 minutes after the last line, also
    when the window job finds that out late; a `#提问` asked before that end is the relay's
    even when it arrives after the end (not a question for the FAQ backlog)."""
    lines = [said("第1句", 1), said("第2句", 300)]
    question = line("#提问 还会继续讲吗？", 700, user="bob", group="g2", mid="q1")
    clean, crashed = urls
    await run_in_order(clean, START, [START_CMD, *lines, question, 1500])
    await run_in_order(crashed, START, [START_CMD, lines[0]])
    # back at +25 min: the second line comes again, the job finds the idle end, and only
    # then the question asked at +700 s arrives
    await run_in_order(crashed, START + timedelta(minutes=25), [1500, lines[1], 1505, question])
    want, got = await snapshot(clean), await snapshot(crashed)
    idle_end = START + timedelta(seconds=900)  # 300 s + 10 minutes, a window end
    assert [s[1:4] for s in want["sessions"]] == [("ended", idle_end, "idle")]
    for snap in (want, got):
        assert snap["questions"] == [(START_CMD_KEY, 1, "m:g2:q1")]
        assert snap["qa_backlog"] == 0
    assert got["sessions"] == want["sessions"]
    assert got["lines"] == want["lines"]
    asked = [t for _, g, t in got["outbox"] if g == "g1" and t.startswith("❓提问1")]
    assert len(asked) == 1 and "送到时转播已经结束" in asked[0]


START_CMD_KEY = f"m:g1:{START_CMD.message_id}"


async def test_what_comes_after_an_idle_end_found_out_late_is_not_the_relays(
    urls: tuple[str, str],
) -> None:
    """Down for half an hour: the relay ended as idle 10 minutes after its last line while
    the bot was down. The speaker's next line (after that end) and `/转播 结束` delivered at
    the restart, before the window job finds the end, are not the relay's: as in a clean
    run, the line is chat and the relay ends as idle, not by the command."""
    back = said("我回来了", 1500)
    stop = line("/转播 结束", 1510, user="root")
    clean, crashed = urls
    await run_in_order(clean, START, [START_CMD, said("第1句", 1), back, stop])
    await run_in_order(crashed, START, [START_CMD, said("第1句", 1)])
    await run_in_order(crashed, START + timedelta(minutes=30), [1800, back, stop, 1805])
    want, got = await snapshot(clean), await snapshot(crashed)
    assert [s[1:4] for s in want["sessions"]] == [("ended", START + timedelta(seconds=605), "idle")]
    assert [x[1] for x in want["lines"]] == ["m:g1:t1"]
    assert got == want

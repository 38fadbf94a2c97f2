"""A live relay replayed from a transcript over three groups: every line reaches every target
group in order, merged so that no group gets more than 20 posts in any minute; a question
goes to the source group and its answer comes back; replaying again posts nothing twice."""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.events import OutgoingMessage
from bot.replay import DeliveryLog, run_replay
from storage.db import create_engine, session_factory
from storage.models import LedgerEntry
from tests.relay_support import relay_config
from tests.support import PG_ENV, at, fresh_pg_database

TRANSCRIPT = Path(__file__).parent / "transcripts" / "relay_live.txt"
LIMIT_PER_MINUTE = 20
_LINE = re.compile(r"第(\d+)句")


def relayed_numbers(sent: list[OutgoingMessage], group: str) -> list[int]:
    return [
        int(n)
        for out in sent
        if out.group_id == group and out.text.startswith("teacher")
        for n in _LINE.findall(out.text)
    ]


def most_in_a_minute(sent: list[OutgoingMessage], group: str) -> int:
    times = sorted(out.at for out in sent if out.group_id == group and out.at is not None)
    return max(
        (sum(1 for t in times if start <= t < start + timedelta(minutes=1)) for start in times),
        default=0,
    )


async def ledger(url: str) -> list[tuple[str, str, int]]:
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session:
            rows = (await session.execute(select(LedgerEntry))).scalars()
            return [(r.group_id, r.member_id, r.delta) for r in rows]
    finally:
        await engine.dispose()


async def test_the_relay_transcript_delivers_every_line_in_order_within_the_limit(
    tmp_path: Path,
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'replay.db'}"
    text = TRANSCRIPT.read_text(encoding="utf-8")
    sent = await run_replay(text, relay_config(), url, until=at("2026-11-21 20:10"))
    expected = [n for n in range(1, 121) if n != 41]  # line 41 is the answer to question 1
    for group in ("g2", "g3"):
        assert relayed_numbers(sent, group) == expected
        assert most_in_a_minute(sent, group) <= LIMIT_PER_MINUTE
        relay_posts = [o for o in sent if o.group_id == group and o.text.startswith("teacher")]
        assert len(relay_posts) < len(expected) / 3  # merged, not one post per line
        assert "转播已结束" in [o for o in sent if o.group_id == group][-1].text
    assert relayed_numbers(sent, "g1") == [] and relayed_numbers(sent, "solo") == []
    # the questions reach the source group, tagged with the asking group and member
    source = [o.text for o in sent if o.group_id == "g1"]
    assert any(t.startswith("❓提问1｜来自「二群」的bob：复盘每天都要做吗？") for t in source)
    assert any(t.startswith("❓提问2｜来自「三群」的dan：新手从哪里开始？") for t in source)
    # the answer goes back: every target sees it, the asking group mentions the asker
    answer = "teacher（回答 二群·bob 的提问「复盘每天都要做吗？」）：不用每天，每周一次就好"
    answered = {o.group_id: o.mentions for o in sent if answer in o.text}
    assert answered == {"g2": ("bob",), "g3": ()}
    # the red packet for question 2 is paid in dan's own group, once
    assert await ledger(url) == [("g3", "dan", 10)]
    assert any("为好问题发来一个红包：+10 分" in o.text for o in sent if o.group_id == "g3")
    assert not any("结束以后这句不转" in o.text for o in sent)


async def test_replaying_the_relay_again_posts_nothing_twice(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'replay.db'}"
    text = TRANSCRIPT.read_text(encoding="utf-8")
    lines = text.split("\n")
    half = "\n".join(lines[: len(lines) // 2]) + "\n"
    log = DeliveryLog(tmp_path / "delivered.jsonl")
    first = await run_replay(half, relay_config(), url, delivery_log=log)
    log.close()
    log = DeliveryLog(tmp_path / "delivered.jsonl")
    second = await run_replay(
        text, relay_config(), url, until=at("2026-11-21 20:10"), delivery_log=log
    )
    log.close()
    whole = first + second
    expected = [n for n in range(1, 121) if n != 41]
    for group in ("g2", "g3"):
        assert relayed_numbers(whole, group) == expected
    texts = [(o.group_id, o.text) for o in whole]
    assert len(texts) == len(set(texts))  # no post twice (every post here is distinct)
    assert await ledger(url) == [("g3", "dan", 10)]


@pytest.mark.skipif(not os.environ.get(PG_ENV), reason=f"needs PostgreSQL ({PG_ENV})")
async def test_the_relay_transcript_on_postgresql_posts_what_sqlite_posts(tmp_path: Path) -> None:
    text = TRANSCRIPT.read_text(encoding="utf-8")
    until = at("2026-11-21 20:10")
    lite = await run_replay(
        text, relay_config(), f"sqlite+aiosqlite:///{tmp_path / 'r.db'}", until=until
    )
    async with fresh_pg_database() as url:
        pg = await run_replay(text, relay_config(), url, until=until)
        again = await run_replay(text, relay_config(), url, until=until)
        assert await ledger(url) == [("g3", "dan", 10)]
    assert [(o.group_id, o.text, o.mentions) for o in pg] == [
        (o.group_id, o.text, o.mentions) for o in lite
    ]
    assert again == []  # the same transcript again: every post is stored already

"""Properties of the transcript reader behind `groupops replay`: any bytes or text give
events or a TranscriptError naming a line; `--until` gives a time or an UntilError."""

from __future__ import annotations

import contextlib
from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.config import parse_config
from bot.events import Message
from bot.replay import (
    EARLIEST,
    LATEST,
    TranscriptError,
    UntilError,
    decode_transcript,
    parse_transcript,
    parse_until,
)
from tests.fuzz_support import corpus, hostile_text

CONFIG = parse_config(
    """
timezone: Asia/Shanghai
bot: {name: 小助手, user_id: groupops-bot}
groups:
  g1: {name: 测试群}
  ny: {name: 纽约群, timezone: America/New_York}
"""
)
BOUND = settings(deadline=2000)  # milliseconds per example

stamps = st.one_of(
    st.tuples(
        st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)),
        st.sampled_from("T "),
    ).map(lambda t: t[0].isoformat(sep=t[1])[:19]),
    st.sampled_from(
        [
            "2026-11-21T08:00",
            "2026-02-30T08:00",
            "2026-11-21 24:00",
            "0001-01-01T00:00",
            "9999-12-31T23:59:59",
            "２０２６-11-21T08:00",
            "2026-11-21T08:00:00.5",
        ]
    ),
)
names = st.one_of(
    st.sampled_from(["g1", "ny", "alice", "bob#m-1", "+carol", "-dave", "x:y"]), hostile_text
)
lines = st.one_of(
    st.tuples(stamps, names, names, hostile_text).map(lambda t: f"{t[0]} {t[1]} {t[2]}: {t[3]}"),
    st.tuples(stamps, names, st.sampled_from("+-"), names).map(
        lambda t: f"{t[0]} {t[1]} {t[2]}{t[3]}"
    ),
    st.sampled_from(["", "# comment", "   ", "\r", "garbage"]),
    hostile_text,
)
transcripts = st.lists(lines, max_size=12).map("\n".join)


def check_transcript(text: str) -> None:
    physical = text.count("\n") + 1
    try:
        events = parse_transcript(text, CONFIG)
    except TranscriptError as exc:
        assert 1 <= exc.line_no <= physical
        assert str(exc).startswith(f"line {exc.line_no}: ")
        return
    numbers = [line.line_no for line in events]
    assert numbers == sorted(set(numbers)) and all(1 <= n <= physical for n in numbers)
    times = [line.event.time for line in events]
    assert times == sorted(times)
    for line in events:
        assert EARLIEST.year <= line.event.time.year <= LATEST.year
        if isinstance(line.event, Message) and "\n" in line.event.text:
            assert any(sep in text for sep in ("\u2028", "\u2029", "\x85", "\r"))


@BOUND
@given(st.one_of(transcripts, hostile_text))
def test_any_transcript_gives_events_or_an_error_naming_a_line(text: str) -> None:
    check_transcript(text)


@BOUND
@given(st.binary(max_size=400), st.binary(max_size=40))
def test_any_bytes_decode_or_name_the_line(prefix: bytes, tail: bytes) -> None:
    data = prefix + tail
    try:
        text = decode_transcript(data)
    except TranscriptError as exc:
        assert 1 <= exc.line_no <= data.count(b"\n") + 1
        assert "not UTF-8 text" in str(exc)
        return
    assert text.encode("utf-8") == data.removeprefix(b"\xef\xbb\xbf")


@BOUND
@given(st.one_of(hostile_text, stamps, st.dates().map(str)))
def test_until_gives_a_bounded_time_or_an_error(text: str) -> None:
    tz = CONFIG.group("g1").tz
    try:
        when = parse_until(text, tz)
    except UntilError as exc:
        assert str(exc)
        return
    assert when.tzinfo is not None
    assert EARLIEST.year <= when.year <= LATEST.year


@BOUND
@given(st.lists(st.tuples(st.sampled_from(["alice", "bob"]), hostile_text), min_size=1, max_size=8))
def test_well_formed_lines_keep_their_messages(said: list[tuple[str, str]]) -> None:
    text = "\n".join(
        f"2026-11-21T08:{i:02d}:00 g1 {user}: {body.replace(chr(10), ' ')}"
        for i, (user, body) in enumerate(said)
    )
    events = parse_transcript(text, CONFIG)
    assert [line.line_no for line in events] == list(range(1, len(said) + 1))
    assert [line.event.sender_id for line in events if isinstance(line.event, Message)] == [
        user for user, _ in said
    ]


@pytest.mark.parametrize("text", corpus("transcripts"))
def test_transcript_corpus(text: str) -> None:
    check_transcript(text)
    with contextlib.suppress(UntilError):
        parse_until(text, CONFIG.group("g1").tz)

"""Properties of the inbound normaliser (bot/text/inbound.py): any text, name or id gives a
clean, bounded, idempotent result; distinct ids stay distinct; events never fail to build."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.events import MemberJoined, MemberLeft, Message
from bot.text.inbound import (
    MAX_ID_CHARS,
    MAX_NAME_CHARS,
    MAX_TEXT_CHARS,
    bound_id,
    clean_name,
    clean_text,
    id_is_safe,
    platform_id,
    strip_bot_mention,
)
from tests.fuzz_support import SPECIAL_CHARS, corpus, hostile_char, hostile_text

BOUND = settings(deadline=1000)  # milliseconds per example: every call here is linear
NOT_KEPT = re.compile(
    "[\\x00-\\x08\\x0b-\\x1f\\x7f-\\x9f\\u00ad\\u061c\\u180e\\u200b\\u200c\\u200e\\u200f"
    "\\u2028\\u2029\\u202a-\\u202e\\u2060\\u2066-\\u2069\\ufeff\\ud800-\\udfff]"
)
long_text = st.builds(lambda s, n: s * n, hostile_text, st.integers(0, 400))


def check_clean(out: str, limit: int = MAX_TEXT_CHARS) -> None:
    assert NOT_KEPT.search(out) is None, ascii(out)
    assert len(out) <= limit
    out.encode("utf-8")  # strict: no surrogate survives
    assert clean_text(out) == out  # idempotent


@BOUND
@given(st.one_of(hostile_text, long_text))
def test_clean_text_is_clean_bounded_and_idempotent(text: str) -> None:
    out = clean_text(text)
    check_clean(out)
    if not NOT_KEPT.search(text) and "\u200d" not in text and len(text) <= MAX_TEXT_CHARS:
        assert out == text  # clean input is kept as it is
    if "\u200d" in out:
        assert out.index("\u200d") > 0  # a joiner only after an emoji


@BOUND
@given(hostile_text)
def test_clean_name_is_one_bounded_line(name: str) -> None:
    out = clean_name(name)
    check_clean(out, MAX_NAME_CHARS)
    assert "\n" not in out and "\t" not in out and out == out.strip()
    assert clean_name(out) == out


ids = st.one_of(
    st.text(alphabet=hostile_char, max_size=200),
    st.builds(
        lambda s, n: s * n,
        st.text(alphabet=hostile_char, min_size=1, max_size=5),
        st.integers(1, 200),
    ),
)


@BOUND
@given(ids)
def test_bound_id_is_safe_bounded_idempotent_and_reversible(raw: str) -> None:
    out = bound_id(raw)
    assert len(out) <= MAX_ID_CHARS and id_is_safe(out)
    assert "\n" not in out and "\x00" not in out
    out.encode("utf-8")
    assert bound_id(out) == out
    assert platform_id(out) == raw
    assert (out == raw) == id_is_safe(raw)


@BOUND
@given(ids, ids)
def test_distinct_ids_stay_distinct(a: str, b: str) -> None:
    assert (bound_id(a) == bound_id(b)) == (a == b)


@BOUND
@given(hostile_text, st.lists(st.sampled_from(["小助手", "bot", "", "a.b", "*"]), max_size=3))
def test_strip_bot_mention_never_fails(text: str, names: list[str]) -> None:
    out, found = strip_bot_mention(text, names)
    assert found or out == text
    for name in names:
        if name and found:
            assert f"@{name} " not in out


@BOUND
@given(
    hostile_text,
    ids,
    ids,
    ids,
    st.lists(ids, max_size=4),
    hostile_text,
    st.none() | hostile_text,
)
def test_events_build_from_anything(
    text: str,
    group: str,
    sender: str,
    mid: str,
    mentions: list[str],
    name: str,
    quote: str | None,
) -> None:
    when = datetime(2026, 11, 21, tzinfo=UTC)
    message = Message(group, sender, mid, text, when, tuple(mentions), False, name, quote, sender)
    check_clean(message.text)
    for value in (message.group_id, message.sender_id, message.message_id, *message.mentions):
        assert id_is_safe(value)
    assert len(set(message.mentions)) == len(message.mentions)
    assert len(message.sender_name) <= MAX_NAME_CHARS
    joined = MemberJoined(group, sender, when, mid, name, sender)
    left = MemberLeft(group, sender, when, mid)
    assert joined.member_id == left.member_id == message.sender_id


def test_the_special_characters_are_all_handled() -> None:
    for ch in SPECIAL_CHARS:
        check_clean(clean_text(f"a{ch}b"))
        assert id_is_safe(bound_id(f"a{ch}b"))


@pytest.mark.parametrize("text", corpus("inbound_text"))
def test_inbound_corpus(text: str) -> None:
    check_clean(clean_text(text))
    assert id_is_safe(bound_id(text))
    check_clean(clean_name(text), MAX_NAME_CHARS)

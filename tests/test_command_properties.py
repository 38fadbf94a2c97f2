"""Property: any arguments to any command get an answer (a result or a usage hint in
Chinese), never silence and never an exception, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.commands import MAX_ARG_NUMBER, UsageError, parse_call, parse_number, split_command
from bot.router import CommandInfo
from bot.settings.rewards import RewardsSettings
from handlers.checkin import (
    MAX_WORD_COUNT,
    checkin_content,
    chinese_number,
    parse_makeup_day,
    parse_word_count,
    read_word_count,
)
from handlers.rewards_draw import parse_draw_args
from handlers.rewards_notice import parse_notice_args
from handlers.rewards_quiz import parse_quiz_args
from handlers.stats import parse_days
from tests.fuzz_support import (
    MENTIONS,
    NUMBERS,
    WORDS,
    LoopBot,
    any_text,
    corpus,
    free_arguments,
    router_failures,
)
from tests.support import msg


def full_usage(info: CommandInfo) -> str:
    """The usage line members see and the admin part, as one line."""
    return f"{info.usage} | {info.admin_usage}" if info.admin_usage else info.usage


def usage_words(usage: str) -> list[str]:
    """The words a command's usage line shows (its sub-commands and units)."""
    words = re.split(r"[\s|\[\]，,：:（）()…]+", usage)
    return sorted({w for w in words if w and not w.startswith("/")})


_PLACEHOLDERS = re.compile(r"@成员|ID|N|M|内容|问题|答案|理由|新问法|词")
_NUMBER_SLOTS = {"ID", "N", "M"}
FILLERS = ["写作", "分享会几点开始？", "\x00", "\u202e", "\ud800", "😀", "a" * 3000]


def usage_forms(names: tuple[str, ...], usage: str) -> list[str]:
    """Each form a usage line shows (alternatives and examples), optional parts included,
    for every name of the command."""
    text = (
        usage.replace("例如：", "| ").replace("，或只发", " | ").replace("[", "").replace("]", "")
    )
    forms = []
    for part in re.split(r"\s*[|，]\s*(?=/)", text):
        part = part.strip(" ，")
        if part.startswith("/"):
            rest = part.partition(" ")[2]
            forms.extend(f"{name} {rest}".strip() for name in names)
    return sorted(set(forms))


def fill(form: str, number: str, mention: str, filler: str) -> str:
    def slot(found: re.Match[str]) -> str:
        word = found.group(0)
        if word in _NUMBER_SLOTS:
            return number
        return mention if word == "@成员" else filler

    return _PLACEHOLDERS.sub(slot, form)


def command_arguments(usage: str) -> st.SearchStrategy[str]:
    own = usage_words(usage)
    head = st.sampled_from(own + WORDS) if own else st.sampled_from(WORDS)
    shaped = st.tuples(head, st.sampled_from(NUMBERS + MENTIONS + own), free_arguments)
    return st.one_of(shaped.map(" ".join), free_arguments)


@pytest.fixture
def loop_bot(tmp_path: Path) -> Iterator[LoopBot]:
    bot = LoopBot(f"sqlite+aiosqlite:///{tmp_path / 'fuzz.db'}")
    try:
        yield bot
    finally:
        bot.close()


def check_command(bot: LoopBot, text: str, user: str) -> None:
    with router_failures() as failures:
        replies = bot.say(text, user=user)
        crashed = failures.take()
    assert not crashed, f"{text!r} as {user}: {crashed[0]}"
    assert replies, f"{text!r} as {user}: no reply"


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(data=st.data())
def test_every_command_answers_any_arguments(loop_bot: LoopBot, data: st.DataObject) -> None:
    info = data.draw(st.sampled_from(loop_bot.app.commands()), label="command")
    name = data.draw(st.sampled_from(info.names), label="name")
    args = data.draw(command_arguments(full_usage(info)), label="args")
    user = data.draw(st.sampled_from(["admin", "bob"]), label="user")
    check_command(loop_bot, f"{name} {args}", user)


def test_every_usage_form_with_every_number_and_mention(loop_bot: LoopBot) -> None:
    """A grid: each form of each usage line, its number slots filled with each shape of
    number members type (and hostile ones), its mention slots with each kind of mention."""
    tried = 0
    for info in loop_bot.app.commands():
        for form in usage_forms(info.names[:1], full_usage(info)):
            for number in NUMBERS:
                check_command(loop_bot, fill(form, number, "@bob", "写作"), "admin")
                tried += 1
            for mention in MENTIONS:
                check_command(loop_bot, fill(form, "3", mention, "写作"), "admin")
                tried += 1
            for filler in FILLERS:
                check_command(loop_bot, fill(form, "3", "@bob", filler), "admin")
                tried += 1
    assert tried > 1000


@pytest.mark.parametrize("text", corpus("commands"))
def test_command_corpus(loop_bot: LoopBot, text: str) -> None:
    check_command(loop_bot, text, "admin")


# --- the pure parsers: any input gives a result or the documented UsageError ----------------

PURE = settings(deadline=1000)  # milliseconds per example


@PURE
@given(any_text)
def test_the_shared_command_parser_never_fails(text: str) -> None:
    message = msg(text)
    head, _ = split_command(message.text)
    call = parse_call(message)
    assert call.name == head and call.args == call.args.strip()
    assert not any(w.startswith("@") and len(w) > 1 for w in call.words)  # mentions removed


@PURE
@given(st.one_of(any_text, st.sampled_from(NUMBERS)), st.integers(0, 10), st.integers(0, 2**40))
def test_parse_number_gives_a_bounded_number_or_none(word: str, low: int, high: int) -> None:
    value = parse_number(word, low=low, high=high)
    assert value is None or low <= value <= min(high, MAX_ARG_NUMBER)


@PURE
@given(any_text)
def test_the_per_command_parsers_give_a_result_or_a_usage_error(args: str) -> None:
    rewards = RewardsSettings()
    for parse in (
        lambda: parse_quiz_args(args, rewards.quiz),
        lambda: parse_notice_args(args, rewards.notice),
        lambda: parse_draw_args(args, rewards.draw),
        lambda: parse_days(args, 7, 90),
    ):
        try:
            parse()
        except UsageError as exc:
            assert exc.hint == "" or not exc.hint.isascii()  # a hint in Chinese


@PURE
@given(st.one_of(any_text, st.sampled_from(NUMBERS).map(lambda n: f"打卡 {n}字")))
def test_checkin_text_parsers_never_fail(text: str) -> None:
    content = checkin_content(text, ["打卡", "签到"])
    words = read_word_count(text)
    assert words is None or words >= 0
    stored = parse_word_count(text)
    assert stored is None or 0 <= stored <= MAX_WORD_COUNT
    day = parse_makeup_day(text, date(2026, 11, 21))
    assert day is None or day <= date(2026, 11, 21)
    assert content is None or isinstance(content, str)


@PURE
@given(st.text(alphabet="零〇一二两三四五六七八九十百千万", max_size=12))
def test_chinese_numbers_are_a_number_or_none(text: str) -> None:
    value = chinese_number(text)
    assert value is None or 0 <= value < 10**9

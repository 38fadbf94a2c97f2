"""Hostile input through the commands that span groups and run camps: /群发, /转播, #提问,
#回答, /通知 集合, /排行 集合, /统计 集合, /报名, /退营, /点评, /优秀, /互评, #点评. Empty,
over-long and wrong-type arguments, unknown set names, zero-width and full-width characters,
giant numbers: each gets a Chinese answer, never a traceback, and a refused one writes
nothing (the grid below counts the features' rows before and after)."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.commands import UsageError
from bot.config import AppConfig
from bot.settings.rewards import RewardsSettings
from handlers.rewards_draw import parse_draw_args
from handlers.rewards_notice import parse_notice_args
from handlers.rewards_quiz import parse_quiz_args
from storage.models import (
    Broadcast,
    CampDay,
    CampMember,
    CampPair,
    CampReview,
    LedgerEntry,
    NoticePool,
    RelayLine,
    RelayQuestion,
    RelaySession,
    RewardDraw,
    RewardNotice,
    RewardQuiz,
)
from tests.fuzz_support import (
    MENTIONS,
    NUMBERS,
    LoopBot,
    free_arguments,
    hostile_text,
    router_failures,
)
from tests.support import config_from

CONFIG = """
timezone: Asia/Shanghai
admins: [admin]
groups:
  g1:
    name: 主群
    admins: [teacher]
    camps:
      - id: early
        title: 早起营
        start: 2026-11-20
        days: 7
        review_points: 5
        review_max_points: 20
        excellent_points: 3
        peer_points: 2
  g2: {name: 二群}
  g3: {name: 三群}
sets:
  camp: [g1, g2, g3]
relay:
  merge_window: 5s
"""
GIANT = "9" * 5000
SET_WORDS = [
    "camp",
    "ＣＡＭＰ",
    "ｃａｍｐ",
    "Camp",
    "c\u200bamp",
    "nope",
    "集合",
    GIANT,
    "",
    "\u3000",
]
SUB_WORDS = ["定时", "状态", "取消", "开始", "结束", "start", "stop", "营", "early", "早起营"]
OPTIONS = ["前0名", "前999999999999名", "0分", "99999999999分", "限时0分钟", "限时99999999分钟"]
OPTIONS += ["0天", "99999999999天", "９分", "２０２６-１２-０２ ０９:００", "2026-13-45 25:61"]
PIECES = SET_WORDS + SUB_WORDS + OPTIONS + NUMBERS + MENTIONS + ["\u200b", "\u202e", "\x00"]
# (command, group, who sends it); the tags are matched without a slash
COMMANDS = [
    ("/群发", "g1", "admin"),
    ("/群发", "g2", "bob"),
    ("/转播", "g1", "admin"),
    ("/转播", "g3", "bob"),
    ("/通知", "g1", "admin"),
    ("/排行", "g2", "bob"),
    ("/统计", "g1", "admin"),
    ("/报名", "g1", "bob"),
    ("/退营", "g1", "bob"),
    ("/点评", "g1", "teacher"),
    ("/优秀", "g1", "teacher"),
    ("/互评", "g1", "admin"),
    ("/互评", "g1", "bob"),
]
TAGS = [("#提问", "g2", "bob"), ("#回答", "g1", "admin"), ("#点评", "g1", "bob")]
FEATURE_TABLES = [
    Broadcast,
    NoticePool,
    RewardNotice,
    RewardQuiz,
    RewardDraw,
    RelaySession,
    RelayQuestion,
    RelayLine,
    CampMember,
    CampDay,
    CampReview,
    CampPair,
    LedgerEntry,
]


def config() -> AppConfig:
    return config_from(CONFIG)


@pytest.fixture
def loop_bot(tmp_path: Path) -> Iterator[LoopBot]:
    bot = LoopBot(f"sqlite+aiosqlite:///{tmp_path / 'sets.db'}", config())
    try:
        yield bot
    finally:
        bot.close()


def chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def answer(bot: LoopBot, text: str, user: str, group: str, *, must_reply: bool) -> list[str]:
    with router_failures() as failures:
        replies = bot.say(text, user=user, group=group)
        crashed = failures.take()
    assert not crashed, f"{text[:80]!r} as {user} in {group}: {crashed[0]}"
    if must_reply:
        assert replies, f"{text[:80]!r} as {user} in {group}: no reply"
    for reply in replies:
        assert chinese(reply), f"{text[:80]!r}: a reply without Chinese: {reply[:80]!r}"
        assert "Traceback" not in reply and "Error" not in reply and "Exception" not in reply
    return replies


def counts(bot: LoopBot) -> dict[str, int]:
    async def read() -> dict[str, int]:
        async with bot.app.uow() as uow:
            return {
                t.__tablename__: (
                    await uow.session.execute(select(func.count()).select_from(t))
                ).scalar_one()
                for t in FEATURE_TABLES
            }

    found: dict[str, int] = bot.run(read())
    return found


arguments = st.one_of(
    st.lists(st.sampled_from(PIECES), max_size=5).map(" ".join),
    st.tuples(st.sampled_from(SET_WORDS), st.sampled_from(SUB_WORDS + OPTIONS), free_arguments).map(
        " ".join
    ),
    hostile_text,
    free_arguments,
)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(data=st.data())
def test_any_arguments_get_a_chinese_answer(loop_bot: LoopBot, data: st.DataObject) -> None:
    name, group, user = data.draw(st.sampled_from(COMMANDS + TAGS), label="command")
    args = data.draw(arguments, label="args")
    tag = name.startswith("#")
    # a tag is chat when no relay or camp takes it, so it may go unanswered
    answer(loop_bot, f"{name} {args}", user, group, must_reply=not tag)


# --- refused input writes nothing -------------------------------------------------------------

REFUSED = [
    ("/群发", "admin", "g1"),
    ("/群发 nope 你好", "admin", "g1"),
    ("/群发 ｎｏｐｅ 你好", "admin", "g1"),
    ("/群发 camp", "admin", "g1"),
    ("/群发 camp \u200b\u200b", "admin", "g1"),
    ("/群发 camp 定时 2026-13-45 09:00 早安", "admin", "g1"),
    ("/群发 camp 定时 99999-99-99 99:99 早安", "admin", "g1"),
    ("/群发 camp " + "长" * 5000, "admin", "g1"),
    ("/群发 camp 你好", "bob", "g2"),
    ("/群发 状态 " + GIANT, "admin", "g1"),
    ("/群发 取消 nope", "admin", "g1"),
    ("/转播", "admin", "g1"),
    ("/转播 开始 nope", "admin", "g1"),
    ("/转播 开始 camp camp", "admin", "g1"),
    ("/转播 开始 " + GIANT, "admin", "g1"),
    ("/转播 开始 camp", "bob", "g1"),
    ("/转播 结束", "admin", "g1"),
    ("/通知 camp", "admin", "g1"),
    ("/通知 camp 明早交稿 前999999999999名", "admin", "g1"),
    ("/通知 camp 明早交稿 前" + GIANT + "名", "admin", "g1"),
    ("/通知 camp 明早交稿 前0名", "admin", "g1"),
    ("/通知 camp 明早交稿 99999999999分", "admin", "g1"),
    ("/通知 camp 明早交稿 限时0分钟", "admin", "g1"),
    ("/通知 camp 明早交稿", "bob", "g2"),
    ("/抢答 题目 | 答案 99999999分", "admin", "g1"),
    ("/抽奖 99999999999名 5分", "admin", "g1"),
    ("/排行 nope", "admin", "g1"),
    ("/排行 " + GIANT, "admin", "g1"),
    ("/统计 nope", "admin", "g1"),
    ("/统计 camp 0天", "admin", "g1"),
    ("/统计 camp 99999999999天", "admin", "g1"),
    ("/报名 nope", "bob", "g1"),
    ("/报名 " + "x" * 3000, "bob", "g1"),
    ("/报名 early", "bob", "g2"),
    ("/退营 nope", "alice", "g1"),
    ("/点评", "teacher", "g1"),
    ("/点评 @alice", "teacher", "g1"),
    ("/点评 @alice 999999999999分 写得好", "teacher", "g1"),
    ("/点评 @alice " + GIANT + "分 写得好", "teacher", "g1"),
    ("/点评 @alice 写得好", "bob", "g1"),
    ("/点评 @alice @bob 写得好", "teacher", "g1"),
    ("/优秀", "teacher", "g1"),
    ("/优秀 @nobody", "teacher", "g1"),
    ("/优秀 @alice", "bob", "g1"),
    ("/互评 开始 nope", "admin", "g1"),
    ("/互评 开始", "bob", "g1"),
    ("/互评 x y", "bob", "g1"),
    ("#点评", "alice", "g1"),
    ("#点评 @bob", "alice", "g1"),
    ("#点评 @alice 不错", "alice", "g1"),
]
# while a relay from g1 runs
REFUSED_IN_RELAY = [
    ("#提问", "bob", "g2"),
    ("#提问 \u200b\u200b", "bob", "g2"),
    ("#提问 " + "长" * 5000, "bob", "g2"),
    ("#回答", "admin", "g1"),
    ("#回答 1", "admin", "g1"),
    ("#回答 " + GIANT + " 好", "admin", "g1"),
    ("#回答 0 好", "admin", "g1"),
    ("/转播 开始 camp", "admin", "g1"),
    ("/红包 提问1 " + GIANT, "admin", "g1"),
    ("/红包 提问1 -5", "admin", "g1"),
]


def test_refused_input_gets_a_hint_and_writes_nothing(loop_bot: LoopBot) -> None:
    answer(loop_bot, "/报名 early", "alice", "g1", must_reply=True)
    answer(loop_bot, "打卡 晨读", "alice", "g1", must_reply=True)  # a submission to review
    for text, user, group in REFUSED:
        before = counts(loop_bot)
        answer(loop_bot, text, user, group, must_reply=True)
        assert counts(loop_bot) == before, f"{text[:80]!r} as {user} in {group} wrote rows"


def test_refused_input_during_a_relay_writes_nothing(loop_bot: LoopBot) -> None:
    answer(loop_bot, "/转播 开始 camp", "admin", "g1", must_reply=True)
    for text, user, group in REFUSED_IN_RELAY:
        before = counts(loop_bot)
        answer(loop_bot, text, user, group, must_reply=True)
        assert counts(loop_bot) == before, f"{text[:80]!r} as {user} in {group} wrote rows"


def test_full_width_set_names_and_digits_are_understood(loop_bot: LoopBot) -> None:
    (made,) = answer(loop_bot, "/群发 ｃａｍｐ 早安", "admin", "g1", must_reply=True)
    assert "集合「camp」的 3 个群" in made
    answer(loop_bot, "/报名 early", "alice", "g1", must_reply=True)
    answer(loop_bot, "打卡 晨读", "alice", "g1", must_reply=True)
    (reviewed,) = answer(loop_bot, "/点评 @alice ８分 写得好", "teacher", "g1", must_reply=True)
    assert "+8 分" in reviewed


# --- the option parsers read a number whole, or refuse it ----------------------------------

DIGITS = st.text(alphabet="0123456789０１２３４５６７８９٣", min_size=1, max_size=40)


def _value(digits: str) -> int:
    return int(unicodedata.normalize("NFKC", digits))


@given(DIGITS, st.sampled_from(["前{}名", "{}分", "限时{}分钟"]))
def test_a_notice_option_is_its_number_or_a_hint_never_the_default(digits: str, form: str) -> None:
    settings = RewardsSettings().notice
    try:
        spec = parse_notice_args("明早交稿 " + form.format(digits), settings)
    except UsageError as exc:
        assert chinese(exc.hint)
        return
    assert spec.text == "明早交稿"
    read = {"前{}名": spec.places, "{}分": spec.points, "限时{}分钟": spec.minutes}[form]
    assert read == _value(digits)


@given(DIGITS, DIGITS)
def test_draw_and_quiz_numbers_are_read_whole_or_refused(winners: str, points: str) -> None:
    rewards = RewardsSettings()
    try:
        assert parse_draw_args(f"{winners}名 {points}分", rewards.draw) == (
            _value(winners),
            _value(points),
        )
    except UsageError as exc:
        assert chinese(exc.hint)
    try:
        spec = parse_quiz_args(f"题目 | 答案 {points}分", rewards.quiz)
    except UsageError as exc:
        assert chinese(exc.hint)
    else:
        assert spec.answers == ("答案",) and spec.points == _value(points)

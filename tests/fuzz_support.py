"""Helpers for the property-based (Hypothesis) tests: strategies, a bot that runs many
examples on one event loop, and the regression corpus in tests/corpus/."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from bot.app import App
from bot.clock import FakeClock
from bot.config import AppConfig, load_config
from bot.events import Message
from bot.sender import RecordingSender
from tests.support import at

CORPUS = Path(__file__).resolve().parent / "corpus"

REPO = Path(__file__).resolve().parent.parent


def bundled_config() -> AppConfig:
    """The bundled config.yaml: every feature on, admins [admin], the bot is 小助手."""
    return load_config(REPO / "config.yaml")


# Pieces that command arguments are made of: numbers in every shape members type them,
# sub-command words, mentions, separators, units, and hostile characters.
NUMBERS = [
    "0",
    "1",
    "3",
    "20",
    "-5",
    "+100",
    "+100000",
    "-9999999",
    "1,000",
    "2，000",
    "１２",
    "٣",
    "𝟗",
    "²",
    "½",
    "三",
    "三千",
    "两千五百",
    "一万二",
    "9" * 12,
    "9" * 40,
    "9" * 5000,
    "#3",
    "＃2",
    "1.5",
    "1e9",
    "0x10",
    "NaN",
]
WORDS = [
    "搜索",
    "确认",
    "删除",
    "转FAQ",
    "add",
    "del",
    "alias",
    "todo",
    "answer",
    "list",
    "run",
    "skip",
    "跳过",
    "on",
    "off",
    "开",
    "关",
    "移除",
    "题库",
    "前",
    "名",
    "分",
    "天",
    "7天",
    "30天",
    "分钟",
    "限时",
    "限时5分钟",
    "前3名",
    "5分",
    "3名",
    "字",
    "理由",
    "打卡",
    "morning",
    "问题",
    "答案",
    "?",
    "？",
    "",
    " ",
    "\n",
    "\u3000",
]
MENTIONS = ["@bob", "@alice", "@", "@@", "@小助手", "@admin", "@groupops-bot", "@" + "x" * 300]
SEPARATORS = ["|", "｜", " | ", "||"]
HOSTILE = [
    "\x00",
    "\u200b",
    "\u202e",
    "\ud800",
    "\udcff",
    "\ufeff",
    "\u2028",
    "\r\n",
    "\t",
    "\x1b[2J",
    "%s",
    "{0}",
    "{time:>999}",
    "'; DROP TABLE ledger; --",
    "<@all>",
    "😀",
    "👨\u200d👩",
]
TOKENS = NUMBERS + WORDS + MENTIONS + SEPARATORS + HOSTILE

token = st.one_of(st.sampled_from(TOKENS), st.text(max_size=12))
free_arguments = st.lists(token, max_size=8).map(" ".join)
# Commands read a sub-command word, then a number or a mention, then free text: shaped
# examples reach the deeper parsers far more often than free ones.
arguments = st.one_of(
    free_arguments,
    st.tuples(st.sampled_from(WORDS), st.sampled_from(NUMBERS + MENTIONS), free_arguments).map(
        " ".join
    ),
    st.tuples(st.sampled_from(MENTIONS), st.sampled_from(NUMBERS), free_arguments).map(" ".join),
)
# Characters that matter at the edge: controls, surrogates, invisible and bidi marks, line
# separators, emoji joiners, full-width forms, CJK. Mixed with every other code point.
SPECIAL_CHARS = (
    [chr(c) for c in range(0x20)]
    + ["\x7f", "\x85", "\x9f", "\u00ad", "\u061c", "\u180e", "\u2028", "\u2029", "\u2060"]
    + [chr(c) for c in range(0x200B, 0x2010)]
    + [chr(c) for c in range(0x202A, 0x202F)]
    + [chr(c) for c in range(0x2066, 0x206A)]
    + ["\ufeff", "\ufffd", "\ud800", "\udbff", "\udc00", "\udcff", "\udfff", "\u3000"]
    + ["😀", "👩", "\ufe0f", "打", "卡", "字", "＃", "／", "１", "@", "#", "/", "|", "~"]
)
hostile_char = st.one_of(
    st.characters(exclude_categories=()),  # any code point, surrogates included
    st.sampled_from(SPECIAL_CHARS),
)
hostile_text = st.text(alphabet=hostile_char, max_size=300)
any_text = st.one_of(hostile_text, free_arguments)

_MENTION = re.compile(r"@([^\s@，,。:：!！?？]+)")


class RouterFailures(logging.Handler):
    """Collects error records of the bot's loggers: the router's 'handler raised' and
    'match() raised', a command that failed, a job that failed."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def take(self) -> list[str]:
        out = [
            self.format(r)
            + "\n"
            + (logging.Formatter().formatException(r.exc_info) if r.exc_info else "")
            for r in self.records
        ]
        self.records.clear()
        return out


@contextmanager
def router_failures() -> Iterator[RouterFailures]:
    handler = RouterFailures()
    logger = logging.getLogger("groupops")
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


class LoopBot:
    """The real App on one private event loop, so a synchronous Hypothesis test can push
    thousands of examples through one started bot."""

    def __init__(self, db_url: str, config: AppConfig | None = None) -> None:
        self.runner = asyncio.Runner()
        self.clock = FakeClock(at("2026-11-21 09:00"))
        self.sender = RecordingSender(self.clock)
        self.app = App(
            config or bundled_config(), sender=self.sender, clock=self.clock, db_url=db_url
        )
        self._n = 0
        self.runner.run(self.app.start())

    def say(self, text: str, user: str = "admin", group: str = "g1") -> list[str]:
        """Send one message a second after the previous one; returns the replies."""
        self._n += 1
        self.clock.advance(timedelta(seconds=1))
        named = _MENTION.findall(text)
        message = Message(
            group_id=group,
            sender_id=user,
            message_id=f"fz{self._n}",
            text=text,
            time=self.clock.now(),
            mentions=tuple(dict.fromkeys(n for n in named if n != "小助手")),
            mentions_bot="小助手" in named,
            sender_name=user,
        )
        before = len(self.sender.sent)
        self.runner.run(self.app.handle(message))
        if group in self.app.router.paused:  # a fuzzed /pause: later examples need answers
            self.runner.run(self.app.set_paused(group, False, "fuzz"))
        return [m.text for m in self.sender.sent[before:]]

    def run(self, coro: Any) -> Any:
        return self.runner.run(coro)

    def close(self) -> None:
        try:
            self.runner.run(self.app.close())
        finally:
            self.runner.close()


def corpus(name: str) -> list[Any]:
    """The regression examples kept for one area (tests/corpus/NAME.json)."""
    path = CORPUS / f"{name}.json"
    return list(json.loads(path.read_text(encoding="utf-8")))

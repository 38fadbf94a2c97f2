"""Pieces shared by the WeCom transports: dedupe, mention text, connection-state hooks."""

from __future__ import annotations

import logging
import re
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Collection, Sequence

from bot.events import Event
from bot.text.inbound import platform_id

EventSink = Callable[[Event], Awaitable[object]]
"""Where a transport hands inbound events (normally `App.handle`)."""

StateListener = Callable[[bool], object]
"""Told True once the transport can deliver again, False when it cannot (outbox pause/resume)."""


class SeenIds:
    """A bounded memory of recently seen ids (WeCom retries a callback with the same msgid)."""

    def __init__(self, capacity: int = 10_000) -> None:
        self.capacity = capacity
        self._seen: OrderedDict[str, None] = OrderedDict()

    def first_time(self, key: str) -> bool:
        """True the first time a key is offered, False for a repeat."""
        if key in self._seen:
            self._seen.move_to_end(key)
            return False
        self._seen[key] = None
        if len(self._seen) > self.capacity:
            self._seen.popitem(last=False)
        return True

    def forget(self, key: str) -> None:
        self._seen.pop(key, None)

    def __len__(self) -> int:
        return len(self._seen)


def utf8_len(text: str) -> int:
    return len(text.encode("utf-8"))


def with_mentions(text: str, mentions: Sequence[str]) -> str:
    """WeCom's `<@userid>` mention syntax in text/markdown content, before the text."""
    if not mentions:
        return text
    return " ".join(f"<@{platform_id(m)}>" for m in mentions) + " " + text


def strip_bot_mention(content: str, bot_names: Sequence[str]) -> tuple[str, bool]:
    """Remove "@BotName" from a callback's text. Returns (text, found).

    WeCom includes the mention in text.content ("@RobotA hello"). Names configured for the bot
    are removed wherever they appear; when none is found and the text starts with an @-token,
    that token is taken as the bot's (a group callback only arrives when the bot was mentioned).
    """
    text = content
    found = False
    for name in sorted({n for n in bot_names if n}, key=len, reverse=True):
        pattern = re.compile(r"(^|(?<=\s))@" + re.escape(name) + r"(?=$|[\s\u2005,，:：])")
        text, count = pattern.subn("", text)
        found = found or count > 0
    if not found:
        lead = re.match(r"^\s*@\S+[\s\u2005]*", text)
        if lead:
            text = text[lead.end() :]
            found = True
    return re.sub(r"[ \t\u2005]{2,}", " ", text).strip(" \t\u2005\n"), found


class GroupNotes:
    """Logs once per chat that is not listed under `groups:` (so operators can copy its id)."""

    def __init__(self, transport: str, logger: logging.Logger) -> None:
        self.transport = transport
        self.log = logger
        self._noted: set[str] = set()

    def note(self, group_id: str, listed: Collection[str]) -> None:
        if group_id in listed or group_id in self._noted:
            return
        self._noted.add(group_id)
        self.log.info(
            "%s: chat %s is not listed under groups: in config.yaml; it runs on the defaults",
            self.transport,
            group_id,
        )

"""One ordered route list: pure match(), async handler, explicit STOP."""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from bot.events import Event, Message, event_key

if TYPE_CHECKING:
    from bot.context import Context

log = logging.getLogger("groupops.router")


class Flow(Enum):
    CONTINUE = "continue"
    STOP = "stop"


STOP = Flow.STOP
CONTINUE = Flow.CONTINUE

E = TypeVar("E", bound=Event)


@dataclass(frozen=True)
class CommandInfo:
    """What /help shows about a command.

    `admin_only` commands are listed only to admins (a group admin, global admins being
    admins of every group); `set_admins` ones also to whoever may address some group set
    (bot/settings/sets.py), from any group. A command members use with an admin part
    (`/积分 @成员` shows, `/积分 @成员 +N 理由` adjusts) lists that part only to admins.
    """

    names: tuple[str, ...]
    usage: str
    summary: str
    admin_only: bool
    admin_usage: str = ""
    admin_summary: str = ""
    set_admins: bool = False
    # who else may use an `admin_only` one (a camp's reviewers): listed to them as well
    listed_to: Callable[[Context, str], bool] | None = None


@dataclass(frozen=True)
class Route(Generic[E]):
    name: str
    event_type: type[E]
    match: Callable[[E], bool]
    handler: Callable[[E, Context], Awaitable[Flow]]
    command: CommandInfo | None = None
    runs_when_paused: bool = False


class SeenEvents:
    """Bounded memory of delivered event keys: a platform retry is handled once.

    State-changing handlers are idempotent in the database as well (unique keys on
    check-ins and ledger lines), so a retry after a restart still cannot pay twice.
    """

    def __init__(self, capacity: int = 100_000) -> None:
        self._keys: OrderedDict[str, None] = OrderedDict()
        self._capacity = capacity

    def first_time(self, key: str) -> bool:
        if key in self._keys:
            self._keys.move_to_end(key)
            return False
        self._keys[key] = None
        if len(self._keys) > self._capacity:
            self._keys.popitem(last=False)
        return True


COMMAND_PREFIXES = ("/", "／")


def is_command_text(text: str) -> bool:
    return text.lstrip().startswith(COMMAND_PREFIXES)


def command_word(text: str) -> str:
    """A command text's first word, lower case, "／" read as "/" (`/排行 本周` -> `/排行`)."""
    head = text.strip().replace("／", "/").partition(" ")[0]
    if "\u3000" in head:  # full-width space
        head = head.partition("\u3000")[0]
    return head.lower()


class CommandMatch:
    """A command route's match(): a command text whose `command_word` is one of `words`.

    The router reads `words` to offer a command only to the routes of its word."""

    def __init__(self, words: frozenset[str]) -> None:
        self.words = words

    def __call__(self, message: Message) -> bool:
        return is_command_text(message.text) and command_word(message.text) in self.words


def command_words(route: Route[Any]) -> frozenset[str] | None:
    """The words a route answers to, when its match() is a CommandMatch."""
    return route.match.words if isinstance(route.match, CommandMatch) else None


class Router:
    def __init__(self, routes: Sequence[Route[Any]]) -> None:
        names = [r.name for r in routes]
        duplicates = {n for n in names if names.count(n) > 1}
        if duplicates:
            raise ValueError(f"duplicate route names: {sorted(duplicates)}")
        self.routes: tuple[Route[Any], ...] = tuple(routes)
        self.seen = SeenEvents()
        self.paused: set[str] = set()
        # Candidate routes per event class, in order; plain chat skips the command routes
        # (most messages are chat, and there are many commands), and a command skips the
        # command routes of other words. Keyed by the command word only for words some
        # route answers to ("" for chat, None for any other command word).
        self._words = {id(r): command_words(r) for r in self.routes}
        self._known_words = frozenset(w for ws in self._words.values() if ws for w in ws)
        self._candidates: dict[tuple[type[Event], str | None], tuple[Route[Any], ...]] = {}

    def _candidates_for(self, event: Event) -> tuple[Route[Any], ...]:
        word: str | None = ""
        if isinstance(event, Message) and is_command_text(event.text):
            word = command_word(event.text)
            if word not in self._known_words:
                word = None
        key = (type(event), word)
        found = self._candidates.get(key)
        if found is None:
            found = tuple(
                r
                for r in self.routes
                if isinstance(event, r.event_type)
                and (word != "" or r.command is None)
                and _offered(self._words[id(r)], word)
            )
            self._candidates[key] = found
        return found

    def commands(self) -> list[CommandInfo]:
        return [r.command for r in self.routes if r.command is not None]

    async def dispatch(self, event: Event, ctx: Context, *, key: str | None = None) -> list[str]:
        """Run matching routes in order until one returns STOP. Returns the names that ran.

        `key` is the event's `event_key`, when the caller has it already."""
        if key is None:
            key = event_key(event)
        if not self.seen.first_time(key):
            log.info("duplicate delivery dropped: %s", key)
            return []
        ran: list[str] = []
        paused = event.group_id in self.paused
        for route in self._candidates_for(event):
            if paused and not route.runs_when_paused:
                continue
            try:
                if not route.match(event):
                    continue
            except Exception:
                log.exception("route %s: match() raised on %s", route.name, _ident(event))
                continue
            ran.append(route.name)
            try:
                flow = await route.handler(event, ctx)
            except Exception:
                log.exception("route %s: handler raised on %s", route.name, _ident(event))
                continue
            if flow is STOP:
                break
        return ran


def _offered(words: frozenset[str] | None, word: str | None) -> bool:
    return words is None or word in words


def _ident(event: Event) -> str:
    if isinstance(event, Message):
        return f"message {event.message_id} in {event.group_id}"
    return event_key(event)

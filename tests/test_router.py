"""The router: order, STOP, and which routes a message is offered."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, cast

from bot.commands import CommandCall, command
from bot.context import Context
from bot.events import Message
from bot.router import CONTINUE, STOP, CommandMatch, Flow, Route, Router
from tests.support import joined, msg


def _recording_routes(matched: list[str]) -> list[Route[Any]]:
    def plain(name: str, flow: Flow) -> Route[Message]:
        def match(_: Message) -> bool:
            matched.append(name)
            return True

        async def handle(_: Message, __: Context) -> Flow:
            return flow

        return Route(name, Message, match, handle)

    async def slash(_: CommandCall, __: Context) -> None:
        return None

    return [
        plain("first", CONTINUE),
        command("cmd", ("/x",), slash, usage="/x", summary=""),
        plain("second", CONTINUE),
        plain("last", STOP),
    ]


async def test_commands_run_in_route_order_and_chat_skips_command_routes() -> None:
    matched: list[str] = []
    router = Router(_recording_routes(matched))
    ctx = cast(Context, None)  # none of these handlers touches the context

    assert await router.dispatch(msg("/x"), ctx) == ["first", "cmd"]
    assert matched == ["first"]  # the command route's STOP ended the walk

    matched.clear()
    assert await router.dispatch(msg("hello /x"), ctx) == ["first", "second", "last"]
    assert matched == ["first", "second", "last"]

    matched.clear()
    assert await router.dispatch(msg("／y"), ctx) == ["first", "second", "last"]

    assert await router.dispatch(joined("bob"), ctx) == []  # no route takes joins


async def test_same_message_id_is_handled_once() -> None:
    router = Router(_recording_routes([]))
    ctx = cast(Context, None)
    first = msg("hello", mid="m1")
    assert await router.dispatch(first, ctx) == ["first", "second", "last"]
    assert await router.dispatch(first, ctx) == []


async def test_a_command_is_offered_only_to_the_command_routes_of_its_word() -> None:
    offered: list[str] = []

    class CountedMatch(CommandMatch):
        def __init__(self, name: str, words: frozenset[str]) -> None:
            super().__init__(words)
            self.name = name

        def __call__(self, message: Message) -> bool:
            offered.append(self.name)
            return super().__call__(message)

    def counted(name: str, names: tuple[str, ...]) -> Route[Message]:
        route = command(name, names, _silent, usage=names[0], summary="")
        assert isinstance(route.match, CommandMatch)
        return replace(route, match=CountedMatch(name, route.match.words))

    router = Router([counted("rank", ("/排行", "/Rank")), counted("me", ("/我的",))])
    ctx = cast(Context, None)
    assert await router.dispatch(msg("／RANK　本周"), ctx) == ["rank"]
    assert offered == ["rank"]
    offered.clear()
    assert await router.dispatch(msg("  /我的 @bob"), ctx) == ["me"]
    assert await router.dispatch(msg("/未知 命令"), ctx) == []
    assert await router.dispatch(msg("/排行榜"), ctx) == []
    assert offered == ["me"]


async def _silent(_: CommandCall, __: Context) -> None:
    return None

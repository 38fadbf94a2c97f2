"""Slash-command routes: parsing, admin checks by user id, usage hints in Chinese."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.context import Context
from bot.events import Message
from bot.router import STOP, CommandInfo, CommandMatch, Flow, Route

log = logging.getLogger("groupops.commands")

_MENTION_TOKEN = re.compile(r"@\S+[\u2005\s]?")
REFUSAL = "抱歉，这个命令只有管理员可以使用。"
FAILED = "抱歉，这个命令没有处理成功，请检查后再试。"

# The largest number a command argument may carry: every integer column (a PostgreSQL
# INTEGER is 32 bits) can hold it, and int() never sees thousands of digits.
MAX_ARG_NUMBER = 2**31 - 1
_ARG_NUMBER = re.compile(r"[0-9]{1,10}")
_FULL_WIDTH = str.maketrans("０１２３４５６７８９＃", "0123456789#")


class UsageError(Exception):
    """Raised by a command handler when the arguments are malformed."""

    def __init__(self, hint: str = "") -> None:
        super().__init__(hint)
        self.hint = hint


@dataclass(frozen=True)
class CommandCall:
    name: str  # the alias the member typed
    args: str  # the rest of the text, @mentions removed, whitespace trimmed
    mentions: tuple[str, ...]
    message: Message

    @property
    def words(self) -> list[str]:
        return self.args.split()


def parse_number(word: str, *, low: int = 0, high: int = MAX_ARG_NUMBER) -> int | None:
    """A whole number typed as a command argument, or None when it is not one in [low, high].

    ASCII and full-width digits (１２) are accepted, and a leading # (`#3`, `＃3`); signs,
    decimals, other digit forms and numbers with more than ten digits are not.
    """
    text = word.strip().translate(_FULL_WIDTH).lstrip("#")
    if _ARG_NUMBER.fullmatch(text) is None:
        return None
    value = int(text)
    return value if low <= value <= high else None


def option_number(digits: str) -> int:
    """The value of an option's digits matched by `\\d+` in a command's own pattern (`前N名`,
    `N分`, `限时N分钟`): any script's decimal digits; more than ten of them count as
    MAX_ARG_NUMBER + 1, so the caller's range check refuses a giant number with its usage
    hint (int() of thousands of digits raises, and a pattern that stops at a few digits
    would leave the number in the text, silently taking the default instead)."""
    if len(digits) > 10:
        return MAX_ARG_NUMBER + 1
    return min(int(digits), MAX_ARG_NUMBER + 1)


def split_command(text: str) -> tuple[str, str]:
    stripped = text.strip().replace("／", "/")
    head, _, rest = stripped.partition(" ")
    if "\u3000" in head:  # full-width space
        head, _, more = head.partition("\u3000")
        rest = f"{more} {rest}".strip()
    return head, rest.strip()


def parse_call(message: Message) -> CommandCall:
    name, rest = split_command(message.text)
    args = " ".join(_MENTION_TOKEN.sub(" ", rest).split())
    return CommandCall(name=name, args=args, mentions=message.mentions, message=message)


CommandHandler = Callable[[CommandCall, Context], Awaitable[None]]


def command(
    name: str,
    names: tuple[str, ...],
    handler: CommandHandler,
    *,
    usage: str,
    summary: str,
    admin_only: bool = False,
    runs_when_paused: bool = False,
    admin_usage: str = "",
    admin_summary: str = "",
    listed_for_admins: bool | None = None,
    set_admins: bool = False,
    listed_to: Callable[[Context, str], bool] | None = None,
) -> Route[Message]:
    """A route for `/name args`. Non-admins are refused politely; UsageError replies with usage.

    `admin_usage`/`admin_summary` describe the admin part of a command members use too
    (shown to admins in /help and in usage hints). `listed_for_admins` lists a command that
    checks its own permissions (not `admin_only`) only to admins in /help; `set_admins`
    lists it also to set admins (bot/settings/sets.py) in groups they are no admin of;
    `listed_to(ctx, user)` says who else may use such a command (a camp's reviewers).
    """
    lowered = frozenset(n.lower() for n in names)
    match = CommandMatch(lowered)

    async def handle(message: Message, ctx: Context) -> Flow:
        if admin_only and not ctx.is_admin(message.sender_id):
            await ctx.reply(message, REFUSAL)
            return STOP
        try:
            await handler(parse_call(message), ctx)
        except UsageError as exc:
            hint = f"{exc.hint}\n" if exc.hint else ""
            await ctx.reply(message, f"{hint}用法：{usage_for(message, ctx)}")
        except Exception:
            # A bug or a failing database must not leave the member without an answer.
            log.exception("command %s failed on message %s", name, message.message_id)
            await ctx.reply(message, f"{FAILED}\n用法：{usage_for(message, ctx)}")
        return STOP

    def usage_for(message: Message, ctx: Context) -> str:
        if admin_usage and ctx.is_admin(message.sender_id):
            return f"{usage}；{admin_usage}"
        return usage

    listed = admin_only if listed_for_admins is None else listed_for_admins
    info = CommandInfo(
        names=names,
        usage=usage,
        summary=summary,
        admin_only=listed,
        admin_usage=admin_usage,
        admin_summary=admin_summary,
        set_admins=set_admins,
        listed_to=listed_to,
    )
    return Route(name, Message, match, handle, command=info, runs_when_paused=runs_when_paused)

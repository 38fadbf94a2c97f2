"""The console transport: an interactive simulated group in the terminal (the default)."""

from __future__ import annotations

import asyncio
import contextlib
import io
import itertools
import re
import sys
from collections.abc import Sequence
from typing import TextIO

from bot.app import App
from bot.config import AppConfig
from bot.events import MemberJoined, MemberLeft, Message
from bot.text.inbound import bound_id, strip_bot_mention
from bot.transports.base import Capabilities, Visibility

CAPABILITIES = Capabilities(sees=Visibility.ALL, sees_joins=True, can_send_images=True)
_MENTION = re.compile(r"@([^\s@，,。:：!！?？]+)")

HELP = """Type a message as the current member. Console commands:
  :as USER       speak as another member (user id)
  :group GROUP   switch to another group
  :join USER     USER joins the current group      :leave USER   USER leaves
  :who           show the current member and group
  :help          this text                          :quit         exit (or Ctrl-D)"""


class ConsoleSender:
    """Prints bot messages distinctly from what members type."""

    def __init__(self, out: TextIO | None = None, color: bool | None = None) -> None:
        self.out = out or sys.stdout
        self.color = self.out.isatty() if color is None else color

    def _print(self, group_id: str, body: str) -> None:
        prefix = f"🤖 bot → [{group_id}] "
        text = prefix + body.replace("\n", "\n" + " " * 4)
        if self.color:
            text = f"\x1b[1;36m{text}\x1b[0m"
        self.out.write(text + "\n")
        self.out.flush()

    async def send_text(self, group_id: str, text: str, mentions: Sequence[str] = ()) -> None:
        self._print(group_id, "".join(f"@{m} " for m in mentions) + text)

    async def send_image(self, group_id: str, path: str, caption: str = "") -> None:
        self._print(group_id, f"{caption} [图片已保存: {path}]".strip())


class ConsoleSession:
    """Turns typed lines into events; the state is who speaks in which group."""

    def __init__(self, app: App, group: str, user: str, out: TextIO | None = None) -> None:
        self.app = app
        self.group = group
        self.user = user
        self.out = out or sys.stdout
        self._ids = itertools.count(1)

    def _note(self, text: str) -> None:
        self.out.write(f"   ({text})\n")
        self.out.flush()

    async def feed(self, line: str) -> bool:
        """Handle one typed line. Returns False when the session should end."""
        line = line.rstrip("\n")
        if not line.strip():
            return True
        now = self.app.clock.now()
        if line.startswith(":"):
            cmd, _, arg = line[1:].partition(" ")
            arg = bound_id(arg.strip())  # a user or group id, as the events will store it
            if cmd in ("quit", "q", "exit"):
                return False
            if cmd == "as" and arg:
                self.user = arg
                self._note(f"now speaking as {arg}")
            elif cmd == "group" and arg:
                self.group = arg
                self._note(f"now in group {arg}")
            elif cmd == "join" and arg:
                await self.app.handle(
                    MemberJoined(self.group, arg, now, event_id=f"c{next(self._ids)}")
                )
                self._note(self._join_note(arg))
            elif cmd == "leave" and arg:
                await self.app.handle(
                    MemberLeft(self.group, arg, now, event_id=f"c{next(self._ids)}")
                )
                self._note(f"{arg} left group {self.group}")
            elif cmd == "who":
                self._note(f"member {self.user} in group {self.group}")
            else:
                self._note(HELP)
            return True
        bot_ids = {self.app.config.root.bot.user_id, self.app.config.root.bot.name}
        named = _MENTION.findall(line)
        text, mentions_bot = strip_bot_mention(line, bot_ids)
        await self.app.handle(
            Message(
                group_id=self.group,
                sender_id=self.user,
                message_id=f"console-{now.timestamp():.0f}-{next(self._ids)}",
                text=text,
                time=now,
                mentions=tuple(dict.fromkeys(n for n in named if n not in bot_ids)),
                mentions_bot=mentions_bot or any(n in bot_ids for n in named),
                sender_name=self.user,
            )
        )
        return True

    def _join_note(self, member: str) -> str:
        """What happens next, so a silent minute is not mistaken for a broken bot."""
        group = self.app.config.group(self.group)
        welcome = group.welcome
        if not welcome.enabled:
            return f"{member} joined group {self.group} (welcomes are off for this group)"
        if welcome.batch_seconds == 0:
            return f"{member} joined group {self.group}"
        return (
            f"{member} joined group {self.group}; the welcome is posted "
            f"{welcome.batch_seconds} s after the first join, for everyone who joined by then"
        )

    def prompt(self) -> str:
        return f"[{self.group}] {self.user}> "

    async def run(self, stdin: TextIO | None = None) -> None:
        source = stdin or sys.stdin
        if isinstance(source, io.TextIOWrapper):
            # Bytes that are not UTF-8 (a pasted line cut mid-character) must not end the
            # session: they become lone surrogates here and U+FFFD in the message.
            with contextlib.suppress(ValueError, OSError):
                source.reconfigure(errors="surrogateescape")
        self._note(HELP)
        while True:
            if source.isatty():
                try:
                    line = await asyncio.to_thread(input, self.prompt())
                except EOFError:
                    return
            else:
                line = await asyncio.to_thread(source.readline)
                if not line:
                    return
            if not await self.feed(line):
                return


class ConsoleTransport:
    """The console as a Transport: prints replies, reads typed lines until EOF or :quit."""

    name = "console"
    capabilities = CAPABILITIES

    def __init__(self, group: str, user: str, stdin: TextIO | None = None) -> None:
        self.group = group
        self.user = user
        self.stdin = stdin
        self._sender = ConsoleSender()

    @property
    def sender(self) -> ConsoleSender:
        return self._sender

    async def run(self, app: App) -> None:
        await ConsoleSession(app, self.group, self.user).run(self.stdin)

    async def close(self) -> None:
        return None


def build(config: AppConfig) -> ConsoleTransport:
    settings = config.root.transport.console
    return ConsoleTransport(settings.group, settings.user)

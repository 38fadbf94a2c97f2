"""The console transport: an interactive simulated group in the terminal (the default).

Bot messages go through the outbox like on every transport (stored with the event that
caused them, then printed); after a crash a message that was being printed is printed again
(a repeated line on a terminal is harmless). Input is read by a daemon thread straight from
the file descriptor, so a stop never waits for a line that will not come.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import io
import itertools
import os
import re
import sys
import threading
from collections.abc import Callable, Sequence
from typing import TextIO

from bot.app import App
from bot.config import AppConfig
from bot.events import MemberJoined, MemberLeft, Message
from bot.text.inbound import bound_id, strip_bot_mention
from bot.transports.base import Capabilities, Visibility
from bot.transports.outbox import Outbox, OutboxItem, OutboxPolicy, UnknownOutcome
from bot.transports.outbox_store import start_outbox

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

    async def deliver(self, item: OutboxItem) -> None:
        """The outbox's deliver function: print one item."""
        if item.kind == "image" and item.image_path:
            await self.send_image(item.conversation, item.image_path, item.text)
        else:
            await self.send_text(item.conversation, item.text, item.mentions)


class LineReader:
    """Reads lines from a file descriptor on a daemon thread, one line per `read()`.

    Not `asyncio.to_thread(readline)`: a thread of the default executor blocked on a read
    would hold the process's exit until the next line, and sys.stdin's buffer lock held by a
    blocked thread can abort the interpreter's shutdown."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._buffer = ""
        self._eof = False

    def _read_line_blocking(self) -> str | None:
        while "\n" not in self._buffer and not self._eof:
            chunk = os.read(self.fd, 65536)
            if not chunk:
                self._eof = True
                self._buffer += self._decoder.decode(b"", final=True)
                break
            self._buffer += self._decoder.decode(chunk)
        if "\n" in self._buffer:
            line, _, self._buffer = self._buffer.partition("\n")
            return line + "\n"
        line, self._buffer = self._buffer, ""
        return line or None

    async def read(self, prompt: Callable[[], None] | None = None) -> str | None:
        """The next line (with its newline), or None at the end of input."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[str | None] = loop.create_future()

        def settle(line: str | None, error: BaseException | None) -> None:
            if future.done():
                return
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(line)

        def work() -> None:
            line: str | None = None
            error: BaseException | None = None
            try:
                if prompt is not None:
                    prompt()
                line = self._read_line_blocking()
            except BaseException as exc:
                error = exc
            with contextlib.suppress(RuntimeError):  # the loop is gone: the bot has stopped
                loop.call_soon_threadsafe(settle, line, error)

        threading.Thread(target=work, name="console-input", daemon=True).start()
        return await future


class ConsoleSession:
    """Turns typed lines into events; the state is who speaks in which group."""

    def __init__(
        self,
        app: App,
        group: str,
        user: str,
        out: TextIO | None = None,
        outbox: Outbox | None = None,
    ) -> None:
        self.app = app
        self.group = group
        self.user = user
        self.out = out or sys.stdout
        self.outbox = outbox  # printed after each line, so replies come before the prompt
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
        try:
            fd: int | None = source.fileno()
        except (AttributeError, OSError, ValueError):
            fd = None  # an in-memory stream: it never blocks
        reader = LineReader(fd) if fd is not None else None
        interactive = source.isatty()
        while True:
            if reader is not None:
                line = await reader.read(self._show_prompt if interactive else None)
            else:
                line = source.readline() or None
            if line is None:
                return
            if not await self.feed(line):
                return
            if self.outbox is not None:
                await self.outbox.flush(2.0)

    def _show_prompt(self) -> None:
        self.out.write(self.prompt())
        self.out.flush()


class ConsoleTransport:
    """The console as a Transport: prints replies, reads typed lines until EOF or :quit."""

    name = "console"
    capabilities = CAPABILITIES

    def __init__(
        self, group: str, user: str, stdin: TextIO | None = None, out: TextIO | None = None
    ) -> None:
        self.group = group
        self.user = user
        self.stdin = stdin
        self.printer = ConsoleSender(out)
        self.outbox = Outbox(
            self.printer.deliver,
            policy=OutboxPolicy(max_text_bytes=1 << 20),
            name=self.name,
            # a line printed twice on a terminal is harmless; a missing one is not
            unknown_outcome=UnknownOutcome.RESEND,
        )
        self._reading: asyncio.Task[None] | None = None

    @property
    def sender(self) -> Outbox:
        return self.outbox

    async def run(self, app: App) -> None:
        await start_outbox(self.outbox, app)
        session = ConsoleSession(app, self.group, self.user, self.printer.out, self.outbox)
        self._reading = asyncio.create_task(session.run(self.stdin), name="console-session")
        with contextlib.suppress(asyncio.CancelledError):
            await self._reading

    async def close(self) -> None:
        """Stop reading (a line being handled finishes first: the App waits for it)."""
        if self._reading is not None:
            self._reading.cancel()
        await self.outbox.close()


def build(config: AppConfig) -> ConsoleTransport:
    settings = config.root.transport.console
    # An operator's own config with `groups: {g1: ...}` starts in g1, not in a group on the
    # defaults that no setting of theirs applies to.
    group = settings.group or next(iter(config.groups), "demo")
    return ConsoleTransport(group, settings.user)

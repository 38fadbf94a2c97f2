"""`groupops replay`: drive the real bot from a transcript in virtual time.

    2026-11-21T08:00:00 GROUP USER: text       a message (local time in the group's timezone)
    2026-11-21T08:00:00 GROUP USER#MSGID: text  the same with an explicit message id
    2026-11-21T08:00:00 GROUP +USER             USER joins; -USER leaves
    # comment, and blank lines, are ignored

`@user` in a text mentions that user id. Scheduled jobs due between two lines run, in time
order, before the later line.

A transcript is UTF-8 text whose lines end with \n (or \r\n); other Unicode line
separators (U+2028, U+2029, ...) belong to the message they are in. Times lie between
EARLIEST and LATEST; `until` at most MAX_UNTIL_DAYS after the last line.
The bot's messages go through the outbox like on every transport: stored with the event (or
job run) that caused them, then delivered in order after it. Replaying a transcript again
into the same database (after a crash, say) handles its events again and adds no message
that was already stored. A `DeliveryLog` (`--delivery-log FILE`) appends each delivery to a
file and fsyncs it; it is also how a restarted replay learns whether a message that was
being delivered when the process died got out (so it is neither lost nor repeated).
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from pathlib import Path
from typing import TextIO

from bot.app import App
from bot.clock import FakeClock
from bot.config import AppConfig
from bot.events import Event, MemberJoined, MemberLeft, Message, OutgoingMessage
from bot.text.inbound import strip_bot_mention
from bot.transports.outbox import Outbox, OutboxItem, OutboxPolicy, UnknownOutcome

_LINE = re.compile(
    r"^(?P<ts>\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2})?)\s+(?P<group>\S+)\s+"
    r"(?:(?P<sign>[+-])(?P<member>[^\s:]+)\s*$"
    r"|(?P<user>[^\s:#]+)(?:#(?P<msgid>[^\s:]+))?[:：]\s?(?P<text>.*)$)"
)
_MENTION = re.compile(r"@([^\s@，,。:：!！?？]+)")
EARLIEST = datetime(2000, 1, 1)
LATEST = datetime(2099, 12, 31, 23, 59, 59)
MAX_UNTIL_DAYS = 366


class TranscriptError(ValueError):
    def __init__(self, line_no: int, message: str) -> None:
        super().__init__(f"line {line_no}: {message}")
        self.line_no = line_no


class UntilError(ValueError):
    """`--until` is not a time, or lies too far after the transcript."""


def decode_transcript(data: bytes) -> str:
    """UTF-8 text (a BOM is skipped); TranscriptError names the first line that is not."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        start = data.rfind(b"\n", 0, exc.start) + 1
        line_no = data.count(b"\n", 0, exc.start) + 1
        raise TranscriptError(
            line_no,
            f"not UTF-8 text (byte 0x{data[exc.start]:02x} at byte {exc.start - start + 1} of the line); "
            "save the transcript as UTF-8",
        ) from None


def parse_until(text: str, tz: tzinfo) -> datetime:
    """A `--until` time: ISO date or date and time, local to `tz` unless it has an offset."""
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise UntilError(
            f"{text!r} is not a time; write it as YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS]"
        ) from None
    if not EARLIEST <= when.replace(tzinfo=None) <= LATEST:
        raise UntilError(f"{text!r} is outside {EARLIEST.year}-{LATEST.year}")
    return when if when.tzinfo is not None else when.replace(tzinfo=tz)


def _check_until(until: datetime, lines: list[TranscriptLine]) -> None:
    last = lines[-1].event.time if lines else None
    if last is not None and until - last > timedelta(days=MAX_UNTIL_DAYS):
        raise UntilError(
            f"{until.isoformat()} is {(until - last).days} days after the transcript's last "
            f"line (line {lines[-1].line_no}); at most {MAX_UNTIL_DAYS} days"
        )


@dataclass(frozen=True)
class TranscriptLine:
    line_no: int
    event: Event


def parse_transcript(text: str, config: AppConfig) -> list[TranscriptLine]:
    out: list[TranscriptLine] = []
    bot_ids = {config.root.bot.user_id, config.root.bot.name}
    last: datetime | None = None
    # Lines end with \n only: str.splitlines() would also split a message at U+2028,
    # U+2029, U+0085, \x1c-\x1e, \v or \f inside it.
    for line_no, raw in enumerate(text.split("\n"), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        found = _LINE.match(line)
        if found is None:
            raise TranscriptError(
                line_no, f"not a transcript line: {raw!r} (expected 'TIME GROUP USER: text')"
            )
        group = found["group"]
        try:
            naive = datetime.fromisoformat(found["ts"].replace(" ", "T"))
        except ValueError as exc:
            raise TranscriptError(line_no, f"bad time {found['ts']!r}: {exc}") from None
        if not EARLIEST <= naive <= LATEST:
            raise TranscriptError(
                line_no, f"time {found['ts']!r} is outside {EARLIEST.year}-{LATEST.year}"
            )
        when = naive.replace(tzinfo=config.group(group).tz)
        if last is not None and when < last:
            raise TranscriptError(line_no, "time goes backwards")
        last = when
        event: Event
        if found["sign"]:
            member = found["member"]
            if found["sign"] == "+":
                event = MemberJoined(group, member, when, event_id=f"L{line_no}")
            else:
                event = MemberLeft(group, member, when, event_id=f"L{line_no}")
        else:
            named = _MENTION.findall(found["text"])
            text_, mentions_bot = strip_bot_mention(found["text"], bot_ids)
            event = Message(
                group_id=group,
                sender_id=found["user"],
                message_id=found["msgid"] or f"L{line_no}",
                text=text_,
                time=when,
                mentions=tuple(dict.fromkeys(n for n in named if n not in bot_ids)),
                mentions_bot=mentions_bot or any(n in bot_ids for n in named),
                sender_name=found["user"],
            )
        out.append(TranscriptLine(line_no, event))
    return out


class DeliveryLog:
    """An append-only file of delivered messages, one JSON object a line, keyed by the
    outbox item id; each line is fsynced before the delivery counts as done."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.delivered: set[str] = set()
        old = self.path.read_bytes() if self.path.exists() else b""
        for raw in old.decode("utf-8", "replace").splitlines():
            try:
                self.delivered.add(str(json.loads(raw)["id"]))
            except (ValueError, KeyError, TypeError):
                continue  # a line torn by a crash: that delivery did not complete
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        if old and not old.endswith(b"\n"):
            os.write(self._fd, b"\n")  # end the torn line before appending

    def record(self, item: OutboxItem, out: OutgoingMessage) -> None:
        line = {
            "id": item.id,
            "group": out.group_id,
            "text": out.text,
            "mentions": list(out.mentions),
            "at": out.at.isoformat() if out.at else None,
        }
        os.write(self._fd, (json.dumps(line, ensure_ascii=False) + "\n").encode("utf-8"))
        os.fsync(self._fd)
        self.delivered.add(item.id)

    def confirm(self, item: OutboxItem) -> bool:
        """Whether an item the last run was delivering when it died got out."""
        return item.id in self.delivered

    def close(self) -> None:
        os.close(self._fd)


class ReplaySender:
    """The replay's way out: delivers outbox items at their virtual time, records them and
    streams them to a callback (and to a DeliveryLog)."""

    def __init__(
        self,
        clock: FakeClock,
        config: Callable[[], AppConfig],
        emit: Callable[[OutgoingMessage], None] | None = None,
        log: DeliveryLog | None = None,
    ) -> None:
        self.clock = clock
        self.config = config
        self.emit = emit
        self.log = log
        self.sent: list[OutgoingMessage] = []

    def _record(self, out: OutgoingMessage) -> None:
        self.sent.append(out)
        if self.emit is not None:
            self.emit(out)

    def _at(self, group_id: str, when: datetime | None = None) -> datetime:
        return (when or self.clock.now()).astimezone(self.config().group(group_id).tz)

    async def deliver(self, item: OutboxItem) -> None:
        """The outbox's deliver function."""
        at = self._at(item.conversation, item.created_at)
        if item.kind == "image" and item.image_path:
            out = OutgoingMessage(item.conversation, item.text, (), at, image_path=item.image_path)
        else:
            out = OutgoingMessage(item.conversation, item.text, tuple(item.mentions), at)
        if self.log is not None:
            self.log.record(item, out)
        self._record(out)

    async def send_text(self, group_id: str, text: str, mentions: Sequence[str] = ()) -> None:
        self._record(OutgoingMessage(group_id, text, tuple(mentions), self._at(group_id)))

    async def send_image(self, group_id: str, path: str, caption: str = "") -> None:
        self._record(OutgoingMessage(group_id, caption, (), self._at(group_id), image_path=path))


def replay_outbox(sender: ReplaySender, clock: FakeClock) -> Outbox:
    """The outbox a replay sends through: no limits, no splitting, delivered by hand."""
    log = sender.log
    return Outbox(
        sender.deliver,
        policy=OutboxPolicy(max_text_bytes=1 << 20),
        clock=clock,
        name="replay",
        # printing again is harmless; with a delivery log the restarted run knows exactly
        unknown_outcome=UnknownOutcome.RESEND,
        confirm=log.confirm if log is not None else None,
    )


def format_outgoing(out: OutgoingMessage, as_json: bool) -> str:
    at = out.at.isoformat() if out.at else None
    if as_json:
        record: dict[str, object] = {
            "at": at,
            "group": out.group_id,
            "text": out.text,
            "mentions": list(out.mentions),
        }
        if out.image_path:
            record["image"] = out.image_path
        return json.dumps(record, ensure_ascii=False)
    mention = "".join(f"@{m} " for m in out.mentions)
    image = f" [图片: {out.image_path}]" if out.image_path else ""
    stamp = out.at.strftime("%Y-%m-%d %H:%M:%S") if out.at else ""
    body = (mention + out.text).replace("\n", "\n    ")
    return f"[{stamp}] {out.group_id} 🤖 {body}{image}"


async def run_replay(
    transcript: str,
    config: AppConfig,
    db_url: str,
    *,
    emit: Callable[[OutgoingMessage], None] | None = None,
    until: datetime | None = None,
    on_app: Callable[[App], None] | None = None,
    delivery_log: DeliveryLog | None = None,
) -> list[OutgoingMessage]:
    """Replay a transcript against a database; returns every message the bot sent."""
    lines = parse_transcript(transcript, config)
    if until is not None:
        _check_until(until, lines)
    start = lines[0].event.time if lines else (until or datetime.now().astimezone())
    clock = FakeClock(start - timedelta(seconds=1))
    holder: list[App] = []
    sender = ReplaySender(clock, lambda: holder[0].config, emit, delivery_log)
    outbox = replay_outbox(sender, clock)
    app = App(config, sender=outbox, clock=clock, db_url=db_url)
    holder.append(app)
    await app.start()
    if on_app is not None:
        on_app(app)
    try:
        await outbox.load()  # what a killed earlier run left undelivered goes out first
        await outbox.deliver_ready()
        for line in lines:
            await app.scheduler.run_due(line.event.time, on_fire=clock.set)
            await outbox.deliver_ready()
            clock.set(line.event.time)
            await app.handle(line.event)
            await outbox.deliver_ready()
        if until is not None:
            await app.scheduler.run_due(until, on_fire=clock.set)
            await outbox.deliver_ready()
    finally:
        await app.close()
    return sender.sent


def print_to(stream: TextIO, as_json: bool) -> Callable[[OutgoingMessage], None]:
    closed = False

    def emit(out: OutgoingMessage) -> None:
        nonlocal closed
        if closed:
            return
        try:
            stream.write(format_outgoing(out, as_json) + "\n")
            stream.flush()
        except BrokenPipeError:
            closed = True  # the reader went away (e.g. `| head`); the replay still finishes

    return emit


def read_transcript(path: str) -> str:
    """The transcript's text; TranscriptError when it is not UTF-8, OSError when unreadable."""
    data = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
    return decode_transcript(data)

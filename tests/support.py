"""Test helpers shared by every test module: fakes, not mocks."""

from __future__ import annotations

import itertools
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import asyncpg
from sqlalchemy.engine import make_url

from bot.app import App
from bot.clock import FakeClock
from bot.config import AppConfig, parse_config
from bot.events import MemberJoined, Message
from bot.sender import RecordingSender

PG_ENV = "GROUPOPS_TEST_PG_URL"
SHANGHAI = ZoneInfo("Asia/Shanghai")
_ids = itertools.count(1)

BASE_CONFIG = """
timezone: Asia/Shanghai
admins: [admin]
groups:
  g1:
    name: 测试群
    admins: [coach]
  ny:
    name: 纽约群
    timezone: America/New_York
"""


def config_from(text: str = BASE_CONFIG) -> AppConfig:
    return parse_config(text, "test-config.yaml")


def at(text: str, tz: ZoneInfo = SHANGHAI) -> datetime:
    """A local time: at("2026-11-21 08:00")."""
    return datetime.fromisoformat(text).replace(tzinfo=tz)


def msg(
    text: str,
    *,
    user: str = "alice",
    group: str = "g1",
    when: datetime | None = None,
    mid: str | None = None,
    mentions: tuple[str, ...] = (),
    mentions_bot: bool = False,
) -> Message:
    return Message(
        group_id=group,
        sender_id=user,
        message_id=mid or f"t{next(_ids)}",
        text=text,
        time=when or at("2026-11-21 08:00"),
        mentions=mentions,
        mentions_bot=mentions_bot,
        sender_name=user,
    )


def joined(member: str, *, group: str = "g1", when: datetime | None = None) -> MemberJoined:
    return MemberJoined(group, member, when or at("2026-11-21 08:00"), event_id=f"j{next(_ids)}")


class Bot:
    """The real App with a FakeClock and a RecordingSender: push events, read replies."""

    def __init__(self, app: App, clock: FakeClock, sender: RecordingSender) -> None:
        self.app = app
        self.clock = clock
        self.sender = sender

    async def say(self, text: str, **kw: object) -> list[str]:
        """Send a message (the clock moves to its time); returns the bot's new replies."""
        message = msg(text, **kw)  # type: ignore[arg-type]
        return await self.push(message)

    async def push(self, event: Message | MemberJoined) -> list[str]:
        before = len(self.sender.sent)
        if event.time > self.clock.now():
            await self.app.scheduler.run_due(event.time, on_fire=self.clock.set)
            self.clock.set(event.time)
        await self.app.handle(event)
        return [m.text for m in self.sender.sent[before:]]


@asynccontextmanager
async def running_bot(
    db_url: str, config: AppConfig | None = None, start: datetime | None = None
) -> AsyncIterator[Bot]:
    clock = FakeClock(start or at("2026-11-01 00:00"))
    sender = RecordingSender(clock)
    app = App(config or config_from(), sender=sender, clock=clock, db_url=db_url)
    await app.start()
    try:
        yield Bot(app, clock, sender)
    finally:
        await app.close()


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


@asynccontextmanager
async def fresh_pg_database() -> AsyncIterator[str]:
    """A new, empty PostgreSQL database for one test, dropped afterwards."""
    base = os.environ[PG_ENV]
    url = make_url(base.replace("postgresql+asyncpg://", "postgresql://"))
    name = f"groupops_t_{uuid.uuid4().hex[:12]}"
    admin_dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await asyncpg.connect(admin_dsn)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    try:
        yield url.set(drivername="postgresql+asyncpg", database=name).render_as_string(
            hide_password=False
        )
    finally:
        conn = await asyncpg.connect(admin_dsn)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()

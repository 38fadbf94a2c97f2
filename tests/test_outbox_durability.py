"""Nothing lost, nothing doubled through restarts: the transactional outbox end to end.

Each test plays a real failure on a real database (SQLite file and PostgreSQL): a reply
queued while another send is in flight, a stop right after a reply was produced, a send the
platform accepted before the process died, a crash between claiming a ritual run and its post.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence

from aiohttp import web
from sqlalchemy import func, select

from bot.app import App
from bot.clock import FakeClock
from bot.config import AppConfig
from bot.settings.transport import WecomWebhookSettings
from bot.transports.outbox import Outbox
from bot.transports.outbox_store import start_outbox
from bot.transports.wecom_webhook import WeComWebhookTransport
from storage.models import Checkin, OutboxRow
from storage.models.base import Base
from storage.session import DbSession
from tests.support import at, config_from, msg
from tests.transport_support import FakeDeliver
from tests.wecom_support import FakeWebhookServer

KEY = "robot-key-1"

FOUR_POSTS = """
timezone: Asia/Shanghai
groups:
  g1:
    name: 测试群
    rituals:
      - {id: p1, schedule: "0 9 * * *", text: 第一条公告}
      - {id: p2, schedule: "1 9 * * *", text: 第二条公告}
      - {id: p3, schedule: "2 9 * * *", text: 第三条公告}
      - {id: p4, schedule: "3 9 * * *", text: 第四条公告}
"""


class HoldingWebhookServer(FakeWebhookServer):
    """The webhook, except that the answer to a post waits while `hold` is clear: a send
    stays in flight for as long as the test wants."""

    def __init__(self) -> None:
        super().__init__()
        self.hold = asyncio.Event()
        self.hold.set()
        self.received: list[str] = []  # texts as they arrive, before the answer

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.received.append(body["text"]["content"])
        self.signal.changed()
        await self.hold.wait()
        self.posts.append((KEY, body))
        self.signal.changed()
        return web.json_response({"errcode": 0, "errmsg": "ok"})


@contextlib.asynccontextmanager
async def holding_server() -> AsyncIterator[HoldingWebhookServer]:
    server = HoldingWebhookServer()
    await server.start()
    try:
        yield server
    finally:
        server.hold.set()
        await server.stop()


def webhook(server: FakeWebhookServer, clock: FakeClock) -> WeComWebhookTransport:
    settings = WecomWebhookSettings.model_validate({"url": server.url, "timeout_s": 5})
    return WeComWebhookTransport(settings, key=KEY, clock=clock)


@contextlib.asynccontextmanager
async def running(
    config: AppConfig, db_url: str, clock: FakeClock, server: FakeWebhookServer
) -> AsyncIterator[tuple[App, WeComWebhookTransport]]:
    """The App sending through a webhook transport's outbox, its delivery loop running."""
    transport = webhook(server, clock)
    app = App(config, sender=transport.outbox, clock=clock, db_url=db_url)
    await app.start()
    try:
        await start_outbox(transport.outbox, app)
        yield app, transport
    finally:
        await transport.close()
        await app.close()


async def outbox_rows(app: App) -> list[tuple[str, str]]:
    async with app.uow() as uow:
        rows = await uow.session.execute(
            select(OutboxRow.text, OutboxRow.status).order_by(OutboxRow.created_at)
        )
        return [(r[0], r[1]) for r in rows]


async def test_posts_queued_while_a_send_is_in_flight_are_sent_once_across_a_restart(
    db_url: str,
) -> None:
    config = config_from(FOUR_POSTS)
    clock = FakeClock(at("2026-11-21 08:59"))
    async with holding_server() as server:
        async with running(config, db_url, clock, server) as (app, transport):
            server.hold.clear()
            await app.scheduler.run_due(at("2026-11-21 09:00"), on_fire=clock.set)
            await server.signal.until(lambda: len(server.received) == 1, "the first post")
            # the first post is in flight; the other three are queued meanwhile
            await app.scheduler.run_due(at("2026-11-21 09:03"), on_fire=clock.set)
            server.hold.set()
            await server.signal.until(lambda: len(server.posts) == 4, "four posts")
            await asyncio.wait_for(transport.outbox.join(), 5)
            assert [s for _, s in await outbox_rows(app)] == ["sent"] * 4
        async with running(config, db_url, clock, server) as (app, transport):
            await asyncio.wait_for(transport.outbox.join(), 5)
            for _ in range(10):  # give a wrongly pending row every chance to go out
                await asyncio.sleep(0.01)
    texts = [body["text"]["content"] for _, body in server.posts]
    assert texts == ["第一条公告", "第二条公告", "第三条公告", "第四条公告"]


async def test_a_reply_survives_a_stop_right_after_it_was_produced(db_url: str) -> None:
    config = config_from()
    clock = FakeClock(at("2026-11-21 08:00"))
    async with holding_server() as server:
        transport = webhook(server, clock)
        app = App(config, sender=transport.outbox, clock=clock, db_url=db_url)
        await app.start()
        await app.handle(msg("打卡 800字", user="alice", when=at("2026-11-21 08:00")))
        # the process dies here: its delivery loop never ran, nothing was closed cleanly
        await app.close()

        async with running(config, db_url, clock, server) as (_app, again):
            await server.signal.until(lambda: len(server.posts) == 1, "the check-in reply")
            await asyncio.wait_for(again.outbox.join(), 5)
    ((_key, body),) = server.posts
    assert "打卡成功" in body["text"]["content"]
    assert body["text"]["mentioned_list"] == ["alice"]


async def test_a_send_the_platform_accepted_is_not_repeated_after_a_restart(
    db_url: str,
) -> None:
    config = config_from()
    clock = FakeClock(at("2026-11-21 08:00"))
    async with holding_server() as server:
        async with running(config, db_url, clock, server) as (app, transport):
            server.hold.clear()  # WeCom has the post, and its answer never comes back
            await app.handle(msg("打卡", user="bob", when=at("2026-11-21 08:00")))
            await server.signal.until(lambda: len(server.received) == 1, "the post")
            await transport.outbox.close(grace_s=0.05)  # killed while waiting for the answer
        server.hold.set()
        async with running(config, db_url, clock, server) as (app, transport):
            await asyncio.wait_for(transport.outbox.join(), 5)
            for _ in range(10):
                await asyncio.sleep(0.01)
            rows = await outbox_rows(app)
    assert len(server.received) == 1  # posted once, never again
    ((text, status),) = rows
    assert "打卡成功" in text and status == "unknown"


async def test_the_check_in_and_its_reply_commit_together(db_url: str) -> None:
    """A reply is stored in the event's transaction: both rows are there, or neither."""
    config = config_from()
    clock = FakeClock(at("2026-11-21 08:00"))
    deliver = FakeDeliver(clock)
    outbox = Outbox(deliver, clock=clock, name="test")
    app = App(config, sender=outbox, clock=clock, db_url=db_url)
    await app.start()
    try:
        async with app.uow.scope("m:g1:x1"):
            await app.router.dispatch(
                msg("打卡", user="carol", mid="x1", when=at("2026-11-21 08:00")),
                app.context("g1"),
            )
            async with app.uow() as uow:  # inside the event: both written, not committed
                assert await count(uow.session, Checkin) == 1
                assert await count(uow.session, OutboxRow) == 1
            raise asyncio.CancelledError  # the process dies before the end of the event
    except asyncio.CancelledError:
        pass
    try:
        async with app.uow() as uow:
            assert await count(uow.session, Checkin) == 0
            assert await count(uow.session, OutboxRow) == 0
        assert outbox.pending() == []
        # delivered again after the restart: handled as new, stored together
        app.router.seen = type(app.router.seen)()  # a restart forgets what it saw
        await app.handle(msg("打卡", user="carol", mid="x1", when=at("2026-11-21 08:00")))
        async with app.uow() as uow:
            assert await count(uow.session, Checkin) == 1
            assert await count(uow.session, OutboxRow) == 1
        assert [i.text[:5] for i in outbox.pending()] == ["✅ 打卡成"]
    finally:
        await app.close()


async def test_a_redelivered_event_makes_no_new_outbox_rows(db_url: str) -> None:
    config = config_from()
    clock = FakeClock(at("2026-11-21 08:00"))
    outbox = Outbox(FakeDeliver(clock), clock=clock, name="test")
    app = App(config, sender=outbox, clock=clock, db_url=db_url)
    await app.start()
    try:
        event = msg("打卡", user="dan", mid="m-9", when=at("2026-11-21 08:00"))
        await app.handle(event)
        app.router.seen = type(app.router.seen)()  # a restart forgets what it saw
        await app.handle(event)  # the platform delivers it again
        async with app.uow() as uow:
            rows = list(await uow.session.scalars(select(OutboxRow)))
        assert len(rows) == 1 and "打卡成功" in rows[0].text
        assert rows[0].source == "m:g1:m-9"
        assert [i.id for i in outbox.pending()] == [rows[0].id]
    finally:
        await app.close()


class ProcessKilled(BaseException):
    """Stands for SIGKILL: nothing after it runs, and no handler catches it."""


class DyingSender:
    """Sends while alive; once `dying`, the process is killed in the middle of a send."""

    def __init__(self) -> None:
        self.dying = False
        self.texts: list[str] = []

    async def send_text(self, group_id: str, text: str, mentions: Sequence[str] = ()) -> None:
        if self.dying:
            raise ProcessKilled
        self.texts.append(text)

    async def send_image(self, group_id: str, path: str, caption: str = "") -> None:
        await self.send_text(group_id, caption)


async def test_a_crash_between_claiming_a_ritual_run_and_posting_it_loses_nothing(
    db_url: str,
) -> None:
    config = config_from(FOUR_POSTS)
    clock = FakeClock(at("2026-11-20 08:59"))
    dying = DyingSender()
    first = App(config, sender=dying, clock=clock, db_url=db_url)
    await first.start()
    try:
        await first.scheduler.run_due(at("2026-11-20 09:03"), on_fire=clock.set)  # a day ok
        assert len(dying.texts) == 4
        dying.dying = True
        await first.scheduler.run_due(at("2026-11-21 09:00"), on_fire=clock.set)
    except ProcessKilled:
        pass
    finally:
        await first.close()

    clock.set(at("2026-11-21 09:05"))  # restarted five minutes later, within the grace
    deliver = FakeDeliver(clock)
    outbox = Outbox(deliver, clock=clock, name="test")
    second = App(config, sender=outbox, clock=clock, db_url=db_url)
    await second.start()
    try:
        await second.scheduler.run_due(clock.now())
        await outbox.deliver_ready()
    finally:
        await second.close()
    assert deliver.texts() == ["第一条公告", "第二条公告", "第三条公告", "第四条公告"]


async def count(session: DbSession, model: type[Base]) -> int:
    result = await session.execute(select(func.count()).select_from(model))
    return int(result.scalar_one())


async def test_a_reply_echoing_nul_or_a_lone_surrogate_is_stored_with_its_event(
    db_url: str,
) -> None:
    config = config_from()
    clock = FakeClock(at("2026-11-21 08:00"))
    deliver = FakeDeliver(clock)
    outbox = Outbox(deliver, clock=clock, name="test")
    app = App(config, sender=outbox, clock=clock, db_url=db_url)
    await app.start()
    try:
        async with app.uow.scope("m:g1:odd"):
            async with app.uow() as unit:
                unit.session.add(_checkin("erin"))
            await outbox.send_text("g1", "收到：a\x00b \ud800c")
        await outbox.deliver_ready()
        async with app.uow() as uow:
            assert await count(uow.session, Checkin) == 1
    finally:
        await app.close()
    assert deliver.texts() == ["收到：ab ?c"]


def _checkin(member: str) -> Checkin:
    return Checkin(
        group_id="g1",
        member_id=member,
        day=at("2026-11-21 08:00").date(),
        checked_at=at("2026-11-21 08:00"),
        message_id=f"m-{member}",
        content="",
        word_count=None,
        streak=1,
        points=10,
        makeup=False,
    )

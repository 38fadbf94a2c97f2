"""The outbox with a fake deliver and a fake clock: nothing here sleeps."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from datetime import UTC, datetime, timedelta

import pytest

from bot.clock import FakeClock
from bot.transports.outbox import (
    MemoryOutboxStore,
    NotConnectedError,
    Outbox,
    OutboxItem,
    OutboxPolicy,
    PermanentSendError,
    RateLimit,
    TransientSendError,
    UnknownOutcome,
    split_utf8,
)
from tests.transport_support import FakeDeliver, VirtualSleep

T0 = datetime(2026, 11, 21, 0, 0, tzinfo=UTC)


def make(
    policy: OutboxPolicy | None = None, store: MemoryOutboxStore | None = None
) -> tuple[Outbox, FakeDeliver, FakeClock, VirtualSleep]:
    clock = FakeClock(T0)
    deliver = FakeDeliver(clock)
    sleep = VirtualSleep(clock)
    ids = itertools.count(1)
    outbox = Outbox(
        deliver,
        policy=policy,
        clock=clock,
        sleep=sleep,
        store=store,
        name="test",
        new_id=lambda: f"m{next(ids)}",
    )
    return outbox, deliver, clock, sleep


async def run_until_idle(outbox: Outbox) -> None:
    await outbox.start()
    try:
        await asyncio.wait_for(outbox.join(), timeout=5)
    finally:
        await outbox.close()


# --- splitting ---------------------------------------------------------------------------


def test_split_never_cuts_a_character_and_respects_the_byte_limit() -> None:
    text = "写作" * 50 + "🙂" * 20 + "abc" * 10  # 3-byte, 4-byte and 1-byte characters
    for limit in (4, 5, 7, 10, 64, 101):
        parts = split_utf8(text, limit)
        assert "".join(parts) == text
        assert all(len(p.encode("utf-8")) <= limit for p in parts)
        assert all(p for p in parts)


def test_split_prefers_newlines_and_drops_them() -> None:
    lines = ["第一行：" + "字" * 20, "第二行：" + "字" * 20, "第三行：" + "字" * 20]
    text = "\n".join(lines)
    limit = len(("\n".join(lines[:2])).encode("utf-8")) + 5
    assert split_utf8(text, limit) == ["\n".join(lines[:2]), lines[2]]


def test_split_falls_back_to_sentence_ends_then_characters() -> None:
    text = "这是第一句。" + "这是第二句很长很长" * 3
    parts = split_utf8(text, 30)  # 10 Chinese characters
    assert parts[0] == "这是第一句。"
    assert "".join(parts) == text


def test_split_keeps_emoji_sequences_whole() -> None:
    family = "👨\u200d👩\u200d👧"  # one visible emoji, five code points, 18 bytes
    text = "abcde" + family + "fg"
    for limit in (20, 22):
        parts = split_utf8(text, limit)
        assert parts == ["abcde", family + "fg"]
    # too big for one part: still a valid split at character boundaries
    assert "".join(split_utf8(text, 8)) == text


def test_short_text_is_one_part() -> None:
    assert split_utf8("你好", 2048) == ["你好"]
    assert split_utf8("", 2048) == [""]


async def test_long_text_is_sent_in_parts_in_order_with_mentions_on_the_first() -> None:
    outbox, deliver, _clock, _sleep = make(OutboxPolicy(max_text_bytes=30))
    text = "\n".join(f"第{i}行内容" for i in range(10))  # 15 bytes a line
    await outbox.send_text("g1", text, ["alice"])
    await run_until_idle(outbox)
    items = [item for _, item in deliver.delivered]
    assert "\n".join(deliver.texts()) == text
    assert all(len(i.text.encode()) <= 30 for i in items)
    assert [i.mentions for i in items] == [("alice",)] + [()] * (len(items) - 1)
    assert [i.part for i in items] == list(range(1, len(items) + 1))
    assert {i.parts for i in items} == {len(items)}


async def test_mention_reserve_shrinks_the_first_part() -> None:
    outbox, deliver, _clock, _sleep = make(
        OutboxPolicy(max_text_bytes=40, mention_reserve_bytes=10)
    )
    await outbox.send_text("g1", "字" * 18, ["a", "b"])  # 54 bytes
    await run_until_idle(outbox)
    first, second = deliver.texts()
    assert (len(first.encode()), len(second.encode())) == (18, 36)


# --- rate limits ---------------------------------------------------------------------------


async def test_per_conversation_rate_limit_is_respected_in_virtual_time() -> None:
    policy = OutboxPolicy(per_conversation=(RateLimit(20, 60),))
    outbox, deliver, _clock, sleep = make(policy)
    for i in range(45):
        await outbox.send_text("g1", f"消息{i}")
    await outbox.send_text("g2", "另一个群")
    await run_until_idle(outbox)
    assert deliver.texts()[:21] == [f"消息{i}" for i in range(20)] + ["另一个群"]
    times = [t for t, item in deliver.delivered if item.conversation == "g1"]
    assert len(times) == 45
    for i in range(len(times) - 20):  # any 21 consecutive sends span at least 60 s
        assert times[i + 20] - times[i] >= timedelta(seconds=60)
    assert times[-1] - T0 == timedelta(seconds=120)  # and no slower than needed
    assert sleep.calls  # it waited through the injected sleep


async def test_a_limited_conversation_does_not_hold_up_others() -> None:
    policy = OutboxPolicy(per_conversation=(RateLimit(1, 60),))
    outbox, deliver, _clock, _sleep = make(policy)
    await outbox.send_text("g1", "a1")
    await outbox.send_text("g1", "a2")
    await outbox.send_text("g2", "b1")
    await run_until_idle(outbox)
    assert [(t - T0).total_seconds() for t, _ in deliver.delivered] == [0, 0, 60]
    assert deliver.texts() == ["a1", "b1", "a2"]


async def test_hourly_and_overall_limits_combine() -> None:
    policy = OutboxPolicy(
        per_conversation=(RateLimit(3, 60), RateLimit(4, 3600)), overall=(RateLimit(5, 10),)
    )
    outbox, deliver, _clock, _sleep = make(policy)
    for i in range(5):
        await outbox.send_text("g1", f"x{i}")
    for i in range(3):
        await outbox.send_text("g2", f"y{i}")
    await run_until_idle(outbox)
    when = {item.text: (t - T0).total_seconds() for t, item in deliver.delivered}
    assert when["x3"] == 60  # 3 per minute
    assert when["x4"] == 3600  # 4 per hour
    # overall 5 per 10 s: x0 x1 x2 y0 y1 at 0 s, y2 waits for the window
    assert when["y2"] == 10


# --- retries -------------------------------------------------------------------------------


async def test_transient_failures_retry_with_exponential_backoff_and_the_same_id() -> None:
    policy = OutboxPolicy(retry_base_s=2, retry_max_s=10, max_attempts=10)
    outbox, deliver, _clock, _sleep = make(policy)
    deliver.fail = lambda item: TransientSendError("timeout") if item.attempt <= 4 else None
    await outbox.send_text("g1", "你好")
    await run_until_idle(outbox)
    offsets = [(a.attempt, a.id) for a in deliver.attempts]
    assert offsets == [(n, "m1.1") for n in range(1, 6)]
    ((t, _item),) = deliver.delivered
    assert (t - T0).total_seconds() == 2 + 4 + 8 + 10  # doubled, capped at retry_max_s
    assert outbox.retried == 4 and outbox.sent == 1


async def test_retry_after_from_the_platform_wins_over_backoff() -> None:
    outbox, deliver, _clock, _sleep = make(OutboxPolicy(retry_base_s=1))
    deliver.fail = lambda item: (
        TransientSendError("45009", retry_after=30) if item.attempt == 1 else None
    )
    await outbox.send_text("g1", "hi")
    await run_until_idle(outbox)
    assert [(t - T0).total_seconds() for t, _ in deliver.delivered] == [30]


async def test_a_failing_item_keeps_its_conversation_in_order() -> None:
    outbox, deliver, _clock, _sleep = make(OutboxPolicy(retry_base_s=5))
    deliver.fail = lambda item: (
        TransientSendError() if item.text == "1" and item.attempt == 1 else None
    )
    for text in ("1", "2", "3"):
        await outbox.send_text("g1", text)
    await outbox.send_text("g2", "other")
    await run_until_idle(outbox)
    assert deliver.texts() == ["other", "1", "2", "3"]


async def test_permanent_errors_and_exhausted_retries_are_given_up_and_stored(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = MemoryOutboxStore()
    outbox, deliver, _clock, _sleep = make(OutboxPolicy(max_attempts=3), store)

    def fail(item: OutboxItem) -> Exception | None:
        if item.text == "bad":
            return PermanentSendError("93000 invalid webhook key")
        if item.text == "flaky":
            return TransientSendError("503")
        return None

    deliver.fail = fail
    await outbox.send_text("g1", "bad")
    await outbox.send_text("g1", "flaky")
    await outbox.send_text("g1", "good")
    await run_until_idle(outbox)
    assert deliver.texts() == ["good"]
    assert len([a for a in deliver.attempts if a.text == "flaky"]) == 3
    assert store.status == {"m1.1": "failed", "m2.1": "failed", "m3.1": "sent"}
    assert outbox.failed == 2
    assert "93000 invalid webhook key" in caplog.text and "gave up on m2.1" in caplog.text


async def test_an_unexpected_exception_is_logged_and_retried(
    caplog: pytest.LogCaptureFixture,
) -> None:
    outbox, deliver, _clock, _sleep = make()
    deliver.fail = lambda item: KeyError("bug") if item.attempt == 1 else None
    await outbox.send_text("g1", "hi")
    await run_until_idle(outbox)
    assert deliver.texts() == ["hi"]
    assert "unexpected error for m1.1" in caplog.text and "KeyError" in caplog.text


# --- disconnects ---------------------------------------------------------------------------


async def test_disconnect_pauses_and_reconnect_delivers_each_item_once() -> None:
    outbox, deliver, clock, _sleep = make()
    online = {"up": True}

    def fail(item: OutboxItem) -> Exception | None:
        return None if online["up"] else NotConnectedError("socket closed")

    deliver.fail = fail
    await outbox.start()
    await outbox.send_text("g1", "before")
    await asyncio.wait_for(outbox.join(), 5)
    online["up"] = False
    await outbox.send_text("g1", "while-down-1")  # found out by the failed attempt
    await outbox.send_text("g2", "while-down-2")
    await deliver.wait_attempts(2)
    assert not outbox.connected
    attempts_while_down = len(deliver.attempts)
    clock.advance(timedelta(hours=1))  # a long outage: nothing is attempted, nothing expires
    await outbox.send_text("g1", "while-down-3")
    for _ in range(20):
        await asyncio.sleep(0)
    assert len(deliver.attempts) == attempts_while_down
    assert [i.text for i in outbox.pending()] == ["while-down-1", "while-down-2", "while-down-3"]
    online["up"] = True
    outbox.set_connected(True)
    await asyncio.wait_for(outbox.join(), 5)
    await outbox.close()
    assert deliver.texts() == ["before", "while-down-1", "while-down-2", "while-down-3"]
    assert len(set(deliver.ids())) == 4
    assert outbox.failed == 0 and outbox.retried == 0  # a disconnect is not a failed attempt


async def test_items_survive_a_restart_through_the_store_and_go_out_once() -> None:
    store = MemoryOutboxStore()
    first, deliver1, _clock, _sleep = make(store=store)
    first.set_connected(False)
    await first.start()
    await first.send_text("g1", "queued-1")
    await first.send_text("g1", "queued-2")
    await first.close()  # the process stops while offline
    assert deliver1.delivered == []

    second, deliver2, _clock2, _sleep2 = make(store=store)
    await run_until_idle(second)
    assert deliver2.texts() == ["queued-1", "queued-2"]
    assert deliver2.ids() == ["m1.1", "m2.1"]  # the same stable ids

    third, deliver3, _clock3, _sleep3 = make(store=store)
    await run_until_idle(third)
    assert deliver3.delivered == []  # done items are not sent again


async def test_deliver_ready_runs_one_round_by_hand() -> None:
    outbox, deliver, clock, _sleep = make(OutboxPolicy(per_conversation=(RateLimit(2, 60),)))
    for i in range(3):
        await outbox.send_text("g1", str(i))
    assert await outbox.deliver_ready() == 2
    assert outbox.seconds_until_next() == 60
    clock.advance(timedelta(seconds=60))
    assert await outbox.deliver_ready() == 1
    assert deliver.texts() == ["0", "1", "2"] and outbox.seconds_until_next() is None


async def test_image_caption_and_meta_travel_with_the_item() -> None:
    clock = FakeClock(T0)
    deliver = FakeDeliver(clock)
    outbox = Outbox(deliver, clock=clock, sleep=VirtualSleep(clock), meta_for=lambda c: {"req": c})
    await outbox.send_image("g1", "/tmp/card.png", "今日榜单")
    assert outbox.enqueue("g1", "  ") == []  # nothing to send
    await run_until_idle(outbox)
    ((_, item),) = deliver.delivered
    assert (item.kind, item.image_path, item.text, dict(item.meta)) == (
        "image",
        "/tmp/card.png",
        "今日榜单",
        {"req": "g1"},
    )


# --- an attempt whose outcome a crash made unknown ----------------------------------------


async def _left_sending(store: MemoryOutboxStore) -> None:
    """A first process claims an item, the platform gets it, and the process dies before
    the outcome is stored."""
    first, deliver, _clock, _sleep = make(store=store)
    await first.send_text("g1", "公告")

    async def dies(item: OutboxItem) -> None:
        await deliver(item)
        raise asyncio.CancelledError  # killed while waiting for the platform's answer

    first._deliver = dies
    with contextlib.suppress(asyncio.CancelledError):
        await first.deliver_ready()
    assert store.status["m1.1"] == "sending"


@pytest.mark.parametrize(
    ("rule", "confirm", "resent", "status"),
    [
        (UnknownOutcome.GIVE_UP, None, False, "unknown"),
        (UnknownOutcome.RESEND, None, True, "sent"),
        (UnknownOutcome.RESEND, True, False, "sent"),  # the platform says it has it
        (UnknownOutcome.GIVE_UP, False, True, "sent"),  # the platform says it does not
    ],
)
async def test_an_item_left_sending_is_resolved_by_the_transports_rule(
    rule: UnknownOutcome, confirm: bool | None, resent: bool, status: str
) -> None:
    store = MemoryOutboxStore()
    await _left_sending(store)
    second, deliver, _clock, _sleep = make(store=store)
    second.unknown_outcome = rule
    second.confirm = (lambda _item: confirm) if confirm is not None else None
    await run_until_idle(second)
    assert (deliver.texts() == ["公告"]) is resent
    assert store.status["m1.1"] == status
    assert second.unknown == (1 if status == "unknown" else 0)

"""Test helper, run as a subprocess: one bot process driven over stdin/stdout.

    python -m tests.bot_process DB_URL CONFIG_FILE START_TIME

The real App (migrations, router, services, scheduler) with a FakeClock and a
RecordingSender. Each stdin line is a JSON command, answered by one JSON line on stdout:

    {"op": "events", "events": [EVENT, ...]}  handle them in order (jobs due first)
    {"op": "tick", "until": TIME}              run jobs due up to TIME, flush the activity log
    {"op": "sent"}                             what the bot said so far
    {"op": "stop"}                             close the app and exit

EVENT: {"kind": "msg", "group", "user", "id", "text", "time", "mentions": [...]}
       or {"kind": "join", "group", "user", "id", "time"}. Times are ISO with an offset.
Logs go to stderr.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from datetime import datetime
from typing import Any

from bot.app import App
from bot.clock import FakeClock
from bot.config import load_config
from bot.events import Event, MemberJoined, Message
from bot.sender import RecordingSender
from handlers.activity import ActivityLog


def event_from(data: dict[str, Any]) -> Event:
    when = datetime.fromisoformat(data["time"])
    if data["kind"] == "join":
        return MemberJoined(data["group"], data["user"], when, event_id=data["id"])
    return Message(
        group_id=data["group"],
        sender_id=data["user"],
        message_id=data["id"],
        text=data["text"],
        time=when,
        mentions=tuple(data.get("mentions", ())),
        sender_name=data["user"],
    )


async def serve(db_url: str, config_file: str, start: datetime) -> None:
    clock = FakeClock(start)
    sender = RecordingSender(clock)
    app = App(load_config(config_file), sender=sender, clock=clock, db_url=db_url)
    await app.start()
    loop = asyncio.get_running_loop()

    def answer(payload: dict[str, Any]) -> None:
        sys.stdout.write(json.dumps(payload, ensure_ascii=False) + "\n")
        sys.stdout.flush()

    answer({"ready": True})
    try:
        while True:
            line = await loop.run_in_executor(None, sys.stdin.readline)
            if not line:
                return
            command = json.loads(line)
            op = command["op"]
            if op == "events":
                for data in command["events"]:
                    event = event_from(data)
                    if event.time > clock.now():
                        await app.scheduler.run_due(event.time, on_fire=clock.set)
                        clock.set(event.time)
                    await app.handle(event)
                answer({"ok": True})
            elif op == "tick":
                until = datetime.fromisoformat(command["until"])
                await app.scheduler.run_due(until, on_fire=clock.set)
                clock.set(max(until, clock.now()))
                await app.services.get(ActivityLog).flush()
                answer({"ok": True})
            elif op == "sent":
                answer({"sent": [[m.group_id, m.text, list(m.mentions)] for m in sender.sent]})
            elif op == "stop":
                answer({"ok": True})
                return
            else:
                answer({"error": f"unknown op {op!r}"})
    finally:
        await app.close()


def main() -> int:
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    db_url, config_file, start = sys.argv[1], sys.argv[2], datetime.fromisoformat(sys.argv[3])
    asyncio.run(serve(db_url, config_file, start))
    return 0


if __name__ == "__main__":
    sys.exit(main())

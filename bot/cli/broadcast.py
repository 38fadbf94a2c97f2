"""`groupops broadcast`: a broadcast (群发) to a group set from the console, and its report.

    groupops broadcast --set SET (--text TEXT | --file FILE) [--at TIME] [--key KEY]
    groupops broadcast --status [ID]
    groupops broadcast --cancel ID

It stores the broadcast in the bot's database (storage.url or --db); the running bot picks
it up within handlers.broadcast.POLL_S seconds (or at its next start) and sends it group by
group, once per group. The broadcast's key is --key, or else derived from the set, the time
and the text: running the same command again finds the broadcast it made and sends nothing
new. `--status` prints the delivery report (the latest broadcast by default).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.cli.common import DEFAULT_CONFIG

TIME_HELP = "YYYY-MM-DD HH:MM (or ISO), in the config's timezone unless it has an offset"


def parse_at(text: str, tz: ZoneInfo) -> datetime:
    when = datetime.fromisoformat(text.strip())
    return when if when.tzinfo is not None else when.replace(tzinfo=tz)


def cmd_broadcast(args: argparse.Namespace) -> int:
    from bot.cli.common import load_or_report, report_db_error
    from bot.clock import SystemClock
    from handlers.broadcast import (
        CANCELLED,
        create_broadcast,
        current_states,
        group_names,
        operator_key,
        status_text,
        unknown_set_text,
    )
    from storage.operator import OperatorDatabaseError, open_database, resolve_db_url
    from storage.repos.broadcasts import BroadcastRepo

    config = load_or_report(args.config)
    if config is None:
        return 1
    tz = ZoneInfo(config.timezone)
    url = resolve_db_url(args.db, config.storage_url)
    now = SystemClock().now()

    if args.status is not None:

        async def show() -> int:
            try:
                async with open_database(url) as uow, uow() as work:
                    repo = BroadcastRepo(work.session)
                    wanted = None if args.status == "latest" else args.status.lower()
                    row = await repo.get(wanted) if wanted else await repo.latest()
                    states = (await current_states(repo, row.id)).all if row else []
            except OperatorDatabaseError as exc:
                return report_db_error(exc)
            if row is None:
                what = f"no broadcast {args.status!r}" if wanted else "no broadcast yet"
                print(f"groupops broadcast: {what}", file=sys.stderr)
                return 1
            names = group_names(config, [d.group_id for d in states])
            print(status_text(row, states, names, tz))
            return 0

        return asyncio.run(show())

    if args.cancel:

        async def cancel() -> int:
            try:
                async with open_database(url) as uow, uow() as work:
                    repo = BroadcastRepo(work.session)
                    row = await repo.get(args.cancel.lower())
                    skipped = await repo.cancel(row.id, now, CANCELLED) if row else 0
            except OperatorDatabaseError as exc:
                return report_db_error(exc)
            if row is None:
                print(f"groupops broadcast: no broadcast {args.cancel!r}", file=sys.stderr)
                return 1
            print(f"broadcast {row.id}: {skipped} group(s) not yet sent to are skipped")
            return 0

        return asyncio.run(cancel())

    if not args.set:
        print(
            "groupops broadcast: give --set SET (with --text or --file), or --status",
            file=sys.stderr,
        )
        return 2
    group_set = config.group_set(args.set)
    if group_set is None:
        print(f"groupops broadcast: {unknown_set_text(config, args.set)}", file=sys.stderr)
        return 2
    if args.file:
        try:
            text = Path(args.file).read_text("utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            print(f"groupops broadcast: cannot read {args.file}: {exc}", file=sys.stderr)
            return 2
    else:
        text = (args.text or "").strip()
    if not text:
        print("groupops broadcast: the text is empty", file=sys.stderr)
        return 2
    max_chars = config.root.broadcast.max_chars
    if len(text) > max_chars:
        print(
            f"groupops broadcast: the text has {len(text)} characters; "
            f"broadcast.max_chars is {max_chars}",
            file=sys.stderr,
        )
        return 2
    send_at = None
    if args.at:
        try:
            send_at = parse_at(args.at, tz)
        except ValueError:
            print(
                f"groupops broadcast: --at: not a time: {args.at!r} ({TIME_HELP})", file=sys.stderr
            )
            return 2
        if send_at <= now:
            print(f"groupops broadcast: --at: {args.at} has passed", file=sys.stderr)
            return 2
    key = f"cli:{args.key}" if args.key else operator_key(group_set.name, text, send_at)

    async def create() -> int:
        try:
            async with open_database(url) as uow:
                created = await create_broadcast(
                    uow,
                    key=key,
                    group_set=group_set,
                    text=text,
                    now=now,
                    send_at=send_at,
                    created_by=None,
                    origin_group=None,
                )
        except OperatorDatabaseError as exc:
            return report_db_error(exc)
        row = created.broadcast
        when = row.send_at.astimezone(tz).strftime("%Y-%m-%d %H:%M")
        if not created.new:
            print(
                f"broadcast {row.id} already exists (same key: set {row.set_name}, status "
                f"{row.status}); nothing new is sent. `groupops broadcast --status {row.id}` "
                "shows its report; --key KEY makes a new one"
            )
            return 0
        print(
            f"broadcast {row.id}: set {group_set.name}, {len(group_set.group_ids)} groups, "
            f"from {when}; the running bot sends it group by group "
            f"(`groupops broadcast --status {row.id}` for the report)"
        )
        return 0

    return asyncio.run(create())


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("broadcast", help="send a message to every group of a set, once each")
    p.add_argument("--set", help="the group set (config.yaml `sets`)")
    text = p.add_mutually_exclusive_group()
    text.add_argument("--text", help="the message")
    text.add_argument("--file", help="a UTF-8 file holding the message")
    p.add_argument("--at", help=f"send at this time, {TIME_HELP}")
    p.add_argument(
        "--key",
        help="idempotency key (default: derived from set, time and text, so a repeated "
        "command sends nothing new)",
    )
    p.add_argument(
        "--status",
        nargs="?",
        const="latest",
        metavar="ID",
        help="print the delivery report of broadcast ID (default: the latest)",
    )
    p.add_argument(
        "--cancel", metavar="ID", help="skip the groups broadcast ID has not been sent to yet"
    )
    p.add_argument("--config", default=DEFAULT_CONFIG)
    p.add_argument("--db", help="SQLite file or database URL instead of storage.url")
    p.set_defaults(func=cmd_broadcast)

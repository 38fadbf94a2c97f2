"""Operator commands of Q&A: `groupops eval ...` and `groupops faq export|import`.

`faq export` and `faq import` never create or migrate the database: a missing SQLite file
or a schema behind the migration heads is refused with a hint (storage/operator.py); the
import writes only into a database that `groupops db upgrade` has already prepared.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("faq", help="export or import FAQ entries")
    faq = p.add_subparsers(dest="faq_command", required=True)
    e = faq.add_parser("export", help="print every FAQ entry (config and database)")
    e.add_argument("--format", choices=["yaml", "csv"], default="yaml")
    e.add_argument("--config", default="config.yaml")
    e.add_argument("--output", "-o", help="write to this file instead of standard output")
    e.add_argument("--db", help="SQLite file or database URL instead of storage.url")
    e.set_defaults(func=cmd_faq_export)
    i = faq.add_parser("import", help="add entries from a YAML or CSV file to the database")
    i.add_argument("file")
    i.add_argument("--config", default="config.yaml")
    i.add_argument("--group", help="only this group sees the entries (default: every group)")
    i.add_argument("--db", help="SQLite file or database URL instead of storage.url")
    i.set_defaults(func=cmd_faq_import)


def _rows(config: Any, url: str) -> list[dict[str, Any]]:
    """Every entry as a plain mapping: config ones by id, database ones by number."""
    from handlers.qa_service import QaService
    from storage.operator import open_database

    async def go() -> list[dict[str, Any]]:
        async with open_database(url) as uow:
            service = QaService(config, uow, build_index=False)
            await service.reload()
        out = []
        for entry in service.entries.values():
            row: dict[str, Any] = {
                "id": entry.key,
                "question": entry.question,
                "answer": entry.answer,
            }
            if entry.aliases:
                row["similar"] = list(entry.aliases)
            groups = sorted(s[2:] for s in entry.scopes if s.startswith("g:"))
            if groups:
                row["groups"] = groups
            row["source"] = entry.source
            out.append(row)
        return out

    return asyncio.run(go())


def cmd_faq_export(args: argparse.Namespace) -> int:
    from bot.cli.common import load_or_report, report_db_error
    from storage.operator import OperatorDatabaseError, resolve_db_url

    config = load_or_report(args.config)
    if config is None:
        return 1
    try:
        rows = _rows(config, resolve_db_url(args.db, config.storage_url))
    except OperatorDatabaseError as exc:
        return report_db_error(exc)
    if args.format == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(["id", "question", "answer", "similar", "groups", "source"])
        for r in rows:
            writer.writerow(
                [
                    r["id"],
                    r["question"],
                    r["answer"],
                    "|".join(r.get("similar", [])),
                    "|".join(r.get("groups", [])),
                    r["source"],
                ]
            )
        text = buf.getvalue()
    else:
        text = yaml.safe_dump({"faq": rows}, allow_unicode=True, sort_keys=False)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"{len(rows)} entries written to {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def cmd_faq_import(args: argparse.Namespace) -> int:
    from bot.cli.common import load_or_report, report_db_error
    from handlers.qa_service import FaqFileError, read_faq_file
    from storage.operator import OperatorDatabaseError, open_database, resolve_db_url
    from storage.repos.faq import FaqRepo

    config = load_or_report(args.config)
    if config is None:
        return 1
    try:
        items = read_faq_file(Path(args.file))
    except FaqFileError as exc:
        print(exc, file=sys.stderr)
        return 1
    now = datetime.now(UTC)  # operator command: wall-clock time of the import

    url = resolve_db_url(args.db, config.storage_url)

    async def go() -> tuple[int, int]:
        added = skipped = 0
        # A write: never into a new file at a mistyped path, never into an old schema.
        database = open_database(url, must_exist=True, require_current=True)
        async with database as uow_factory, uow_factory() as uow:
            repo = FaqRepo(uow.session)
            for item in items:
                if await repo.find_entry(args.group, item.question) is not None:
                    skipped += 1
                    continue
                entry = await repo.add_entry(args.group, item.question, item.answer, "import", now)
                for text in item.similar:
                    await repo.add_alias(str(entry.id), args.group, text, "import", now)
                added += 1
        return added, skipped

    try:
        added, skipped = asyncio.run(go())
    except OperatorDatabaseError as exc:
        return report_db_error(exc)
    print(f"imported {added} entries, skipped {skipped} already present")
    return 0

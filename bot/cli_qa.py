"""Operator commands of Q&A: `groupops eval ...` and `groupops faq export|import`."""

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

from bot.cli_eval import add_eval_parser


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    add_eval_parser(sub)
    p = sub.add_parser("faq", help="export or import FAQ entries")
    faq = p.add_subparsers(dest="faq_command", required=True)
    e = faq.add_parser("export", help="print every FAQ entry (config and database)")
    e.add_argument("--format", choices=["yaml", "csv"], default="yaml")
    e.add_argument("--config", default="config.yaml")
    e.add_argument("--output", "-o", help="write to this file instead of standard output")
    e.set_defaults(func=cmd_faq_export)
    i = faq.add_parser("import", help="add entries from a YAML or CSV file to the database")
    i.add_argument("file")
    i.add_argument("--config", default="config.yaml")
    i.add_argument("--group", help="only this group sees the entries (default: every group)")
    i.set_defaults(func=cmd_faq_import)


def _rows(config: Any) -> list[dict[str, Any]]:
    """Every entry as a plain mapping: config ones by id, database ones by number."""
    from handlers.qa_service import QaService
    from storage.db import create_engine, session_factory
    from storage.migrate import upgrade
    from storage.uow import UnitOfWorkFactory

    async def go() -> list[dict[str, Any]]:
        engine = create_engine(config.storage_url)
        try:
            await upgrade(engine)
            uow = UnitOfWorkFactory(session_factory(engine))
            service = QaService(config, uow, build_index=False)
            await service.reload()
        finally:
            await engine.dispose()
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
    from bot.cli import load_or_report

    config = load_or_report(args.config)
    if config is None:
        return 1
    rows = _rows(config)
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
    from bot.cli import load_or_report
    from handlers.qa_service import FaqFileError, read_faq_file
    from storage.db import create_engine, session_factory
    from storage.migrate import upgrade
    from storage.repos.faq import FaqRepo
    from storage.uow import UnitOfWorkFactory

    config = load_or_report(args.config)
    if config is None:
        return 1
    try:
        items = read_faq_file(Path(args.file))
    except FaqFileError as exc:
        print(exc, file=sys.stderr)
        return 1
    now = datetime.now(UTC)  # operator command: wall-clock time of the import

    async def go() -> tuple[int, int]:
        engine = create_engine(config.storage_url)
        added = skipped = 0
        try:
            await upgrade(engine)
            uow_factory = UnitOfWorkFactory(session_factory(engine))
            async with uow_factory() as uow:
                repo = FaqRepo(uow.session)
                for item in items:
                    if await repo.find_entry(args.group, item.question) is not None:
                        skipped += 1
                        continue
                    entry = await repo.add_entry(
                        args.group, item.question, item.answer, "import", now
                    )
                    for text in item.similar:
                        await repo.add_alias(str(entry.id), args.group, text, "import", now)
                    added += 1
        finally:
            await engine.dispose()
        return added, skipped

    added, skipped = asyncio.run(go())
    print(f"imported {added} entries, skipped {skipped} already present")
    return 0

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

from pydantic import AliasChoices, Field, ValidationError, field_validator

from bot.settings.base import WEEK_MINUTES, Strict
from bot.settings.problems import add_validation_problems, clean_loc, explain, under
from bot.yaml_loader import (
    DATA_LIMITS,
    YamlDocument,
    YamlPath,
    check_characters,
    decode_text,
    load_yaml_file,
    normalize_newlines,
    read_limited,
)

_ID = re.compile(r"^[\w.-]{1,64}$")


class FaqItem(Strict):
    """One FAQ entry written in config.yaml (or in a file named by `faq_file`)."""

    id: str
    question: str = Field(min_length=1)
    answer: str = Field(min_length=1)
    # 相似问法: other ways members ask the same thing (optional).
    similar: list[str] = Field(default=[], validation_alias=AliasChoices("similar", "aliases"))
    # Only these groups see the entry (empty: every group that uses this FAQ list).
    groups: list[str] = []

    @field_validator("id", mode="before")
    @classmethod
    def _id_shape(cls, value: object) -> object:
        if isinstance(value, int):
            value = str(value)
        if isinstance(value, str) and not _ID.match(value):
            raise ValueError("an FAQ id is 1-64 letters, digits, '-', '_' or '.' without spaces")
        return value


class QASettings(Strict):
    enabled: bool = True
    faq: list[FaqItem] = []
    # A YAML (a list of entries, or a mapping with `faq:`) or CSV (id,question,answer[,similar])
    # file with more entries; a relative path is relative to config.yaml.
    faq_file: str | None = None
    # Answer only when the best match scores at least `threshold` (0..1) and beats the
    # runner-up by `margin`; otherwise stay silent (and log the question to the backlog).
    # (Scores are a weighted sum that can exceed 1 for a near-verbatim question.)
    threshold: float = Field(default=0.40, ge=0, le=2)
    margin: float = Field(default=0.08, ge=0, le=1)
    # The same entry is not answered twice in a group within this window; the bot points
    # to its earlier answer instead.
    cooldown_minutes: float = Field(default=10, ge=0, le=WEEK_MINUTES)
    backlog: bool = True  # record questions the bot could not answer for /faq todo
    reply_when_unsure: bool = True  # when @-mentioned with an unanswerable question


# --- FAQ files (qa.faq_file, `groupops faq import`) ------------------------------------------

_FAQ_FIELDS = frozenset({"id", "question", "answer", "similar", "aliases", "groups"})


def read_faq_file(path: Path) -> list[FaqItem]:
    """Entries from a YAML (a list, or a mapping with `faq:`) or CSV (id,question,answer
    [,similar][,groups]; lists separated by `|`) file. Other keys or columns are ignored.

    Raises ConfigError with every problem as FILE:LINE: path: message."""
    if path.suffix.lower() == ".csv":
        return _read_faq_csv(path)
    doc = load_yaml_file(path, DATA_LIMITS)
    data: Any = doc.data
    prefix: YamlPath = ()
    if isinstance(data, dict):
        data, prefix = data.get("faq"), ("faq",)
    if data is None:
        data = []
    if not isinstance(data, list):
        doc.problem(prefix, "expected a list of entries (id, question, answer)")
        doc.raise_problems()
    items: list[FaqItem] = []
    for n, row in enumerate(data):
        row_path = (*prefix, n)
        if not isinstance(row, dict):
            doc.problem(row_path, "an entry is a mapping with id, question and answer")
            continue
        clean = {k: v for k, v in row.items() if k in _FAQ_FIELDS and v not in (None, "")}
        try:
            items.append(FaqItem.model_validate(clean))
        except ValidationError as exc:
            add_validation_problems(doc, exc, FaqItem, under(row_path))
    doc.raise_problems()
    return items


def _read_faq_csv(path: Path) -> list[FaqItem]:
    file = str(path)
    text = normalize_newlines(decode_text(read_limited(path, DATA_LIMITS), file))
    check_characters(text, file)
    doc = YamlDocument(file, None)
    items: list[FaqItem] = []
    reader = csv.DictReader(io.StringIO(text))
    try:
        for row in reader:
            line = reader.line_num
            similar = [s.strip() for s in (row.get("similar") or "").split("|") if s.strip()]
            groups = [g.strip() for g in (row.get("groups") or "").split("|") if g.strip()]
            clean = {
                k: v
                for k, v in {**row, "similar": similar, "groups": groups}.items()
                if k in _FAQ_FIELDS and v not in (None, "")
            }
            try:
                items.append(FaqItem.model_validate(clean))
            except ValidationError as exc:
                for err in exc.errors():
                    where = clean_loc(tuple(err["loc"]))[:1] or ("(row)",)
                    doc.problem(where, explain(err, FaqItem), line)
    except csv.Error as exc:
        doc.problem(("(csv)",), f"malformed CSV: {exc}", reader.line_num or 1)
    doc.raise_problems()
    return items

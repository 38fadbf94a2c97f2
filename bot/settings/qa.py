from __future__ import annotations

import re

from pydantic import AliasChoices, Field, field_validator

from bot.settings.base import Strict

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
    cooldown_minutes: float = Field(default=10, ge=0)
    backlog: bool = True  # record questions the bot could not answer for /faq todo
    reply_when_unsure: bool = True  # when @-mentioned with an unanswerable question

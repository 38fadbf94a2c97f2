"""The rules for idempotency keys: what they are built from, and how they fit their columns.

Every state change is idempotent by a key that the same input produces again: a message's
event key, a job's id and fire time, a round's start key, the natural key a row is unique
by. Never a database row id: PostgreSQL's sequences skip the ids of transactions that died,
so the same work re-run after a crash gets other ids, and keys built from them would differ
from a clean run's (a second ledger line, a second post). Never the time of processing.
"""

from __future__ import annotations

import hashlib

LEDGER_KEY_CHARS = 191  # ledger.idem_key (and the other key columns of that width)
_DIGEST_CHARS = 40


def round_key(start_key: str) -> str:
    """What every key derived from a round (ledger lines, outbox ids, job ids, broadcast ids)
    is built from: its start key (the command's event key or the job's fire time), hashed to
    a fixed length; never the round's row id (see the module docstring)."""
    return hashlib.sha256(start_key.encode("utf-8")).hexdigest()[:16]


def fit_key(key: str, limit: int = LEDGER_KEY_CHARS) -> str:
    """`key` itself when it fits a column of `limit` characters; otherwise its readable start
    and a digest of all of it (the same key always fits to the same text, two different keys
    to different texts). Platform ids are up to 80 characters (bot/text/inbound.py), so a
    key naming a group, a camp and a member can be longer than its column: PostgreSQL would
    refuse it and the whole change with it."""
    if len(key) <= limit:
        return key
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:_DIGEST_CHARS]
    return f"{key[: limit - _DIGEST_CHARS - 1]}~{digest}"

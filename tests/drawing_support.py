"""A stand-in for a picture renderer that notes whether a database transaction or SQLite's
write turn was held while it drew (pictures must be drawn with neither)."""

from __future__ import annotations

from pathlib import Path

from storage.uow import current_unit
from tests.support import Bot


class FakeDrawing:
    """Stands in for a renderer `(data, out) -> out`: notes what was open while it drew,
    fails the first `fail_first` calls, otherwise writes a small file."""

    def __init__(self, bot: Bot, fail_first: int = 0) -> None:
        self.bot = bot
        self.fail_first = fail_first
        self.seen: list[tuple[bool, bool]] = []  # (a unit of work open, SQLite turn taken)

    def __call__(self, data: object, out: Path) -> Path:
        lock = self.bot.app.uow.writer_lock()
        self.seen.append((current_unit() is not None, lock is not None and lock.locked()))
        if len(self.seen) <= self.fail_first:
            raise RuntimeError("the drawing failed")
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(b"\x89PNG fake")
        return out

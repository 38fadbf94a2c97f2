"""The one way handlers and jobs talk to a group."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from bot.clock import Clock
from bot.events import OutgoingMessage


class Sender(Protocol):
    async def send_text(self, group_id: str, text: str, mentions: Sequence[str] = ()) -> None:
        """Post text to a group, mentioning the given user ids."""
        ...

    async def send_image(self, group_id: str, path: str, caption: str = "") -> None:
        """Post an image file (transports that cannot send images post the caption and path)."""
        ...


class RecordingSender:
    """Keeps every outgoing message in memory: used by tests, replay and bench."""

    def __init__(self, clock: Clock | None = None) -> None:
        self.sent: list[OutgoingMessage] = []
        self._clock = clock

    async def send_text(self, group_id: str, text: str, mentions: Sequence[str] = ()) -> None:
        at = self._clock.now() if self._clock else None
        self.sent.append(OutgoingMessage(group_id, text, tuple(mentions), at))

    async def send_image(self, group_id: str, path: str, caption: str = "") -> None:
        at = self._clock.now() if self._clock else None
        self.sent.append(OutgoingMessage(group_id, caption, (), at, image_path=path))

    def texts(self, group_id: str | None = None) -> list[str]:
        return [m.text for m in self.sent if group_id is None or m.group_id == group_id]

    def clear(self) -> None:
        self.sent.clear()

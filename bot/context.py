"""What a handler or job gets: sender, unit of work, config snapshot, clock, services."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from bot.clock import Clock
from bot.config import AppConfig, ConfigProblem, GroupSettings
from bot.events import Message
from bot.sender import Sender
from bot.services import Services
from storage.uow import UnitOfWorkFactory

if TYPE_CHECKING:
    from bot.router import CommandInfo


class Controls(Protocol):
    """What admin commands may ask of the running bot."""

    async def reload_config(self) -> list[ConfigProblem]: ...

    async def set_paused(self, group_id: str, paused: bool, by: str) -> None: ...

    def commands(self) -> list[CommandInfo]: ...


@dataclass(frozen=True)
class Context:
    sender: Sender
    clock: Clock
    uow: UnitOfWorkFactory
    config: AppConfig  # the snapshot in force when the event arrived
    group: GroupSettings
    services: Services
    controls: Controls

    def now(self) -> datetime:
        return self.clock.now()

    def local_now(self) -> datetime:
        return self.clock.now().astimezone(self.group.tz)

    def is_admin(self, user_id: str) -> bool:
        return self.group.is_admin(user_id)

    async def say(self, text: str, mentions: Sequence[str] = ()) -> None:
        await self.sender.send_text(self.group.group_id, text, mentions)

    async def reply(self, message: Message, text: str) -> None:
        """Answer a member, mentioning them."""
        await self.sender.send_text(message.group_id, text, (message.sender_id,))

    def for_group(self, group_id: str) -> Context:
        """The same context for another group (scheduler jobs walk groups)."""
        return Context(
            sender=self.sender,
            clock=self.clock,
            uow=self.uow,
            config=self.config,
            group=self.config.group(group_id),
            services=self.services,
            controls=self.controls,
        )

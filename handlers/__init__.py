"""The route list: one ordered list, read top to bottom. The first STOP ends a message.

Order matters: admin commands first (so /pause and /resume work when paused), then
feature commands, then keyword features (check-ins), then free-text features (Q&A,
nudges) which look at whatever is left.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.clock import Clock
from bot.config import AppConfig
from bot.context import Context
from bot.router import Route
from bot.sender import Sender
from handlers import admin, checkin
from scheduler.service import SchedulerService
from storage.uow import UnitOfWorkFactory

ROUTES: list[Route[Any]] = [
    *admin.ROUTES,
    *checkin.ROUTES,
]


@dataclass(frozen=True)
class ServiceDeps:
    """What a feature service may be built from."""

    config: AppConfig  # the config at start; ReloadAware services get later ones
    uow: UnitOfWorkFactory
    clock: Clock
    sender: Sender
    scheduler: SchedulerService
    context_for: Callable[[str], Context]  # a handler context for a group id


# Long-lived feature services, built once per App in this order.
SERVICE_FACTORIES: list[Callable[[ServiceDeps], object]] = []

"""A typed registry of long-lived feature services (indexes, in-memory windows, scheduler)."""

from __future__ import annotations

from typing import Any, Protocol, TypeVar, runtime_checkable

from bot.config import AppConfig

T = TypeVar("T")


@runtime_checkable
class ReloadAware(Protocol):
    async def on_config(self, config: AppConfig) -> None:
        """Called after a new config has been validated and swapped in."""
        ...


@runtime_checkable
class Startable(Protocol):
    async def start_service(self) -> None:
        """Called once when the app starts (after migrations)."""
        ...


@runtime_checkable
class LiveStartable(Protocol):
    def start_live(self) -> None:
        """Called when the bot runs live (not in replay or tests, which drive time)."""
        ...


@runtime_checkable
class Stoppable(Protocol):
    async def stop_service(self) -> None:
        """Called once when the app stops."""
        ...


class Services:
    def __init__(self) -> None:
        self._items: dict[type[Any], Any] = {}

    def add(self, service: object) -> None:
        self._items[type(service)] = service

    def get(self, cls: type[T]) -> T:
        try:
            found = self._items[cls]
        except KeyError:
            raise LookupError(f"service {cls.__name__} is not registered") from None
        assert isinstance(found, cls)
        return found

    def find(self, cls: type[T]) -> T | None:
        found = self._items.get(cls)
        return found if isinstance(found, cls) else None

    def all(self) -> list[Any]:
        return list(self._items.values())

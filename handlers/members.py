"""Who is in a group: display names for leaderboards, written only when they change."""

from __future__ import annotations

from bot.context import Context
from bot.events import Message
from storage.uow import UnitOfWork


class MemberCache:
    """(group, member) -> last stored display name, so an unchanged name costs no query."""

    def __init__(self, capacity: int = 200_000) -> None:
        self._names: dict[tuple[str, str], str] = {}
        self._capacity = capacity

    def needs_write(self, group_id: str, member_id: str, name: str) -> bool:
        return self._names.get((group_id, member_id)) != name

    def stored(self, group_id: str, member_id: str, name: str) -> None:
        if len(self._names) >= self._capacity:
            self._names.clear()
        self._names[(group_id, member_id)] = name


async def remember_member(ctx: Context, uow: UnitOfWork, message: Message) -> None:
    """Record the member (and last-seen time) in the members table when the name is new."""
    cache = ctx.services.find(MemberCache)
    key = (message.group_id, message.sender_id, message.sender_name)
    if cache is not None and not cache.needs_write(*key):
        return
    await uow.members.seen(message.group_id, message.sender_id, message.sender_name, message.time)
    if cache is not None:
        cache.stored(*key)


async def seen_now(uow: UnitOfWork, message: Message) -> None:
    """Record the sender as seen at the message's time, whatever the cache says: a game's
    prize goes to the sender, who must be known by then (the member's first_seen only ever
    moves earlier, so a message delivered out of order still counts)."""
    await uow.members.seen(message.group_id, message.sender_id, message.sender_name, message.time)

"""Transport-neutral events. Every id is stable (never a nickname)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Message:
    """A text message posted in a group."""

    group_id: str
    sender_id: str
    message_id: str
    text: str
    time: datetime  # timezone-aware
    mentions: tuple[str, ...] = ()  # user ids mentioned, the bot excluded
    mentions_bot: bool = False
    sender_name: str = ""  # display only, never used for identity or rights
    quote_text: str | None = None  # quoted message text, where the transport provides it
    quote_sender_id: str | None = None
    is_image: bool = False


@dataclass(frozen=True, slots=True)
class MemberJoined:
    group_id: str
    member_id: str
    time: datetime
    event_id: str = ""
    member_name: str = ""
    inviter_id: str | None = None


@dataclass(frozen=True, slots=True)
class MemberLeft:
    group_id: str
    member_id: str
    time: datetime
    event_id: str = ""


Event = Message | MemberJoined | MemberLeft


def event_key(event: Event) -> str:
    """A key that identifies one delivery of an event, for de-duplication."""
    if isinstance(event, Message):
        return f"m:{event.group_id}:{event.message_id}"
    kind = "j" if isinstance(event, MemberJoined) else "l"
    ident = event.event_id or f"{event.member_id}@{event.time.isoformat()}"
    return f"{kind}:{event.group_id}:{ident}"


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """What the bot said: used by fakes, replay and the console."""

    group_id: str
    text: str
    mentions: tuple[str, ...] = ()
    at: datetime | None = None
    image_path: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

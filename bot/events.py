"""Transport-neutral events. Every id is stable (never a nickname).

Constructing an inbound event cleans its text and bounds its ids (bot/text/inbound.py):
this is the one place every transport's input passes, so no handler sees a NUL, a
zero-width mark, a lone surrogate or an id longer than the database columns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from bot.text.inbound import bound_id, clean_name, clean_text


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
    # a local copy of the picture, where the transport fetched one (what a relay re-posts)
    image_path: str | None = None

    def __post_init__(self) -> None:
        _set(self, "group_id", bound_id(self.group_id))
        _set(self, "sender_id", bound_id(self.sender_id))
        _set(self, "message_id", bound_id(self.message_id))
        _set(self, "text", clean_text(self.text))
        if self.mentions:
            _set(self, "mentions", tuple(dict.fromkeys(bound_id(m) for m in self.mentions)))
        if self.sender_name:
            _set(self, "sender_name", clean_name(self.sender_name))
        if self.quote_text is not None:
            _set(self, "quote_text", clean_text(self.quote_text))
        if self.quote_sender_id is not None:
            _set(self, "quote_sender_id", bound_id(self.quote_sender_id))


@dataclass(frozen=True, slots=True)
class MemberJoined:
    group_id: str
    member_id: str
    time: datetime
    event_id: str = ""
    member_name: str = ""
    inviter_id: str | None = None

    def __post_init__(self) -> None:
        _set(self, "group_id", bound_id(self.group_id))
        _set(self, "member_id", bound_id(self.member_id))
        _set(self, "event_id", bound_id(self.event_id))
        if self.member_name:
            _set(self, "member_name", clean_name(self.member_name))
        if self.inviter_id is not None:
            _set(self, "inviter_id", bound_id(self.inviter_id))


@dataclass(frozen=True, slots=True)
class MemberLeft:
    group_id: str
    member_id: str
    time: datetime
    event_id: str = ""

    def __post_init__(self) -> None:
        _set(self, "group_id", bound_id(self.group_id))
        _set(self, "member_id", bound_id(self.member_id))
        _set(self, "event_id", bound_id(self.event_id))


def _set(event: object, name: str, value: object) -> None:
    """Assign a cleaned value during construction (the events are frozen)."""
    if getattr(event, name) is not value:
        object.__setattr__(event, name, value)


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

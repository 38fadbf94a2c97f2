"""Inbound text and ids, made safe once, where a transport builds an event.

Every `Message`, `MemberJoined` and `MemberLeft` passes its fields through here when it is
constructed (bot/events.py), so every transport (console, replay, wechaty, WeCom) and every
handler behind them sees the same clean values. The rules:

Text (`clean_text`; message text and quoted text):
- NUL and the other C0/C1 control characters are removed; newline and tab are kept,
  CR LF and a lone CR become a newline, and so do the Unicode line and paragraph
  separators (U+2028, U+2029) and NEL (U+0085).
- Lone surrogates (a pasted line cut mid-character, a malformed JSON escape) become U+FFFD;
  a surrogate pair becomes the character it encodes.
- Zero-width characters (U+200B, U+200C, U+2060, U+FEFF, U+180E, U+00AD soft hyphen) and
  bidirectional marks and overrides (U+200E, U+200F, U+061C, U+202A-U+202E, U+2066-U+2069)
  are removed. The zero-width joiner (U+200D) is kept only right after an emoji, where it
  joins an emoji sequence.
- Text longer than MAX_TEXT_CHARS is cut there (the start is kept: a check-in keyword,
  a command). No real WeChat or WeCom message is that long; the bound keeps every
  per-message regex and classifier linear and small.

Names (`clean_name`; display names): the text rules, on one line, at most MAX_NAME_CHARS.

Ids (`bound_id`; group, sender, mention, message and event ids): an id of at most
MAX_ID_CHARS characters with none of the characters above is kept as it is. Any other id
is mapped, deterministically, to `<clean prefix>~<20 hex digits of its SHA-256>`: at most
MAX_ID_CHARS, no NUL, stable across restarts and processes, so the member keeps one
identity (streak, points) and the database columns (128 characters; keys composed of two
ids and a date, 191) always fit. A mapped id is safe, so mapping again keeps it (events
can be copied with `dataclasses.replace`). Each mapped id is logged once. `platform_id`
gives the original back for sending (within this process's memory of recent ids).
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections import OrderedDict
from collections.abc import Iterable

log = logging.getLogger("groupops.inbound")

MAX_TEXT_CHARS = 20_000
MAX_NAME_CHARS = 64
MAX_ID_CHARS = 80
_HASH_HEX = 20
_PREFIX_CHARS = MAX_ID_CHARS - _HASH_HEX - 1

_ZERO_WIDTH = "\u200b\u200c\u2060\ufeff\u180e\u00ad"
_BIDI = "\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069"
_CONTROLS = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f"
_SURROGATES = "\ud800-\udfff"
_NEWLINES = "\r\u2028\u2029\u0085"

# Anything in a text that is not kept as it is.
_TEXT_UNSAFE = re.compile(f"[{_ZERO_WIDTH}{_BIDI}{_CONTROLS}{_SURROGATES}{_NEWLINES}\u200d]")
_DROPPED = re.compile(f"[{_ZERO_WIDTH}{_BIDI}{_CONTROLS}]")
# A zero-width joiner not preceded by an emoji (or by an emoji's variation selector).
_LONE_ZWJ = re.compile(r"(?<![\u2600-\u27bf\ufe0f\U0001f000-\U0001faff])\u200d")
_NEWLINE_LIKE = re.compile("\r\n?|[\u2028\u2029\u0085]")
# Anything an id may not contain: the above, and line breaks and tabs.
_ID_UNSAFE = re.compile(f"[{_ZERO_WIDTH}{_BIDI}{_CONTROLS}{_SURROGATES}{_NEWLINES}\u200d\n\t]")
_SPACES = re.compile(r"\s+")


def _repair_surrogates(text: str) -> str:
    """Pairs become the character they encode; a lone surrogate becomes U+FFFD."""
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def clean_text(text: str, limit: int = MAX_TEXT_CHARS) -> str:
    """Inbound message text made safe (see the module docstring). Idempotent."""
    if len(text) <= limit and _TEXT_UNSAFE.search(text) is None:
        return text  # the common case: nothing to do
    if len(text) > limit * 2:
        text = text[: limit * 2]  # drop most of a huge text before the regex passes
    text = _repair_surrogates(text)
    text = _NEWLINE_LIKE.sub("\n", text)
    text = _DROPPED.sub("", text)
    text = _LONE_ZWJ.sub("", text)
    if len(text) > limit:
        text = text[:limit]
        if "\ud800" <= text[-1:] <= "\udfff":  # pragma: no cover - repaired above
            text = text[:-1]
    return text


def clean_name(name: str) -> str:
    """A display name: clean text on one line, at most MAX_NAME_CHARS."""
    if len(name) <= MAX_NAME_CHARS and _ID_UNSAFE.search(name) is None and name == name.strip():
        return name  # the common case: nothing to do
    return _SPACES.sub(" ", clean_text(name, MAX_NAME_CHARS * 4)).strip()[:MAX_NAME_CHARS]


class _IdMemory:
    """Mapped ids seen lately: their originals (for sending) and which were logged."""

    def __init__(self, capacity: int = 10_000) -> None:
        self.capacity = capacity
        self.originals: OrderedDict[str, str] = OrderedDict()

    def remember(self, bounded: str, original: str) -> bool:
        """Store the pair; True when it is new (so it gets logged once)."""
        known = bounded in self.originals
        self.originals[bounded] = original
        self.originals.move_to_end(bounded)
        if len(self.originals) > self.capacity:
            self.originals.popitem(last=False)
        return not known


_memory = _IdMemory()


def id_is_safe(raw: str) -> bool:
    """True when `raw` is kept as it is by `bound_id`."""
    if len(raw) > MAX_ID_CHARS:
        return False
    # Printable ASCII has none of the unsafe characters (the common case, checked in C);
    # anything else goes through the full pattern.
    return (raw.isascii() and raw.isprintable()) or _ID_UNSAFE.search(raw) is None


def _mapped(raw: str) -> str:
    digest = hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()[:_HASH_HEX]
    prefix = _ID_UNSAFE.sub("", _repair_surrogates(raw)).replace("\ufffd", "")
    return f"{prefix[:_PREFIX_CHARS]}~{digest}"


def config_id(raw: str) -> str:
    """An id written in config.yaml (an admin, a group, a set member, a reviewer) in the
    form events carry it, so that a long one matches at run time. Either form may be
    written: the stored form is safe and stays as it is. The original is remembered, so a
    scheduled post can reach a group before it has said anything."""
    if id_is_safe(raw):
        return raw
    bounded = _mapped(raw)
    _memory.remember(bounded, raw)
    return bounded


def bound_id(raw: str) -> str:
    """A platform id made safe to store and compare (see the module docstring)."""
    if id_is_safe(raw):
        return raw
    bounded = _mapped(raw)
    if _memory.remember(bounded, raw):
        log.warning(
            "inbound id of %d characters %r is longer than %d or has control, invisible or "
            "broken characters: stored as %r",
            len(raw),
            raw[:_PREFIX_CHARS],
            MAX_ID_CHARS,
            bounded,
        )
    return bounded


def platform_id(bounded: str) -> str:
    """The platform's own id for an id `bound_id` produced (for sending back to it).

    An id that was never mapped is its own platform id. A mapped id this process has not
    seen since it started is returned as it is (the platform will refuse it, logged there).
    """
    return _memory.originals.get(bounded, bounded)


def strip_bot_mention(text: str, names: Iterable[str]) -> tuple[str, bool]:
    """The text without "@<name>" for each of the bot's names, and whether one was there.

    A mention ends at a space, U+2005 (WeChat puts one after a mention), punctuation or the
    end of the text, so `@小助手 打卡` reads as `打卡` to the handlers on every transport.
    """
    found = False
    for name in sorted({n for n in names if n}, key=len, reverse=True):
        pattern = re.compile(r"@" + re.escape(name) + r"(?=$|[\s\u2005,，:：!！?？。])[\s\u2005]*")
        text, count = pattern.subn("", text)
        found = found or count > 0
    return (text.strip() if found else text), found

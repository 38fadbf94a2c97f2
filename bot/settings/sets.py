"""Group sets: named lists of configured groups that broadcasts, relays and boards address.

    sets:
      camp-2026: [g1, g2, g3, g4]
      all: "*"              # every group listed under `groups`

A group may be in several sets. Names are what admins type (`/群发 camp-2026 …`), so
they are one word: letters (Chinese too), digits, `-` and `_`, at most 40 characters.
Members must be groups listed under `groups` (a set that names an unknown group would
send nowhere, silently); `"*"` resolves to all of them when the config is loaded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import AfterValidator, Field

ALL_GROUPS = "*"
MAX_SET_SIZE = 1_000
_SET_NAME = re.compile(r"^[^\W_][\w-]{0,39}$")


def check_set_name(name: str) -> str:
    if not _SET_NAME.match(name):
        raise ValueError(
            "a set name is one word of letters, digits, '-' or '_' (at most 40 characters), "
            f"got {name!r}"
        )
    return name


SetName = Annotated[str, AfterValidator(check_set_name)]
SetMembers = Literal["*"] | Annotated[list[str], Field(min_length=1, max_length=MAX_SET_SIZE)]


@dataclass(frozen=True)
class GroupSet:
    """A resolved set: its name and its group ids in config order (no duplicates)."""

    name: str
    group_ids: tuple[str, ...]
    every_group: bool = False  # written as "*"

    def __contains__(self, group_id: object) -> bool:
        return group_id in self.group_ids


def resolve_sets(
    raw: dict[str, SetMembers], configured: list[str]
) -> tuple[dict[str, GroupSet], list[tuple[tuple[str | int, ...], str]]]:
    """Resolve `"*"` and check members; returns the sets and (yaml path, message) problems."""
    out: dict[str, GroupSet] = {}
    problems: list[tuple[tuple[str | int, ...], str]] = []
    known = set(configured)
    for name, members in raw.items():
        if members == ALL_GROUPS:
            out[name] = GroupSet(name, tuple(configured), every_group=True)
            continue
        seen: list[str] = []
        for index, gid in enumerate(members):
            gid = str(gid)
            if gid not in known:
                hint = "; list it under `groups` first" if known else "; no groups are configured"
                problems.append((("sets", name, index), f"unknown group {gid!r}{hint}"))
            elif gid in seen:
                problems.append((("sets", name, index), f"group {gid!r} is listed twice"))
            else:
                seen.append(gid)
        out[name] = GroupSet(name, tuple(seen))
    return out, problems

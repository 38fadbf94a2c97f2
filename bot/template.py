"""The one renderer for every text template an operator configures (ritual posts, reminders,
follow-ups, welcome, newcomer guide, nudge phrasings and hooks).

A template is text with ``{name}`` placeholders from a closed, documented set. Nothing else
inside braces: no format specs (``{time:>999999999}`` would make a gigabyte per post), no
conversions, attribute or index access (``{date.year}``, ``{a[0]}``), no positional ``{}``.
``{{`` and ``}}`` are a literal brace. Values are inserted as they are (a value containing
braces is never read as a template).

A config field declares its placeholders, with a sample value each, as
``Annotated[str, Placeholders(date="3月5日", time="20:00")]``. Validation parses the text
and renders it with the samples, so whatever passes `check-config` renders at run time.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType, UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, GetCoreSchemaHandler
from pydantic_core import core_schema

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ESCAPE_HINT = "write {{ and }} for literal braces"


class TemplateError(ValueError):
    """A malformed template, or a placeholder outside the allowed set."""


@dataclass(frozen=True)
class ParsedTemplate:
    parts: tuple[tuple[bool, str], ...]  # (is_placeholder, literal text or name)
    names: frozenset[str]


def _snippet(text: str, start: int, end: int) -> str:
    piece = text[start:end]
    return piece if len(piece) <= 40 else piece[:37] + "..."


def _bad_braces(text: str, start: int, end: int) -> TemplateError:
    inner = text[start + 1 : end]
    shown = _snippet(text, start, end + 1)
    name = re.match(r"\s*([A-Za-z_][A-Za-z0-9_]*)", inner)
    plain = f"{{{name.group(1)}}}" if name else "{name}"
    if not inner.strip():
        why = "an empty {} is not a placeholder"
    elif ":" in inner:
        why = f"format specs are not allowed in {shown}: write {plain}"
    elif "!" in inner:
        why = f"conversions are not allowed in {shown}: write {plain}"
    elif "." in inner or "[" in inner:
        why = f"attribute and index access are not allowed in {shown}: write {plain}"
    else:
        why = f"{shown} is not a placeholder (names are letters, digits and _)"
    return TemplateError(f"{why}; {_ESCAPE_HINT}")


@lru_cache(maxsize=4096)
def parse_template(text: str) -> ParsedTemplate:
    """Split a template into literal text and placeholder names. Raises TemplateError."""
    parts: list[tuple[bool, str]] = []
    literal: list[str] = []
    i = 0
    n = len(text)
    while i < n:
        brace = min(
            (p for p in (text.find("{", i), text.find("}", i)) if p >= 0),
            default=n,
        )
        literal.append(text[i:brace])
        if brace == n:
            break
        if text[brace] == "}":
            if text.startswith("}}", brace):
                literal.append("}")
                i = brace + 2
                continue
            raise TemplateError(
                f"a single '}}' after {_snippet(text, max(0, brace - 20), brace + 1)!r}; "
                f"{_ESCAPE_HINT}"
            )
        if text.startswith("{{", brace):
            literal.append("{")
            i = brace + 2
            continue
        close = text.find("}", brace)
        reopen = text.find("{", brace + 1)
        if close < 0 or 0 <= reopen < close:
            raise TemplateError(
                f"'{{' in {_snippet(text, brace, brace + 20)!r} is never closed; {_ESCAPE_HINT}"
            )
        name = text[brace + 1 : close]
        if not _NAME.fullmatch(name):
            raise _bad_braces(text, brace, close)
        if literal:
            parts.append((False, "".join(literal)))
            literal = []
        parts.append((True, name))
        i = close + 1
    if literal and "".join(literal):
        parts.append((False, "".join(literal)))
    return ParsedTemplate(tuple(parts), frozenset(name for is_name, name in parts if is_name))


def placeholders_in(text: str) -> frozenset[str]:
    """The placeholder names a template uses. Raises TemplateError on a malformed one."""
    return parse_template(text).names


def render_template(text: str, values: Mapping[str, str]) -> str:
    """Fill a template. Every placeholder it uses must be in values (extra values are
    ignored); validation at config load guarantees that for configured templates."""
    out: list[str] = []
    for is_name, piece in parse_template(text).parts:
        if not is_name:
            out.append(piece)
            continue
        value = values.get(piece)
        if value is None:
            raise TemplateError(f"no value for {{{piece}}}")
        out.append(value)
    return "".join(out)


class Placeholders:
    """Pydantic metadata for a template field: the names it may use, each with a sample.

    ``Annotated[str, Placeholders(group="写作营", days="3")]``. Validation refuses any other
    name (with a suggestion), any brace syntax but ``{name}``, ``{{`` and ``}}``, then renders
    the text with the samples."""

    def __init__(self, **samples: str) -> None:
        self.samples: Mapping[str, str] = MappingProxyType(dict(samples))
        self.names = frozenset(samples)

    def check(self, text: str) -> str:
        used = placeholders_in(text)
        unknown = sorted(used - self.names)
        if unknown:
            shown = ", ".join("{" + name + "}" for name in unknown)
            close = difflib.get_close_matches(unknown[0], sorted(self.names), n=1)
            if close:
                raise TemplateError(f"unknown variable {shown} (did you mean {{{close[0]}}}?)")
            raise TemplateError(f"unknown variable {shown} (allowed: {self.describe()})")
        render_template(text, self.samples)
        return text

    def describe(self) -> str:
        return ", ".join("{" + name + "}" for name in sorted(self.names)) or "none"

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(self.check, handler(source))

    def __repr__(self) -> str:
        return f"Placeholders({self.describe()})"


# --- finding every template in a validated config ------------------------------------------


def _placeholders_of(metadata: Any) -> Placeholders | None:
    return next((m for m in metadata if isinstance(m, Placeholders)), None)


def _inner_types(annotation: Any) -> Iterator[tuple[Any, tuple[Any, ...]]]:
    """(type, metadata) pairs an annotation may hold: through Annotated, unions, lists."""
    origin = get_origin(annotation)
    if origin is Annotated:
        base, *metadata = get_args(annotation)
        yield base, tuple(metadata)
        yield from _inner_types(base)
    elif origin in (Union, UnionType, list, tuple, dict):
        for arg in get_args(annotation):
            yield arg, ()
            yield from _inner_types(arg)


def iter_templates(
    value: Any, path: tuple[str | int, ...] = ()
) -> Iterator[tuple[tuple[str | int, ...], str, Placeholders]]:
    """Every template text inside a validated model: (path, text, its placeholders)."""
    if not isinstance(value, BaseModel):
        return
    for name, info in type(value).model_fields.items():
        yield from _walk(getattr(value, name), info.annotation, tuple(info.metadata), (*path, name))


def _walk(
    value: Any, annotation: Any, metadata: tuple[Any, ...], path: tuple[str | int, ...]
) -> Iterator[tuple[tuple[str | int, ...], str, Placeholders]]:
    spec = _placeholders_of(metadata)
    if spec is None:
        for _inner, inner_meta in _inner_types(annotation):
            spec = spec or _placeholders_of(inner_meta)
    if isinstance(value, str):
        if spec is not None:
            yield path, value, spec
    elif isinstance(value, BaseModel):
        yield from iter_templates(value, path)
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            yield from _walk(item, Any, (spec,) if spec else (), (*path, i))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _walk(item, Any, (spec,) if spec else (), (*path, str(key)))

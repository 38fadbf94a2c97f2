"""Pydantic validation errors as ``FILE:LINE: path: message`` problems."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import BaseModel, ValidationError

from bot.yaml_loader import YamlDocument, YamlPath


def _model_at(model: type[BaseModel], loc: tuple[int | str, ...]) -> type[BaseModel] | None:
    """The model class that owns the last key of loc, to suggest spellings."""
    current: type[BaseModel] | None = model
    for part in loc[:-1]:
        if current is None or isinstance(part, int):
            continue
        info = current.model_fields.get(str(part))
        if info is None:
            return None
        ann = info.annotation
        args = getattr(ann, "__args__", ())
        candidates = [ann, *args]
        current = next(
            (c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None
        )
    return current


def explain(err: Mapping[str, Any], model: type[BaseModel]) -> str:
    """One error's message for an operator (an unknown key gets a spelling suggestion)."""
    loc = tuple(err["loc"])
    if err["type"] == "extra_forbidden":
        owner = _model_at(model, loc)
        msg = "unknown key"
        if owner is not None and loc and isinstance(loc[-1], str):
            close = difflib.get_close_matches(loc[-1], list(owner.model_fields), n=1)
            if close:
                msg += f" (did you mean {close[0]!r}?)"
            else:
                msg += f" (allowed: {', '.join(sorted(owner.model_fields))})"
        return msg
    if err["type"] == "missing":
        return "required field is missing"
    msg = str(err["msg"])
    return msg.removeprefix("Value error, ")


def clean_loc(loc: tuple[int | str, ...]) -> YamlPath:
    """pydantic puts union and validator tags into loc; keep only real keys and indexes."""
    return tuple(p for p in loc if isinstance(p, int) or not str(p).startswith("function-"))


def under(prefix: YamlPath) -> Callable[[YamlPath], YamlPath]:
    """A locate function for a model validated from the value at prefix."""

    def locate(loc: YamlPath) -> YamlPath:
        return (*prefix, *loc)

    return locate


def add_validation_problems(
    doc: YamlDocument,
    exc: ValidationError,
    model: type[BaseModel],
    locate: Callable[[YamlPath], YamlPath] = lambda loc: loc,
) -> None:
    """Add every error of exc to doc.problems; locate maps a model loc to a file path.

    An error at a path where the loader already found a problem (a bad date, a refused
    tag) is left out: the loader's message says more."""
    already = {p.path for p in doc.problems}
    for err in exc.errors():
        path = locate(clean_loc(tuple(err["loc"])))
        before = len(doc.problems)
        doc.problem(path, explain(err, model))
        if doc.problems[before].path in already:
            doc.problems.pop()

"""The one YAML loader for every file an operator writes: config.yaml (also on hot reload),
FAQ files and evaluation cases.

YAML is a big language and a hostile or careless file can make a naive loader hang, eat
memory or die with a traceback. This loader accepts the plain part of it and answers
everything else with ``FILE:LINE: path: message``, quickly:

- size: a file larger than ``max_bytes`` is refused before it is read (at most
  ``max_bytes + 1`` bytes are ever read);
- encoding: UTF-8 only (a BOM is allowed); UTF-16/32, GBK, Latin-1 or random bytes name the
  line of the first bad byte; control characters are refused;
- structure: nesting deeper than ``max_depth`` stops the parse at once; aliases (``*a``)
  are allowed but the document they expand to may hold at most ``max_values`` values
  (a 342-byte "billion laughs" would expand to 10^9); an alias inside its own anchor
  (recursive) is refused;
- keys are plain scalars (text or numbers, kept as written); a list or mapping as a key,
  an alias as a key and merge keys (``<<:``) are refused: shared settings belong under
  ``defaults``, which every group inherits key by key;
- types: text, integers, floats, true/false, null, dates and timestamps, lists and
  mappings. Any other tag (``!!binary``, ``!!set``, ``!!python/...``, ``!custom``) is
  refused; an impossible date (``2026-13-45``) or a number longer than 100 characters is
  a problem at its line.

The events come from libyaml when PyYAML has it (fast) and from PyYAML's pure-Python
parser otherwise. Both parsers are iterative, so deep nesting never recurses, and events
are consumed as they come, so a limit stops the parse at once.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import ScalarNode
from yaml.resolver import Resolver

YamlPath = tuple[str | int, ...]


@dataclass(frozen=True)
class ConfigProblem:
    """One problem in an operator's file, printed as ``FILE:LINE: path: message``."""

    file: str
    line: int
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {_one_line(self.path)}: {_one_line(self.message)}"


def _one_line(text: str) -> str:
    """A key or a quoted value may hold line breaks; a problem is always one line."""
    return text.translate(_ESCAPES) if any(c in text for c in _ESCAPES_TEXT) else text


_ESCAPES_TEXT = "\n\r\t\x85\u2028\u2029"
_ESCAPES = {ord(c): repr(c)[1:-1] for c in _ESCAPES_TEXT}


class ConfigError(Exception):
    """A file that cannot be used; ``problems`` lists every problem found (at least one)."""

    def __init__(self, problems: list[ConfigProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass(frozen=True)
class YamlLimits:
    max_bytes: int
    max_depth: int
    # values (scalars, lists and mappings) after expanding every alias
    max_values: int
    max_number_chars: int = 100


# config.yaml: the bundled example is 13 KB, about 1,500 values, 8 levels deep.
CONFIG_LIMITS = YamlLimits(max_bytes=1 << 20, max_depth=32, max_values=100_000)
# FAQ files and evaluation cases: long lists of short entries.
DATA_LIMITS = YamlLimits(max_bytes=16 << 20, max_depth=32, max_values=2_000_000)


# A file with thousands of problems is reported by its first ones.
MAX_PROBLEMS = 100


def dotted(path: YamlPath, limit: int = 12) -> str:
    """("defaults", "rituals", 0, "text") -> "defaults.rituals[0].text" (a path deeper
    than limit parts is cut, with "...")."""
    out = ""
    for part in path[:limit]:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    if len(path) > limit:
        out += "..."
    return out or "(top)"


@dataclass
class YamlDocument:
    """A parsed file: plain Python data, the line of every path, and the non-fatal
    problems (duplicate keys, bad values) found on the way."""

    file: str
    data: Any
    lines: dict[YamlPath, int] = field(default_factory=dict)
    problems: list[ConfigProblem] = field(default_factory=list)

    def line_of(self, path: YamlPath) -> int:
        """The line of path, or of its nearest ancestor written in the file."""
        for end in range(len(path), -1, -1):
            found = self.lines.get(path[:end])
            if found is not None:
                return found
        return 1

    def problem(self, path: YamlPath, message: str, line: int | None = None) -> None:
        self.problems.append(
            ConfigProblem(self.file, line or self.line_of(path), dotted(path), message)
        )

    def raise_problems(self) -> None:
        """Raise every problem, in file order, at most MAX_PROBLEMS of them."""
        if not self.problems:
            return
        found = sorted(set(self.problems), key=lambda p: (p.line, p.path))
        if len(found) > MAX_PROBLEMS:
            rest = len(found) - MAX_PROBLEMS
            last = found[MAX_PROBLEMS]
            found = found[:MAX_PROBLEMS]
            found.append(ConfigProblem(self.file, last.line, "(file)", f"{rest} more problems"))
        raise ConfigError(found)


# --- reading bytes ------------------------------------------------------------------------


def _size_text(size: int) -> str:
    if size >= 1 << 20:
        return f"{size / (1 << 20):.1f} MiB"
    return f"{size / 1024:.1f} KiB" if size >= 1024 else f"{size} bytes"


def read_limited(path: Path, limits: YamlLimits) -> bytes:
    """The file's bytes; ConfigError when it cannot be read or exceeds limits.max_bytes.

    The size is checked before reading and the read itself stops after max_bytes + 1
    bytes, so a huge (or endless, like /dev/zero) file costs nothing."""
    file = str(path)
    too_big = f"the file is larger than {_size_text(limits.max_bytes)}, the most this loader reads"
    try:
        size = path.stat().st_size
        if size > limits.max_bytes:
            raise ConfigError([ConfigProblem(file, 1, "(file)", f"{too_big} ({_size_text(size)})")])
        with path.open("rb") as handle:
            data = handle.read(limits.max_bytes + 1)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ConfigError([ConfigProblem(file, 1, "(file)", f"cannot read: {reason}")]) from exc
    if len(data) > limits.max_bytes:
        raise ConfigError([ConfigProblem(file, 1, "(file)", too_big)])
    return data


_BOMS = (
    (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe", "UTF-16"),
    (b"\xfe\xff", "UTF-16"),
)

# What YAML allows in a stream (PyYAML's Reader check): tab, newlines, printable
# characters. Surrogates cannot be UTF-8 and are refused with the rest.
_NOT_PRINTABLE = re.compile(
    "[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)


def decode_text(data: bytes, file: str) -> str:
    """UTF-8 text (a BOM is dropped); ConfigError naming the line of the first bad byte."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            raise ConfigError(
                [ConfigProblem(file, 1, "(file)", f"the file is {name}; save it as UTF-8")]
            )
    data = data.removeprefix(b"\xef\xbb\xbf")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        byte = data[exc.start]
        hint = "save it as UTF-8"
        if byte == 0 or b"\x00" in data[:64]:
            hint += " (NUL bytes: is it UTF-16?)"
        elif byte >= 0x80:
            hint += " (it may be GBK or Latin-1)"
        message = f"the file is not UTF-8: byte 0x{byte:02X} at column {column}; {hint}"
        raise ConfigError([ConfigProblem(file, line, "(file)", message)]) from exc
    return text


# YAML breaks lines at these too, editors do not: line numbers would disagree.
_HIDDEN_BREAKS = re.compile("[\x85\u2028\u2029]")


def normalize_newlines(text: str) -> str:
    """CRLF and lone CR as LF (YAML reads them all as one line break, so values do not
    change), so that line N is the N-th line in any editor."""
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def check_characters(text: str, file: str) -> None:
    """Refuse what YAML cannot hold (control characters, surrogates) and the line breaks
    editors do not show (NEL, U+2028, U+2029); text is already normalize_newlines()'d."""
    found = _NOT_PRINTABLE.search(text) or _HIDDEN_BREAKS.search(text)
    if found is None:
        return
    start = found.start()
    line = text.count("\n", 0, start) + 1
    column = start - (text.rfind("\n", 0, start) + 1) + 1
    char = found.group()
    if _HIDDEN_BREAKS.fullmatch(char):
        why = "YAML reads it as a line break but editors do not; remove it"
    else:
        why = "control characters and broken UTF-8 cannot be in a YAML file"
    message = f"character U+{ord(char):04X} at column {column} is not allowed ({why})"
    raise ConfigError([ConfigProblem(file, line, "(file)", message)])


# --- scalars ------------------------------------------------------------------------------

_TAG = "tag:yaml.org,2002:"
_STR, _INT, _FLOAT, _BOOL, _NULL, _TIMESTAMP = (
    _TAG + name for name in ("str", "int", "float", "bool", "null", "timestamp")
)
_SEQ, _MAP, _MERGE, _VALUE = (_TAG + name for name in ("seq", "map", "merge", "value"))
_SCALAR_TAGS = frozenset({_STR, _INT, _FLOAT, _BOOL, _NULL, _TIMESTAMP})
# plain keys whose resolved tag matters: a merge key and the empty (null) key
_KEY_TRAPS = frozenset({"<<", "", "~"})
_ALLOWED_TYPES = "only text, numbers, true/false, null, dates, lists and mappings"


class _Yaml12BoolResolver(Resolver):
    """Only true/false are booleans (YAML 1.2): `on`, `off`, `yes`, `no` stay text."""


_Yaml12BoolResolver.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _BOOL]
    for first, resolvers in Resolver.yaml_implicit_resolvers.items()
}
_Yaml12BoolResolver.add_implicit_resolver(
    _BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)

_RESOLVERS = {False: Resolver(), True: _Yaml12BoolResolver()}
_CONSTRUCTOR = SafeConstructor()


def _resolve(resolver: Resolver, event: yaml.ScalarEvent) -> str:
    """The tag of an untagged scalar (PyYAML's Resolver has no type hints)."""
    tag: str = resolver.resolve(ScalarNode, event.value, event.implicit)  # type: ignore[no-untyped-call]
    return tag


def _short_tag(tag: str) -> str:
    return "!!" + tag.removeprefix(_TAG) if tag.startswith(_TAG) else tag


_CONSTRUCTORS: dict[str, tuple[str, Callable[[ScalarNode], Any]]] = {
    _INT: ("integer", _CONSTRUCTOR.construct_yaml_int),
    _FLOAT: ("number", _CONSTRUCTOR.construct_yaml_float),
    _BOOL: ("true/false", _CONSTRUCTOR.construct_yaml_bool),
    _TIMESTAMP: ("date", _CONSTRUCTOR.construct_yaml_timestamp),
}
_PLAIN_INT = re.compile(r"[-+]?[1-9][0-9]*|0")


def _construct_scalar(tag: str, value: str, limits: YamlLimits) -> Any:
    """The Python value of a resolved scalar; ValueError with a message for the operator."""
    if tag == _STR:
        return value
    if tag == _NULL:
        return None
    if tag in (_INT, _FLOAT) and len(value) > limits.max_number_chars:
        raise ValueError(
            f"a number of {len(value)} characters is too long (quote it if it is text, e.g. an id)"
        )
    if tag == _INT and _PLAIN_INT.fullmatch(value):
        return int(value)
    kind, construct = _CONSTRUCTORS[tag]
    try:
        return construct(ScalarNode(tag, value))
    except Exception as exc:  # PyYAML's constructors raise anything on a bad explicit tag
        reason = str(exc) if isinstance(exc, ValueError) and str(exc) else "malformed"
        if len(value) > 40:
            value = value[:40] + "..."
        raise ValueError(
            f"{value!r} is not a valid {kind} ({reason}); quote it if it is text"
        ) from exc


# --- building the document ----------------------------------------------------------------


class _Fatal(Exception):
    def __init__(self, line: int, message: str) -> None:
        self.line = line
        self.message = message


@dataclass
class _Frame:
    path: YamlPath
    container: dict[str, Any] | list[Any]
    anchor: str | None
    first_value: int  # the running value count when this collection opened
    key: str | None = None  # a mapping's key waiting for its value


class _Builder:
    """Turns parser events into plain data, enforcing the limits as it goes."""

    def __init__(
        self,
        doc: YamlDocument,
        limits: YamlLimits,
        yaml12_bools: bool,
        on_text: Callable[[str], str] | None,
    ) -> None:
        self.doc = doc
        self.limits = limits
        self.resolver = _RESOLVERS[yaml12_bools]
        self.on_text = on_text
        self.stack: list[_Frame] = []
        self.anchors: dict[str, tuple[Any, int]] = {}
        self.open_anchors: set[str] = set()
        self.values = 0
        self.aliased = False  # an alias has been expanded
        self.documents = 0
        self.root: Any = None

    # the path the parser is at, for messages about syntax errors
    def current_path(self) -> YamlPath:
        if not self.stack:
            return ()
        top = self.stack[-1]
        if isinstance(top.container, dict) and top.key is not None:
            return (*top.path, top.key)
        return top.path

    def feed(self, event: yaml.Event) -> None:
        mark = event.start_mark
        line = mark.line + 1 if mark is not None else 1
        if isinstance(event, yaml.DocumentStartEvent):
            self.documents += 1
            if self.documents > 1:
                raise _Fatal(line, "a second YAML document ('---'): write one document per file")
        elif isinstance(event, yaml.ScalarEvent):
            self._scalar(event, line)
        elif isinstance(event, yaml.AliasEvent):
            self._alias(event, line)
        elif isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
            self._open(event, line)
        elif isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
            self._close()

    def _count(self, amount: int, line: int, alias: bool = False) -> None:
        self.values += amount
        self.aliased = self.aliased or alias
        if self.values > self.limits.max_values:
            why = "aliases repeating aliases?" if self.aliased else "split it into smaller files"
            raise _Fatal(
                line, f"the document expands to more than {self.limits.max_values:,} values ({why})"
            )

    def _expecting_key(self) -> bool:
        top = self.stack[-1] if self.stack else None
        return top is not None and isinstance(top.container, dict) and top.key is None

    def _next_path(self) -> YamlPath:
        """The path of the value the parser is about to deliver."""
        if not self.stack:
            return ()
        top = self.stack[-1]
        if isinstance(top.container, list):
            return (*top.path, len(top.container))
        assert top.key is not None
        return (*top.path, top.key)

    def _place(self, value: Any, line: int, path: YamlPath | None = None) -> None:
        """Put a finished (or just opened) value where the parser is (path: _next_path())."""
        if path is None:
            path = self._next_path()
        self.doc.lines.setdefault(path, line)  # a mapping value keeps its key's line
        if not self.stack:
            self.root = value
            return
        top = self.stack[-1]
        if isinstance(top.container, list):
            top.container.append(value)
            return
        assert top.key is not None
        top.container[top.key] = value
        top.key = None

    def _scalar(self, event: yaml.ScalarEvent, line: int) -> None:
        if self._expecting_key():
            self._key(event, line)
            return
        tag = event.tag
        if tag is None or tag == "!":
            # only plain scalars are resolved: a quoted one is text
            tag = _resolve(self.resolver, event) if event.implicit[0] else _STR
        self._count(1, line)
        path = self._next_path()
        value: Any
        if tag in (_MERGE, _VALUE):
            tag = _STR  # `<<` or `=` as a value is just text
        if tag not in _SCALAR_TAGS:
            self.doc.problem(path, f"tag {_short_tag(tag)} is not allowed ({_ALLOWED_TYPES})", line)
            value = event.value
        else:
            try:
                value = _construct_scalar(tag, event.value, self.limits)
            except ValueError as exc:
                self.doc.problem(path, str(exc), line)
                value = event.value
            if tag == _STR and self.on_text is not None and isinstance(value, str):
                try:
                    value = self.on_text(value)
                except ValueError as exc:
                    self.doc.problem(path, str(exc), line)
        self._place(value, line, path)
        if event.anchor is not None:
            self.anchors[event.anchor] = (value, 1)

    def _key(self, event: yaml.ScalarEvent, line: int) -> None:
        """A key is kept as written (`0123` stays "0123"); only its tag is checked."""
        top = self.stack[-1]
        assert isinstance(top.container, dict)
        tag = event.tag
        if tag is None or tag == "!":
            plain = event.implicit[0]
            tag = _resolve(self.resolver, event) if plain and event.value in _KEY_TRAPS else _STR
        if tag == _MERGE:
            raise _Fatal(
                line,
                "merge keys (<<) are not supported: put shared settings under `defaults` "
                "(every group inherits them key by key) or repeat them",
            )
        key = event.value
        path = (*top.path, key)
        if tag not in _SCALAR_TAGS and tag != _VALUE:
            self.doc.problem(path, f"tag {_short_tag(tag)} is not allowed on a key", line)
        if tag == _NULL and key in ("", "~"):
            raise _Fatal(line, "a key is empty (write `name: value`)")
        if key in top.container:
            self.doc.problem(path, "duplicate key", line)
        top.key = key
        self.doc.lines[path] = line
        if event.anchor is not None:
            self.anchors[event.anchor] = (key, 1)

    def _alias(self, event: yaml.AliasEvent, line: int) -> None:
        name = event.anchor
        if self._expecting_key():
            raise _Fatal(line, f"an alias (*{name}) cannot be a key")
        if name in self.open_anchors:
            raise _Fatal(line, f"recursive alias: *{name} is inside the &{name} it refers to")
        found = self.anchors.get(name) if name is not None else None
        if found is None:
            raise _Fatal(line, f"unknown alias *{name} (define &{name} before using it)")
        value, size = found
        self._count(size, line, alias=True)
        self._place(value, line)

    def _open(self, event: yaml.MappingStartEvent | yaml.SequenceStartEvent, line: int) -> None:
        mapping = isinstance(event, yaml.MappingStartEvent)
        if self._expecting_key():
            raise _Fatal(
                line, "a key must be plain text or a number, not a list or mapping ('? ...')"
            )
        if len(self.stack) >= self.limits.max_depth:
            raise _Fatal(line, f"nested deeper than {self.limits.max_depth} levels")
        self._count(1, line)
        tag = event.tag
        container: dict[str, Any] | list[Any] = {} if mapping else []
        path = self._next_path()
        if tag not in (None, "!", _MAP if mapping else _SEQ):
            self.doc.problem(path, f"tag {_short_tag(tag)} is not allowed ({_ALLOWED_TYPES})", line)
        self._place(container, line, path)
        if event.anchor is not None:
            self.open_anchors.add(event.anchor)
        self.stack.append(_Frame(path, container, event.anchor, self.values - 1))

    def _close(self) -> None:
        frame = self.stack.pop()
        if frame.anchor is not None:
            self.open_anchors.discard(frame.anchor)
            self.anchors[frame.anchor] = (frame.container, self.values - frame.first_value)


_LIBYAML_DEPTH = "exceeded maximum nesting depth"


def _has_libyaml() -> bool:
    return bool(getattr(yaml, "__with_libyaml__", False))


def _events(text: str, fast: bool) -> Any:
    loader_class: Any = yaml.CSafeLoader if fast and _has_libyaml() else yaml.SafeLoader
    loader = loader_class(text)
    try:
        while loader.check_event():
            yield loader.get_event()
    finally:
        loader.dispose()


def _syntax_problem(exc: yaml.YAMLError, text: str, file: str, path: YamlPath) -> ConfigProblem:
    """FILE:LINE for a syntax error. A construct left open at the end of the file is
    reported where it opened (an unclosed quote on the line of its opening quote, not the
    last line); otherwise the character the parser stumbled on is named."""
    problem = str(getattr(exc, "problem", None) or "").strip() or str(exc)
    context = str(getattr(exc, "context", None) or "").strip()
    problem_mark = getattr(exc, "problem_mark", None)
    context_mark = getattr(exc, "context_mark", None)
    line = problem_mark.line + 1 if problem_mark is not None else 1
    at_end = problem_mark is not None and problem_mark.index >= len(text.rstrip())
    ends = at_end or "end of stream" in problem or "<stream end>" in problem
    if ends and context_mark is not None and context:
        line = context_mark.line + 1
        message = f"invalid YAML: the file ends {context} started on this line"
        if "quoted scalar" in context:
            message += " (a closing quote is missing)"
        return ConfigProblem(file, line, dotted(path), message)
    message = f"invalid YAML: {problem}"
    index = problem_mark.index if problem_mark is not None else -1
    named = "but got" in problem or "but found" in problem or "found character '" in problem
    if 0 <= index < len(text) and text[index] != "\n" and not named:
        message += f" (found {text[index]!r})"
    if context and context_mark is not None and context_mark.line + 1 != line:
        message += f" ({context} started at line {context_mark.line + 1})"
    return ConfigProblem(file, line, dotted(path), message)


def parse_yaml(
    source: str | bytes,
    file: str,
    limits: YamlLimits = CONFIG_LIMITS,
    *,
    yaml12_bools: bool = False,
    on_text: Callable[[str], str] | None = None,
    fast: bool = True,
) -> YamlDocument:
    """Parse one YAML document within limits. Raises ConfigError on anything that stops the
    parse; smaller problems (duplicate keys, bad values) are in the result's ``problems``.

    on_text: applied to every text value (not keys); a ValueError is a problem at its line.
    fast=False forces PyYAML's pure-Python parser (the tests compare both)."""
    if isinstance(source, bytes):
        if len(source) > limits.max_bytes:
            raise ConfigError(
                [ConfigProblem(file, 1, "(file)", f"larger than {_size_text(limits.max_bytes)}")]
            )
        text = decode_text(source, file)
    else:
        text = source.removeprefix("\ufeff")
        if len(text) > limits.max_bytes or len(text.encode("utf-8", "surrogatepass")) > (
            limits.max_bytes
        ):
            raise ConfigError(
                [ConfigProblem(file, 1, "(file)", f"larger than {_size_text(limits.max_bytes)}")]
            )
    text = normalize_newlines(text)
    check_characters(text, file)
    doc = YamlDocument(file, None)
    builder = _Builder(doc, limits, yaml12_bools, on_text)
    try:
        for event in _events(text, fast):
            builder.feed(event)
    except _Fatal as fatal:
        path = builder.current_path()
        raise ConfigError(
            [*doc.problems, ConfigProblem(file, fatal.line, dotted(path), fatal.message)]
        ) from None
    except yaml.YAMLError as exc:
        if fast and _LIBYAML_DEPTH in str(getattr(exc, "problem", "") or exc):
            # libyaml (bundled with PyYAML >= 6.0.4) has a nesting limit of its own that its
            # scanner, reading ahead, meets before any event reaches ours: the pure-Python
            # parser has none, so ours answers with its path and line.
            return parse_yaml(
                source, file, limits, yaml12_bools=yaml12_bools, on_text=on_text, fast=False
            )
        problem = _syntax_problem(exc, text, file, builder.current_path())
        raise ConfigError([*doc.problems, problem]) from None
    doc.data = builder.root
    return doc


def load_yaml_file(
    path: str | Path,
    limits: YamlLimits = DATA_LIMITS,
    *,
    yaml12_bools: bool = False,
    on_text: Callable[[str], str] | None = None,
) -> YamlDocument:
    """Read and parse a file within limits (see parse_yaml). Raises ConfigError."""
    file = Path(path)
    return parse_yaml(
        read_limited(file, limits), str(file), limits, yaml12_bools=yaml12_bools, on_text=on_text
    )


def first_problem(exc: ConfigError) -> str:
    """One line for callers that report a single message."""
    return str(exc.problems[0]) if exc.problems else str(exc)

"""config.yaml: loading with line numbers, ${ENV} substitution, defaults merged into groups.

Errors are reported as ``FILE:LINE: dotted.path: message``.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import yaml
from pydantic import AfterValidator, BaseModel, Field, ValidationError

from bot.settings.base import Strict, ThemeSettings, TimeRange, TimezoneName
from bot.settings.camps import CampList
from bot.settings.checkin import CheckinSettings
from bot.settings.nudge import NudgeSettings
from bot.settings.qa import QASettings
from bot.settings.rewards import RewardsSettings
from bot.settings.rituals import CalendarSettings, HighlightSettings, Ritual, RitualList
from bot.settings.stats import StatsSettings
from bot.settings.transport import TransportSettings
from bot.settings.welcome import WelcomeSettings
from storage.urls import normalize_db_url

Path_ = tuple[str | int, ...]


class FeatureSettings(Strict):
    """Settings every group inherits from `defaults` and may override."""

    checkin: CheckinSettings = CheckinSettings()
    qa: QASettings = QASettings()
    rewards: RewardsSettings = RewardsSettings()
    nudge: NudgeSettings = NudgeSettings()
    welcome: WelcomeSettings = WelcomeSettings()
    stats: StatsSettings = StatsSettings()
    rituals: RitualList = []
    calendar: CalendarSettings = CalendarSettings()
    highlights: HighlightSettings = HighlightSettings()
    camps: CampList = []
    # Local "HH:MM-HH:MM" ranges (may wrap midnight) when the bot posts nothing unprompted.
    quiet_hours: list[TimeRange] = []


class DefaultsSettings(FeatureSettings):
    theme: ThemeSettings = ThemeSettings()


class GroupEntry(Strict):
    """The group-only keys of a `groups.<id>` entry (feature overrides are merged separately)."""

    name: str = ""
    admins: list[str] = []
    timezone: TimezoneName | None = None
    theme: ThemeSettings | None = None


_DATABASE_SCHEMES = ("sqlite", "sqlite+aiosqlite", "postgresql", "postgres", "postgresql+asyncpg")


def _check_database_url(url: str) -> str:
    scheme = url.partition("://")[0]
    if "://" not in url or scheme not in _DATABASE_SCHEMES:
        raise ValueError(
            "must be a SQLite URL (sqlite:///groupops.db) "
            "or a PostgreSQL URL (postgresql://user@host/db)"
        )
    return url


class StorageSettings(Strict):
    url: Annotated[str, AfterValidator(_check_database_url)] = "sqlite:///groupops.db"


class BotIdentity(Strict):
    name: str = "小助手"
    user_id: str = "groupops-bot"


class RootConfig(Strict):
    timezone: TimezoneName = "Asia/Shanghai"
    admins: list[str] = []
    bot: BotIdentity = BotIdentity()
    storage: StorageSettings = StorageSettings()
    transport: TransportSettings = TransportSettings()
    log_level: str = "INFO"
    reload_interval_s: float = Field(default=2.0, gt=0)
    defaults: DefaultsSettings = DefaultsSettings()
    groups: dict[str, Any] = {}


_GROUP_ONLY_KEYS = set(GroupEntry.model_fields)
_FEATURE_KEYS = set(FeatureSettings.model_fields)


@dataclass(frozen=True)
class ConfigProblem:
    file: str
    line: int
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.path}: {self.message}"


class ConfigError(Exception):
    def __init__(self, problems: list[ConfigProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass(frozen=True)
class GroupSettings:
    """Everything a handler needs to know about one group: defaults merged with overrides."""

    group_id: str
    name: str
    admins: frozenset[str]
    timezone: str
    theme: ThemeSettings
    features: FeatureSettings

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def checkin(self) -> CheckinSettings:
        return self.features.checkin

    @property
    def qa(self) -> QASettings:
        return self.features.qa

    @property
    def rewards(self) -> RewardsSettings:
        return self.features.rewards

    @property
    def nudge(self) -> NudgeSettings:
        return self.features.nudge

    @property
    def welcome(self) -> WelcomeSettings:
        return self.features.welcome

    @property
    def stats(self) -> StatsSettings:
        return self.features.stats

    @property
    def rituals(self) -> list[Ritual]:
        return self.features.rituals

    def is_admin(self, user_id: str) -> bool:
        return user_id in self.admins


@dataclass
class AppConfig:
    """A validated config: the root models plus every configured group resolved."""

    root: RootConfig
    path: Path | None
    groups: dict[str, GroupSettings]
    raw_defaults: dict[str, Any] = field(repr=False)
    _unlisted: dict[str, GroupSettings] = field(default_factory=dict, repr=False)

    @property
    def timezone(self) -> str:
        return self.root.timezone

    @property
    def storage_url(self) -> str:
        return normalize_db_url(self.root.storage.url, self.path.parent if self.path else None)

    def group(self, group_id: str) -> GroupSettings:
        """Settings for a group; a group not listed in config gets the defaults."""
        found = self.groups.get(group_id)
        if found is not None:
            return found
        cached = self._unlisted.get(group_id)
        if cached is None:
            d = self.root.defaults
            cached = GroupSettings(
                group_id=group_id,
                name=group_id,
                admins=frozenset(self.root.admins),
                timezone=self.root.timezone,
                theme=d.theme,
                features=_features_of(d),
            )
            self._unlisted[group_id] = cached
        return cached


def _features_of(defaults: DefaultsSettings) -> FeatureSettings:
    return FeatureSettings(**{k: getattr(defaults, k) for k in _FEATURE_KEYS})


# --- YAML with line numbers ---------------------------------------------------------------

_ENV = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::-(?P<default>[^}]*))?\}")


class _Loaded:
    def __init__(self, file: str) -> None:
        self.file = file
        self.lines: dict[Path_, int] = {}
        self.problems: list[ConfigProblem] = []

    def problem(self, path: Path_, message: str, line: int | None = None) -> None:
        self.problems.append(
            ConfigProblem(self.file, line or self.line_of(path), dotted(path), message)
        )

    def line_of(self, path: Path_) -> int:
        for end in range(len(path), -1, -1):
            found = self.lines.get(path[:end])
            if found is not None:
                return found
        return 1

    def build(self, node: yaml.Node, path: Path_) -> Any:
        self.lines[path] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            out: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                key = _scalar(key_node)
                if isinstance(key, (int, float, bool)):
                    key = str(key).lower() if isinstance(key, bool) else str(key)
                if key in out:
                    self.problem((*path, key), "duplicate key", key_node.start_mark.line + 1)
                out[key] = self.build(value_node, (*path, key))
                self.lines[(*path, key)] = key_node.start_mark.line + 1
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        value = _scalar(node)
        if isinstance(value, str) and "${" in value:
            value = self._substitute(value, path)
        return value

    def _substitute(self, value: str, path: Path_) -> str:
        def repl(m: re.Match[str]) -> str:
            name, default = m["name"], m["default"]
            if name in os.environ:
                return os.environ[name]
            if default is not None:
                return default
            self.problem(path, f"environment variable {name} is not set")
            return ""

        return _ENV.sub(repl, value)


def _scalar(node: yaml.Node) -> Any:
    return yaml.SafeLoader("").construct_object(node)


def dotted(path: Path_) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top)"


def _deep_merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


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


def _explain(err: Mapping[str, Any], model: type[BaseModel]) -> str:
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


def _validation_problems(
    loaded: _Loaded,
    exc: ValidationError,
    model: type[BaseModel],
    prefixes: list[Path_],
) -> None:
    """Report errors; loc is looked up under each prefix in turn (group override, then defaults)."""
    for err in exc.errors():
        loc = tuple(err["loc"])
        # pydantic puts union/function-validator tags into loc; keep only real keys
        clean: Path_ = tuple(
            p for p in loc if isinstance(p, int) or not str(p).startswith("function-")
        )
        chosen = prefixes[0] + clean
        for prefix in prefixes:
            if prefix + clean in loaded.lines:
                chosen = prefix + clean
                break
        loaded.problem(chosen, _explain(err, model))


def load_config(path: str | Path) -> AppConfig:
    """Load and validate a config file. Raises ConfigError listing every problem found."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError([ConfigProblem(str(file), 0, "(file)", f"cannot read: {exc}")]) from exc
    return parse_config(text, str(file), file.resolve())


def parse_config(text: str, file: str = "<config>", resolved: Path | None = None) -> AppConfig:
    loaded = _Loaded(file)
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(
            [ConfigProblem(file, line, "(yaml)", f"invalid YAML: {problem}")]
        ) from exc
    data = loaded.build(node, ()) if node is not None else {}
    if not isinstance(data, dict):
        raise ConfigError([ConfigProblem(file, 1, "(top)", "the file must be a mapping of keys")])

    root: RootConfig | None = None
    try:
        root = RootConfig.model_validate(data)
    except ValidationError as exc:
        _validation_problems(loaded, exc, RootConfig, [()])

    groups: dict[str, GroupSettings] = {}
    defaults_raw = data.get("defaults") or {}
    if not isinstance(defaults_raw, dict):
        defaults_raw = {}
    feature_defaults = {k: v for k, v in defaults_raw.items() if k in _FEATURE_KEYS}
    raw_groups = data.get("groups") or {}
    if isinstance(raw_groups, dict):
        for gid, raw in raw_groups.items():
            gpath: Path_ = ("groups", str(gid))
            if raw is None:
                raw = {}
            if not isinstance(raw, dict):
                loaded.problem(gpath, "a group must be a mapping (name, admins, timezone, ...)")
                continue
            entry: GroupEntry | None = None
            only = {k: v for k, v in raw.items() if k in _GROUP_ONLY_KEYS}
            try:
                entry = GroupEntry.model_validate(only)
            except ValidationError as exc:
                _validation_problems(loaded, exc, GroupEntry, [gpath])
            overrides = {k: v for k, v in raw.items() if k not in _GROUP_ONLY_KEYS}
            for key in overrides:
                if key not in _FEATURE_KEYS:
                    allowed = sorted(_FEATURE_KEYS | _GROUP_ONLY_KEYS)
                    close = difflib.get_close_matches(str(key), allowed, n=1)
                    hint = f" (did you mean {close[0]!r}?)" if close else ""
                    loaded.problem((*gpath, key), f"unknown key{hint}")
            overrides = {k: v for k, v in overrides.items() if k in _FEATURE_KEYS}
            try:
                features = FeatureSettings.model_validate(_deep_merge(feature_defaults, overrides))
            except ValidationError as exc:
                _validation_problems(loaded, exc, FeatureSettings, [gpath, ("defaults",)])
                continue
            if entry is None or root is None:
                continue
            groups[str(gid)] = GroupSettings(
                group_id=str(gid),
                name=entry.name or str(gid),
                admins=frozenset(root.admins) | frozenset(entry.admins),
                timezone=entry.timezone or root.timezone,
                theme=entry.theme or root.defaults.theme,
                features=features,
            )
    if loaded.problems or root is None:
        unique = sorted(set(loaded.problems), key=lambda p: (p.line, p.path))
        raise ConfigError(unique)
    return AppConfig(root=root, path=resolved, groups=groups, raw_defaults=defaults_raw)

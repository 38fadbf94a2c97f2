"""config.yaml: loading with line numbers, ${ENV} substitution, defaults merged into groups.

Every read of config.yaml (check-config, run, hot reload) goes through load_config: the
safe YAML loader with limits (bot/yaml_loader.py), then the pydantic models of
bot/settings/, then the FAQ files the config names. Errors are reported as
``FILE:LINE: dotted.path: message``; whatever passes has bounded numbers and templates
that render (bot/template.py).
"""

from __future__ import annotations

import difflib
import os
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, Field, ValidationError

from bot.settings.base import ConfigId, Strict, ThemeSettings, TimeRange, TimezoneName
from bot.settings.broadcast import BroadcastSettings
from bot.settings.camps import CampList
from bot.settings.checkin import CheckinSettings
from bot.settings.nudge import NudgeSettings
from bot.settings.problems import add_validation_problems, under
from bot.settings.qa import FaqItem, QASettings, read_faq_file
from bot.settings.relay import RelaySettings
from bot.settings.rewards import RewardsSettings
from bot.settings.rituals import CalendarSettings, HighlightSettings, Ritual, RitualList
from bot.settings.sets import ALL_GROUPS, GroupSet, SetMembers, SetName, resolve_sets
from bot.settings.stats import StatsSettings
from bot.settings.transport import (
    SecretMissing,
    TransportSettings,
    aes_key_problem,
    resolve_secret,
    server_name_from_token,
    server_name_problem,
)
from bot.settings.welcome import WelcomeSettings
from bot.template import iter_templates, render_template
from bot.text.inbound import config_id
from bot.yaml_loader import CONFIG_LIMITS, YamlDocument, YamlPath, parse_yaml, read_limited
from bot.yaml_loader import ConfigError as ConfigError  # re-exported: callers import from here
from bot.yaml_loader import ConfigProblem as ConfigProblem
from bot.yaml_loader import dotted as dotted
from storage.urls import normalize_db_url

Path_ = YamlPath


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
    admins: list[ConfigId] = []
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
    admins: list[ConfigId] = []
    bot: BotIdentity = BotIdentity()
    storage: StorageSettings = StorageSettings()
    transport: TransportSettings = TransportSettings()
    log_level: str = "INFO"
    reload_interval_s: float = Field(default=2.0, gt=0, le=3600)
    defaults: DefaultsSettings = DefaultsSettings()
    groups: dict[str, Any] = {}
    # named sets of groups for broadcasts, relays and boards across groups (bot/settings/sets.py)
    sets: dict[SetName, SetMembers] = {}
    # how broadcasts to a set are paced (bot/settings/broadcast.py)
    broadcast: BroadcastSettings = BroadcastSettings()
    # live text relay between the groups of a set (bot/settings/relay.py)
    relay: RelaySettings = RelaySettings()


_GROUP_ONLY_KEYS = set(GroupEntry.model_fields)
_FEATURE_KEYS = set(FeatureSettings.model_fields)


@dataclass(frozen=True)
class GroupSettings:
    """Everything a handler needs to know about one group: defaults merged with overrides."""

    group_id: str
    name: str
    admins: frozenset[str]
    timezone: str
    theme: ThemeSettings
    features: FeatureSettings

    @cached_property
    def tz(self) -> ZoneInfo:
        # ZoneInfo keeps one object per key: caching it here only saves the lookup, which
        # every message made (local days, the activity log)
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
    # the parsed file, for line numbers in later checks (check_environment)
    source: YamlDocument | None = field(default=None, repr=False)
    # entries of every qa.faq_file, read and validated with the config (absolute path ->)
    faq_files: dict[Path, tuple[FaqItem, ...]] = field(default_factory=dict, repr=False)
    sets: dict[str, GroupSet] = field(default_factory=dict)

    def group_set(self, name: str) -> GroupSet | None:
        """A set by name (exact, then case-insensitive and full-width letters and digits as
        their ASCII forms: `ｗｒｉｔｉｎｇ` from a Chinese input method is `writing`), or None."""
        found = self.sets.get(name)
        if found is None:
            folded = unicodedata.normalize("NFKC", name).casefold()
            found = next((s for n, s in self.sets.items() if n.casefold() == folded), None)
        return found

    def sets_of(self, group_id: str) -> list[GroupSet]:
        """Every set the group belongs to, in config order."""
        return [s for s in self.sets.values() if group_id in s.group_ids]

    def is_set_admin(self, group_set: GroupSet, user_id: str) -> bool:
        """Who may address a whole set: a global admin, or an admin of every group in it."""
        if user_id in self.root.admins:
            return True
        return bool(group_set.group_ids) and all(
            self.group(gid).is_admin(user_id) for gid in group_set.group_ids
        )

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


# --- loading ------------------------------------------------------------------------------

_ENV = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::-(?P<default>[^}]*))?\}")


def _substitute_env(value: str) -> str:
    """${NAME} or ${NAME:-default} from the environment, in every text value."""
    if "${" not in value:
        return value
    missing: list[str] = []

    def repl(m: re.Match[str]) -> str:
        name, default = m["name"], m["default"]
        if name in os.environ:
            return os.environ[name]
        if default is not None:
            return default
        missing.append(name)
        return ""

    out = _ENV.sub(repl, value)
    if len(missing) == 1:
        raise ValueError(f"environment variable {missing[0]} is not set")
    if missing:
        raise ValueError(f"environment variables {', '.join(missing)} are not set")
    return out


def _deep_merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _feature_locator(
    gpath: Path_, overrides: Mapping[str, Any], defaults: Mapping[str, Any]
) -> Callable[[Path_], Path_]:
    """Where an error of a group's merged features was written: follows _deep_merge, so a
    value the group replaced (a list, a scalar) is the group's, and only what the group
    left to `defaults` is blamed on `defaults`."""

    def locate(loc: Path_) -> Path_:
        over: Any = overrides
        base: Any = defaults
        for part in loc:
            in_over = isinstance(over, Mapping) and part in over
            in_base = isinstance(base, Mapping) and part in base
            if not in_over:
                return ("defaults", *loc) if in_base else (*gpath, *loc)
            over = over[part]
            base = base[part] if in_base else None
            if not (isinstance(over, Mapping) and isinstance(base, Mapping)):
                break
        return (*gpath, *loc)

    return locate


def load_config(path: str | Path) -> AppConfig:
    """Load and validate a config file. Raises ConfigError listing every problem found.

    A file over the size limit is refused before it is read; see bot/yaml_loader.py."""
    file = Path(path)
    data = read_limited(file, CONFIG_LIMITS)
    return parse_config(data, str(file), file.resolve())


def parse_config(
    text: str | bytes, file: str = "<config>", resolved: Path | None = None
) -> AppConfig:
    """Validate a config's text. With ``resolved`` (the file's absolute path) the FAQ files
    it names are read too, relative to it."""
    doc = parse_yaml(text, file, CONFIG_LIMITS, on_text=_substitute_env)
    data = doc.data if doc.data is not None else {}
    if not isinstance(data, dict):
        raise ConfigError(
            [
                *doc.problems,
                ConfigProblem(file, doc.line_of(()), "(top)", "the file must be a mapping of keys"),
            ]
        )

    root: RootConfig | None = None
    try:
        root = RootConfig.model_validate(data)
    except ValidationError as exc:
        add_validation_problems(doc, exc, RootConfig)

    groups: dict[str, GroupSettings] = {}
    raw_keys: dict[str, str] = {}  # group id (as events carry it) -> its key in the file
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
                doc.problem(gpath, "a group must be a mapping (name, admins, timezone, ...)")
                continue
            entry: GroupEntry | None = None
            only = {k: v for k, v in raw.items() if k in _GROUP_ONLY_KEYS}
            try:
                entry = GroupEntry.model_validate(only)
            except ValidationError as exc:
                add_validation_problems(doc, exc, GroupEntry, under(gpath))
            overrides = {k: v for k, v in raw.items() if k not in _GROUP_ONLY_KEYS}
            for key in overrides:
                if key not in _FEATURE_KEYS:
                    allowed = sorted(_FEATURE_KEYS | _GROUP_ONLY_KEYS)
                    close = difflib.get_close_matches(str(key), allowed, n=1)
                    hint = f" (did you mean {close[0]!r}?)" if close else ""
                    doc.problem((*gpath, key), f"unknown key{hint}")
            overrides = {k: v for k, v in overrides.items() if k in _FEATURE_KEYS}
            try:
                features = FeatureSettings.model_validate(_deep_merge(feature_defaults, overrides))
            except ValidationError as exc:
                locate = _feature_locator(gpath, overrides, feature_defaults)
                add_validation_problems(doc, exc, FeatureSettings, locate)
                continue
            if entry is None or root is None:
                continue
            group_id = config_id(str(gid))
            if group_id in groups:
                doc.problem(gpath, f"the same group as {raw_keys[group_id]!r} (its stored form)")
                continue
            raw_keys[group_id] = str(gid)
            groups[group_id] = GroupSettings(
                group_id=group_id,
                name=entry.name or str(gid),
                admins=frozenset(root.admins) | frozenset(entry.admins),
                timezone=entry.timezone or root.timezone,
                theme=entry.theme or root.defaults.theme,
                features=features,
            )
    sets: dict[str, GroupSet] = {}
    if root is not None:
        configured = (
            list(dict.fromkeys(config_id(str(g)) for g in raw_groups))
            if isinstance(raw_groups, dict)
            else []
        )
        # set members are compared in the form events carry (a long id either way)
        members = {
            name: m if m == ALL_GROUPS else [config_id(str(g)) for g in m]
            for name, m in root.sets.items()
        }
        sets, set_problems = resolve_sets(members, configured)
        for path, message in set_problems:
            doc.problem(path, message)
        _check_report_sets(doc, root, groups, sets, raw_keys)
    faq_files: dict[Path, tuple[FaqItem, ...]] = {}
    if root is not None and resolved is not None:
        faq_files = _read_faq_files(doc, root, groups, resolved.parent, raw_keys)
    if doc.problems or root is None:
        doc.raise_problems()
    assert root is not None
    return AppConfig(
        root=root,
        path=resolved,
        groups=groups,
        raw_defaults=defaults_raw,
        source=doc,
        faq_files=faq_files,
        sets=sets,
    )


def _check_report_sets(
    doc: YamlDocument,
    root: RootConfig,
    groups: Mapping[str, GroupSettings],
    sets: Mapping[str, GroupSet],
    raw_keys: Mapping[str, str],
) -> None:
    """Every set named by a `stats.weekly_report.sets` exists (reported where it is written:
    the group's own line, or `defaults` for what a group inherited)."""
    folded = {name.casefold() for name in sets}
    lists: list[tuple[Path_, list[str]]] = [
        (("defaults", "stats", "weekly_report", "sets"), root.defaults.stats.weekly_report.sets)
    ]
    lists += [
        (
            ("groups", raw_keys.get(gid, gid), "stats", "weekly_report", "sets"),
            g.stats.weekly_report.sets,
        )
        for gid, g in groups.items()
    ]
    reported: set[Path_] = set()
    for where, names in lists:
        for index, name in enumerate(names):
            path: Path_ = (*where, index)
            if path not in doc.lines:
                path = ("defaults", "stats", "weekly_report", "sets", index)
            if name.casefold() in folded or path in reported:
                continue
            reported.add(path)
            known = ", ".join(sets) or "none; add it under `sets`"
            doc.problem(path, f"unknown group set {name!r} (sets: {known})")


def faq_file_path(faq_file: str, base: Path | None) -> Path:
    """Where qa.faq_file points: relative to config.yaml's folder."""
    path = Path(faq_file)
    if not path.is_absolute() and base is not None:
        path = base / path
    return path


def _read_faq_files(
    doc: YamlDocument,
    root: RootConfig,
    groups: Mapping[str, GroupSettings],
    base: Path,
    raw_keys: Mapping[str, str],
) -> dict[Path, tuple[FaqItem, ...]]:
    """Read every qa.faq_file once; its problems are reported at its own lines (a missing
    file at the qa.faq_file line of config.yaml)."""
    named: dict[Path, Path_] = {}
    if root.defaults.qa.faq_file:
        named[faq_file_path(root.defaults.qa.faq_file, base)] = ("defaults", "qa", "faq_file")
    for gid, group in groups.items():
        if group.qa.faq_file:
            where: Path_ = ("groups", raw_keys.get(gid, gid), "qa", "faq_file")
            if where not in doc.lines:
                where = ("defaults", "qa", "faq_file")
            named.setdefault(faq_file_path(group.qa.faq_file, base), where)
    out: dict[Path, tuple[FaqItem, ...]] = {}
    for path, where in named.items():
        try:
            out[path] = tuple(read_faq_file(path))
        except ConfigError as exc:
            for problem in exc.problems:
                if problem.path == "(file)" and problem.message.startswith("cannot read"):
                    doc.problem(where, f"FAQ file {path}: {problem.message}")
                else:
                    doc.problems.append(problem)
    return out


# --- what check-config adds: templates rendered, the transport's environment ---------------


def render_all_templates(config: AppConfig) -> int:
    """Render every configured template with its sample values (validation did this
    already; check-config repeats it over the loaded config and reports the count)."""
    count = 0
    models: list[tuple[Path_, Any]] = [(("defaults",), config.root.defaults)]
    models += [(("groups", gid), g.features) for gid, g in config.groups.items()]
    for prefix, model in models:
        for path, text, spec in iter_templates(model, prefix):
            try:
                render_template(text, spec.samples)
            except ValueError as exc:
                line = config.source.line_of(path) if config.source else 1
                raise ConfigError(
                    [ConfigProblem(str(config.path or "<config>"), line, dotted(path), str(exc))]
                ) from exc
            count += 1
    return count


def check_environment(
    config: AppConfig, environ: Mapping[str, str] | None = None
) -> list[ConfigProblem]:
    """The selected transport's secrets (tokens, keys, endpoints): each must be in the
    config (usually as ${VAR}) or in its environment variable, and not blank. Messages
    name the variable, never a value."""
    env = os.environ if environ is None else environ
    transport = config.root.transport
    file = str(config.path or "<config>")
    problems: list[ConfigProblem] = []
    for secret in transport.secrets():
        if secret.value.strip():
            continue
        section: Path_ = ("transport", transport.type)
        field_path: Path_ = (*section, *secret.field.split("."))
        try:
            resolve_secret("", secret.env, secret.what, env)
            continue
        except SecretMissing as exc:
            message = str(exc)
        line = 1
        if config.source is not None:
            candidates = [field_path, (*section, f"{secret.field}_env"), ("transport", "type")]
            line = next(
                (config.source.lines[p] for p in candidates if p in config.source.lines),
                config.source.line_of(section),
            )
        problems.append(ConfigProblem(file, line, dotted(field_path), message))
    return problems + _shape_problems(config, env, file)


def _line_of(config: AppConfig, section: Path_, candidates: list[Path_]) -> int:
    """The first candidate written in the file, else the section's (or nearest) line."""
    if config.source is None:
        return 1
    lines = config.source.lines
    return next((lines[p] for p in candidates if p in lines), config.source.line_of(section))


def _shape_problems(config: AppConfig, env: Mapping[str, str], file: str) -> list[ConfigProblem]:
    """Values the selected transport would refuse at start-up although they are set: the
    wechaty TLS server name, the WeCom callback EncodingAESKey. Never prints a value."""
    transport = config.root.transport
    problems: list[ConfigProblem] = []
    if transport.type == "wechaty" and transport.wechaty.tls:
        w = transport.wechaty
        section: Path_ = ("transport", "wechaty")
        field_path: Path_ = (*section, "tls_server_name")
        candidates = [field_path, (*section, "tls_server_name_env"), (*section, "token")]
        candidates += [(*section, "token_env"), ("transport", "type")]
        # the same order as the transport: the setting, its variable, the token's prefix
        if w.tls_server_name:
            name, origin = w.tls_server_name, "transport.wechaty.tls_server_name"
        elif w.tls_server_name_env and env.get(w.tls_server_name_env):
            name = env[w.tls_server_name_env]
            origin = f"the environment variable {w.tls_server_name_env}"
        else:
            token = w.token if w.token.strip() else env.get(w.token_env, "")
            name, origin = server_name_from_token(token), "the token's prefix"
            if not token.strip():
                name = ""  # the missing token is reported already
            elif not name:
                problems.append(
                    ConfigProblem(
                        file,
                        _line_of(config, section, candidates),
                        dotted(field_path),
                        "TLS needs the gateway's server name and the token has no "
                        "'<name>_' prefix to take it from: set tls_server_name (or the "
                        f"environment variable {w.tls_server_name_env or 'it names'}), or "
                        "tls: off for a gateway that serves no TLS",
                    )
                )
        problem = server_name_problem(name) if name else None
        if problem is not None:
            line = _line_of(config, section, candidates)
            message = f"the TLS server name from {origin} {problem}"
            problems.append(ConfigProblem(file, line, dotted(field_path), message))
    if transport.type == "wecom_callback":
        c = transport.wecom_callback
        section = ("transport", "wecom_callback")
        field_path = (*section, "aes_key")
        if c.aes_key.strip():
            key, origin = c.aes_key, "transport.wecom_callback.aes_key"
        else:
            key = env.get(c.aes_key_env, "") if c.aes_key_env else ""
            origin = f"the environment variable {c.aes_key_env}"
        problem = aes_key_problem(key) if key.strip() else None  # missing: reported already
        if problem is not None:
            candidates = [field_path, (*section, "aes_key_env"), ("transport", "type")]
            line = _line_of(config, section, candidates)
            message = f"the WeCom callback EncodingAESKey from {origin} {problem}"
            problems.append(ConfigProblem(file, line, dotted(field_path), message))
    return problems

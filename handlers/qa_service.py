"""The FAQ knowledge base: config and database entries, the matcher index, cooldowns.

Built once at start and rebuilt on a config change (ReloadAware) or when admins change
entries; never per message. Per-message work is in memory: matching, the cooldown check
and the "already in the backlog" check.
"""

from __future__ import annotations

import functools
import logging
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from bot.config import AppConfig, ConfigError, GroupSettings, faq_file_path
from bot.settings.qa import FaqItem, QASettings
from bot.settings.qa import read_faq_file as read_faq_items
from bot.text.lexicon import FAMILIES, INTENT_TERMS
from bot.text.normalize import Analyzer, normalize, shared_analyzer, strip_politeness
from bot.text.qa_matcher import Decision, FaqDoc, FaqIndex, MatchParams, theme_terms
from storage.repos.faq import FaqRepo
from storage.uow import UnitOfWorkFactory

log = logging.getLogger("groupops.qa")

ANY = "*"
# Community-operations words: a question using one is worth logging for the admins.
COMMUNITY_TERMS = frozenset(FAMILIES) - INTENT_TERMS
# Decisions remembered per (text, the group's scopes, theme and thresholds): questions
# repeat ("几点开始？"), and the index is immutable until it is rebuilt. Bounded in entries
# and in the length of a remembered text.
DECISION_MEMO_ENTRIES = 20_000
DECISION_MEMO_MAX_CHARS = 200
DecisionKey = tuple[str, frozenset[str], frozenset[str], float, float]


class FaqFileError(ValueError):
    pass


@dataclass(frozen=True)
class Entry:
    """An FAQ entry as admins see it."""

    key: str  # config id, or the database id as a string
    question: str
    answer: str
    aliases: tuple[str, ...]
    scopes: frozenset[str]
    source: str  # "config" | "db"
    group_id: str | None = None  # database entries: the group it was added in


def read_faq_file(path: Path) -> list[FaqItem]:
    """Entries from a YAML (a list, or a mapping with `faq:`) or CSV file
    (bot/settings/qa.py, through the safe YAML loader). FaqFileError lists every problem as
    FILE:LINE: path: message."""
    try:
        return read_faq_items(path)
    except ConfigError as exc:
        raise FaqFileError("\n".join(str(p) for p in exc.problems)) from exc


def config_items(
    settings: QASettings,
    base: Path | None,
    preloaded: Mapping[Path, tuple[FaqItem, ...]] | None = None,
) -> list[FaqItem]:
    """Inline entries plus the faq_file's; a file the config loader already read (off the
    event loop, see AppConfig.faq_files) is not read again."""
    items = list(settings.faq)
    if settings.faq_file:
        path = faq_file_path(settings.faq_file, base)
        known = preloaded.get(path) if preloaded is not None else None
        items += list(known) if known is not None else read_faq_file(path)
    return items


class QaService:
    """Everything Q&A keeps in memory. Registered through handlers.SERVICE_FACTORIES."""

    def __init__(
        self, config: AppConfig, uow: UnitOfWorkFactory, *, build_index: bool = True
    ) -> None:
        self.config = config
        self.uow = uow
        self.build_index = build_index
        self.entries: dict[str, Entry] = {}
        self.index: FaqIndex | None = None
        self._analyzer: Analyzer | None = None
        self._scopes: dict[str, frozenset[str]] = {}
        self._themes: dict[str, frozenset[str]] = {}
        # (group, entry) -> (message id, time) of its latest answer; the database holds the
        # same (qa_answered), read when this process has not answered the entry yet
        self._answered: OrderedDict[tuple[str, str], tuple[str, datetime]] = OrderedDict()
        self._waiting: set[tuple[str, str]] = set()  # (group, question) open in the backlog
        self._decisions: dict[DecisionKey, Decision] = {}
        self._decisions_index: FaqIndex | None = None
        self._decisions_generation = -1

    # --- lifecycle ------------------------------------------------------------------------

    async def start_service(self) -> None:
        await self.reload()

    async def on_config(self, config: AppConfig) -> None:
        self.config = config
        await self.reload()

    @property
    def analyzer(self) -> Analyzer:
        if self._analyzer is None:
            self._analyzer = shared_analyzer()
        return self._analyzer

    async def reload(self) -> None:
        """Rebuild the entries and the index from config and database (admin changes too)."""
        entries = self._config_entries()
        configured = list(entries.values())
        async with self.uow() as uow:
            repo = FaqRepo(uow.session)
            rows = await repo.entries()
            aliases = await repo.aliases()
            waiting = await repo.open_questions()
        for row in rows:
            key = str(row.id)
            scopes = frozenset({ANY} if row.group_id is None else {f"g:{row.group_id}"})
            entries[key] = Entry(key, row.question, row.answer, (), scopes, "db", row.group_id)
        for alias in aliases:
            found = entries.get(alias.entry_key)
            if found is not None and alias.text not in found.aliases:
                entries[alias.entry_key] = Entry(
                    found.key,
                    found.question,
                    found.answer,
                    (*found.aliases, alias.text),
                    found.scopes,
                    found.source,
                    found.group_id,
                )
        self.entries = entries
        self._waiting = {(g, self.question_key(q)) for g, q in waiting}
        self._scopes.clear()
        self._themes.clear()
        if not entries or not self.build_index:
            self.index = None
            return
        analyzer = self.analyzer
        keywords = list(self.config.root.defaults.theme.keywords)
        for group in self.config.groups.values():
            keywords += group.theme.keywords
        analyzer.learn(keywords)
        # The tokenizer learns the words of the configured FAQ only, never of entries and
        # phrasings admins add while the bot runs: what it knows (and so how the topic
        # classifiers built at start cut) is then the same for a process that has run for
        # weeks and for one started a minute ago on the same config.
        texts = [t for e in configured for t in (e.question, *e.aliases, e.answer)]
        analyzer.learn(analyzer.discover(texts))
        docs = [FaqDoc(e.key, e.question, e.answer, e.aliases, e.scopes) for e in entries.values()]
        self.index = FaqIndex.build(docs, analyzer, MatchParams(discover_words=False))
        log.info("FAQ index built: %d entries", len(self.index))

    def _config_entries(self) -> dict[str, Entry]:
        out: dict[str, Entry] = {}
        base = self.config.path.parent if self.config.path else None
        lists: list[tuple[str, QASettings]] = [("defaults", self.config.root.defaults.qa)]
        for gid, group in self.config.groups.items():
            if self._list_source(group) != "defaults":
                lists.append((gid, group.qa))
        for source, settings in lists:
            try:
                items = config_items(settings, base, self.config.faq_files)
            except FaqFileError as exc:
                log.error("FAQ file skipped: %s", exc)
                items = list(settings.faq)
            for item in items:
                scopes = frozenset(f"g:{g}" for g in item.groups) or frozenset({f"cfg:{source}"})
                if item.id in out and source != "defaults":
                    log.warning("FAQ id %r of group %s shadows another entry", item.id, source)
                out[item.id] = Entry(
                    item.id, item.question, item.answer, tuple(item.similar), scopes, "config"
                )
        return out

    def _list_source(self, group: GroupSettings) -> str:
        d = self.config.root.defaults.qa
        same = group.qa.faq == d.faq and group.qa.faq_file == d.faq_file
        return "defaults" if same else group.group_id

    # --- matching -------------------------------------------------------------------------

    def scopes_for(self, group: GroupSettings) -> frozenset[str]:
        found = self._scopes.get(group.group_id)
        if found is None:
            found = frozenset({ANY, f"g:{group.group_id}", f"cfg:{self._list_source(group)}"})
            self._scopes[group.group_id] = found
        return found

    def theme_for(self, group: GroupSettings) -> frozenset[str]:
        found = self._themes.get(group.group_id)
        if found is None:
            found = theme_terms(self.analyzer, group.theme.keywords)
            self._themes[group.group_id] = found
        return found

    def match(self, group: GroupSettings, text: str) -> Decision | None:
        """The matcher's decision with the group's thresholds; None without any FAQ."""
        index = self.index
        if index is None:
            return None
        settings = group.qa
        scopes, theme = self.scopes_for(group), self.theme_for(group)
        if len(text) > DECISION_MEMO_MAX_CHARS:
            return index.match(
                text, scopes=scopes, theme=theme, threshold=settings.threshold,
                margin=settings.margin,
            )  # fmt: skip
        generation = index.analyzer.generation
        if index is not self._decisions_index or generation != self._decisions_generation:
            # a rebuilt index, or a tokenizer that learned words since: read everything anew
            self._decisions.clear()
            self._decisions_index, self._decisions_generation = index, generation
        key = (text, scopes, theme, settings.threshold, settings.margin)
        decision = self._decisions.get(key)
        if decision is None:
            decision = index.match(
                text, scopes=scopes, theme=theme, threshold=settings.threshold,
                margin=settings.margin,
            )  # fmt: skip
            if len(self._decisions) >= DECISION_MEMO_ENTRIES:
                self._decisions.clear()
            self._decisions[key] = decision
        return decision

    def visible(self, group: GroupSettings) -> list[Entry]:
        scopes = self.scopes_for(group)
        return [e for e in self.entries.values() if e.scopes & scopes]

    def worth_logging(self, group: GroupSettings, decision: Decision | None) -> bool:
        """Is an unanswered question about the community (not "anyone for lunch?")?"""
        if decision is None:
            return True
        if decision.best is not None or decision.rejected is not None:
            return True  # near an entry: about the community, even if it asks something else
        terms = set(decision.analysis.terms)
        return bool(terms & COMMUNITY_TERMS or terms & self.theme_for(group))

    # --- cooldown -------------------------------------------------------------------------

    def last_answer(self, group_id: str, key: str) -> tuple[str, datetime] | None:
        """(message id, time) of this process's latest answer of the entry in the group."""
        return self._answered.get((group_id, key))

    def note_answered(self, group_id: str, key: str, message_id: str, at: datetime) -> None:
        known = self._answered.get((group_id, key))
        if known is not None and known[1] > at:
            return  # a message delivered again after a later answer: keep the later one
        self._answered[(group_id, key)] = (message_id, at)
        self._answered.move_to_end((group_id, key))
        if len(self._answered) > 100_000:
            self._answered.popitem(last=False)

    # --- backlog memory -------------------------------------------------------------------

    @staticmethod
    def question_key(text: str) -> str:
        if len(text) > DECISION_MEMO_MAX_CHARS:
            return _question_key(text)
        return _remembered_question_key(text)

    def is_waiting(self, group_id: str, question: str) -> bool:
        return (group_id, self.question_key(question)) in self._waiting

    def note_waiting(self, group_id: str, question: str) -> None:
        if len(self._waiting) > 100_000:
            self._waiting.clear()
        self._waiting.add((group_id, self.question_key(question)))

    def forget_waiting(self, group_id: str, question: str) -> None:
        self._waiting.discard((group_id, self.question_key(question)))


def _question_key(text: str) -> str:
    return strip_politeness(normalize(text)).rstrip("?？!！。.~～ ")


# The same unanswered questions come again (each is checked against the backlog).
_remembered_question_key = functools.lru_cache(maxsize=8192)(_question_key)


def _within(
    answered: tuple[str, datetime], now: datetime, window_minutes: float, message_id: str
) -> datetime | None:
    """The earlier answer's time when it counts for the cooldown of a message at `now`."""
    by, at = answered
    if window_minutes <= 0 or by == message_id:
        return None
    return at if timedelta(0) <= now - at < timedelta(minutes=window_minutes) else None


def answered_within(
    answered: tuple[str, datetime] | None, now: datetime, window_minutes: float, message_id: str
) -> datetime | None:
    return None if answered is None else _within(answered, now, window_minutes, message_id)

"""Moderation state shared by spam control (handlers/spam.py) and nudges (handlers/nudge.py).

Everything a message needs is in memory: the group's classifier (built once per theme),
the recent window of labels per group, the whitelist and the /nudge overrides (loaded at
start, changed by admin commands). The database is touched only when acting: a spam
violation, a nudge, an admin command.
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.config import AppConfig, GroupSettings
from bot.events import Message
from bot.text.classify import Label, TopicClassifier, Verdict
from bot.text.spam import Signal
from handlers.highlights import preview
from handlers.qa_service import FaqFileError, config_items
from storage.repos.moderation import ModerationRepo
from storage.session import DbSession
from storage.uow import UnitOfWorkFactory

if TYPE_CHECKING:
    from handlers import ServiceDeps

log = logging.getLogger("groupops.moderation")

PROMO_CONTEXT = timedelta(minutes=10)  # an image this soon after promotional text is judged with it
PROMO_MIN_POINTS = 5
PROMO_CALLS = frozenset({"cta"})  # signals that point to a contact the image may carry
_MAX_PROMO = 50_000
# Verdicts remembered per (classifier, text): the same short texts come again and again
# ("打卡", "收到", "谢谢老师", a repeated question), and a classifier is pure and immutable.
# Bounded in entries and in the length of a remembered text (long texts seldom repeat).
VERDICT_MEMO_ENTRIES = 20_000
VERDICT_MEMO_MAX_CHARS = 200


@dataclass(frozen=True)
class Seen:
    """One message in a group's recent window."""

    message_id: str
    at: datetime
    sender: str
    label: Label


@dataclass(frozen=True)
class Drift:
    """The window at the moment a nudge is due."""

    off: int
    on: int
    senders: int


class ModerationService:
    def __init__(self, uow: UnitOfWorkFactory, config: AppConfig) -> None:
        self._uow = uow
        self._config = config
        self._by_group: dict[str, tuple[GroupSettings, TopicClassifier]] = {}
        self._by_key: dict[str, TopicClassifier] = {}
        self._windows: dict[str, deque[Seen]] = {}
        self._promo: dict[tuple[str, str], tuple[datetime, Signal]] = {}
        self._verdicts: dict[tuple[TopicClassifier, str], Verdict] = {}
        self.whitelist: set[tuple[str, str]] = set()
        self.nudge_override: dict[str, bool] = {}
        self.last_nudge: dict[str, datetime] = {}
        self.nudge_count: dict[str, int] = {}

    # --- lifecycle ----------------------------------------------------------------------

    async def start_service(self) -> None:
        self.warm(self._config)
        async with self._uow() as uow:
            repo = ModerationRepo(uow.session)
            self.whitelist = set(await repo.whitelist())
            for state in await repo.states():
                if state.nudge_enabled is not None:
                    self.nudge_override[state.group_id] = state.nudge_enabled
                if state.last_nudge_at is not None:
                    self.last_nudge[state.group_id] = state.last_nudge_at
                self.nudge_count[state.group_id] = state.nudge_count or 0

    async def on_config(self, config: AppConfig) -> None:
        self._config = config
        # Classifiers are rebuilt lazily (a theme that did not change is reused by key).
        self._by_group.clear()
        for group_id, window in list(self._windows.items()):
            size = config.group(group_id).nudge.window_messages
            if window.maxlen != size:
                self._windows[group_id] = deque(window, maxlen=size)

    def warm(self, config: AppConfig) -> None:
        """Build the configured groups' classifiers now rather than on a first message."""
        for group in config.groups.values():
            self.classifier(group)
        self.classifier(config.group(""))

    # --- classifying ----------------------------------------------------------------------

    def classifier(self, group: GroupSettings) -> TopicClassifier:
        cached = self._by_group.get(group.group_id)
        if cached is not None and cached[0] is group:
            return cached[1]
        spam = group.nudge.spam
        key = "\x00".join(
            (
                group.theme.model_dump_json(),
                ",".join(group.nudge.off_topic_words),
                ",".join(spam.extra_words),
                ",".join(spam.whitelist_domains),
                str(spam.threshold),
            )
        )
        questions = self._faq_questions(group)
        key += "\x00" + "\x01".join(questions)
        found = self._by_key.get(key)
        if found is None:
            found = TopicClassifier(
                group.theme,
                off_topic_words=group.nudge.off_topic_words,
                spam_words=spam.extra_words,
                whitelist_domains=spam.whitelist_domains,
                spam_threshold=spam.threshold,
                faq_questions=questions,
            )
            self._by_key[key] = found
        self._by_group[group.group_id] = (group, found)
        return found

    def _faq_questions(self, group: GroupSettings) -> tuple[str, ...]:
        """The questions (and their other phrasings) of the FAQ entries the group's config
        lists, for its classifier's theme vocabulary. A file that cannot be read gives none
        (the Q&A service reports it)."""
        base = self._config.path.parent if self._config.path else None
        try:
            items = config_items(group.qa, base, self._config.faq_files)
        except FaqFileError:
            items = list(group.qa.faq)
        return tuple(
            q
            for item in items
            if not item.groups or group.group_id in item.groups
            for q in (item.question, *item.similar)
        )

    def classify(self, group: GroupSettings, message: Message) -> Verdict:
        if message.is_image:
            context = self._recent_promo(message.group_id, message.sender_id, message.time)
            return self.classifier(group).classify(message.text, is_image=True, context=context)
        verdict = self._text_verdict(self.classifier(group), message.text)
        if (
            not message.is_image
            and not verdict.hard_evidence
            and verdict.spam_points >= PROMO_MIN_POINTS
            and any(s.code in PROMO_CALLS for s in verdict.signals)
        ):
            # "有需要的加我" then an image: the image is the QR code the text points to. A
            # story with offer words but no call to contact makes no image suspect.
            self._remember_promo(message, verdict)
        return verdict

    def _text_verdict(self, classifier: TopicClassifier, text: str) -> Verdict:
        """The classifier's verdict on a text message, remembered for short texts."""
        if len(text) > VERDICT_MEMO_MAX_CHARS:
            return classifier.classify(text)
        key = (classifier, text)
        verdict = self._verdicts.get(key)
        if verdict is None:
            verdict = classifier.classify(text)
            if len(self._verdicts) >= VERDICT_MEMO_ENTRIES:
                self._verdicts.clear()
            self._verdicts[key] = verdict
        return verdict

    def _remember_promo(self, message: Message, verdict: Verdict) -> None:
        if len(self._promo) >= _MAX_PROMO:
            self._promo.clear()
        codes = "+".join(s.code for s in verdict.signals)
        evidence = f"{preview(message.text, 40)}（{codes}）"
        self._promo[(message.group_id, message.sender_id)] = (
            message.time,
            Signal("promo_text", verdict.spam_points, evidence),
        )

    def _recent_promo(self, group_id: str, sender: str, now: datetime) -> Signal | None:
        found = self._promo.get((group_id, sender))
        if found is None or now - found[0] > PROMO_CONTEXT:
            return None
        return found[1]

    # --- exemptions and switches -----------------------------------------------------------

    def is_whitelisted(self, group_id: str, member_id: str) -> bool:
        return (group_id, member_id) in self.whitelist

    def nudge_enabled(self, group: GroupSettings) -> bool:
        return self.nudge_override.get(group.group_id, group.nudge.enabled)

    # --- the drift window ------------------------------------------------------------------

    def observe(self, group: GroupSettings, message: Message, label: Label) -> None:
        window = self._windows.get(group.group_id)
        if window is None:
            window = deque(maxlen=group.nudge.window_messages)
            self._windows[group.group_id] = window
        window.append(Seen(message.message_id, message.time, message.sender_id, label))

    def last_seen(self, group_id: str) -> Seen | None:
        window = self._windows.get(group_id)
        return window[-1] if window else None

    def drift(self, group: GroupSettings, now: datetime) -> Drift | None:
        """The window's counts when it is mostly off-topic per the group's thresholds."""
        settings = group.nudge
        window = self._windows.get(group.group_id)
        if not window:
            return None
        since = now - timedelta(minutes=settings.window_minutes)
        recent = [s for s in window if s.at >= since]
        off = [s for s in recent if s.label == "off"]
        on = sum(1 for s in recent if s.label == "on")
        senders = len({s.sender for s in off})
        if (
            len(off) >= settings.min_off
            and len(off) >= settings.off_ratio * (len(off) + on)
            and senders >= settings.min_senders
        ):
            return Drift(off=len(off), on=on, senders=senders)
        return None

    def cooling_down(self, group: GroupSettings, now: datetime) -> bool:
        last = self.last_nudge.get(group.group_id)
        return last is not None and now - last < timedelta(minutes=group.nudge.cooldown_minutes)

    def nudged(self, group_id: str, at: datetime, count: int) -> None:
        """After a nudge: start a fresh window, remember the time for the cooldown."""
        self.last_nudge[group_id] = at
        self.nudge_count[group_id] = count
        window = self._windows.get(group_id)
        if window is not None:
            window.clear()


async def barred_from_rewards(
    session: DbSession, group: GroupSettings, at: datetime
) -> frozenset[str]:
    """Members of the group with open spam violations at ``at`` or later: `groupops payouts`
    leaves them out of a period starting then. Empty when ``nudge.spam.exclude_from_rewards``
    is off. Grants (red packets, game prizes, camp points) ask the same rule as of their own
    time through the grant policy (`handlers.grants.open_violators`)."""
    spam = group.nudge.spam
    if not spam.exclude_from_rewards:
        return frozenset()
    since = at - timedelta(days=spam.ladder_window_days)
    repo = ModerationRepo(session)
    return frozenset(await repo.open_violators(group.group_id, since, spam.open_after))


def moderation_service(deps: ServiceDeps) -> ModerationService:
    return ModerationService(deps.uow, deps.config)

"""`groupops eval topics CASES.yaml`: precision and recall of `off` and `spam`.

The file has a ``theme`` (name, description, keywords, examples), optionally ``faq`` (the
group's FAQ questions) and ``cases``, each ``{text, label}`` with label on|social|off|spam;
optional ``is_image: true``. ``on`` and
``social`` count alike: neither is an error of the other. The command's summary line also
gives the classifier's cost, ``us_per_message`` (thread CPU time, best of five passes).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from bot.settings.base import ThemeSettings
from bot.text.classify import Label, TopicClassifier, Verdict
from bot.yaml_loader import DATA_LIMITS, ConfigError, first_problem, load_yaml_file


class TopicCase(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    text: str
    label: Label
    is_image: bool = False


class TopicCases(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    theme: ThemeSettings
    # the group's FAQ questions, theme vocabulary as the bot's own FAQ gives it (optional)
    faq: list[str] = []
    cases: list[TopicCase]


class CasesError(ValueError):
    pass


def load_cases(path: str | Path) -> TopicCases:
    try:
        # `label: on` and `label: off` stay text (YAML 1.2 booleans: only true/false)
        data: Any = load_yaml_file(path, DATA_LIMITS, yaml12_bools=True).data
    except ConfigError as exc:
        raise CasesError(first_problem(exc)) from exc
    try:
        return TopicCases.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise CasesError(f"{path}: {where}: {first['msg']}") from exc


@dataclass(frozen=True)
class Miss:
    case: TopicCase
    verdict: Verdict


@dataclass(frozen=True)
class TopicReport:
    cases: int
    off_precision: float
    off_recall: float
    spam_precision: float
    spam_recall: float
    misses: tuple[Miss, ...]
    us_per_message: float | None = None  # measured by the command, not by ``evaluate``

    def summary(self) -> dict[str, float | int]:
        out: dict[str, float | int] = {
            "cases": self.cases,
            "off_precision": self.off_precision,
            "off_recall": self.off_recall,
            "spam_precision": self.spam_precision,
            "spam_recall": self.spam_recall,
        }
        if self.us_per_message is not None:
            out["us_per_message"] = self.us_per_message
        return out

    def summary_line(self) -> str:
        return json.dumps(self.summary())


def _bucket(label: Label) -> str:
    return "on" if label in ("on", "social") else label


def _ratio(hit: int, total: int) -> float:
    # Nothing flagged is no false alarm; nothing to find is nothing missed.
    return round(hit / total, 4) if total else 1.0


def evaluate(data: TopicCases, classifier: TopicClassifier | None = None) -> TopicReport:
    clf = classifier or TopicClassifier(data.theme, faq_questions=data.faq)
    misses: list[Miss] = []
    counts = {k: {"tp": 0, "fp": 0, "fn": 0} for k in ("off", "spam")}
    for case in data.cases:
        verdict = clf.classify(case.text, is_image=case.is_image)
        want, got = _bucket(case.label), _bucket(verdict.label)
        for kind, c in counts.items():
            if got == kind and want == kind:
                c["tp"] += 1
            elif got == kind:
                c["fp"] += 1
            elif want == kind:
                c["fn"] += 1
        if want != got:
            misses.append(Miss(case, verdict))
    off, sp = counts["off"], counts["spam"]
    return TopicReport(
        cases=len(data.cases),
        off_precision=_ratio(off["tp"], off["tp"] + off["fp"]),
        off_recall=_ratio(off["tp"], off["tp"] + off["fn"]),
        spam_precision=_ratio(sp["tp"], sp["tp"] + sp["fp"]),
        spam_recall=_ratio(sp["tp"], sp["tp"] + sp["fn"]),
        misses=tuple(misses),
    )


def us_per_message(data: TopicCases, classifier: TopicClassifier, rounds: int = 5) -> float:
    """The classifier's cost per message in microseconds of this thread's CPU time (other
    processes on a busy machine do not count): the best of ``rounds`` passes over the
    cases, each pass repeated until it has run a few thousand messages."""
    cases = [(c.text, c.is_image) for c in data.cases]
    if not cases:
        return 0.0
    repeat = max(1, 2000 // len(cases))
    best = float("inf")
    for _ in range(rounds):
        began = time.thread_time_ns()
        for _ in range(repeat):
            for text, is_image in cases:
                classifier.classify(text, is_image=is_image)
        best = min(best, (time.thread_time_ns() - began) / (repeat * len(cases)))
    return round(best / 1000, 1)


def format_miss(miss: Miss) -> str:
    return (
        f"MISS expected {miss.case.label}, got {miss.verdict.label}: {miss.case.text}"
        f"  [{miss.verdict.explain()}]"
    )


# --- `groupops eval topics` -------------------------------------------------------------------


def register(evals: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = evals.add_parser("topics", help="off-topic and spam classification: precision and recall")
    p.add_argument("cases", help="YAML with theme and cases (see shared/eval/topics_dev.yaml)")
    p.add_argument(
        "--config", default="config.yaml", help="spam and off-topic settings from defaults.nudge"
    )
    p.add_argument("--json", action="store_true", help="print only the JSON summary")
    p.set_defaults(func=cmd_eval_topics)


def cmd_eval_topics(args: argparse.Namespace) -> int:
    from bot.config import ConfigError, load_config
    from bot.settings.nudge import NudgeSettings

    settings = NudgeSettings()
    if Path(args.config).exists():
        try:
            settings = load_config(args.config).root.defaults.nudge
        except ConfigError as exc:
            print(exc, file=sys.stderr)
            return 1
    try:
        data = load_cases(args.cases)
    except CasesError as exc:
        print(exc, file=sys.stderr)
        return 1
    classifier = TopicClassifier(
        data.theme,
        off_topic_words=settings.off_topic_words,
        spam_words=settings.spam.extra_words,
        whitelist_domains=settings.spam.whitelist_domains,
        spam_threshold=settings.spam.threshold,
        faq_questions=data.faq,
    )
    report = evaluate(data, classifier)
    report = replace(report, us_per_message=us_per_message(data, classifier))
    if not args.json:
        for miss in report.misses:
            print(format_miss(miss))
        print(f"{report.cases} cases: {len(report.misses)} misses")
    print(report.summary_line())
    return 0

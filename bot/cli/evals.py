"""`groupops eval ...`: offline measurements of the text features against labelled files.

One `eval` parser; each feature adds its own subcommand by appending a registrar to
EVAL_REGISTRARS (Q&A adds `qa`; off-topic detection adds `topics`).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable

from bot.text import topic_eval

SubParsers = "argparse._SubParsersAction[argparse.ArgumentParser]"
EvalRegistrar = Callable[["argparse._SubParsersAction[argparse.ArgumentParser]"], None]


def _qa(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("qa", help="FAQ matching: top-1 accuracy, false answers, latency")
    p.add_argument("cases", help="YAML with theme, faq and cases (see shared/eval/qa_dev.yaml)")
    p.add_argument("--config", default="config.yaml", help="thresholds come from defaults.qa")
    p.add_argument("--json", action="store_true", help="print only the JSON summary")
    p.add_argument(
        "--scale",
        type=int,
        default=0,
        metavar="N",
        help="pad the FAQ with N synthetic entries to measure latency at that size",
    )
    p.set_defaults(func=cmd_eval_qa)


def cmd_eval_qa(args: argparse.Namespace) -> int:
    from pathlib import Path

    from bot.config import ConfigError, load_config
    from bot.qa_eval import EvalFileError, load_eval_set, run_eval
    from bot.settings.qa import QASettings

    settings = QASettings()
    if Path(args.config).exists():
        try:
            settings = load_config(args.config).root.defaults.qa
        except ConfigError as exc:
            print(exc, file=sys.stderr)
            return 1
    try:
        eval_set = load_eval_set(args.cases)
    except EvalFileError as exc:
        print(exc, file=sys.stderr)
        return 1
    report = run_eval(eval_set, settings, scale=max(0, args.scale))
    if not args.json:
        for miss in report.misses:
            print(miss.describe())
        print(
            f"{report.cases} cases, FAQ of {report.faq_size} entries, "
            f"threshold {settings.threshold}, margin {settings.margin}: "
            f"{len(report.misses)} misses"
        )
    print(json.dumps(report.summary()))
    return 0


# Each eval subcommand: append a registrar here.
EVAL_REGISTRARS: list[EvalRegistrar] = [_qa, topic_eval.register]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("eval", help="measure text features against labelled cases")
    evals = p.add_subparsers(dest="eval_command", required=True)
    for register in EVAL_REGISTRARS:
        register(evals)

"""Property-based tests of the config loader: any bytes, any YAML-ish text, any edit of the
bundled config.yaml gives either a config or a ConfigError whose problems are one-line
``FILE:LINE: path: message``, never another exception, each within DEADLINE (the example
count is the profile's, tests/conftest.py; HYPOTHESIS_PROFILE=deep searches longer).

Inputs Hypothesis found that once failed are kept in tests/corpus/config/ and replayed by
test_corpus_file_gives_config_or_problems.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.config import AppConfig, ConfigError, check_environment, parse_config
from bot.config import render_all_templates as render_templates
from bot.yaml_loader import CONFIG_LIMITS, parse_yaml

REPO = Path(__file__).resolve().parent.parent
CORPUS = Path(__file__).resolve().parent / "corpus" / "config"
BUNDLED = (REPO / "config.yaml").read_text(encoding="utf-8")
# An example taking this long is a hang in the making (typical: a few milliseconds).
DEADLINE = timedelta(seconds=5)
bounded = settings(deadline=DEADLINE, suppress_health_check=[HealthCheck.too_slow])
PROBLEM = re.compile(r"^c\.yaml:(\d+): ([^\n]+?): ([^\n]+)$")


def assert_config_or_problems(source: str | bytes, file: str = "c.yaml") -> AppConfig | None:
    """The property: a config that runs, or well-formed problems."""
    try:
        config = parse_config(source, file)
    except ConfigError as exc:
        assert exc.problems, "a ConfigError without problems"
        text = source.decode("utf-8", "replace") if isinstance(source, bytes) else source
        lines = len(re.split(r"\r\n|\r|\n", text))
        for problem in exc.problems:
            text = str(problem)
            found = PROBLEM.match(text.replace(file, "c.yaml", 1))
            assert found, f"not FILE:LINE: path: message: {text!r}"
            assert 1 <= problem.line <= lines + 1, text
            assert problem.path.strip() and problem.message.strip(), text
        return None
    # whatever loads can be used: every template renders, every group resolves
    render_templates(config)
    check_environment(config, environ={})
    for gid in [*config.groups, "unlisted-group"]:
        group = config.group(gid)
        assert group.tz is not None
    return config


# --- strategies ---------------------------------------------------------------------------

SYNTAX = [
    "\n", "\n  ", "\n    ", "\n      ", "- ", ": ", "? ", "{", "}", "[", "]", ", ", "&a ", "&b ",
    "*a", "*b", "<<: ", "!!binary ", "!!set ", "!!omap ", "!!python/object:os.system ", "!x ",
    "!!str ", "!!int ", "!!float ", "!!bool ", "!!timestamp ", "!!null ", "---\n", "...\n",
    "%YAML 1.1\n", "%TAG ! tag:x,2000:\n", "'", '"', "# c", "|\n", ">-\n", "\t", "\\", "~",
    "\r\n", "\u2028", "\x85", "\ufeff", "\x00", "\x1b",
]  # fmt: skip
KEYS = [
    "timezone", "admins", "bot", "name", "storage", "url", "defaults", "groups", "g1", "checkin",
    "points", "keywords", "streak_bonus", "min_days", "levels", "min_points", "rituals", "id",
    "text", "schedule", "reminders", "before", "follow_up", "after", "grace", "welcome",
    "newcomer", "days", "nudge", "phrasings", "hook_texts", "transport", "type", "wechaty",
    "token", "token_env", "quiet_hours", "calendar", "start", "qa", "faq", "faq_file",
    "question", "answer", "rewards", "quiz", "minutes", "max_minutes", "reload_interval_s",
]  # fmt: skip
VALUES = [
    "1", "-1", "0", "1e29", "100000000000000000000000000000", "1.0e+400", ".nan", "-.inf",
    "0x1F", "0o777", "1:30", "190:20:30", "2026-13-45", "2026-01-05", "2026-02-30 25:61:00",
    "0000-00-00", "yes", "on", "true", "null", "每天 07:30", "0 20 * * 3", "*/0 * * * *",
    "{time:>999999999}", "{date:%Y%m}", "{{", "}}", "{title}", "{0}", "{a.b}", "{a[0]}",
    "{theme!r}", "{}", "{group}", "${HOME}", "${NOPE_UNSET_X}", "${X:-d}", "Asia/Shanghai",
    "Asia", "Mars/Base", "sqlite:///x.db", "mysql://x", "wechaty", "console", "1d", "30m",
    "99999999999d", "1e400", "中文", "😀", "23:00-07:00", "a" * 200, "9" * 5000,
]  # fmt: skip
SKELETONS = [
    "",
    "defaults:\n  checkin:\n    ",
    "defaults:\n  rituals:\n    - id: r\n      schedule: 每天 07:30\n      ",
    "groups:\n  g1:\n    ",
    "transport:\n  ",
]
token_soup = st.tuples(
    st.sampled_from(SKELETONS),
    st.lists(st.sampled_from(SYNTAX + KEYS + VALUES), max_size=80).map("".join),
).map("".join)

# Where an operator writes a template, as YAML text around one value.
TEMPLATE_SITES = [
    "defaults:\n  welcome:\n    text: {}\n",
    "defaults:\n  welcome:\n    newcomer:\n      text: {}\n",
    "defaults:\n  nudge:\n    phrasings: [{}]\n",
    "defaults:\n  nudge:\n    hook_texts:\n      faq: {}\n",
    "defaults:\n  rituals:\n    - id: r\n      schedule: 每天 07:30\n      text: {}\n",
    "defaults:\n  rituals:\n    - id: r\n      schedule: 每天 07:30\n      text: x\n"
    "      reminders: [{{before: 1h, text: {}}}]\n",
    "groups:\n  g1:\n    rituals:\n      - id: r\n        schedule: 每天 07:30\n"
    "        follow_up: {{after: 1h, text: {}}}\n        text: x\n",
]
template_text = st.lists(
    st.sampled_from([*"{}:!.[]0 >%Ya_\n", "title", "date", "time", "group", "{{", "}}"]),
    max_size=20,
).map("".join) | st.text(max_size=40)


@st.composite
def edited_bundled_config(draw: st.DrawFn) -> str:
    """The bundled config.yaml with a few edits: a value replaced by something hostile, a
    line removed or repeated, a token inserted, or the file cut at some character."""
    lines = BUNDLED.split("\n")
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, len(lines) - 1))
        edit = draw(st.sampled_from(["value", "delete", "repeat", "insert", "cut"]))
        line = lines[i]
        if edit == "value" and ": " in line and not line.lstrip().startswith("#"):
            key = line.split(": ", 1)[0]
            lines[i] = f"{key}: {draw(st.sampled_from(VALUES + SYNTAX))}"
        elif edit == "delete":
            del lines[i]
        elif edit == "repeat":
            lines.insert(i, line)
        elif edit == "insert":
            at = draw(st.integers(0, len(line)))
            lines[i] = line[:at] + draw(st.sampled_from(SYNTAX + VALUES)) + line[at:]
        elif edit == "cut":
            at = draw(st.integers(0, len(line)))
            lines = [*lines[:i], line[:at]]
            break
        if not lines:
            break
    return "\n".join(lines)


# --- properties ----------------------------------------------------------------------------


@bounded
@given(st.binary(max_size=3000))
def test_any_bytes_give_config_or_problems(data: bytes) -> None:
    assert_config_or_problems(data)


@bounded
@given(st.text(max_size=2000))
def test_any_text_gives_config_or_problems(text: str) -> None:
    assert_config_or_problems(text)


@bounded
@given(token_soup)
def test_yaml_ish_text_gives_config_or_problems(text: str) -> None:
    assert_config_or_problems(text)


@bounded
@given(edited_bundled_config())
def test_edited_bundled_config_gives_config_or_problems(text: str) -> None:
    assert_config_or_problems(text)


@bounded
@given(st.sampled_from(TEMPLATE_SITES), template_text)
def test_any_template_text_gives_config_or_problems(site: str, text: str) -> None:
    quoted = '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    assert_config_or_problems(site.format(quoted))


@bounded
@given(token_soup | st.text(max_size=500))
def test_the_pure_python_parser_also_gives_data_or_problems(text: str) -> None:
    """Without libyaml (a PyYAML built without it) the same limits and messages hold. The
    two parsers differ on a few edge cases (a tab after a tag), so only the shape of the
    answer is compared."""
    try:
        doc = parse_yaml(text, "c.yaml", CONFIG_LIMITS, fast=False)
    except ConfigError as exc:
        assert all(PROBLEM.match(str(p)) for p in exc.problems), exc.problems
        return
    assert all(PROBLEM.match(str(p)) for p in doc.problems), doc.problems


# --- the regression corpus ----------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(CORPUS.iterdir()), ids=lambda p: p.name)
def test_corpus_file_gives_config_or_problems(path: Path) -> None:
    assert_config_or_problems(path.read_bytes(), path.name)

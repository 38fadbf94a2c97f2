"""Hostile and absurd config files: each gets `FILE:LINE: path: message`, never a traceback,
a hang or a config that check-config accepts but the bot cannot run.

The files are in tests/corpus/config/ (test_config_properties.py replays all of them).
"""

from __future__ import annotations

import asyncio
import logging
import os
import resource
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot import yaml_loader
from bot.app import App
from bot.clock import FakeClock
from bot.config import ConfigError, RootConfig, check_environment, load_config, parse_config
from bot.sender import RecordingSender
from bot.transports.base import TransportError
from bot.transports.registry import build_transport
from tests.support import at

CORPUS = Path(__file__).resolve().parent / "corpus" / "config"
# A hang or a runaway parse on the old code ends here instead of taking the machine.
CLI_TIMEOUT_S = 60
CLI_MEMORY_BYTES = 1536 << 20


def problems_of(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_config(path)
    return [str(p) for p in info.value.problems]


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_config(text, "c.yaml")
    return [str(p) for p in info.value.problems]


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (CLI_MEMORY_BYTES, CLI_MEMORY_BYTES))


def check_config_cli(
    path: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "check-config", str(path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=CLI_TIMEOUT_S,
        preexec_fn=_limit_memory,
        env=env,
    )


# --- the YAML itself ----------------------------------------------------------------------


def test_billion_laughs_is_refused_at_once_by_check_config() -> None:
    """342 bytes of nested aliases expand to 9^9 values: refused at the alias that
    crosses the limit, in a process whose memory stays small."""
    path = CORPUS / "billion_laughs.yaml"
    assert path.stat().st_size == 342
    result = check_config_cli(path)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"{path}:6: f: the document expands to more than 100,000 values "
        "(aliases repeating aliases?)"
    ]


def test_a_50_mb_config_is_refused_before_it_is_parsed(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    entry = "    - 这是一个很长的关键词列表里的一项\n"
    with path.open("w", encoding="utf-8") as out:
        out.write("defaults:\n  theme:\n    keywords:\n")
        out.write(entry * ((50 << 20) // len(entry.encode())))
    result = check_config_cli(path)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"{path}:1: (file): the file is larger than 1.0 MiB, the most this loader reads (50.0 MiB)"
    ]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("recursive_alias.yaml", "2: a.b: recursive alias: *a is inside the &a it refers to"),
        (
            "nested_5000_lists.yaml",
            "1: a[0][0][0][0][0][0][0][0][0][0][0]...: nested deeper than 32 levels",
        ),
        (
            "nested_5000_mappings.yaml",
            "1: a.x.x.x.x.x.x.x.x.x.x.x...: nested deeper than 32 levels",
        ),
        (
            "impossible_date.yaml",
            "3: defaults.calendar.start: '2026-13-45' is not a valid date "
            "(month must be in 1..12); quote it if it is text",
        ),
        (
            "complex_key.yaml",
            "1: (top): a key must be plain text or a number, not a list or mapping ('? ...')",
        ),
        (
            "bad_binary_tag.yaml",
            "2: bot.name: tag !!binary is not allowed "
            "(only text, numbers, true/false, null, dates, lists and mappings)",
        ),
        (
            "python_object_tag.yaml",
            "2: bot.name: tag !!python/object/apply:os.system is not allowed "
            "(only text, numbers, true/false, null, dates, lists and mappings)",
        ),
        (
            "merge_key.yaml",
            "5: defaults.checkin: merge keys (<<) are not supported: put shared settings under "
            "`defaults` (every group inherits them key by key) or repeat them",
        ),
        (
            "latin1.yaml",
            "2: (file): the file is not UTF-8: byte 0xE9 at column 12; save it as UTF-8 "
            "(it may be GBK or Latin-1)",
        ),
        ("utf16.yaml", "1: (file): the file is UTF-16; save it as UTF-8"),
        (
            "random_bytes.bin",
            "1: (file): the file is not UTF-8: byte 0x8E at column 1; save it as UTF-8 "
            "(it may be GBK or Latin-1)",
        ),
        (
            "unclosed_quote.yaml",
            "3: bot.name: invalid YAML: the file ends while scanning a quoted scalar started "
            "on this line (a closing quote is missing)",
        ),
        (
            "two_documents.yaml",
            "2: (top): a second YAML document ('---'): write one document per file",
        ),
        ("empty_key.yaml", "1: (top): a key is empty (write `name: value`)"),
        (
            "hidden_line_separator.yaml",
            "1: (file): character U+2028 at column 1 is not allowed "
            "(YAML reads it as a line break but editors do not; remove it)",
        ),
        (
            "number_5000_digits.yaml",
            "3: defaults.checkin.points: a number of 5000 characters is too long "
            "(quote it if it is text, e.g. an id)",
        ),
        (
            "timezone_is_a_directory.yaml",
            "1: timezone: unknown timezone 'Asia' (use an IANA name like Asia/Shanghai)",
        ),
    ],
)
def test_hostile_yaml_gets_file_line_path_message(name: str, expected: str) -> None:
    path = CORPUS / name
    assert problems_of(path) == [f"{path}:{expected}"]


def test_unclosed_quote_is_reported_where_it_opened() -> None:
    text = 'timezone: UTC\nbot:\n  name: "小助手\n' + "admins: [a]\n" * 20
    assert problems(text) == [
        "c.yaml:3: bot.name: invalid YAML: the file ends while scanning a quoted scalar "
        "started on this line (a closing quote is missing)"
    ]


def test_anchors_and_aliases_within_limits_still_work() -> None:
    config = parse_config(
        "defaults:\n"
        "  theme:\n"
        "    keywords: &words [写作, 打卡]\n"
        "groups:\n"
        "  g1:\n"
        "    theme:\n"
        "      name: 写作\n"
        "      keywords: *words\n"
    )
    assert config.group("g1").theme.keywords == ["写作", "打卡"]


def test_yaml_line_breaks_are_counted_as_an_editor_counts_them() -> None:
    """CRLF and lone CR files: line N is the N-th line in an editor."""
    assert problems("timezone: UTC\r\nadmins: x\r\n") == [
        "c.yaml:2: admins: Input should be a valid list"
    ]
    assert problems("timezone: UTC\radmins: x\r") == [
        "c.yaml:2: admins: Input should be a valid list"
    ]


def test_a_problem_is_always_one_line() -> None:
    found = problems('defaults:\n  welcome:\n    text: "{a\\nb}"\n"x\\ny": 1\n')
    assert found == [
        "c.yaml:3: defaults.welcome.text: {a\\nb} is not a placeholder (names are letters, "
        "digits and _); write {{ and }} for literal braces",
        f"c.yaml:4: x\\ny: unknown key (allowed: {', '.join(sorted(RootConfig.model_fields))})",
    ]


# --- values check-config used to accept but the bot could not run ---------------------------


def test_checkin_points_of_1e29_is_out_of_range() -> None:
    path = CORPUS / "checkin_points_1e29.yaml"
    assert problems_of(path) == [
        f"{path}:3: defaults.checkin.points: Input should be less than or equal to 100000"
    ]


def test_a_huge_quiz_time_limit_is_out_of_range() -> None:
    path = CORPUS / "huge_quiz_time_limit.yaml"
    assert problems_of(path) == [
        f"{path}:4: defaults.rewards.quiz.max_minutes: Input should be less than or equal to 10080",
        f"{path}:5: defaults.rewards.quiz.minutes: Input should be less than or equal to 10080",
    ]


def test_infinite_and_overflowing_durations_are_refused() -> None:
    assert problems_of(CORPUS / "infinite_cooldown.yaml") == [
        f"{CORPUS / 'infinite_cooldown.yaml'}:3: defaults.nudge.cooldown_minutes: "
        "Input should be a finite number"
    ]
    assert problems_of(CORPUS / "duration_overflow.yaml") == [
        f"{CORPUS / 'duration_overflow.yaml'}:6: defaults.rituals[0].reminders[0].before: "
        "duration is far too long"
    ]
    assert problems(
        "defaults:\n  rituals:\n    - {id: a, schedule: 每天 07:30, text: x, grace: 8d}\n"
    ) == ["c.yaml:3: defaults.rituals[0].grace: must be between 0s and 7d"]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "format_spec_width.yaml",
            "3: defaults.rituals[0].text: format specs are not allowed in {time:>999999999}: "
            "write {time}; write {{ and }} for literal braces",
        ),
        (
            "format_spec_date.yaml",
            "3: defaults.rituals[0].text: format specs are not allowed in {date:%Y%m}: "
            "write {date}; write {{ and }} for literal braces",
        ),
    ],
)
def test_ritual_templates_with_format_specs_are_refused(name: str, expected: str) -> None:
    path = CORPUS / name
    assert problems_of(path) == [f"{path}:{expected}"]


@pytest.mark.parametrize(
    ("site", "template", "message"),
    [
        ("defaults:\n  welcome:\n    text: '{}'\n", "{group:>99}", "format specs"),
        ("defaults:\n  welcome:\n    newcomer:\n      text: '{}'\n", "{days:03}", "format specs"),
        ("defaults:\n  nudge:\n    phrasings: ['{}']\n", "{theme:>99}", "format specs"),
        ("defaults:\n  nudge:\n    hook_texts: {{faq: '{}'}}\n", "{text!r}", "conversions"),
        (
            "defaults:\n  rituals:\n    - {{id: a, schedule: 每天 07:30, text: x,\n"
            "       reminders: [{{before: 1h, text: '{}'}}]}}\n",
            "{countdown.real}",
            "attribute and index access",
        ),
        (
            "defaults:\n  rituals:\n    - {{id: a, schedule: 每天 07:30, text: x,\n"
            "       follow_up: {{after: 1h, text: '{}'}}}}\n",
            "{title[0]}",
            "attribute and index access",
        ),
        ("defaults:\n  welcome:\n    text: '{}'\n", "{0}", "is not a placeholder"),
        ("defaults:\n  welcome:\n    text: '{}'\n", "欢迎 {group", "is never closed"),
    ],
)
def test_every_template_allows_only_its_placeholders(
    site: str, template: str, message: str
) -> None:
    """Welcome, newcomer guide, nudge phrasings and hooks, reminders, follow-ups: the same
    renderer, the same rules (these passed check-config before)."""
    found = problems(site.format(template))
    assert len(found) == 1
    assert message in found[0]
    assert found[0].startswith("c.yaml:")


# --- the transport's environment ----------------------------------------------------------

WECHATY = "transport:\n  type: wechaty\n"


def test_check_config_names_missing_transport_variables(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(WECHATY, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("WECHATY_")}
    result = check_config_cli(path, env)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"{path}:2: transport.wechaty.endpoint: the wechaty puppet service endpoint is not "
        "configured: set the environment variable WECHATY_PUPPET_SERVICE_ENDPOINT "
        "(or write ${VAR} in config.yaml)",
        f"{path}:2: transport.wechaty.token: the wechaty puppet service token is not "
        "configured: set the environment variable WECHATY_PUPPET_SERVICE_TOKEN "
        "(or write ${VAR} in config.yaml)",
    ]
    token = "tok-9f8e7d6c5b4a-secret"
    env |= {
        "WECHATY_PUPPET_SERVICE_ENDPOINT": "127.0.0.1:8788",
        "WECHATY_PUPPET_SERVICE_TOKEN": token,
    }
    # TLS is on and a token without a '<name>_' prefix names no server: the transport
    # would refuse to start, so check-config says so
    result = check_config_cli(path, env)
    assert result.returncode == 1
    assert result.stderr.startswith(f"{path}:2: transport.wechaty.tls_server_name: TLS needs")
    token = "insecure_9f8e7d6c5b4a-secret"
    env["WECHATY_PUPPET_SERVICE_TOKEN"] = token
    result = check_config_cli(path, env)
    assert result.returncode == 0, result.stderr
    assert "transport wechaty" in result.stdout
    assert token not in result.stdout + result.stderr
    assert "127.0.0.1:8788" not in result.stdout + result.stderr


def test_a_blank_variable_counts_as_missing() -> None:
    config = parse_config(
        "transport:\n  type: wecom_aibot\n  wecom_aibot:\n    bot_id_env: MY_ID\n"
    )
    found = [str(p) for p in check_environment(config, {"MY_ID": "  ", "WECOM_AIBOT_SECRET": "s"})]
    assert found == [
        "<config>:4: transport.wecom_aibot.bot_id: the WeCom AI bot BotID is not configured: "
        "the environment variable MY_ID is blank (or write ${VAR} in config.yaml)"
    ]


SECRET_SHAPES = {
    "WECOM_CALLBACK_AES_KEY": "a" * 43,
    "WECHATY_PUPPET_SERVICE_ENDPOINT": "127.0.0.1:1",
    # a gateway token names its TLS server before the last "_" (insecure_...)
    "WECHATY_PUPPET_SERVICE_TOKEN": "insecure_0123456789",
}


@pytest.mark.parametrize(
    "kind", ["console", "wechaty", "wecom_aibot", "wecom_callback", "wecom_webhook"]
)
def test_check_config_and_the_transport_agree_on_secrets(
    kind: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Each variable check-config asks for is one the transport refuses to start without,
    and with all of them set the transport builds."""
    monkeypatch.setenv("CACHE_DIR", str(tmp_path))
    text = (
        f"transport:\n  type: {kind}\n  wecom_webhook:\n    group_key_envs: {{g1: G1_HOOK_KEY}}\n"
    )
    config = parse_config(text)
    names = [s.env for s in config.root.transport.secrets()]
    for name in names:
        monkeypatch.setenv(name, SECRET_SHAPES.get(name, "x" * 8))
    assert check_environment(config) == []
    build_transport(config)
    for name in names:
        monkeypatch.delenv(name)
        assert [p.message for p in check_environment(config)] != []
        with pytest.raises(TransportError, match=name):
            build_transport(config)
        monkeypatch.setenv(name, SECRET_SHAPES.get(name, "x" * 8))
    assert kind != "console" or names == []


# --- where a problem is reported ----------------------------------------------------------


def test_a_group_override_missing_a_field_does_not_blame_defaults() -> None:
    text = (
        "defaults:\n"  # 1
        "  rituals:\n"  # 2
        "    - id: morning\n"  # 3
        "      schedule: 每天 07:30\n"  # 4
        "      text: 早安\n"  # 5
        "groups:\n"  # 6
        "  g1:\n"  # 7
        "    rituals:\n"  # 8
        "      - id: evening\n"  # 9
        "        text: 晚安\n"  # 10
    )
    assert problems(text) == ["c.yaml:9: groups.g1.rituals[0].schedule: required field is missing"]


def test_a_default_the_group_left_alone_is_still_blamed_on_defaults() -> None:
    text = (
        "defaults:\n"  # 1
        "  checkin:\n"  # 2
        "    streak_bonus: [{points: 2}]\n"  # 3
        "groups:\n"  # 4
        "  g1:\n"  # 5
        "    checkin:\n"  # 6
        "      points: 3\n"  # 7
    )
    assert problems(text) == [
        "c.yaml:3: defaults.checkin.streak_bonus[0].min_days: required field is missing"
    ]


# --- FAQ files and evaluation files go through the same loader --------------------------------


def test_check_config_reads_the_faq_file(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("defaults:\n  qa:\n    faq_file: faq.yaml\n", encoding="utf-8")
    assert problems_of(config) == [
        f"{config}:3: defaults.qa.faq_file: FAQ file {tmp_path / 'faq.yaml'}: "
        "cannot read: No such file or directory"
    ]
    faq = tmp_path / "faq.yaml"
    faq.write_text("faq:\n  - {id: fee, question: 多少钱?, answer: 365元}\n  - {id: a b}\n")
    assert problems_of(config) == [
        f"{faq}:3: faq[1].answer: required field is missing",
        f"{faq}:3: faq[1].id: an FAQ id is 1-64 letters, digits, '-', '_' or '.' without spaces",
        f"{faq}:3: faq[1].question: required field is missing",
    ]
    faq.write_bytes((CORPUS / "billion_laughs.yaml").read_bytes())
    assert problems_of(config) == [
        f"{faq}:7: g: the document expands to more than 2,000,000 values "
        "(aliases repeating aliases?)"
    ]
    faq.write_text("faq:\n  - {id: fee, question: 多少钱?, answer: 365元}\n", encoding="utf-8")
    loaded = load_config(config)
    assert [i.id for i in loaded.faq_files[faq]] == ["fee"]


def test_eval_files_get_file_line_messages(tmp_path: Path) -> None:
    from bot.qa_eval import EvalFileError, load_eval_set
    from bot.text.topic_eval import CasesError, load_cases

    bad = tmp_path / "cases.yaml"
    bad.write_bytes("theme: {name: café}\n".encode("latin-1"))
    with pytest.raises(CasesError, match=r"cases\.yaml:1: \(file\): the file is not UTF-8"):
        load_cases(bad)
    with pytest.raises(EvalFileError, match=r"cases\.yaml:1: \(file\): the file is not UTF-8"):
        load_eval_set(bad)
    bad.write_text("cases:\n  - {text: 开会, label: off}\n  - {text: 打卡, label: on}\ntheme: {}\n")
    assert [c.label for c in load_cases(bad).cases] == ["off", "on"]


# --- hot reload -------------------------------------------------------------------------------


async def _app_on(path: Path, tmp_path: Path) -> App:
    clock = FakeClock(at("2026-11-21 08:00"))
    config = load_config(path)
    app = App(config, sender=RecordingSender(clock), clock=clock, db_url=None)
    return app


async def test_reload_parses_in_a_worker_thread_while_the_loop_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reload parse runs off the event loop: here the parse, once started, waits for
    the loop to run this test's next step (on the loop it would wait in vain: 10 s, then
    the reload fails)."""
    path = tmp_path / "config.yaml"
    path.write_text(f"storage: {{url: 'sqlite:///{tmp_path}/bot.db'}}\n", encoding="utf-8")
    app = await _app_on(path, tmp_path)
    parse_started = threading.Event()
    loop_ran = threading.Event()
    threads: list[str] = []
    real_load = load_config

    def slow_load(file: Any) -> Any:
        threads.append(threading.current_thread().name)
        parse_started.set()
        if not loop_ran.wait(10):
            raise AssertionError("the event loop did not run while the config was parsed")
        return real_load(file)

    monkeypatch.setattr("bot.app.load_config", slow_load)
    path.write_text(
        f"storage: {{url: 'sqlite:///{tmp_path}/bot.db'}}\ntimezone: UTC\n", encoding="utf-8"
    )
    reload = asyncio.ensure_future(app.check_config_file())
    for _ in range(1_000_000):  # yield to the loop until the parse has begun
        if parse_started.is_set() or reload.done():
            break
        await asyncio.sleep(0)
    loop_ran.set()  # the loop ran this line while the parse was under way
    assert await reload == []
    assert app.config.timezone == "UTC"
    assert threads and threads[0] != threading.main_thread().name
    await app.close()


async def test_reload_of_billion_laughs_keeps_the_old_config(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(f"storage: {{url: 'sqlite:///{tmp_path}/bot.db'}}\n", encoding="utf-8")
    app = await _app_on(path, tmp_path)
    old = app.config
    path.write_bytes((CORPUS / "billion_laughs.yaml").read_bytes())
    with caplog.at_level(logging.ERROR, logger="groupops.app"):
        found = await app.check_config_file()
    assert [str(p) for p in found or []] == [
        f"{path}:6: f: the document expands to more than 100,000 values "
        "(aliases repeating aliases?)"
    ]
    assert app.config is old
    assert f"keeping the old config: {path}:6: f: the document expands" in caplog.text
    assert await app.check_config_file() is None  # unchanged since: not parsed again
    await app.close()


def test_libyamls_own_nesting_limit_gets_our_message(monkeypatch: pytest.MonkeyPatch) -> None:
    """PyYAML >= 6.0.4 bundles a libyaml whose scanner stops deep nesting with an error of
    its own before any event reaches the loader's limit: the loader then reads the file with
    the pure-Python parser, and the operator gets the same line, path and message."""
    real = yaml_loader._events

    def libyaml_with_a_limit(text: str, fast: bool) -> Iterator[Any]:
        if fast:
            mark = yaml.Mark("<unicode string>", 1000, 0, 1000, text, 1000)
            raise yaml.scanner.ScannerError(
                "while scanning", mark, "exceeded maximum nesting depth", mark
            )
        yield from real(text, fast)

    monkeypatch.setattr(yaml_loader, "_events", libyaml_with_a_limit)
    path = CORPUS / "nested_5000_lists.yaml"
    assert problems_of(path) == [
        f"{path}:1: a[0][0][0][0][0][0][0][0][0][0][0]...: nested deeper than 32 levels"
    ]

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import ConfigError, load_config, parse_config

REPO = Path(__file__).resolve().parent.parent


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_config(text, "c.yaml")
    return [str(p) for p in info.value.problems]


def test_bundled_config_is_valid() -> None:
    config = load_config(REPO / "config.yaml")
    assert config.group("writers").name == "写作成长营一群"
    assert config.group("writers-us").timezone == "America/Los_Angeles"
    assert config.group("writers-us").checkin.points == 8
    assert config.group("writers").checkin.points == 10


def test_unlisted_group_gets_defaults_and_global_admins() -> None:
    config = parse_config("admins: [boss]\ndefaults:\n  checkin:\n    points: 7\n")
    group = config.group("brand-new")
    assert group.checkin.points == 7
    assert group.is_admin("boss")
    assert not group.is_admin("someone")
    assert group.timezone == "Asia/Shanghai"


def test_group_admins_add_to_global_admins() -> None:
    config = parse_config("admins: [boss]\ngroups:\n  g:\n    admins: [coach]\n")
    assert config.group("g").admins == {"boss", "coach"}
    assert config.group("other").admins == {"boss"}


def test_group_override_merges_deeply_with_defaults() -> None:
    config = parse_config(
        "defaults:\n  checkin:\n    points: 7\n    makeup_points: 3\n"
        "groups:\n  g:\n    checkin:\n      points: 1\n"
    )
    assert config.group("g").checkin.points == 1
    assert config.group("g").checkin.makeup_points == 3


def test_misspelled_key_names_file_line_path_and_suggestion() -> None:
    found = problems("timezone: Asia/Shanghai\ndefaults:\n  checkin:\n    pointz: 3\n")
    assert found == ["c.yaml:4: defaults.checkin.pointz: unknown key (did you mean 'points'?)"]


def test_wrong_type_bad_timezone_and_bad_cron_are_each_reported() -> None:
    text = (
        "timezone: Asia/Shangai\n"  # 1
        "defaults:\n"  # 2
        "  checkin:\n"  # 3
        "    points: lots\n"  # 4
        "  rituals:\n"  # 5
        "    - id: r1\n"  # 6
        "      schedule: '61 * * * *'\n"  # 7
        "      text: hi\n"  # 8
    )
    found = problems(text)
    assert found[0].startswith("c.yaml:1: timezone: unknown timezone 'Asia/Shangai'")
    assert found[1].startswith("c.yaml:4: defaults.checkin.points: Input should be a valid integer")
    assert found[2].startswith("c.yaml:7: defaults.rituals[0].schedule: bad cron expression")
    assert len(found) == 3


def test_group_errors_point_at_the_group_line() -> None:
    text = "groups:\n  g1:\n    timezone: Mars/Base\n    chekin: {}\n"
    found = problems(text)
    assert "c.yaml:3: groups.g1.timezone: unknown timezone 'Mars/Base'" in found[0]
    assert found[1] == "c.yaml:4: groups.g1.chekin: unknown key (did you mean 'checkin'?)"


def test_override_error_inside_group_is_located_in_the_group() -> None:
    text = "groups:\n  g1:\n    checkin:\n      points: -5\n"
    found = problems(text)
    assert found == [
        "c.yaml:4: groups.g1.checkin.points: Input should be greater than or equal to 0"
    ]


def test_env_substitution_and_missing_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GROUPOPS_DB_SECRET", "s3cret")
    config = parse_config("storage:\n  url: postgresql://bot:${GROUPOPS_DB_SECRET}@db/x\n")
    assert config.root.storage.url == "postgresql://bot:s3cret@db/x"
    monkeypatch.delenv("GROUPOPS_DB_SECRET")
    found = problems("storage:\n  url: postgresql://bot:${GROUPOPS_DB_SECRET}@db/x\n")
    assert found == ["c.yaml:2: storage.url: environment variable GROUPOPS_DB_SECRET is not set"]
    assert parse_config("bot:\n  name: ${NOPE_X:-助手}\n").root.bot.name == "助手"


def test_storage_url_must_name_a_supported_database() -> None:
    assert problems("storage:\n  url: mysql://root@db/x\n") == [
        "c.yaml:2: storage.url: must be a SQLite URL (sqlite:///groupops.db) "
        "or a PostgreSQL URL (postgresql://user@host/db)"
    ]
    assert parse_config("storage:\n  url: sqlite:///bot.db\n").root.storage.url


def test_invalid_yaml_names_the_line() -> None:
    found = problems("a: 1\nb: [1, 2\nc: 3\n")
    assert found == [
        "c.yaml:3: b: invalid YAML: did not find expected ',' or ']' (found ':') "
        "(while parsing a flow sequence started at line 2)"
    ]
    assert problems("a: 1\nb: [1, 2\n") == [
        "c.yaml:2: b: invalid YAML: the file ends while parsing a flow sequence started on "
        "this line"
    ]


def test_duplicate_key_is_an_error() -> None:
    found = problems("timezone: UTC\ntimezone: Asia/Shanghai\n")
    assert found == ["c.yaml:2: timezone: duplicate key"]


def test_simple_chinese_schedules_are_accepted() -> None:
    config = parse_config(
        "defaults:\n  rituals:\n"
        "    - {id: a, schedule: 每天 07:30, text: 早}\n"
        "    - {id: b, schedule: 每周三 20:00, text: 分享}\n"
        "    - {id: c, schedule: '0 20 * * 3', text: 分享}\n"
    )
    assert [r.id for r in config.group("x").rituals] == ["a", "b", "c"]


def test_check_config_cli_exit_codes(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text("timezone: UTC\n", encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text("timezone: UTC\nadmins: nobody\nstorag: {}\n", encoding="utf-8")
    cmd = [sys.executable, "-m", "bot.cli", "check-config"]
    ok = subprocess.run([*cmd, str(good)], capture_output=True, text=True, check=False)
    assert ok.returncode == 0, ok.stderr
    failed = subprocess.run([*cmd, str(bad)], capture_output=True, text=True, check=False)
    assert failed.returncode == 1
    lines = failed.stderr.strip().splitlines()
    assert lines == [
        f"{bad}:2: admins: Input should be a valid list",
        f"{bad}:3: storag: unknown key (did you mean 'storage'?)",
    ]

"""Group sets in config.yaml: names, members, "*" and who may address a set."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, load_config


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return path


BASE = """\
admins: [root]
groups:
  g1: {name: 一群, admins: [a1, both]}
  g2: {name: 二群, admins: [a2, both]}
  g3: {name: 三群}
"""


def test_sets_resolve_members_and_star(tmp_path: Path) -> None:
    config = load_config(_write(tmp_path, BASE + "sets:\n  camp: [g1, g2]\n  all: '*'\n"))
    camp = config.group_set("camp")
    assert camp is not None and camp.group_ids == ("g1", "g2")
    everyone = config.group_set("ALL")
    assert everyone is not None and everyone.group_ids == ("g1", "g2", "g3")
    assert [s.name for s in config.sets_of("g1")] == ["camp", "all"]
    assert [s.name for s in config.sets_of("g3")] == ["all"]
    assert config.group_set("nope") is None


def test_set_admin_is_global_or_admin_of_every_group(tmp_path: Path) -> None:
    config = load_config(_write(tmp_path, BASE + "sets:\n  camp: [g1, g2]\n  all: '*'\n"))
    camp = config.group_set("camp")
    everyone = config.group_set("all")
    assert camp is not None and everyone is not None
    assert config.is_set_admin(camp, "root")
    assert config.is_set_admin(camp, "both")
    assert not config.is_set_admin(camp, "a1")
    assert not config.is_set_admin(everyone, "both")  # not an admin of g3


@pytest.mark.parametrize(
    ("sets_yaml", "line", "path", "needle"),
    [
        ("sets:\n  camp: [g1, g9]\n", 7, "sets.camp[1]", "unknown group 'g9'"),
        ("sets:\n  camp: [g1, g1]\n", 7, "sets.camp[1]", "listed twice"),
        ("sets:\n  camp: []\n", 7, "sets.camp", "at least 1"),
        ("sets:\n  'two words': [g1]\n", 7, "sets", "one word"),
        ("sets:\n  camp: everything\n", 7, "sets.camp", ""),
    ],
)
def test_bad_sets_are_reported_with_file_and_line(
    tmp_path: Path, sets_yaml: str, line: int, path: str, needle: str
) -> None:
    file = _write(tmp_path, BASE + sets_yaml)
    with pytest.raises(ConfigError) as caught:
        load_config(file)
    text = str(caught.value)
    assert f"{file}:{line}: {path}" in text, text
    assert needle in text


def test_bundled_config_sets_resolve() -> None:
    config = load_config(Path(__file__).resolve().parents[1] / "config.yaml")
    writing = config.group_set("writing")
    assert writing is not None and writing.group_ids == ("writers", "writers-us")

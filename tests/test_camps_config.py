"""Camps in config.yaml: validation with FILE:LINE messages, bounds, and the camp-day rules
(windows that wrap midnight belong to the day they open on)."""

from __future__ import annotations

from datetime import date, time

import pytest
from pydantic import ValidationError

from bot.config import ConfigError, parse_config
from bot.settings.camps import Camp
from tests.support import SHANGHAI, at


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_config(text, "c.yaml")
    return [str(p) for p in info.value.problems]


def camps(body: str) -> str:
    return "groups:\n  g:\n    camps:\n" + body


def test_a_camp_in_defaults_applies_to_every_group_and_a_group_may_replace_it() -> None:
    config = parse_config(
        "defaults:\n  camps:\n    - {id: a, start: 2026-11-16, days: 7}\n"
        "groups:\n  g:\n    camps:\n      - {id: b, start: 2026-12-01, days: 21, finish_days: 18}\n"
        "  h: {name: 另一个群}\n"
    )
    assert [c.id for c in config.group("g").features.camps] == ["b"]
    assert [c.id for c in config.group("h").features.camps] == ["a"]
    assert [c.id for c in config.group("unlisted").features.camps] == ["a"]
    assert config.group("g").features.camps[0].required_days == 18
    assert config.group("h").features.camps[0].required_days == 7  # the whole camp by default


def test_times_may_be_quoted_or_not() -> None:
    # YAML 1.1 reads an unquoted 21:00 as the number 1260 (base 60); both mean 21:00
    config = parse_config(
        camps(
            "      - {id: a, start: 2026-11-16, days: 7, remind_at: 21:00, task_at: '06:30',"
            " close_at: 9:15}\n"
        )
    )
    camp = config.group("g").features.camps[0]
    assert (camp.remind_at, camp.task_at, camp.close_at) == (time(21), time(6, 30), time(9, 15))


def test_each_camp_mistake_names_its_line() -> None:
    text = camps(
        "      - {id: a, start: 2026-11-16, days: 21, finish_days: 25}\n"  # 4
        "      - {id: b, start: 2026-11-16, days: 7, window: '05:00-08:00', remind_at: '21:00'}\n"
        "      - {id: c, start: 2026-11-16, days: 7, window: '23:00-01:00', close_at: '00:30'}\n"
        "      - {id: d, start: '2026-02-30', days: 7}\n"  # 7
        "      - {id: e, start: 2026-11-16, days: 0}\n"  # 8
        "      - {id: f, start: 2026-11-16, days: 7, window: '25:00-26:00'}\n"  # 9
        "      - {id: 'g h', start: 2026-11-16, days: 7}\n"  # 10
        "      - {id: i, start: 2026-11-16, days: 7, remind_at: '7点'}\n"  # 11
        "      - {id: j, start: 2026-11-16, days: 7, review_points: 100000}\n"  # 12
        "      - {id: k, start: 2026-11-16, days: 7, window: '05:00-05:00'}\n"  # 13
        "      - {id: l, start: 9999-12-31, days: 7}\n"  # 14
    )
    found = problems(text)
    assert found[0] == "c.yaml:4: groups.g.camps[0]: finish_days (25) is more than days (21)"
    assert found[1] == (
        "c.yaml:5: groups.g.camps[1]: remind_at 21:00 is outside the window 05:00-08:00: "
        "a reminder must come while members can still check in"
    )
    assert found[2] == (
        "c.yaml:6: groups.g.camps[2]: close_at 00:30 comes before the last day's window "
        "23:00-01:00 ends: close at 01:00 or later"
    )
    assert found[3].startswith("c.yaml:7: groups.g.camps[3].start: ")
    assert found[4].startswith("c.yaml:8: groups.g.camps[4].days: Input should be greater than")
    assert found[5].startswith("c.yaml:9: groups.g.camps[5].window: invalid time range")
    assert found[6].startswith("c.yaml:10: groups.g.camps[6].id: String should match pattern")
    assert found[7] == (
        "c.yaml:11: groups.g.camps[7].remind_at: invalid time '7点': write HH:MM, e.g. \"21:00\""
    )
    assert found[8].startswith("c.yaml:12: groups.g.camps[8].review_points: Input should be less")
    assert found[9].startswith(
        "c.yaml:13: groups.g.camps[9].window: time range 05:00-05:00 is empty"
    )
    assert found[10] == (
        "c.yaml:14: groups.g.camps[10].start: start 9999-12-31 is not a plausible date (2000-2099)"
    )
    assert len(found) == 11


def test_camp_ids_and_titles_are_unique_within_a_group() -> None:
    found = problems(
        camps(
            "      - {id: a, title: 写作营, start: 2026-11-16, days: 7}\n"
            "      - {id: A, start: 2026-11-16, days: 7}\n"
        )
    )
    assert found == ["c.yaml:3: groups.g.camps: camp id 'A' is used twice"]
    found = problems(
        camps(
            "      - {id: a, title: 写作营, start: 2026-11-16, days: 7}\n"
            "      - {id: b, title: 写作营, start: 2026-11-16, days: 7}\n"
        )
    )
    assert found == [
        "c.yaml:3: groups.g.camps: camp title '写作营' is used twice (members join by it)"
    ]


def test_every_number_of_a_camp_has_both_bounds() -> None:
    for name, info in Camp.model_fields.items():
        if info.annotation in (int, int | None):
            bounds = {type(m).__name__ for m in info.metadata}
            assert {"Ge", "Le"} <= bounds, name


def camp(**kw: object) -> Camp:
    base: dict[str, object] = {"id": "c", "start": date(2026, 11, 16), "days": 3}
    return Camp.model_validate(base | kw)


def test_a_window_past_midnight_belongs_to_the_day_it_opens() -> None:
    night = camp(window="23:00-01:00", remind_at="00:30", close_at="09:00")
    assert night.day_of(at("2026-11-16 23:30"), SHANGHAI) == date(2026, 11, 16)
    assert night.day_of(at("2026-11-17 00:59"), SHANGHAI) == date(2026, 11, 16)
    assert night.day_of(at("2026-11-17 01:00"), SHANGHAI) == date(2026, 11, 17)
    assert night.in_window(at("2026-11-17 00:59"), SHANGHAI)
    assert not night.in_window(at("2026-11-17 01:00"), SHANGHAI)
    assert night.deadline(date(2026, 11, 16), SHANGHAI) == at("2026-11-17 01:00")
    assert night.moment(date(2026, 11, 16), time(0, 30), SHANGHAI) == at("2026-11-17 00:30")
    assert night.moment(date(2026, 11, 16), time(23, 0), SHANGHAI) == at("2026-11-16 23:00")
    assert night.index_of(night.day_of(at("2026-11-19 00:30"), SHANGHAI)) == 3  # last night
    assert night.index_of(night.day_of(at("2026-11-19 23:30"), SHANGHAI)) is None


def test_a_plain_window_and_no_window() -> None:
    early = camp(window="05:00-08:00")
    assert early.day_of(at("2026-11-17 00:30"), SHANGHAI) == date(2026, 11, 17)
    assert early.deadline(date(2026, 11, 16), SHANGHAI) == at("2026-11-16 08:00")
    assert early.task_time == time(5, 0)
    whole = camp()
    assert whole.in_window(at("2026-11-16 03:00"), SHANGHAI)
    assert whole.deadline(date(2026, 11, 16), SHANGHAI) == at("2026-11-17 00:00")
    assert whole.task_time == time(7, 0)
    assert camp(window="20:00-24:00").deadline(date(2026, 11, 16), SHANGHAI) == at(
        "2026-11-17 00:00"
    )
    assert whole.closes_at(SHANGHAI) == at("2026-11-19 09:00")


def test_tasks_repeat_when_shorter_than_the_camp() -> None:
    weekly = camp(days=10, tasks=["一", "二", "三"])
    assert [weekly.task_of(i) for i in range(1, 11)] == list("一二三一二三一二三一")
    assert camp().task_of(1) is None


def test_a_camp_model_refuses_unknown_keys() -> None:
    with pytest.raises(ValidationError):
        camp(remind="21:00")

"""Every setting is bounded, every configured text with placeholders is a template, and the
bot runs with every number at either end of its range.

These walk the models, so a setting added later is held to the same rules (the conventions
are in bot/settings/base.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

import annotated_types
import pytest
import yaml
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from bot.config import (
    FeatureSettings,
    GroupEntry,
    RootConfig,
    load_config,
    parse_config,
    render_all_templates,
)
from bot.settings.base import DurationRange
from bot.settings.qa import FaqItem
from bot.template import Placeholders, placeholders_in
from tests.support import at, msg, running_bot

ROOTS: list[type[BaseModel]] = [RootConfig, FeatureSettings, GroupEntry, FaqItem]


def _types(annotation: Any) -> Iterator[tuple[Any, tuple[Any, ...]]]:
    """(type, metadata) for an annotation and everything inside it."""
    origin = get_origin(annotation)
    if origin is Annotated:
        base, *metadata = get_args(annotation)
        yield base, tuple(metadata)
        yield from _types(base)
    elif origin in (Union, UnionType, list, tuple, dict):
        for arg in get_args(annotation):
            yield arg, ()
            yield from _types(arg)
    else:
        yield annotation, ()


def all_fields() -> Iterator[tuple[str, FieldInfo]]:
    seen: set[type[BaseModel]] = set()
    todo = list(ROOTS)
    while todo:
        model = todo.pop()
        if model in seen:
            continue
        seen.add(model)
        for name, info in model.model_fields.items():
            yield f"{model.__name__}.{name}", info
            for kind, _meta in _types(info.annotation):
                if isinstance(kind, type) and issubclass(kind, BaseModel):
                    todo.append(kind)


def bounds(info: FieldInfo, inner: tuple[Any, ...] = ()) -> tuple[Any, Any]:
    low = high = None
    for item in (*info.metadata, *inner):
        if isinstance(item, annotated_types.Ge | annotated_types.Gt):
            low = item.ge if isinstance(item, annotated_types.Ge) else item.gt
        if isinstance(item, annotated_types.Le | annotated_types.Lt):
            high = item.le if isinstance(item, annotated_types.Le) else item.lt
        if isinstance(item, DurationRange):
            low, high = item.low, item.high
    return low, high


def numeric_kind(info: FieldInfo) -> tuple[type | None, tuple[Any, ...]]:
    for kind, meta in [(info.annotation, ()), *_types(info.annotation)]:
        if kind in (int, float, timedelta):
            return kind, meta
    return None, ()


def test_every_number_and_duration_has_both_bounds() -> None:
    unbounded = []
    for name, info in all_fields():
        kind, meta = numeric_kind(info)
        if kind is None:
            continue
        low, high = bounds(info, meta)
        if low is None or high is None:
            unbounded.append(name)
    assert unbounded == []


def test_every_default_text_with_placeholders_is_a_template() -> None:
    """A field whose default uses {name} must be declared a template, so check-config
    validates what operators write there."""
    untyped = []
    for name, info in all_fields():
        defaults = info.default if isinstance(info.default, list) else [info.default]
        texts = [d for d in defaults if isinstance(d, str) and "{" in d]
        if not texts:
            continue
        specs = [m for _k, meta in _types(info.annotation) for m in meta] + list(info.metadata)
        placeholders = [m for m in specs if isinstance(m, Placeholders)]
        if not placeholders:
            untyped.append(name)
            continue
        for text in texts:  # the defaults themselves use only their placeholders
            assert placeholders_in(text) <= placeholders[0].names, name
    assert untyped == []


def test_check_config_renders_every_template_of_the_bundled_config() -> None:
    config = load_config(Path(__file__).resolve().parent.parent / "config.yaml")
    # defaults and the two groups: rituals, reminders, follow-ups, welcome, guide, nudges
    assert render_all_templates(config) == 51


# --- the bot runs at the ends of every range ----------------------------------------------


def extreme_settings(model: type[BaseModel], end: str) -> dict[str, Any]:
    """Every bounded number (and nested model) of model at its low or high end."""
    out: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        kind, meta = numeric_kind(info)
        if kind in (int, float):
            low, high = bounds(info, meta)
            value = high if end == "high" else low
            if end == "low" and any(isinstance(m, annotated_types.Gt) for m in info.metadata):
                value = low + 0.01
            out[name] = value
            continue
        nested = [
            k
            for k, _m in _types(info.annotation)
            if isinstance(k, type) and issubclass(k, BaseModel)
        ]
        if nested and info.annotation is not None and get_origin(info.annotation) is not list:
            out[name] = extreme_settings(nested[0], end)
    return out


def extreme_config(end: str) -> str:
    features = extreme_settings(FeatureSettings, end)
    features["rituals"] = [
        {
            "id": "weekly",
            "schedule": "每周六 20:00",
            "text": "{title} {date} {weekday} {time} {topic} {host} {leaderboard} {highlights}",
            "reminders": [{"before": "30d" if end == "high" else "1m"}],
            "follow_up": {"after": "30d" if end == "high" else "1m", "text": "{title}"},
            "grace": "7d" if end == "high" else "0s",
        }
    ]
    return yaml.safe_dump(
        {"admins": ["admin"], "defaults": features, "groups": {"g1": {"name": "测试群"}}},
        allow_unicode=True,
    )


@pytest.mark.parametrize("end", ["high", "low"])
async def test_the_bot_runs_with_every_number_at_either_end(end: str, db_url: str) -> None:
    """Check-in, a red packet and a quiz with the longest time limit, a ritual with the
    farthest reminder: every one answers, nothing overflows (the old limits let check-in
    points of 1e29 through, and every check-in then failed without a reply)."""
    config = parse_config(extreme_config(end), "c.yaml")
    group = config.group("g1")
    high = end == "high"
    async with running_bot(db_url, config, at("2026-11-21 07:00")) as bot:
        replies = await bot.say("打卡", user="bob", when=at("2026-11-21 08:00"))
        assert "连续打卡 1 天" in replies[0]
        assert f"+{group.checkin.points} 分" in replies[0] or not high
        grant = group.rewards.reward.max_points
        when = at("2026-11-21 09:00")
        reward = msg(f"/红包 @bob {grant} 优秀", user="admin", mentions=("bob",), when=when)
        replies = await bot.push(reward)
        assert replies and (f"+{grant} 分" in replies[0] or not high)
        minutes, points = group.rewards.quiz.max_minutes, group.rewards.quiz.max_points
        quiz = f"/抢答 一加一？ | 二 {points}分 限时{minutes}分钟"
        replies = await bot.say(quiz, user="admin", when=at("2026-11-21 10:00"))
        assert f"第一个答对的成员得 {points} 分，限时 {minutes} 分钟" in replies[0]
        replies = await bot.say("二", user="carol", when=at("2026-11-21 10:00:30"))
        assert f"+{points} 分" in replies[0]
        before = len(bot.sender.sent)
        await bot.app.scheduler.run_due(at("2027-01-31 00:00"), on_fire=bot.clock.set)
        posts = [m.text for m in bot.sender.sent[before:] if m.text.startswith("weekly ")]
        assert len(posts) >= 9  # a Saturday post every week until the end of January

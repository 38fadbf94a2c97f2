"""The one template renderer: closed placeholders, {{ }} for braces, nothing else."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.template import Placeholders, TemplateError, parse_template, render_template
from tests.rituals_support import rituals_config
from tests.support import at, running_bot

VALUES = {"date": "3月5日", "time": "20:00", "group": "写作营"}


def test_placeholders_and_escaped_braces() -> None:
    assert render_template("{{date}} 是 {date} {time}", VALUES) == "{date} 是 3月5日 20:00"
    assert render_template("}}{{}}{{", {}) == "}{}{"
    assert render_template("没有占位符", {}) == "没有占位符"


def test_values_are_inserted_as_they_are() -> None:
    assert render_template("{group}", {"group": "{time:>999999999}"}) == "{time:>999999999}"


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{time:>999999999}", "format specs are not allowed in {time:>999999999}: write {time}"),
        ("{date:%Y%m}", "format specs are not allowed in {date:%Y%m}: write {date}"),
        ("{date!r}", "conversions are not allowed in {date!r}: write {date}"),
        ("{date.year}", "attribute and index access are not allowed in {date.year}: write {date}"),
        ("{date[0]}", "attribute and index access are not allowed in {date[0]}: write {date}"),
        ("{0}", "{0} is not a placeholder"),
        ("{}", "an empty {} is not a placeholder"),
        ("{ date }", "{ date } is not a placeholder"),
        ("今天 {date", "is never closed"),
        ("{a{date}", "is never closed"),
        ("a } b", "a single '}'"),
    ],
)
def test_anything_else_in_braces_is_refused(template: str, message: str) -> None:
    with pytest.raises(TemplateError) as info:
        parse_template(template)
    assert message in str(info.value)
    assert str(info.value).endswith("; write {{ and }} for literal braces")


def test_only_the_declared_placeholders_with_a_suggestion() -> None:
    spec = Placeholders(date="3月5日", time="20:00")
    assert spec.check("{date} {time}") == "{date} {time}"
    with pytest.raises(
        TemplateError, match=r"unknown variable \{dat\} \(did you mean \{date\}\?\)"
    ):
        spec.check("{dat}")
    with pytest.raises(
        TemplateError, match=r"unknown variable \{xyz\} \(allowed: \{date\}, \{time\}\)"
    ):
        spec.check("{xyz}")


@settings(deadline=timedelta(seconds=5))
@given(st.text(max_size=200))
def test_output_is_never_larger_than_the_template_and_its_values(text: str) -> None:
    """No input can amplify: the output is at most the template plus one value per
    placeholder (a format spec could ask for a gigabyte)."""
    try:
        parsed = parse_template(text)
    except TemplateError:
        return
    values = {name: "值" * 10 for name in parsed.names}
    out = render_template(text, values)
    assert len(out) <= len(text) + 10 * sum(1 for is_name, _ in parsed.parts if is_name)


async def test_a_ritual_post_writes_literal_braces(sqlite_db: str) -> None:
    config = rituals_config(
        "defaults:\n  calendar: {topics: [散文]}\n"
        "groups:\n  g1:\n    name: 测试群\n    rituals:\n"
        "      - id: morning\n        schedule: 每天 07:30\n"
        "        text: '{{话题}}：{topic}（{date}）'\n"
    )
    async with running_bot(sqlite_db, config, at("2026-11-16 07:00")) as bot:
        await bot.app.scheduler.run_due(at("2026-11-16 07:30"), on_fire=bot.clock.set)
        assert [m.text for m in bot.sender.sent] == ["{话题}：散文（11月16日）"]

"""The `rewards` settings: defaults, the question bank, errors with file lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, load_config, parse_config


def test_shipped_config_has_a_working_rewards_section() -> None:
    config = load_config(Path(__file__).parent.parent / "config.yaml")
    rewards = config.group("writers").rewards
    assert rewards.enabled and rewards.quiz.bank and rewards.notice.keywords == ["收到"]


def test_bank_answers_may_be_numbers_and_groups_override_caps() -> None:
    config = parse_config(
        "defaults:\n"
        "  rewards:\n"
        "    quiz:\n"
        "      bank:\n"
        "        - {question: 2+2=？, answers: [4, 四], points: 5}\n"
        "groups:\n"
        "  g1:\n"
        "    rewards:\n"
        "      reward: {member_daily_cap: 7}\n"
    )
    g1 = config.group("g1").rewards
    assert g1.quiz.bank[0].answers == ["4", "四"]
    assert g1.reward.member_daily_cap == 7 and g1.reward.admin_daily_cap == 300
    assert config.group("other").rewards.reward.member_daily_cap == 100


@pytest.mark.parametrize(
    ("snippet", "expected"),
    [
        (
            "    quiz: {points: 300}\n",
            "<config>:3: defaults.rewards.quiz: points must not exceed max_points",
        ),
        (
            "    notice: {keywords: []}\n",
            "<config>:3: defaults.rewards.notice.keywords: List should have at least 1 item after validation, not 0",
        ),
        (
            "    draw: {max_winner: 3}\n",
            "<config>:3: defaults.rewards.draw.max_winner: unknown key (did you mean 'max_winners'?)",
        ),
    ],
)
def test_mistakes_are_reported_with_their_line(snippet: str, expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config("defaults:\n  rewards:\n" + snippet)
    assert [str(p) for p in caught.value.problems] == [expected]

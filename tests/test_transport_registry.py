"""Transport selection, secrets from the environment, and the start-up capability report."""

from __future__ import annotations

import logging

import pytest

from bot.config import parse_config
from bot.settings.transport import SecretMissing, resolve_secret
from bot.transports.base import (
    Capabilities,
    TransportError,
    Visibility,
    outbox_policy,
    unsupported_features,
)
from bot.transports.console import ConsoleTransport
from bot.transports.outbox import RateLimit
from bot.transports.registry import TRANSPORTS, build_transport, report_capabilities
from tests.support import config_from

MENTIONS_ONLY = Capabilities(sees=Visibility.MENTIONS, sees_joins=False, can_send_images=False)
OUTPUT_ONLY = Capabilities(sees=Visibility.NONE, sees_joins=False, can_send_images=True)
EVERYTHING = Capabilities(sees=Visibility.ALL, sees_joins=True, can_send_images=True)

CONFIG = """
groups:
  g1: {name: 一群}
  g2:
    name: 二群
    nudge: {enabled: false}
defaults:
  welcome: {enabled: true}
"""


def test_every_transport_type_in_the_settings_is_registered() -> None:
    from typing import get_args

    from bot.settings.transport import TransportType

    assert set(get_args(TransportType)) == set(TRANSPORTS)


def test_mentions_only_transport_reports_each_feature_and_its_fix() -> None:
    problems = unsupported_features(config_from(CONFIG), MENTIONS_ONLY, "wecom_aibot")
    nudge = next(p for p in problems if p.startswith("off-topic nudges"))
    # g2 turned nudges off, so it is not named; unlisted groups get the defaults
    assert "enabled in g1, (unlisted groups: defaults):" in nudge
    assert "wecom_aibot sees only @-mentions" in nudge
    assert "fix: use the wechaty transport" in nudge and "nudge.enabled: false" in nudge
    assert any(
        p.startswith("welcome messages") and "does not report members joining" in p
        for p in problems
    )
    assert not any(p.startswith("answers to questions") for p in problems)  # Q&A works on @


def test_output_only_transport_says_nothing_interactive_works() -> None:
    problems = unsupported_features(config_from(CONFIG), OUTPUT_ONLY, "wecom_webhook")
    assert problems[0].startswith("wecom_webhook receives no messages")
    assert any(p.startswith("answers to questions (qa)") for p in problems)


def test_wechaty_sees_everything_so_nothing_is_reported() -> None:
    assert unsupported_features(config_from(CONFIG), EVERYTHING, "wechaty") == []


def test_a_disabled_feature_is_not_reported() -> None:
    text = "defaults:\n" + "".join(
        f"  {f}: {{enabled: false}}\n" for f in ("nudge", "checkin", "rewards", "stats", "welcome")
    )
    assert unsupported_features(config_from(text), MENTIONS_ONLY, "wecom_aibot") == []


def test_console_is_the_default_and_reports_at_info(caplog: pytest.LogCaptureFixture) -> None:
    config = config_from()
    transport = build_transport(config)
    assert isinstance(transport, ConsoleTransport)
    with caplog.at_level(logging.INFO):
        assert report_capabilities(config, transport) == []
    assert "transport console: sees every group message" in caplog.text


def test_the_console_starts_in_the_first_configured_group() -> None:
    own = build_transport(config_from("groups:\n  g7: {name: 七群}\n  g8: {name: 八群}\n"))
    assert isinstance(own, ConsoleTransport) and own.group == "g7"
    chosen = build_transport(
        config_from("transport: {console: {group: g8}}\ngroups:\n  g7: {}\n  g8: {}\n")
    )
    assert isinstance(chosen, ConsoleTransport) and chosen.group == "g8"
    none = build_transport(config_from("timezone: Asia/Shanghai\n"))
    assert isinstance(none, ConsoleTransport) and none.group == "demo"


def test_a_missing_secret_is_a_clear_error_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("GO_TEST_TOKEN", raising=False)
    with pytest.raises(SecretMissing, match="set the environment variable GO_TEST_TOKEN"):
        resolve_secret("", "GO_TEST_TOKEN", "the puppet service token")
    monkeypatch.setenv("GO_TEST_TOKEN", "s3cret")
    assert resolve_secret("", "GO_TEST_TOKEN", "token") == "s3cret"
    assert resolve_secret("from-config", "GO_TEST_TOKEN", "token") == "from-config"


def test_wechaty_without_endpoint_fails_before_connecting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WECHATY_PUPPET_SERVICE_ENDPOINT", raising=False)
    config = parse_config("transport:\n  type: wechaty\n")
    with pytest.raises(TransportError, match="WECHATY_PUPPET_SERVICE_ENDPOINT"):
        build_transport(config)


def test_unknown_keys_in_a_transport_section_are_config_errors() -> None:
    from bot.config import ConfigError

    with pytest.raises(
        ConfigError, match=r"transport.wechaty.endpont: unknown key \(did you mean 'endpoint'"
    ):
        parse_config("transport:\n  type: wechaty\n  wechaty:\n    endpont: x:1\n")


def test_outbox_section_becomes_a_policy() -> None:
    config = parse_config(
        "transport:\n  wecom_aibot:\n    outbox: {max_text_bytes: 1000, per_hour: 500}\n"
    )
    policy = outbox_policy(config.root.transport.wecom_aibot.outbox, mention_reserve_bytes=8)
    assert policy.max_text_bytes == 1000 and policy.mention_reserve_bytes == 8
    assert policy.per_conversation == (RateLimit(30, 60), RateLimit(500, 3600))
    default = outbox_policy(config.root.transport.wecom_webhook.outbox)
    assert default.per_conversation == (RateLimit(20, 60),)


def test_the_commented_wechaty_section_of_config_yaml_is_valid_and_current() -> None:
    from pathlib import Path

    from bot.settings.transport import WechatyTransportSettings

    lines = (Path(__file__).parent.parent / "config.yaml").read_text(encoding="utf-8").splitlines()
    start = lines.index("  # wechaty:")
    block = []
    for line in lines[start:]:
        if not line.startswith("  # "):
            break
        block.append(line[:2] + line[4:])
    config = parse_config("transport:\n  type: wechaty\n" + "\n".join(block) + "\n")
    assert config.root.transport.wechaty == WechatyTransportSettings()  # documents the defaults

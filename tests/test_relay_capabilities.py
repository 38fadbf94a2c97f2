"""What works where for a relay: the capability table agrees with the transports, the
start-up report says it, and the relay's window follows the transport's send limits."""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass
from datetime import timedelta

import pytest

from bot.transports.base import Capabilities
from bot.transports.features import (
    CAPABILITIES_BY_TRANSPORT,
    capabilities_of,
    many_groups_report,
    relay_source_refusal,
    relay_window,
)
from bot.transports.registry import TRANSPORTS, build_transport, report_capabilities
from tests.relay_support import RELAY_CONFIG, relay_config
from tests.support import config_from


@pytest.mark.parametrize("kind", sorted(TRANSPORTS))
def test_the_table_agrees_with_each_transport_module(kind: str) -> None:
    module = importlib.import_module(TRANSPORTS[kind].partition(":")[0])
    assert CAPABILITIES_BY_TRANSPORT[kind] == module.CAPABILITIES


def test_only_transports_that_see_every_message_can_be_a_relay_source() -> None:
    assert relay_source_refusal(capabilities_of("console")) is None
    assert relay_source_refusal(capabilities_of("wechaty")) is None
    aibot = relay_source_refusal(capabilities_of("wecom_aibot"))
    assert aibot is not None and "@机器人" in aibot
    webhook = relay_source_refusal(capabilities_of("wecom_webhook"))
    assert webhook is not None and "收不到" in webhook
    assert relay_source_refusal(capabilities_of("no-such-transport")) is not None


def test_the_report_says_what_works_where() -> None:
    console = many_groups_report("console", capabilities_of("console"))
    assert console[0].startswith("relay source (/转播 开始): yes")
    aibot = many_groups_report("wecom_aibot", capabilities_of("wecom_aibot"))
    assert aibot[0].startswith("relay source (/转播 开始): no (wecom_aibot sees only")
    assert any(line.startswith("relay questions: only when members @-mention") for line in aibot)
    webhook = many_groups_report("wecom_webhook", capabilities_of("wecom_webhook"))
    assert any(line.startswith("broadcast to a set: from the console only") for line in webhook)
    assert all(any(line.startswith(f"relay {w}") for line in console) for w in ("images", "files"))


@dataclass(frozen=True)
class NamedTransport:
    """What report_capabilities reads of a transport."""

    name: str
    capabilities: Capabilities


def test_the_report_is_logged_at_start(caplog: pytest.LogCaptureFixture) -> None:
    config = relay_config()
    with caplog.at_level(logging.DEBUG, logger="groupops.transport"):
        report_capabilities(config, build_transport(config))
    assert "transport console: relay source (/转播 开始): yes" in caplog.text
    assert "transport console: relay images:" in caplog.text


def test_the_report_is_quiet_where_everything_works(caplog: pytest.LogCaptureFixture) -> None:
    """A normal start on the console shows one line about the transport; the relay and
    broadcast lines (all "yes") are debug detail. Where something is limited, they show."""
    config = relay_config()
    with caplog.at_level(logging.INFO, logger="groupops.transport"):
        report_capabilities(config, build_transport(config))
        console = [r.getMessage() for r in caplog.records]
        caplog.clear()
        aibot = NamedTransport("wecom_aibot", capabilities_of("wecom_aibot"))
        report_capabilities(config, aibot)  # type: ignore[arg-type]
        limited = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert [m for m in console if m.startswith("transport console")] == [
        "transport console: sees every group message; joins yes; images yes; mentions yes"
    ]
    assert any(
        m.startswith("transport wecom_aibot: relay source (/转播 开始): no") for m in limited
    )


def test_the_window_widens_to_what_the_transport_limits_allow() -> None:
    console = relay_config()  # no outbox limits: the configured window
    assert relay_window(console, 50) == timedelta(seconds=5)
    wechaty = relay_config(transport="wechaty")  # 20 a minute per group, 60 over all
    assert relay_window(wechaty, 2) == timedelta(seconds=5)
    assert relay_window(wechaty, 50) == timedelta(seconds=84)
    aibot = relay_config(transport="wecom_aibot")  # 1000 an hour per chat
    assert relay_window(aibot, 50) == timedelta(seconds=6)
    text = RELAY_CONFIG.replace("merge_window: 5s", "merge_window: 30s")
    assert relay_window(config_from(text), 50) == timedelta(seconds=30)  # longer: kept

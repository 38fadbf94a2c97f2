"""config.yaml's commented WeCom sections are valid once uncommented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.config import parse_config
from bot.transports.wecom_aibot import WeComAIBotTransport
from bot.transports.wecom_aibot import build as build_aibot
from bot.transports.wecom_callback import WeComCallbackTransport
from bot.transports.wecom_callback import build as build_callback

CONFIG = Path(__file__).resolve().parent.parent / "config.yaml"


def uncommented(section: str) -> str:
    """The `  # <section>:` block of config.yaml with its comment marks removed."""
    lines = CONFIG.read_text(encoding="utf-8").splitlines()
    start = lines.index(f"  # {section}:")
    block = []
    for line in lines[start:]:
        if not line.startswith("  #   ") and line != f"  # {section}:":
            break
        block.append("  " + line[4:])
    return "\n".join(block)


@pytest.mark.parametrize("section", ["wecom_aibot", "wecom_callback", "wecom_webhook"])
def test_commented_sections_parse(section: str) -> None:
    text = f"transport:\n  type: {section}\n{uncommented(section)}\n"
    config = parse_config(text, "config.yaml (uncommented)")
    assert config.root.transport.type == section
    assert re.search(r"_env: WECOM_", text)  # secrets come from environment variables


def test_examples_build_with_secrets_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WECOM_AIBOT_ID", "bot-id")
    monkeypatch.setenv("WECOM_AIBOT_SECRET", "secret")
    monkeypatch.setenv("WECOM_CALLBACK_TOKEN", "token")
    monkeypatch.setenv("WECOM_CALLBACK_AES_KEY", "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C")
    aibot = parse_config(f"transport:\n  type: wecom_aibot\n{uncommented('wecom_aibot')}\n")
    transport = build_aibot(aibot)
    assert isinstance(transport, WeComAIBotTransport)
    assert "小助手" in transport.bot_names
    callback = parse_config(
        f"transport:\n  type: wecom_callback\n{uncommented('wecom_callback')}\n"
    )
    assert isinstance(build_callback(callback), WeComCallbackTransport)


def test_a_bad_aes_key_is_a_clear_startup_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.transports.base import TransportError

    monkeypatch.setenv("WECOM_CALLBACK_TOKEN", "token")
    monkeypatch.setenv("WECOM_CALLBACK_AES_KEY", "too-short")
    config = parse_config("transport: {type: wecom_callback}")
    with pytest.raises(TransportError, match="43 characters"):
        build_callback(config)

"""Config values that used to pass check-config and then fail at run time: ids longer than
80 characters (events carry them as `prefix~sha256`), the wechaty TLS server name, and the
shape of the WeCom callback EncodingAESKey."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.commands import REFUSAL
from bot.config import ConfigError, check_environment, parse_config
from bot.text.inbound import bound_id, config_id, platform_id
from tests.support import at, config_from, running_bot

LONG_ADMIN = "wxid_" + "a" * 100
LONG_GROUP = "12345678901234567890@chatroom-" + "g" * 80

LONG_IDS = f"""
timezone: Asia/Shanghai
admins: [root]
groups:
  "{LONG_GROUP}":
    name: 长号群
    admins: ["{LONG_ADMIN}"]
  g2: {{name: 二群, admins: ["{LONG_ADMIN}"]}}
sets:
  pair: ["{LONG_GROUP}", g2]
"""


def test_config_ids_take_the_form_events_carry() -> None:
    config = config_from(LONG_IDS)
    stored_group, stored_admin = bound_id(LONG_GROUP), bound_id(LONG_ADMIN)
    assert len(stored_group) <= 80 and stored_group.endswith(config_id(LONG_GROUP)[-21:])
    assert list(config.groups) == [stored_group, "g2"]
    assert config.group(stored_group).name == "长号群"
    assert config.group(stored_group).is_admin(stored_admin)
    pair = config.group_set("pair")
    assert pair is not None and pair.group_ids == (stored_group, "g2")
    assert config.is_set_admin(pair, stored_admin)
    # the stored form may be written as well: it is the same id
    assert config_id(stored_admin) == stored_admin
    # a group known only from config can be posted to before it says anything
    assert platform_id(stored_group) == LONG_GROUP


async def test_an_admin_with_a_long_id_is_recognised(sqlite_db: str) -> None:
    async with running_bot(sqlite_db, config_from(LONG_IDS), at("2026-11-16 07:00")) as bot:
        await bot.say("打卡", user="alice", group=LONG_GROUP, when=at("2026-11-16 08:00"))
        (stats,) = await bot.say(
            "/统计", user=LONG_ADMIN, group=LONG_GROUP, when=at("2026-11-16 09:00")
        )
        assert stats.startswith("📊 「长号群」近 7 天数据")
        assert await bot.say(
            "/统计", user="a" * 100, group=LONG_GROUP, when=at("2026-11-16 09:01")
        ) == [REFUSAL]
        (board,) = await bot.say(
            "/统计 pair", user=LONG_ADMIN, group="g2", when=at("2026-11-16 09:02")
        )
        assert "　长号群：消息 3 条" in board
        (rank,) = await bot.say(
            "/排行 pair", user="x", group=LONG_GROUP, when=at("2026-11-16 09:03")
        )
        assert "🥇 alice（长号群）10 分" in rank.splitlines()


def test_a_group_written_in_both_forms_is_reported() -> None:
    text = f'groups:\n  "{LONG_GROUP}": {{}}\n  "{bound_id(LONG_GROUP)}": {{}}\n'
    with pytest.raises(ConfigError) as caught:
        parse_config(text, "c.yaml")
    assert f"c.yaml:3: groups.{bound_id(LONG_GROUP)}: the same group as" in str(caught.value)


# --- the transport's values -----------------------------------------------------------------

WECHATY = "transport:\n  type: wechaty\n  wechaty:\n    endpoint: 127.0.0.1:8788\n"
SECRET_TOKEN = "insecure_0123456789abcdef"


@pytest.mark.parametrize(
    ("name", "needle"),
    [
        ("https://gateway.example.com", "must be a host name, not a URL or host:port"),
        ("gateway.example.com:443", "must be a host name, not a URL or host:port"),
        ("two words", "must be a host name: parts of letters"),
        ("a..b", "must be a host name: parts of letters"),
        ("x" * 254, "is 254 characters long"),
    ],
)
def test_a_bad_tls_server_name_is_reported_at_its_line(name: str, needle: str) -> None:
    text = WECHATY + f"    token: {SECRET_TOKEN}\n    tls_server_name: '{name}'\n"
    problems = [str(p) for p in check_environment(parse_config(text, "c.yaml"), {})]
    assert len(problems) == 1, problems
    assert problems[0].startswith(
        "<config>:6: transport.wechaty.tls_server_name: the TLS server name from "
        "transport.wechaty.tls_server_name "
    )
    assert needle in problems[0]


@pytest.mark.parametrize("name", ["insecure", "puppet_service", "gw-1.example.com", "10.0.0.5"])
def test_good_tls_server_names_pass(name: str) -> None:
    text = WECHATY + f"    token: {SECRET_TOKEN}\n    tls_server_name: {name}\n"
    assert check_environment(parse_config(text, "c.yaml"), {}) == []


def test_the_tls_server_name_from_the_environment_and_the_token() -> None:
    config = parse_config(WECHATY, "c.yaml")
    env = {"WECHATY_PUPPET_SERVICE_TOKEN": SECRET_TOKEN}
    assert check_environment(config, env) == []  # "insecure", from the token's prefix
    bad = env | {"WECHATY_PUPPET_SERVICE_TLS_SERVER_NAME": "gw.example.com/x"}
    (problem,) = [str(p) for p in check_environment(config, bad)]
    assert problem.startswith(
        "<config>:2: transport.wechaty.tls_server_name: the TLS server name from the "
        "environment variable WECHATY_PUPPET_SERVICE_TLS_SERVER_NAME must be a host name"
    )
    weird_token = {"WECHATY_PUPPET_SERVICE_TOKEN": "a b_secretpart"}
    (problem,) = [str(p) for p in check_environment(config, weird_token)]
    assert "from the token's prefix must be a host name" in problem
    assert "secretpart" not in problem and "a b" not in problem  # never the token
    no_prefix = {"WECHATY_PUPPET_SERVICE_TOKEN": "nounderscore"}
    (problem,) = [str(p) for p in check_environment(config, no_prefix)]
    assert "TLS needs the gateway's server name" in problem
    # without TLS there is no server name to check
    plain = parse_config(WECHATY + "    tls: false\n", "c.yaml")
    assert check_environment(plain, no_prefix) == []


CALLBACK = "transport:\n  type: wecom_callback\n  wecom_callback:\n    token: t0ken\n"
GOOD_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"


@pytest.mark.parametrize(
    ("key", "needle"),
    [
        (GOOD_KEY[:-1], "must be 43 characters (got 42)"),
        (GOOD_KEY + "=", "must be 43 characters (got 44)"),
        (GOOD_KEY[:-1] + "-", "must be base64"),
        (GOOD_KEY[:-1] + "_", "must be base64"),
    ],
)
def test_a_malformed_aes_key_is_reported(key: str, needle: str) -> None:
    in_config = parse_config(CALLBACK + f"    aes_key: '{key}'\n", "c.yaml")
    (problem,) = [str(p) for p in check_environment(in_config, {})]
    assert problem.startswith(
        "<config>:5: transport.wecom_callback.aes_key: the WeCom callback EncodingAESKey from "
        "transport.wecom_callback.aes_key "
    )
    assert needle in problem and key not in problem
    from_env = parse_config(CALLBACK, "c.yaml")
    (problem,) = [str(p) for p in check_environment(from_env, {"WECOM_CALLBACK_AES_KEY": key})]
    assert problem.startswith(
        "<config>:2: transport.wecom_callback.aes_key: the WeCom callback EncodingAESKey from "
        "the environment variable WECOM_CALLBACK_AES_KEY "
    )
    assert needle in problem


def test_a_good_aes_key_passes_and_the_transport_takes_it() -> None:
    from bot.transports.wecom_crypto import decode_aes_key

    config = parse_config(CALLBACK, "c.yaml")
    assert check_environment(config, {"WECOM_CALLBACK_AES_KEY": GOOD_KEY}) == []
    assert len(decode_aes_key(GOOD_KEY)) == 32
    (problem,) = check_environment(config, {"WECOM_CALLBACK_AES_KEY": GOOD_KEY + "\n"})
    assert "has spaces or a line break around it" in problem.message


def test_check_config_cli_reports_the_aes_key(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(CALLBACK + "    aes_key_env: MY_AES\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("WECOM_")}
    env["MY_AES"] = GOOD_KEY[:40]
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "check-config", str(path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env=env,
    )
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"{path}:5: transport.wecom_callback.aes_key: the WeCom callback EncodingAESKey from "
        "the environment variable MY_AES must be 43 characters (got 40); copy it from the "
        "bot's API settings page"
    )


async def test_groupops_stats_takes_a_long_group_id_as_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.cli import main

    db = tmp_path / "bot.db"
    async with running_bot(f"sqlite+aiosqlite:///{db}", config_from(LONG_IDS)) as bot:
        await bot.say("打卡", user="alice", group=LONG_GROUP, when=at("2026-11-16 08:00"))
    config = tmp_path / "config.yaml"
    config.write_text(LONG_IDS, encoding="utf-8")
    args = ["stats", "--group", LONG_GROUP, "--today", "2026-11-16", "--config", str(config)]
    assert await asyncio.to_thread(main, [*args, "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("📊 「长号群」近 7 天数据") and "✅ 打卡 1 人次" in out

"""transport: which platform the bot talks to, one sub-section per transport.

Secrets never sit in config.yaml: either write `${VAR}` (substituted at load) or leave the
value empty and name the environment variable in the `*_env` key (read at start-up).
The WeCom sections (WecomAibotSettings, WecomCallbackSettings, WecomWebhookSettings) belong
to the WeCom transports (bot/transports/wecom_*.py), which may add fields to them.
"""

from __future__ import annotations

import base64
import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from pydantic import Field

from bot.settings.base import DAY_SECONDS, ConfigId, Strict

# Bounds shared by the transports' settings.
MAX_TEXT_BYTES = 1 << 20
MAX_RATE = 10_000  # messages per minute or per hour
MAX_WAIT_S = 600.0  # timeouts: longer is a hang, not patience
MAX_BACKOFF_S = 3600.0

TransportType = Literal["console", "wechaty", "wecom_aibot", "wecom_callback", "wecom_webhook"]


class SecretMissing(ValueError):
    """A secret the chosen transport needs is neither in config.yaml nor in the environment."""


def resolve_secret(
    value: str, env_name: str, what: str, environ: Mapping[str, str] | None = None
) -> str:
    """The secret: the config value if set (e.g. from ${VAR}), else the named env variable.
    A blank one (spaces only) counts as missing.

    The error names the variable, never a value."""
    if value.strip():
        return value
    env = os.environ if environ is None else environ
    found = env.get(env_name, "") if env_name else ""
    if not found.strip():
        where = f"set the environment variable {env_name}" if env_name else "set it"
        if found:
            where = f"the environment variable {env_name} is blank"
        raise SecretMissing(f"{what} is not configured: {where} (or write ${{VAR}} in config.yaml)")
    return found


def server_name_from_token(token: str) -> str:
    """The Node client's rule (wechaty-token): the token's prefix before its last `_`,
    lower-cased; "" when the token has none."""
    cut = token.rfind("_")
    return token[:cut].lower() if cut > 0 else ""


_HOST_LABEL = re.compile(r"^[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$")


def server_name_problem(name: str) -> str | None:
    """What is wrong with a TLS server name (the name the gateway's certificate carries),
    or None: a host name (dot-separated parts of letters, digits, '-' and '_', as token
    prefixes such as `insecure` or `puppet_service` are) or an IP address. The message
    never repeats the name (it may come from the token)."""
    try:
        ipaddress.ip_address(name)
        return None
    except ValueError:
        pass
    if not name.strip():
        return "is blank"
    if len(name) > 253:
        return f"is {len(name)} characters long (a host name has at most 253)"
    if "://" in name or "/" in name or ":" in name:
        return "must be a host name, not a URL or host:port (the port goes in the endpoint)"
    if not all(_HOST_LABEL.match(label) for label in name.split(".")):
        return (
            "must be a host name: parts of letters, digits, '-' and '_' (at most 63 "
            "characters each) separated by single dots, with no spaces"
        )
    return None


AES_KEY_CHARS = 43
_BASE64 = re.compile(r"^[A-Za-z0-9+/]*$")


def aes_key_problem(key: str) -> str | None:
    """What is wrong with a WeCom EncodingAESKey (43 characters of base64 that decode, with
    a '=' added, to a 32-byte AES key), or None. The message never repeats the key."""
    stripped = key.strip()
    if len(stripped) != AES_KEY_CHARS:
        return (
            f"must be {AES_KEY_CHARS} characters (got {len(stripped)}); copy it from the "
            "bot's API settings page"
        )
    if stripped != key:
        return "has spaces or a line break around it"
    if not _BASE64.match(key):
        return "must be base64: letters, digits, '+' and '/' only"
    if len(base64.b64decode(key + "=")) != 32:  # pragma: no cover - 43 chars always give 32
        return "does not decode to a 32-byte key"
    return None


@dataclass(frozen=True)
class SecretSetting:
    """A secret the selected transport needs: the config value (``${VAR}`` already
    substituted) or, when that is empty, the environment variable ``env``."""

    field: str  # the key under transport.<type>, e.g. "token"
    value: str
    env: str
    what: str  # how messages name it, e.g. "the WeCom callback Token"


class OutboxSettings(Strict):
    """How a transport's outbox paces and splits messages (per conversation = per group)."""

    max_text_bytes: int = Field(default=2048, ge=64, le=MAX_TEXT_BYTES)
    per_minute: int | None = Field(default=20, ge=1, le=MAX_RATE)
    per_hour: int | None = Field(default=None, ge=1, le=MAX_RATE)
    overall_per_minute: int | None = Field(default=None, ge=1, le=MAX_RATE)
    retry_base_s: float = Field(default=1.0, gt=0, le=MAX_BACKOFF_S)
    retry_max_s: float = Field(default=300.0, gt=0, le=DAY_SECONDS)
    max_attempts: int = Field(default=8, ge=1, le=1000)
    persist: bool = True  # keep undelivered messages in the database across restarts


# Each transport's outbox defaults are a subclass, so that overriding one key in config.yaml
# keeps the transport's other defaults.


class WechatyOutboxSettings(OutboxSettings):
    max_text_bytes: int = Field(default=4000, ge=64, le=MAX_TEXT_BYTES)
    overall_per_minute: int | None = Field(default=60, ge=1, le=MAX_RATE)


class WecomAibotOutboxSettings(OutboxSettings):
    """WeCom AI bot: 30 messages a minute and 1000 an hour per conversation."""

    max_text_bytes: int = Field(default=20480, ge=64, le=MAX_TEXT_BYTES)
    per_minute: int | None = Field(default=30, ge=1, le=MAX_RATE)
    per_hour: int | None = Field(default=1000, ge=1, le=MAX_RATE)


class WecomCallbackOutboxSettings(OutboxSettings):
    per_minute: int | None = Field(default=30, ge=1, le=MAX_RATE)
    per_hour: int | None = Field(default=1000, ge=1, le=MAX_RATE)


class WecomWebhookOutboxSettings(OutboxSettings):
    """Group robot webhook: 20 messages a minute; text up to 2048 bytes."""

    per_minute: int | None = Field(default=20, ge=1, le=MAX_RATE)


class ConsoleTransportSettings(Strict):
    group: str = ""  # empty: the first group listed under `groups` ("demo" when none is)
    user: str = "alice"


class WechatyTransportSettings(Strict):
    """python-wechaty against a puppet service gateway (gRPC): personal WeChat or WeCom."""

    endpoint: str = ""  # host:port; empty: read endpoint_env
    endpoint_env: str = "WECHATY_PUPPET_SERVICE_ENDPOINT"
    token: str = ""  # empty: read token_env
    token_env: str = "WECHATY_PUPPET_SERVICE_TOKEN"
    tls: bool = True  # on | off: gateways serve TLS unless started without it
    # the CA the gateway's certificate must be signed by (PEM file or PEM text);
    # empty: tls_ca_cert_env, else the Wechaty root CA the gateways' default certificate uses
    tls_ca_cert: str = ""
    tls_ca_cert_env: str = "WECHATY_PUPPET_SERVICE_TLS_CA_CERT"
    # the name the certificate must carry; empty: tls_server_name_env, else the token's
    # prefix before its last "_" (insecure_xxx -> insecure), as the Node client does
    tls_server_name: str = ""
    tls_server_name_env: str = "WECHATY_PUPPET_SERVICE_TLS_SERVER_NAME"
    connect_timeout_s: float = Field(default=20.0, gt=0, le=MAX_WAIT_S)
    reconnect_initial_s: float = Field(default=1.0, gt=0, le=MAX_BACKOFF_S)
    reconnect_max_s: float = Field(default=60.0, gt=0, le=MAX_BACKOFF_S)
    outbox: WechatyOutboxSettings = WechatyOutboxSettings()


class WecomAibotSettings(Strict):
    """WeCom AI bot (智能机器人), long-connection (WebSocket) mode."""

    url: str = "wss://openws.work.weixin.qq.com"
    bot_id: str = ""
    bot_id_env: str = "WECOM_AIBOT_ID"
    secret: str = ""
    secret_env: str = "WECOM_AIBOT_SECRET"
    heartbeat_s: float = Field(default=30.0, gt=0, le=MAX_WAIT_S)
    reconnect_initial_s: float = Field(default=1.0, gt=0, le=MAX_BACKOFF_S)
    reconnect_max_s: float = Field(default=60.0, gt=0, le=MAX_BACKOFF_S)
    # added by the WeCom transports:
    mention_names: list[str] = []  # the bot's name(s) in WeCom, removed from "@name ..." text
    # wait for WeCom's answer to a request
    ack_timeout_s: float = Field(default=5.0, gt=0, le=MAX_WAIT_S)
    # answer a callback by req_id this long
    reply_window_s: float = Field(default=300.0, gt=0, le=DAY_SECONDS)
    # refused subscribes before giving up
    max_auth_failures: int = Field(default=5, ge=1, le=1000)
    outbox: WecomAibotOutboxSettings = WecomAibotOutboxSettings()


class WecomCallbackSettings(Strict):
    """WeCom AI bot, callback (HTTP) mode: needs a public URL."""

    host: str = "0.0.0.0"
    port: int = Field(default=8080, ge=1, le=65535)
    path: str = "/wecom/callback"
    token: str = ""
    token_env: str = "WECOM_CALLBACK_TOKEN"
    aes_key: str = ""
    aes_key_env: str = "WECOM_CALLBACK_AES_KEY"
    receive_id: str = ""  # "" for AI bots; the CorpID for self-built apps
    max_clock_skew_s: int = Field(default=300, ge=1, le=DAY_SECONDS)
    # added by the WeCom transports:
    mention_names: list[str] = []  # the bot's name(s) in WeCom, removed from "@name ..." text
    # larger POSTs get HTTP 413
    max_body_bytes: int = Field(default=256 * 1024, ge=1024, le=64 << 20)
    # WeCom waits 5 s for the passive reply
    reply_wait_s: float = Field(default=2.0, ge=0, le=MAX_WAIT_S)
    # per stream-refresh callback
    refresh_wait_s: float = Field(default=1.0, ge=0, le=MAX_WAIT_S)
    # proactive answers via response_url
    response_url_ttl_s: float = Field(default=3600.0, gt=0, le=DAY_SECONDS)
    outbox: WecomCallbackOutboxSettings = WecomCallbackOutboxSettings()


class WecomWebhookSettings(Strict):
    """WeCom group robot (群机器人) webhook: output only."""

    url: str = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send"
    key: str = ""
    key_env: str = "WECOM_WEBHOOK_KEY"
    # added by the WeCom transports: one robot per group, when posting to several groups
    group_key_envs: dict[ConfigId, str] = {}  # group id -> env variable holding that robot's key
    timeout_s: float = Field(default=10.0, gt=0, le=MAX_WAIT_S)
    outbox: WecomWebhookOutboxSettings = WecomWebhookOutboxSettings()


class TransportSettings(Strict):
    type: TransportType = "console"
    console: ConsoleTransportSettings = ConsoleTransportSettings()
    wechaty: WechatyTransportSettings = WechatyTransportSettings()
    wecom_aibot: WecomAibotSettings = WecomAibotSettings()
    wecom_callback: WecomCallbackSettings = WecomCallbackSettings()
    wecom_webhook: WecomWebhookSettings = WecomWebhookSettings()

    def secrets(self) -> list[SecretSetting]:
        """What the selected transport reads with resolve_secret when it is built (the
        transports' build functions); check-config checks each without printing values."""
        if self.type == "wechaty":
            w = self.wechaty
            return [
                SecretSetting(
                    "endpoint", w.endpoint, w.endpoint_env, "the wechaty puppet service endpoint"
                ),
                SecretSetting("token", w.token, w.token_env, "the wechaty puppet service token"),
            ]
        if self.type == "wecom_aibot":
            a = self.wecom_aibot
            return [
                SecretSetting("bot_id", a.bot_id, a.bot_id_env, "the WeCom AI bot BotID"),
                SecretSetting("secret", a.secret, a.secret_env, "the WeCom AI bot Secret"),
            ]
        if self.type == "wecom_callback":
            c = self.wecom_callback
            return [
                SecretSetting("token", c.token, c.token_env, "the WeCom callback Token"),
                SecretSetting(
                    "aes_key", c.aes_key, c.aes_key_env, "the WeCom callback EncodingAESKey"
                ),
            ]
        if self.type == "wecom_webhook":
            h = self.wecom_webhook
            found = [SecretSetting("key", h.key, h.key_env, "the WeCom group robot webhook key")]
            found += [
                SecretSetting(
                    f"group_key_envs.{group}", "", env, f"the webhook key of group {group}"
                )
                for group, env in h.group_key_envs.items()
            ]
            return found
        return []

"""The WeCom group robot (群机器人) webhook: an output-only transport for posts and announcements.

Protocol: ``POST <url>?key=KEY`` with ``{"msgtype": "text", "text": {"content", "mentioned_list"}}``
(content <= 2048 bytes) or ``{"msgtype": "markdown", "markdown": {"content"}}`` (<= 4096 bytes,
mentions as ``<@userid>``). The answer is always HTTP 200 with ``{"errcode", "errmsg"}``:
45009 means rate limited (retry later), 93000 an invalid key (permanent). 20 messages/minute per
robot: the outbox paces sends. The key is a secret: it comes from the environment and is never
logged (httpx logs request URLs, so its log records are redacted).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import httpx

from bot.clock import Clock, SystemClock
from bot.config import AppConfig
from bot.settings.transport import WecomWebhookSettings, resolve_secret
from bot.transports.base import Capabilities, Visibility, outbox_policy
from bot.transports.outbox import (
    Outbox,
    OutboxItem,
    PermanentSendError,
    RateLimit,
    TransientSendError,
    UnknownOutcome,
)
from bot.transports.outbox_store import start_outbox
from bot.transports.wecom_common import utf8_len, with_mentions

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger("groupops.transport.wecom_webhook")

CAPABILITIES = Capabilities(
    sees=Visibility.NONE, sees_joins=False, can_send_images=False, can_mention=True
)
TEXT_MAX_BYTES = 2048
MARKDOWN_MAX_BYTES = 4096
PER_ROBOT_PER_MINUTE = 20
ERR_RATE_LIMITED = 45009
ERR_INVALID_KEY = 93000


class _RedactKeys(logging.Filter):
    """Hide `key=...` query values in log records (httpx logs every request URL at INFO)."""

    _KEY = re.compile(r"(key=)[^&\s\"']+")

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            args = record.args if isinstance(record.args, tuple) else (record.args,)
            record.args = tuple(
                self._KEY.sub(r"\1***", str(a)) if "key=" in str(a) else a for a in args
            )
        if isinstance(record.msg, str) and "key=" in record.msg:
            record.msg = self._KEY.sub(r"\1***", record.msg)
        return True


_REDACT = _RedactKeys()
for _name in ("httpx", "httpcore"):
    if _REDACT not in logging.getLogger(_name).filters:
        logging.getLogger(_name).addFilter(_REDACT)


class WeComWebhookTransport:
    """Posts the bot's messages through one or more group robots; receives nothing."""

    name = "wecom_webhook"
    capabilities = CAPABILITIES

    def __init__(
        self,
        settings: WecomWebhookSettings,
        *,
        key: str,
        group_keys: Mapping[str, str] | None = None,
        clock: Clock | None = None,
        outbox: Outbox | None = None,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.settings = settings
        self.clock: Clock = clock or SystemClock()
        self._key = key
        self._group_keys = dict(group_keys or {})
        policy = outbox_policy(settings.outbox)
        if not self._group_keys:
            # one robot serves every group: its 20/min limit is over all conversations
            policy = replace(policy, overall=(*policy.overall, RateLimit(PER_ROBOT_PER_MINUTE, 60)))
        self.outbox = outbox or Outbox(
            self.deliver,
            policy=policy,
            clock=self.clock,
            name=self.name,
            persist=settings.outbox.persist,
            # WeCom keeps no client id: a resend after a crash could post twice
            unknown_outcome=UnknownOutcome.GIVE_UP,
        )
        self._client = client
        self._closed = asyncio.Event()

    @property
    def sender(self) -> Outbox:
        return self.outbox

    async def run(self, app: App) -> None:
        """Deliver until closed (there is nothing to receive)."""
        await start_outbox(self.outbox, app, persist=self.settings.outbox.persist)
        log.info(
            "WeCom webhook: output only; %s",
            f"{len(self._group_keys)} group robot(s) plus the default"
            if self._group_keys
            else "one robot for every group",
        )
        await self._closed.wait()

    async def close(self) -> None:
        self._closed.set()
        await self.outbox.close()
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    # --- delivery -------------------------------------------------------------------------

    def payload(self, item: OutboxItem) -> dict[str, Any]:
        """The JSON body for one outbox item (size-checked)."""
        if item.kind == "markdown":
            content = with_mentions(item.text, item.mentions)
            if utf8_len(content) > MARKDOWN_MAX_BYTES:
                raise PermanentSendError(
                    f"markdown of {utf8_len(content)} bytes exceeds {MARKDOWN_MAX_BYTES}"
                )
            return {"msgtype": "markdown", "markdown": {"content": content}}
        if item.kind == "image":
            log.info("WeCom webhook: images are not sent; posting the caption")
        if utf8_len(item.text) > TEXT_MAX_BYTES:
            raise PermanentSendError(
                f"text of {utf8_len(item.text)} bytes exceeds {TEXT_MAX_BYTES}"
            )
        text: dict[str, Any] = {"content": item.text}
        if item.mentions:
            text["mentioned_list"] = list(item.mentions)
        return {"msgtype": "text", "text": text}

    async def deliver(self, item: OutboxItem) -> None:
        body = self.payload(item)
        if not item.text.strip() and not item.mentions:
            return
        key = self._group_keys.get(item.conversation, self._key)
        client = self._client
        if client is None:
            client = self._client = httpx.AsyncClient(timeout=self.settings.timeout_s)
        try:
            response = await client.post(self.settings.url, params={"key": key}, json=body)
        except httpx.HTTPError as exc:
            raise TransientSendError(f"webhook request failed: {exc.__class__.__name__}") from exc
        if response.status_code >= 500 or response.status_code == 429:
            raise TransientSendError(f"webhook answered HTTP {response.status_code}")
        try:
            answer = response.json()
            errcode = int(answer.get("errcode", -1))
            errmsg = str(answer.get("errmsg", ""))
        except (ValueError, AttributeError, TypeError) as exc:
            raise TransientSendError(
                f"webhook answered HTTP {response.status_code} without a JSON errcode"
            ) from exc
        if errcode == 0:
            return
        if errcode == ERR_RATE_LIMITED:
            log.warning(
                "WeCom webhook: rate limited (errcode 45009) posting to %s; retrying in 60s",
                item.conversation,
            )
            raise TransientSendError("rate limited (errcode 45009)", retry_after=60.0)
        if errcode == ERR_INVALID_KEY:
            where = self.settings.group_key_envs.get(item.conversation, self.settings.key_env)
            log.error(
                "WeCom webhook: the robot key for %s is invalid (errcode 93000); check %s "
                "(copy the key from the group robot's webhook address). Not retrying.",
                item.conversation,
                where,
            )
            raise PermanentSendError("invalid webhook key (errcode 93000)")
        if errcode in (-1, 45033):  # system busy / too many concurrent calls
            raise TransientSendError(f"errcode {errcode}: {errmsg}")
        log.error(
            "WeCom webhook: message to %s refused: errcode %s %s",
            item.conversation,
            errcode,
            errmsg,
        )
        raise PermanentSendError(f"errcode {errcode}: {errmsg}")


def build(config: AppConfig) -> WeComWebhookTransport:
    """The transport `transport.type: wecom_webhook` selects (keys from the environment)."""
    settings = config.root.transport.wecom_webhook
    key = resolve_secret(settings.key, settings.key_env, "the WeCom group robot webhook key")
    group_keys = {
        group: resolve_secret("", env, f"the webhook key of group {group}")
        for group, env in settings.group_key_envs.items()
    }
    return WeComWebhookTransport(settings, key=key, group_keys=group_keys)

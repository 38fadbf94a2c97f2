"""Pick the configured transport, wire it around an App, run it, report what cannot work.

Adding a transport: write bot/transports/<name>.py with `build(config) -> Transport` (see
bot/transports/base.py) and add one line to TRANSPORTS. The module is imported only when
chosen, so a platform library is needed only by the operators who use it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import logging
import sys
from collections.abc import Callable

from bot.app import App, freeze_startup_objects
from bot.clock import SystemClock
from bot.config import AppConfig
from bot.settings.transport import SecretMissing
from bot.transports.base import Capabilities, Transport, TransportError, unsupported_features

log = logging.getLogger("groupops.transport")

TransportFactory = Callable[[AppConfig], Transport]

# transport.type -> "module:function" building it. One line per transport.
TRANSPORTS: dict[str, str] = {
    "console": "bot.transports.console:build",
    "wechaty": "bot.transports.wechaty_transport:build",
    # WeCom (bot/transports/wecom_*.py):
    "wecom_aibot": "bot.transports.wecom_aibot:build",
    "wecom_callback": "bot.transports.wecom_callback:build",
    "wecom_webhook": "bot.transports.wecom_webhook:build",
}


def load_factory(kind: str) -> TransportFactory:
    target = TRANSPORTS.get(kind)
    if target is None:
        raise TransportError(
            f"unknown transport {kind!r} (available: {', '.join(sorted(TRANSPORTS))})"
        )
    module_name, _, func = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        hint = ' (pip install -e ".[wechaty]")' if kind == "wechaty" else ""
        raise TransportError(f"transport {kind!r} is not available: {exc}{hint}") from exc
    factory: TransportFactory = getattr(module, func)
    return factory


def build_transport(config: AppConfig) -> Transport:
    """The configured transport; TransportError with the reason when it cannot be built."""
    kind = config.root.transport.type
    factory = load_factory(kind)
    try:
        return factory(config)
    except SecretMissing as exc:
        raise TransportError(f"transport {kind}: {exc}") from exc


def describe(caps: Capabilities) -> str:
    sees = {
        "all": "every group message",
        "mentions": "only messages that @-mention the bot",
        "none": "no messages (output only)",
    }[caps.sees.value]
    return (
        f"sees {sees}; joins {'yes' if caps.sees_joins else 'no'}; "
        f"images {'yes' if caps.can_send_images else 'no'}; "
        f"mentions {'yes' if caps.can_mention else 'no'}"
    )


def report_capabilities(config: AppConfig, transport: Transport) -> list[str]:
    """Log what the transport can do and every enabled feature it cannot serve."""
    log.info("transport %s: %s", transport.name, describe(transport.capabilities))
    problems = unsupported_features(config, transport.capabilities, transport.name)
    for line in problems:
        log.warning("cannot work on this transport: %s", line)
    return problems


async def run_app(
    config: AppConfig, transport: Transport, app: App, *, freeze_gc: bool = False
) -> None:
    """Start the app, report, run the transport until it ends, then close everything."""
    await app.start()
    if freeze_gc:
        freeze_startup_objects()
    watch: asyncio.Task[None] | None = None
    try:
        report_capabilities(config, transport)
        app.start_live()
        watch = asyncio.create_task(app.watch_config(), name="groupops-config-watch")
        await transport.run(app)
    finally:
        if watch is not None:
            watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watch
        try:
            await transport.close()
        finally:
            await app.close()


async def run_transport(config: AppConfig, args: argparse.Namespace) -> int:
    """`groupops run`: exit code 0 on a normal end, 2 when the transport cannot start."""
    try:
        transport = build_transport(config)
    except TransportError as exc:
        log.error("%s", exc)
        print(f"groupops: {exc}", file=sys.stderr)
        return 2
    app = App(config, sender=transport.sender, clock=SystemClock())
    try:
        await run_app(config, transport, app, freeze_gc=True)
    except TransportError as exc:
        log.error("transport %s stopped: %s", transport.name, exc)
        print(f"groupops: {exc}", file=sys.stderr)
        return 2
    return 0

"""Start the configured transport around an App."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging

from bot.app import App
from bot.clock import SystemClock
from bot.config import AppConfig
from bot.transports.base import unsupported_features

log = logging.getLogger("groupops.transport")


async def run_transport(config: AppConfig, args: argparse.Namespace) -> int:
    from bot.transports.console import CAPABILITIES, ConsoleSender, ConsoleSession

    settings = config.root.transport
    sender = ConsoleSender()
    app = App(config, sender=sender, clock=SystemClock())
    await app.start()
    for line in unsupported_features(config, CAPABILITIES, settings.type):
        log.warning(line)
    app.start_live()
    watch = asyncio.create_task(app.watch_config(), name="groupops-config-watch")
    try:
        session = ConsoleSession(app, settings.console.group, settings.console.user)
        await session.run()
    finally:
        watch.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watch
        await app.close()
    return 0

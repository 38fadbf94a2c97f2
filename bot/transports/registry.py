"""Pick the configured transport, wire it around an App, run it, report what cannot work.

Adding a transport: write bot/transports/<name>.py with `build(config) -> Transport` (see
bot/transports/base.py) and add one line to TRANSPORTS. The module is imported only when
chosen, so a platform library is needed only by the operators who use it.

Graceful stop (`groupops run` on SIGTERM or SIGINT, and `stop` in run_app): no new event is
handled and no new job fired; the events being handled and a job already running finish;
replies ready to go out get a short time to be delivered while still connected; the
transport disconnects (an attempt in progress finishes and its outcome is stored; the rest
stays pending in the database); the app closes (the activity log is flushed, connections
closed). Everything handled is stored, and the process exits 0 within STOP_BUDGET_S. A
second signal exits at once (code 1).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import logging
import os
import signal
import sys
from collections.abc import Callable

from bot.app import App, freeze_startup_objects
from bot.clock import SystemClock
from bot.config import AppConfig
from bot.settings.transport import SecretMissing
from bot.transports.base import (
    Capabilities,
    Transport,
    TransportError,
    Visibility,
    unsupported_features,
)
from bot.transports.features import many_groups_report
from bot.transports.outbox import Outbox

log = logging.getLogger("groupops.transport")

TransportFactory = Callable[[AppConfig], Transport]

# A graceful stop's time limits (seconds): systemd and docker wait 10 s before SIGKILL.
HANDLERS_GRACE_S = 3.0  # events being handled and a running job
FLUSH_S = 2.0  # replies ready to go out while still connected
SEND_GRACE_S = 2.0  # the attempt in progress when the transport closes
STOP_BUDGET_S = HANDLERS_GRACE_S + FLUSH_S + SEND_GRACE_S

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
    caps = transport.capabilities
    log.info("transport %s: %s", transport.name, describe(caps))
    # What relays and broadcasts can do here: worth an operator's attention only where it is
    # limited; on a transport that sees everything and posts pictures it is all "yes".
    level = logging.DEBUG if caps.sees is Visibility.ALL and caps.can_send_images else logging.INFO
    for line in many_groups_report(transport.name, caps):
        log.log(level, "transport %s: %s", transport.name, line)
    problems = unsupported_features(config, transport.capabilities, transport.name)
    for line in problems:
        log.warning("cannot work on this transport: %s", line)
    return problems


async def run_app(
    config: AppConfig,
    transport: Transport,
    app: App,
    *,
    freeze_gc: bool = False,
    stop: asyncio.Event | None = None,
) -> None:
    """Start the app, report, run the transport until it ends or `stop` is set (a graceful
    stop, see the module docstring), then close everything."""
    await app.start()
    if freeze_gc:
        freeze_startup_objects()
    stop = stop or asyncio.Event()
    watch: asyncio.Task[None] | None = None
    serving: asyncio.Task[None] | None = None
    try:
        report_capabilities(config, transport)
        app.start_live()
        watch = asyncio.create_task(app.watch_config(), name="groupops-config-watch")
        serving = asyncio.create_task(transport.run(app), name=f"groupops-{transport.name}")
        stopping = asyncio.create_task(stop.wait(), name="groupops-stop")
        await asyncio.wait({serving, stopping}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if serving.done():
            serving.result()  # a TransportError ends the run with its message
        else:
            log.info("stopping: no new messages; finishing the ones in hand")
            await app.stop_intake(HANDLERS_GRACE_S)
            sender = transport.sender
            if isinstance(sender, Outbox) and not await sender.flush(FLUSH_S):
                log.info("stopping: %d message(s) stay queued", len(sender.pending()))
    finally:
        if watch is not None:
            watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watch
        try:
            await transport.close()
        finally:
            if serving is not None and not serving.done():
                try:
                    await asyncio.wait_for(serving, SEND_GRACE_S)
                except (TimeoutError, asyncio.CancelledError):
                    pass
                except Exception:
                    log.exception("transport %s ended with an error while stopping", transport.name)
            await app.close()
            log.info("stopped")


def install_stop_signals(stop: asyncio.Event) -> None:
    """SIGTERM and SIGINT set `stop` (a graceful stop); a second one exits at once."""
    loop = asyncio.get_running_loop()

    def on_signal(name: str) -> None:
        if stop.is_set():
            log.warning("%s again: exiting now", name)
            logging.shutdown()
            os._exit(1)
        log.info("%s received: stopping gracefully", name)
        stop.set()

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, on_signal, sig.name)


async def run_transport(config: AppConfig, args: argparse.Namespace) -> int:
    """`groupops run`: exit code 0 on a normal end, 2 when the transport cannot start."""
    try:
        transport = build_transport(config)
    except TransportError as exc:
        log.error("%s", exc)
        print(f"groupops: {exc}", file=sys.stderr)
        return 2
    app = App(config, sender=transport.sender, clock=SystemClock())
    stop = asyncio.Event()
    install_stop_signals(stop)
    try:
        await run_app(config, transport, app, freeze_gc=True, stop=stop)
    except TransportError as exc:
        log.error("transport %s stopped: %s", transport.name, exc)
        print(f"groupops: {exc}", file=sys.stderr)
        return 2
    return 0

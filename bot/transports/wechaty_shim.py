"""Import python-wechaty safely (0.10.7 on Python 3.11). Only this module and
bot/transports/wechaty_transport.py import wechaty.

- Python 3.11 rejects the unhashable dataclass default `PuppetOptions()` inside
  `WechatyOptions`; giving PuppetOptions an identity hash before the import fixes it.
- Importing creates `./.wechaty/`: the import runs with the working directory and
  CACHE_DIR set to a private temporary directory.
- wechaty's loggers print to their own stderr handlers and some of them print the token:
  they are routed into our logging (propagate) with a filter that masks secrets. The same
  filter sits on the root logger's handlers, so no log line, nor the traceback of an
  exception logged with it (a gateway's error echoes a wrong token), shows a secret.
- python-wechaty's PuppetService opens plain connections, sends `Stop` before `Start` on
  every connect and `Stop` again when it stops: that restarts the gateway's puppet, and a
  real account may have to log in again. `gateway_puppet()` builds a PuppetService that
  connects like the Node client instead: the channel from a GatewayConnection (TLS, the
  authorization header), the event stream first, then `Start`; it never sends `Stop`.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import tempfile
import threading
import traceback
from collections.abc import AsyncIterator, Callable
from types import ModuleType, TracebackType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.transports.wechaty_connection import GatewayConnection

_lock = threading.Lock()
_module: ModuleType | None = None
_secrets: set[str] = set()
_CACHE_ENV = "CACHE_DIR"

# wechaty_puppet.get_logger() gives each logger its own stderr handler with this format.
_WECHATY_FORMAT = "%(asctime)s - %(name)s - %(levelname)s - %(message)s"


def redact(text: str) -> str:
    """`text` with every secret given to mask_secret() replaced by ***."""
    for secret in _secrets:
        text = text.replace(secret, "***")
    return text


class _MaskSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not _secrets:
            return True
        message = record.getMessage()
        masked = redact(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            text = logging.Formatter().formatException(record.exc_info)
            if redact(text) != text:
                record.exc_text = redact(text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


_MASK = _MaskSecrets()


def _masked_excepthook(
    exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None
) -> None:
    sys.stderr.write(redact("".join(traceback.format_exception(exc_type, exc, tb))))


def mask_secret(secret: str) -> None:
    """Never let this value reach the output: wechaty's loggers, every handler of the root
    logger (stderr, files, pytest's capture) and the traceback of an uncaught exception
    mask it from now on."""
    if secret:
        _secrets.add(secret)
    for handler in logging.getLogger().handlers:
        if _MASK not in handler.filters:
            handler.addFilter(_MASK)
    if sys.excepthook is sys.__excepthook__:
        sys.excepthook = _masked_excepthook


def _is_wechaty_logger(logger: logging.Logger) -> bool:
    if _MASK in logger.filters:
        return True
    if logger.propagate or not logger.handlers:
        return False
    return all(
        h.formatter is not None and h.formatter._fmt == _WECHATY_FORMAT for h in logger.handlers
    )


def _tame_loggers(level: int) -> None:
    """Route wechaty's self-made loggers (own handlers, propagate=False) into ours."""
    for logger in list(logging.root.manager.loggerDict.values()):
        if not isinstance(logger, logging.Logger) or not _is_wechaty_logger(logger):
            continue
        logger.handlers = []
        logger.propagate = True
        logger.setLevel(level)
        if _MASK not in logger.filters:
            logger.addFilter(_MASK)


def tame_loggers(level: int = logging.WARNING) -> None:
    """Call again after a connection: wechaty creates more loggers lazily."""
    _tame_loggers(level)


def quiet_http2() -> None:
    """hpack/h2 log every HTTP/2 header at DEBUG, the token (sent as :authority) included."""
    for name in ("hpack", "h2"):
        logger = logging.getLogger(name)
        if logger.getEffectiveLevel() < logging.INFO:
            logger.setLevel(logging.INFO)


def import_wechaty() -> ModuleType:
    """The `wechaty` module, imported once with the fixes above."""
    global _module
    with _lock:
        if _module is not None:
            return _module
        cache = os.environ.get(_CACHE_ENV) or tempfile.mkdtemp(prefix="groupops-wechaty-")
        os.environ[_CACHE_ENV] = cache
        os.makedirs(cache, exist_ok=True)

        import wechaty_puppet.schemas.puppet as puppet_schema

        puppet_schema.PuppetOptions.__hash__ = object.__hash__

        cwd = os.getcwd()
        os.chdir(cache)
        try:
            import wechaty
            import wechaty_puppet_service  # its module logger prints the token: tame it now
        finally:
            os.chdir(cwd)
        _tame_loggers(logging.WARNING)
        quiet_http2()
        assert wechaty_puppet_service.PuppetService is not None
        module: ModuleType = wechaty
        _module = module
        return module


# --- a PuppetService that connects like the Node client -----------------------------------

_puppet_class: type[Any] | None = None


def _gateway_puppet_class() -> type[Any]:
    global _puppet_class
    if _puppet_class is not None:
        return _puppet_class
    import_wechaty()
    from pyee import AsyncIOEventEmitter
    from wechaty_grpc.wechaty import PuppetStub
    from wechaty_puppet import Puppet
    from wechaty_puppet_service import PuppetService

    class GatewayPuppet(PuppetService):
        """PuppetService with our channel and start sequence, and no `Stop`.

        Its own __init__ is skipped: it reads WECHATY_PUPPET_SERVICE_* variables and logs
        both tokens when they differ."""

        def __init__(self, options: Any, connection: GatewayConnection, wait_s: float) -> None:
            Puppet.__init__(self, options, "puppet_service")
            self.channel = None
            self._puppet_stub = None
            self._event_stream = AsyncIOEventEmitter()  # type: ignore[no-untyped-call]
            self.login_user_id = None
            self._connection = connection
            self._first_event_wait_s = wait_s
            self._stream_opened = asyncio.Event()

        def _init_puppet(self) -> None:
            self.channel = self._connection.open_channel()
            stub = PuppetStub(self.channel)
            events: Callable[[], AsyncIterator[Any]] = stub.event
            opened = self._stream_opened

            async def event_stream() -> AsyncIterator[Any]:
                async for response in events():
                    opened.set()
                    yield response

            stub.event = event_stream
            self._puppet_stub = stub

        async def start(self) -> None:
            """Open the event stream, then call Start once the gateway has answered on it
            (its first event is a heartbeat) or after `wait_s` (gateways that send nothing
            first), like the Node client. Returns when the stream ends; raises its error."""
            self._init_puppet()
            listening = asyncio.ensure_future(self._listen_for_event())
            opened = asyncio.ensure_future(self._stream_opened.wait())
            try:
                await asyncio.wait(
                    {listening, opened},
                    timeout=self._first_event_wait_s,
                    return_when=asyncio.FIRST_COMPLETED,
                )
                if listening.done():
                    listening.result()
                    return
                await self.puppet_stub.start()
                await listening
            finally:
                for task in (opened, listening):
                    task.cancel()
                await asyncio.gather(opened, listening, return_exceptions=True)

        async def stop(self) -> None:
            """Close our connection only: the gateway's puppet (the account) keeps running."""
            self._event_stream.remove_all_listeners()
            self._puppet_stub = None
            channel, self.channel = self.channel, None
            if channel is not None:
                channel.close()

    _puppet_class = GatewayPuppet
    return GatewayPuppet


def gateway_puppet(connection: GatewayConnection, first_event_wait_s: float = 5.0) -> Any:
    """A python-wechaty Puppet for `Wechaty(WechatyOptions(puppet=...))`."""
    from wechaty_puppet import PuppetOptions

    cls = _gateway_puppet_class()
    options = PuppetOptions(token=connection.token, end_point=connection.endpoint)
    return cls(options, connection, first_event_wait_s)

"""Import python-wechaty safely (0.10.7 on Python 3.11). Only this module and
bot/transports/wechaty_transport.py import wechaty.

- Python 3.11 rejects the unhashable dataclass default `PuppetOptions()` inside
  `WechatyOptions`; giving PuppetOptions an identity hash before the import fixes it.
- Importing creates `./.wechaty/`: the import runs with the working directory and
  CACHE_DIR set to a private temporary directory.
- wechaty's loggers print to their own stderr handlers and some of them print the token:
  they are routed into our logging (propagate) with a filter that masks secrets.
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
from types import ModuleType

_lock = threading.Lock()
_module: ModuleType | None = None
_secrets: set[str] = set()
_CACHE_ENV = "CACHE_DIR"

# wechaty_puppet.get_logger() gives each logger its own stderr handler with this format.
_WECHATY_FORMAT = "%(asctime)s - %(name)s - %(levelname)s - %(message)s"


class _MaskSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not _secrets:
            return True
        message = record.getMessage()
        masked = message
        for secret in _secrets:
            masked = masked.replace(secret, "***")
        if masked != message:
            record.msg, record.args = masked, None
        return True


_MASK = _MaskSecrets()


def mask_secret(secret: str) -> None:
    """Never let this value reach a log line written by wechaty's loggers."""
    if secret:
        _secrets.add(secret)


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

"""Opening the database for an operator command (`groupops stats`, `payouts`, `faq ...`).

The bot itself creates and migrates its database on start; an operator command must not.
`open_database` refuses a SQLite file that does not exist (connecting would silently create
an empty one at a mistyped path) and a schema that is not at the migration heads, and
disposes the engine afterwards. Every refusal is an `OperatorDatabaseError` whose text is
meant for the operator; the CLIs print it as `groupops: <text>` and exit with status 1.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError

from storage.db import create_engine
from storage.migrate import current_revisions, head_revisions
from storage.session import SessionSource
from storage.uow import UnitOfWorkFactory
from storage.urls import normalize_db_url

UPGRADE_HINT = "run `groupops db upgrade` first, or check --db / storage.url"


class OperatorDatabaseError(Exception):
    """A database an operator command cannot use; str() is the message for the operator."""


class MissingDatabaseFile(OperatorDatabaseError):
    def __init__(self, path: Path) -> None:
        self.path = path
        super().__init__(
            f"no database file at {path} "
            "(check --db / storage.url; `groupops db upgrade` creates a new database)"
        )


class DatabaseNotCurrent(OperatorDatabaseError):
    def __init__(self, where: str, current: set[str], heads: set[str]) -> None:
        self.current, self.heads = current, heads
        if current:
            state = f"is at schema revision {_revisions(current)}"
        else:
            state = "has no schema yet (never migrated)"
        super().__init__(
            f"the database {where} {state}; this version needs {_revisions(heads)}: {UPGRADE_HINT}"
        )


class DatabaseUnusable(OperatorDatabaseError):
    """The database could not be reached or read (a bad URL, a refused connection, ...)."""


def resolve_db_url(arg: str | None, configured: str) -> str:
    """The database of an operator command: `--db` (a SQLite file path or a database URL)
    if given, otherwise the config's storage.url (pass `AppConfig.storage_url`)."""
    if not arg:
        return normalize_db_url(configured)
    if "://" in arg:
        return normalize_db_url(arg)
    return f"sqlite+aiosqlite:///{Path(arg).expanduser().resolve()}"


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL; None for other databases and in-memory SQLite."""
    try:
        parsed = make_url(normalize_db_url(url))
    except ArgumentError:
        return None
    path = parsed.database or ""
    if parsed.get_backend_name() != "sqlite" or path in ("", ":memory:"):
        return None
    if path.startswith("file:"):  # a SQLite URI filename
        path = path[len("file:") :].split("?", 1)[0]
    return Path(path)


def _revisions(revisions: Iterable[str]) -> str:
    return ", ".join(sorted(revisions))


def _safe(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


@asynccontextmanager
async def open_database(
    url: str, *, must_exist: bool = True, require_current: bool = True
) -> AsyncIterator[UnitOfWorkFactory]:
    """`async with open_database(url) as uow_factory:` for an operator command.

    must_exist: refuse a SQLite file that does not exist instead of creating it.
    require_current: refuse a schema that is not exactly at the migration heads.
    A database error inside the block becomes a DatabaseUnusable as well.
    """
    url = normalize_db_url(url)
    path = sqlite_file(url)
    if must_exist and path is not None and not path.is_file():
        raise MissingDatabaseFile(path)
    try:
        engine = create_engine(url)
    except (ArgumentError, ImportError) as exc:
        raise DatabaseUnusable(f"cannot open the database {_safe(url)}: {exc}") from exc
    sessions = SessionSource(engine)
    try:
        if require_current:
            try:
                current = await current_revisions(engine)
            except (DBAPIError, OSError) as exc:
                cause = exc.orig if isinstance(exc, DBAPIError) else exc
                raise DatabaseUnusable(
                    f"cannot read the database {_safe(url)} ({cause}); {UPGRADE_HINT}"
                ) from exc
            heads = head_revisions()
            if current != heads:
                raise DatabaseNotCurrent(_safe(url), current, heads)
        try:
            yield UnitOfWorkFactory(sessions)
        except DBAPIError as exc:
            raise DatabaseUnusable(
                f"cannot read the database {_safe(url)} ({exc.orig}); {UPGRADE_HINT}"
            ) from exc
    finally:
        sessions.dispose()
        await engine.dispose()

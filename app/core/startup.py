"""Start-up checks: why Carnet cannot run where it is pointed, in one line instead of a
traceback (`carnet serve` runs them once before its workers start; `carnet migrate` and
the other commands run the database part)."""

import os
import re
import tempfile
from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from app.core.config import Settings
from app.core.db import DatabaseNotMigrated, DatabaseTooNew, check_migrated, make_engine

URL_EXAMPLES = "postgresql+psycopg://USER@HOST:5432/DATABASE or sqlite:///PATH/carnet.db"


class StartupError(Exception):
    """Carnet cannot start; the message is the one line to show (after "carnet: ")."""


def check_all(settings: Settings) -> None:
    """Everything `carnet serve` needs before it listens: storage, database, schema."""
    check_storage(settings)
    engine = open_database(settings)
    try:
        check_schema(engine)
    finally:
        engine.dispose()


def check_storage(settings: Settings) -> None:
    """The data directory (exports are built there) and the documents folder must exist or
    be creatable, and be writable; so must a SQLite database."""
    _writable(settings.data_dir.resolve(), "the data directory", "set CARNET_DATA_DIR")
    _writable(settings.documents_dir.resolve(), "the documents folder", "")
    check_database_storage(settings)


def check_database_storage(settings: Settings) -> None:
    """A SQLite database's folder (for its journal) and file must be writable."""
    sqlite_file = _sqlite_file(settings.effective_database_url)
    if sqlite_file is None:
        return
    if sqlite_file.parent == settings.data_dir.resolve():
        _writable(sqlite_file.parent, "the data directory", "set CARNET_DATA_DIR")
    else:
        _writable(sqlite_file.parent, "the SQLite database's folder", "change CARNET_DATABASE_URL")
    if sqlite_file.exists() and not os.access(sqlite_file, os.W_OK):
        raise StartupError(
            f"the SQLite database {sqlite_file} is read-only: make it writable by the user "
            "running Carnet"
        )


def open_database(settings: Settings) -> Engine:
    """An engine on CARNET_DATABASE_URL that has answered a query."""
    url = settings.effective_database_url
    try:
        engine = make_engine(url, settings=settings)
    except NoSuchModuleError:  # before ArgumentError, its parent class
        raise StartupError(
            "CARNET_DATABASE_URL names a kind of database or a driver Carnet does not know "
            f"({_hidden(url)}); use {URL_EXAMPLES}"
        ) from None
    except ArgumentError:
        raise StartupError(
            f"CARNET_DATABASE_URL is not a database URL ({_hidden(url)!r}); "
            f"write it as {URL_EXAMPLES}"
        ) from None
    except ImportError as exc:
        raise StartupError(
            f"the database driver {exc.name or ''} for {_hidden(url)} is not installed; "
            f"use {URL_EXAMPLES}"
        ) from None
    except OSError as exc:  # a SQLite folder that cannot be created
        raise StartupError(f"cannot open the database {_hidden(url)}: {exc}") from None
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except DBAPIError as exc:
        engine.dispose()
        server = "" if engine.dialect.name == "sqlite" else " and that the database server runs"
        raise StartupError(
            f"cannot connect to the database {_hidden(url)}: {_one_line(exc.orig)}; "
            f"check CARNET_DATABASE_URL{server}"
        ) from None
    return engine


def check_schema(engine: Engine, newer_only: bool = False) -> None:
    """The database is at this code's migration head (or, for `carnet migrate`, at least
    not ahead of it)."""
    try:
        check_migrated(engine)
    except DatabaseTooNew as exc:
        raise StartupError(str(exc)) from None
    except DatabaseNotMigrated as exc:
        if not newer_only:
            raise StartupError(str(exc)) from None


def _writable(path: Path, what: str, alternative: str) -> None:
    try:
        path.mkdir(parents=True, exist_ok=True)
        handle, probe = tempfile.mkstemp(dir=path, prefix=".carnet-write-check-")
        os.close(handle)
        os.unlink(probe)
    except OSError as exc:
        reason = (exc.strerror or str(exc)).lower()
        if path.is_dir():
            problem = f"is not writable ({reason})"
        elif path.exists():
            problem = "is a file, not a folder"
        else:
            problem = f"cannot be created ({reason})"
        raise StartupError(
            f"{what} {path} {problem}: make it writable by the user running Carnet"
            f"{', or ' + alternative if alternative else ''}"
        ) from None


def _sqlite_file(url: str) -> Path | None:
    try:
        parsed = make_url(url)
    except ArgumentError:
        return None  # open_database says what is wrong with it
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database).resolve()


def _hidden(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return re.sub(r":[^:@/]*@", ":***@", url)


def _one_line(error: BaseException | None) -> str:
    return " ".join(str(error).split()) or type(error).__name__

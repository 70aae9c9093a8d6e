"""Database engine, sessions and the migration check."""

from collections.abc import Iterator
from pathlib import Path

from fastapi import Request
from sqlalchemy import Engine, create_engine, event
from sqlmodel import Session

ROOT = Path(__file__).resolve().parents[2]


def make_engine(url: str, busy_ms: int = 15000) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": busy_ms / 1000}
        )
        _tune_sqlite(engine, busy_ms)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)


def _tune_sqlite(engine: Engine, busy_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record):
        # Let SQLAlchemy own transactions, so SAVEPOINTs (used by tests) behave.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_ms)}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(conn):
        # A transaction that may write takes the write lock when it begins: writers then
        # queue within busy_timeout. A deferred one that writes after reading fails at once
        # ("database is locked") when another writer got in between. Readers stay deferred,
        # so they run alongside a writer (WAL).
        if conn.get_execution_options().get(READS_ONLY):
            conn.exec_driver_sql("BEGIN")
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE")


READS_ONLY = "carnet_reads_only"


def reader(engine: Engine) -> Engine:
    """The same engine and pool, for sessions that only read (a GET request, a test looking
    at what a server wrote): on SQLite they do not take the write lock."""
    return engine.execution_options(**{READS_ONLY: True})


def alembic_config(url: str):
    from alembic.config import Config

    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.attributes["database_url"] = url
    return cfg


def migrate(url: str) -> None:
    from alembic import command

    command.upgrade(alembic_config(url), "head")


class DatabaseNotMigrated(RuntimeError):
    pass


def check_migrated(engine: Engine) -> None:
    """Refuse to run on a database that is behind the code's schema."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config(str(engine.url)))
    heads = set(script.get_heads())
    with engine.connect() as conn:
        current = set(MigrationContext.configure(conn).get_current_heads())
    if current != heads:
        raise DatabaseNotMigrated(
            "The database is not migrated to this version of Carnet "
            f"(database at {sorted(current) or 'nothing'}, code at {sorted(heads)}). "
            "Run `carnet migrate` first."
        )


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_session(request: Request) -> Iterator[Session]:
    factory = request.app.state.session_factory
    with factory(writes=request.method not in SAFE_METHODS) as session:
        yield session

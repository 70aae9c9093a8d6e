"""Database engine, sessions and the migration check."""

from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

from fastapi import Request
from sqlalchemy import Engine, create_engine, event, make_url
from sqlmodel import Session

from app.core.config import Settings, get_settings

ROOT = Path(__file__).resolve().parents[2]


def make_engine(url: str, busy_ms: int = 15000, settings: Settings | None = None) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": busy_ms / 1000}
        )
        _tune_sqlite(engine, busy_ms)
        return engine
    return _server_engine(url, settings or get_settings())


PG_DRIVERS = ("psycopg", "psycopg2")


def _server_engine(url: str, settings: Settings) -> Engine:
    """A bounded pool per process: README gives the sum to keep under max_connections."""
    parsed = make_url(url)
    connect_args = {}
    if parsed.get_backend_name() == "postgresql" and parsed.get_driver_name() in PG_DRIVERS:
        # Named, so pg_stat_activity tells Carnet's connections apart; bounded, so an
        # unreachable host fails in seconds rather than hanging a request or the start-up.
        wanted = {"application_name": "carnet", "connect_timeout": 10}
        connect_args = {k: v for k, v in wanted.items() if k not in parsed.query}
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=10,
        connect_args=connect_args,
    )


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
    at what a server wrote): on SQLite they do not take the write lock. On PostgreSQL they
    run without BEGIN and ROLLBACK: under READ COMMITTED each statement reads its own
    snapshot anyway, and the two round trips were a fifth of a record page's time."""
    if engine.dialect.name == "postgresql":
        return engine.execution_options(**{READS_ONLY: True}, isolation_level="AUTOCOMMIT")
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


class DatabaseTooNew(DatabaseNotMigrated):
    """The database carries a migration this code does not know: a newer Carnet wrote it."""


@lru_cache
def code_revisions() -> tuple[frozenset[str], frozenset[str]]:
    """(heads, every revision) of this code's migrations; read once, they ship with it."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config(""))
    known = frozenset(r.revision for r in script.walk_revisions())
    return frozenset(script.get_heads()), known


def check_migrated(engine: Engine) -> None:
    """Refuse to run on a database that is behind, or ahead of, the code's schema."""
    from alembic.runtime.migration import MigrationContext

    heads, known = code_revisions()
    with engine.connect() as conn:
        current = set(MigrationContext.configure(conn).get_current_heads())
    if current - known:
        raise DatabaseTooNew(
            "this database was written by a newer Carnet "
            f"(revision {', '.join(sorted(current - known))}); "
            "upgrade Carnet or restore a matching backup"
        )
    if current != heads:
        raise DatabaseNotMigrated(
            "the database is not migrated to this version of Carnet "
            f"(database at {', '.join(sorted(current)) or 'nothing'}, "
            f"code at {', '.join(sorted(heads))}); run `carnet migrate`"
        )


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_session(request: Request) -> Iterator[Session]:
    factory = request.app.state.session_factory
    with factory(writes=request.method not in SAFE_METHODS) as session:
        yield session


# Search indexes the engines keep themselves (migrations 0010, 0012, 0017), outside the models: FTS5
# table and its shadow tables on SQLite, a GIN expression index on PostgreSQL. On SQLite the
# index lives on triggers of `contact`: a later migration that rebuilds that table in batch
# mode drops them, and must create them again (the lookup tests would catch it).
ENGINE_SEARCH_INDEXES = (
    "contact_words",
    "ix_contact_words",
    "contact_trigrams",
    "ix_contact_search_trgm",
)


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """For schema comparison: everything but the engine-kept search indexes."""
    return not (name or "").startswith(ENGINE_SEARCH_INDEXES)

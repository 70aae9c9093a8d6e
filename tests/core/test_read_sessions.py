"""Sessions that only read (GET pages): on PostgreSQL, no BEGIN/ROLLBACK round trips; a
writer taking the same pooled connection afterwards is in a transaction again."""

from sqlalchemy import text
from sqlmodel import Session

from app.core.config import Settings
from app.core.db import make_engine, reader

TEMP_TABLES = {
    "sqlite": "SELECT count(*) FROM sqlite_temp_master WHERE name = 'probe'",
    "postgresql": "SELECT count(*) FROM pg_class WHERE relname = 'probe' AND relpersistence = 't'",
}


def _in_transaction(session: Session) -> bool:
    session.exec(text("SELECT 1"))
    return session.connection().in_transaction() and not _autocommit(session)


def _autocommit(session: Session) -> bool:
    return bool(getattr(session.connection().connection.driver_connection, "autocommit", False))


def test_a_reading_session_opens_no_transaction_on_postgresql_and_a_writer_still_does(
    database_url, tmp_path
):
    # One pooled connection, so the writer gets the very connection the reader used.
    settings = Settings(data_dir=tmp_path, db_pool_size=1, db_max_overflow=0)
    engine = make_engine(database_url, settings=settings)
    try:
        postgres = engine.dialect.name == "postgresql"
        with Session(reader(engine)) as session:
            session.exec(text("SELECT 1"))
            assert _autocommit(session) is postgres
        with Session(engine) as session:
            assert _in_transaction(session)
            session.exec(text("CREATE TEMPORARY TABLE probe (n integer)"))
            session.exec(text("INSERT INTO probe VALUES (1)"))
            session.rollback()  # a writer's work is still undone as one
            assert session.exec(text(TEMP_TABLES[engine.dialect.name])).one()[0] == 0
    finally:
        engine.dispose()

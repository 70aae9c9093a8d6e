"""Alembic environment: batch mode on SQLite so ALTERs work there too."""

from alembic import context
from sqlmodel import SQLModel

import app.models  # noqa: F401  (registers every table on the metadata)
from app.core.config import get_settings
from app.core.db import include_object, make_engine

config = context.config
target_metadata = SQLModel.metadata


def database_url() -> str:
    return config.attributes.get("database_url") or get_settings().effective_database_url


def run_migrations_offline() -> None:
    url = database_url()
    context.configure(
        url=url,
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=url.startswith("sqlite"),
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(database_url())
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


def _run(connection) -> None:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite and not connection.in_transaction():
        # Batch mode rebuilds a table (copy, drop, rename); with foreign keys enforced, the
        # drop of a referenced table fails once it holds rows. SQLite honours this pragma
        # only outside a transaction, so it goes straight to the driver; the check after
        # the migrations makes sure no reference was broken.
        connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=sqlite,
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()
    if sqlite and not connection.in_transaction():
        broken = connection.connection.driver_connection.execute(
            "PRAGMA foreign_key_check"
        ).fetchall()
        connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")
        if broken:
            raise RuntimeError(f"Migration broke foreign keys: {broken[:5]}")


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()

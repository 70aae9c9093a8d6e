"""Shared schema pieces: the constraint naming convention and time helpers."""

from datetime import UTC, datetime

from sqlmodel import SQLModel

# Named constraints let Alembic, SQLite batch mode and PostgreSQL agree on names.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """Every stored time is an aware UTC datetime."""
    return datetime.now(UTC)


# The largest id both SQLite and PostgreSQL (bigint) can hold; larger ones are a 4xx, not a crash.
MAX_ID = 2**63 - 1

"""contacts found by letters anywhere, through a trigram index on PostgreSQL too

With it, PostgreSQL's planner finds the few contacts holding what was typed (an email, a
phone number, a rare name) through the index instead of walking every live contact.
pg_trgm is a trusted extension (PostgreSQL 13 and later): the database's owner may create
it. Where the installation still refuses it, the index is left out and the list walks the
live contacts as before; nothing else depends on it.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05 11:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    try:
        with bind.begin_nested():
            bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    except sa.exc.DBAPIError:
        return
    bind.execute(
        sa.text(
            "CREATE INDEX IF NOT EXISTS ix_contact_search_trgm ON contact "
            "USING gin (search_text gin_trgm_ops) WHERE archived_at IS NULL"
        )
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_contact_search_trgm")

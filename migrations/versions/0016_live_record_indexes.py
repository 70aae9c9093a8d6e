"""partial indexes over live (not archived) contacts and organizations: the lists walk
them in name order and stop at a page, and an organization's people are found by its id,
on SQLite and PostgreSQL alike (an index led by archived_at made PostgreSQL sort every live
contact, and SQLite walk them all to find one organization's people)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05 11:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIVE = sa.text("archived_at IS NULL")
INDEXES = [
    ("ix_contact_live_sort", "contact", ["sort_key", "id"]),
    ("ix_contact_org_live", "contact", ["organization_id", "sort_key", "id"]),
    ("ix_organization_live_sort", "organization", ["sort_key", "id"]),
]


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, sqlite_where=LIVE, postgresql_where=LIVE)


def downgrade() -> None:
    for name, table, _columns in INDEXES:
        op.drop_index(name, table_name=table)

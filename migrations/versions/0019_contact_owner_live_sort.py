"""a seller's live contacts in name order, and a seller's open follow-ups in due order:
quick entry walks the first and reads the soonest of the second, and stops at the first few
that match, however many contacts and follow-ups the team has

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-05 13:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIVE = sa.text("archived_at IS NULL")
OPEN = sa.text("done_at IS NULL")


def upgrade() -> None:
    op.create_index(
        "ix_contact_owner_live",
        "contact",
        ["owner_id", "sort_key", "id"],
        sqlite_where=LIVE,
        postgresql_where=LIVE,
    )
    op.create_index(
        "ix_follow_up_owner_open",
        "follow_up",
        ["owner_id", "due_on", "id"],
        sqlite_where=OPEN,
        postgresql_where=OPEN,
    )


def downgrade() -> None:
    op.drop_index("ix_follow_up_owner_open", table_name="follow_up")
    op.drop_index("ix_contact_owner_live", table_name="contact")

"""a seller's won deals by day and deals by creation day, each read from an index of that
seller's own rows: my reports cost the seller's window, not the team's

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06 01:50:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The cycle length of my deals won in the period (the revenue itself is in the tally).
    op.create_index("ix_deal_owner_won", "deal", ["owner_id", "status", "won_on", "created_at"])
    # How far my deals opened in the period went.
    op.create_index(
        "ix_deal_owner_created", "deal", ["owner_id", "created_at", "furthest_position"]
    )


def downgrade() -> None:
    op.drop_index("ix_deal_owner_created", table_name="deal")
    op.drop_index("ix_deal_owner_won", table_name="deal")

"""mail sending: the admin's team templates, and why a sent mail did not leave

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-06 03:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TEXT = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.add_column(
        "mail_message",
        sa.Column("error", TEXT(length=500), nullable=False, server_default=""),
    )
    op.create_table(
        "mail_template",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", TEXT(length=100), nullable=False),
        sa.Column("language", TEXT(length=8), nullable=False),
        sa.Column("subject", TEXT(length=500), nullable=False),
        sa.Column("body", TEXT(length=10000), nullable=False),
        sa.Column("updated_by", sa.Integer(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["updated_by"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name", "language"),
    )


def downgrade() -> None:
    op.drop_table("mail_template")
    with op.batch_alter_table("mail_message") as batch:
        batch.drop_column("error")

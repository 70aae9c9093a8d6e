"""mail capture: each seller's secret capture address and default visibility, the captured
or sent messages, and the email activities that file them

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06 02:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TEXT = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    # Plain added columns (no batch copy): the user and activity tables stay in place.
    op.add_column("user", sa.Column("capture_key", TEXT(length=32), nullable=True))
    op.add_column(
        "user",
        sa.Column("capture_private", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_index("ix_user_capture_key", "user", ["capture_key"], unique=True)
    op.add_column("activity", sa.Column("mail_message_id", sa.Integer(), nullable=True))
    op.create_index("ix_activity_mail_message_id", "activity", ["mail_message_id"])
    op.create_table(
        "mail_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("message_id", TEXT(length=300), nullable=False),
        sa.Column("thread_id", TEXT(length=300), nullable=False),
        sa.Column("direction", TEXT(length=4), nullable=False),
        sa.Column("subject", TEXT(length=500), nullable=False),
        sa.Column("sent_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("sender_email", TEXT(length=254), nullable=False),
        sa.Column("sender_name", TEXT(length=200), nullable=False),
        sa.Column("addresses", TEXT(length=4000), nullable=False),
        sa.Column("text", TEXT(length=100000), nullable=False),
        sa.Column("quoted", TEXT(length=100000), nullable=False),
        sa.Column("files", TEXT(length=20000), nullable=False),
        sa.Column("visibility", TEXT(length=8), nullable=False),
        sa.Column("status", TEXT(length=8), nullable=False),
        sa.Column("received_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("message_id"),
    )
    op.create_index("ix_mail_message_thread_id", "mail_message", ["thread_id"])
    # A captured mail finds its customers by address (stored lower case).
    op.create_index("ix_contact_email", "contact", ["email"])
    op.create_index(
        "ix_mail_message_owner_status", "mail_message", ["owner_id", "status", "received_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_contact_email", table_name="contact")
    op.drop_table("mail_message")
    op.drop_index("ix_activity_mail_message_id", table_name="activity")
    with op.batch_alter_table("activity") as batch:
        batch.drop_column("mail_message_id")
    op.drop_index("ix_user_capture_key", table_name="user")
    with op.batch_alter_table("user") as batch:
        batch.drop_column("capture_private")
        batch.drop_column("capture_key")

"""login failures remember the client they came from, so throttling slows an attacker's client
and not the account's owner on another one

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 08:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("login_failure") as batch:
        batch.add_column(
            sa.Column(
                "client",
                sqlmodel.sql.sqltypes.AutoString(length=64),
                nullable=False,
                server_default="",
            )
        )
        batch.create_index("ix_login_failure_client_at", ["client", "at"])
        batch.create_index("ix_login_failure_email_client_at", ["email", "client", "at"])


def downgrade() -> None:
    with op.batch_alter_table("login_failure") as batch:
        batch.drop_index("ix_login_failure_email_client_at")
        batch.drop_index("ix_login_failure_client_at")
        batch.drop_column("client")

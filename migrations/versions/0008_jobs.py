"""jobs claimed once by any process; import files kept in the database

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 22:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "job",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("ref_id", sa.Integer(), nullable=True),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
        sa.Column("payload", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("run_after", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("claimed_by", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("lease_until", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("progress_done", sa.Integer(), nullable=False),
        sa.Column("progress_total", sa.Integer(), nullable=False),
        sa.Column("cancel_requested", sa.Boolean(), nullable=False),
        sa.Column("error", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("finished_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job")),
        sa.UniqueConstraint("key", name=op.f("uq_job_key")),
    )
    with op.batch_alter_table("job", schema=None) as batch_op:
        batch_op.create_index("ix_job_due", ["status", "run_after"], unique=False)
        batch_op.create_index("ix_job_kind_ref", ["kind", "ref_id"], unique=False)
    op.create_table(
        "import_file",
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["import_id"], ["import_job.id"], name=op.f("fk_import_file_import_id_import_job")
        ),
        sa.PrimaryKeyConstraint("import_id", name=op.f("pk_import_file")),
    )
    # Deliveries waiting when the upgrade runs keep going, now as jobs.
    op.execute(
        "INSERT INTO job (kind, ref_id, payload, status, attempts, max_attempts, run_after, "
        "claimed_by, progress_done, progress_total, cancel_requested, error, created_at) "
        "SELECT 'webhook', id, '{}', 'queued', attempts, 8, next_attempt_at, '', 0, 0, "
        "false, '', created_at FROM webhook_delivery WHERE status = 'pending'"
    )
    # An import that was running under the previous version died with it (one transaction:
    # nothing of it was written). Its file stayed on one host's disk: upload it again.
    op.execute("UPDATE import_job SET status = 'interrupted' WHERE status IN ('running', 'queued')")


def downgrade() -> None:
    op.drop_table("import_file")
    with op.batch_alter_table("job", schema=None) as batch_op:
        batch_op.drop_index("ix_job_kind_ref")
        batch_op.drop_index("ix_job_due")
    op.drop_table("job")

"""repair databases migrated before 0001-0004 were edited: columns, tables, indexes, owners

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24 09:00:00.000000

Migrations 0001-0004 were edited after they had landed, so a database migrated at an earlier
commit kept the older shape while reporting the same revision. This revision reads the live
schema and brings each known difference to what 0001-0006 build today; on a database they
built it changes nothing. Definitions are written out here rather than read from the models:
the models will change, this revision must not.
"""

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AutoString = sqlmodel.sql.sqltypes.AutoString
UTCDateTime = sqlmodel.sql.sqltypes.UTCDateTime

# Every index an edit added or changed, as 0001-0004 build it now.
INDEXES = {
    "contact": {
        "ix_contact_archived_sort": ["archived_at", "sort_key", "id", "search_text"],
        "ix_contact_owner_id": ["owner_id"],
    },
    "organization": {
        "ix_organization_archived_sort": ["archived_at", "sort_key", "id", "search_text"],
        "ix_organization_owner_id": ["owner_id"],
    },
    "deal": {
        "ix_deal_owner_stage_entered": ["owner_id", "stage_id", "stage_entered_at"],
        "ix_deal_status_stage_owner": [
            "status",
            "stage_id",
            "owner_id",
            "currency",
            "amount_minor",
        ],
        "ix_deal_status_won": [
            "status",
            "won_on",
            "owner_id",
            "currency",
            "won_amount_minor",
            "organization_id",
        ],
    },
    "activity": {"ix_activity_author_week": ["author_id", "occurred_week", "kind"]},
    "survey_response": {
        "ix_survey_response_kind_month": ["kind", "answered_month", "seller_id", "score"],
    },
}
# 0003 first indexed answers by time; an edit replaced it with ix_survey_response_kind_month.
OBSOLETE_INDEXES = {"survey_response": ["ix_survey_response_kind_answered"]}


def upgrade() -> None:
    # 0004 as first landed had no customer owners and (before that) no digest preferences.
    owners_added = {
        table
        for table in ("contact", "organization")
        if _add_column(
            table,
            sa.Column("owner_id", sa.Integer(), nullable=True),
            foreign_key=(f"fk_{table}_owner_id_user", "user"),
        )
    }
    _add_column(
        "user",
        sa.Column("digest_enabled", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    _add_column("user", sa.Column("last_digest_on", sa.Date(), nullable=True))
    # 0003 as first landed had no week on activities and no month on answers.
    if _add_column("activity", sa.Column("occurred_week", sa.Date(), nullable=True)):
        _backfill("activity", "occurred_at", sa.column("occurred_week", sa.Date()), _week_of)
    answered_month = sa.Column("answered_month", AutoString(length=7), nullable=True)
    if _add_column("survey_response", answered_month):
        _backfill("survey_response", "answered_at", sa.column("answered_month"), _month_of)
        with op.batch_alter_table("survey_response", schema=None) as batch_op:
            batch_op.alter_column(
                "answered_month", existing_type=AutoString(length=7), nullable=False
            )
    _create_survey_tally()
    _repair_indexes()
    _fill_empty_owners(owners_added)


def downgrade() -> None:
    # Nothing to undo: this revision only gives an older database the schema that 0006 (as it
    # is now) describes, so the database at 0006 after a downgrade is the right one. Taking a
    # repaired database back to its drifted shape would only reintroduce the failures.
    pass


def _add_column(table: str, column: sa.Column, foreign_key: tuple[str, str] | None = None) -> bool:
    """Adds a column the table lacks (with its foreign key); says whether it did."""
    if column.name in {c["name"] for c in sa.inspect(op.get_bind()).get_columns(table)}:
        return False
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.add_column(column)
        if foreign_key:
            name, referred = foreign_key
            batch_op.create_foreign_key(name, referred, [column.name], ["id"])
    return True


def _backfill(table: str, source: str, target: sa.ColumnClause, value: Callable) -> None:
    """Fills a new column from a moment of the same row, in batches, as the app computes it."""
    conn = op.get_bind()
    rows_of = sa.table(table, sa.column("id", sa.Integer), sa.column(source, UTCDateTime()), target)
    update = (
        rows_of.update()
        .where(rows_of.c.id == sa.bindparam("row_id"))
        .values({target.name: sa.bindparam("value")})
    )
    last = 0
    while True:
        rows = conn.execute(
            sa.select(rows_of.c.id, rows_of.c[source])
            .where(rows_of.c.id > last)
            .order_by(rows_of.c.id)
            .limit(5000)
        ).all()
        if not rows:
            break
        conn.execute(update, [{"row_id": row_id, "value": value(at)} for row_id, at in rows])
        last = rows[-1][0]


def _week_of(moment: datetime) -> date:
    """The Monday of the UTC week a moment falls in (app.core.clock.week_of, frozen)."""
    day = moment.astimezone(UTC).date() if moment.tzinfo else moment.date()
    return day - timedelta(days=day.weekday())


def _month_of(moment: datetime) -> str:
    """'2026-11' for a moment, in UTC (app.core.clock.month_of, frozen)."""
    return (moment.astimezone(UTC) if moment.tzinfo else moment).strftime("%Y-%m")


def _create_survey_tally() -> None:
    """0003 as first landed had no tally: create it and count the answers already given,
    as app.satisfaction.service.tally would have."""
    conn = op.get_bind()
    if sa.inspect(conn).has_table("survey_tally"):
        return
    tally_table = op.create_table(
        "survey_tally",
        sa.Column("kind", AutoString(length=8), nullable=False),
        sa.Column("month", AutoString(length=7), nullable=False),
        sa.Column("seller_id", sa.Integer(), nullable=False),
        sa.Column("band", AutoString(length=16), nullable=False),
        sa.Column("answers", sa.Integer(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["seller_id"], ["user.id"], name="fk_survey_tally_seller_id_user"),
        sa.PrimaryKeyConstraint("kind", "month", "seller_id", "band", name="pk_survey_tally"),
    )
    counts = conn.execute(
        sa.text(
            "SELECT kind, answered_month, seller_id, score, COUNT(*) FROM survey_response "
            "GROUP BY kind, answered_month, seller_id, score"
        )
    ).all()
    tally: dict[tuple, list[int]] = {}
    for kind, month, seller_id, score, answers in counts:
        row = tally.setdefault((kind, month, seller_id, _band(kind, score)), [0, 0])
        row[0] += answers
        row[1] += answers * _points(kind, score)
    keys = ("kind", "month", "seller_id", "band")
    rows = [
        {**dict(zip(keys, key, strict=True)), "answers": a, "points": p}
        for key, (a, p) in tally.items()
    ]
    if rows:
        op.bulk_insert(tally_table, rows)


def _band(kind: str, score: int) -> str:
    if kind == "csat":
        return str(score)
    return "promoters" if score >= 9 else "passives" if score >= 7 else "detractors"


def _points(kind: str, score: int) -> int:
    if kind == "csat":
        return score
    return 1 if score >= 9 else -1 if score <= 6 else 0


def _repair_indexes() -> None:
    """Creates missing indexes, rebuilds those whose columns differ, drops obsolete ones."""
    for table, wanted in INDEXES.items():
        present = {
            index["name"]: index["column_names"]
            for index in sa.inspect(op.get_bind()).get_indexes(table)
        }
        stale = [name for name in OBSOLETE_INDEXES.get(table, []) if name in present]
        wrong = {name: columns for name, columns in wanted.items() if present.get(name) != columns}
        if not stale and not wrong:
            continue
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name in stale + [name for name in wrong if name in present]:
                batch_op.drop_index(name)
            for name, columns in wrong.items():
                batch_op.create_index(name, columns, unique=False)


def _fill_empty_owners(owners_added: set[str]) -> None:
    """Customers created before the audit trail existed (0002) have no 'created' entry, so
    0004's backfill left them without owner: their owner is whoever worked on them first.
    Where the column is new here, 0004's rule (the creator) comes first. A customer with a
    'created' entry and no owner was created by a non-seller on purpose and stays so."""
    for table in ("contact", "organization"):
        created = (
            f"FROM audit_entry WHERE audit_entry.record_type = '{table}' "
            f"AND audit_entry.record_id = {table}.id AND audit_entry.field = 'created'"
        )
        guesses = [f"(SELECT MIN(actor_id) {created})"]
        if table == "organization":
            guesses.append(
                "(SELECT owner_id FROM contact WHERE contact.organization_id = organization.id "
                "AND contact.owner_id IS NOT NULL ORDER BY contact.created_at, contact.id LIMIT 1)"
            )
        guesses.append(
            f"(SELECT author_id FROM activity WHERE activity.{table}_id = {table}.id "
            "ORDER BY activity.occurred_at, activity.id LIMIT 1)"
        )
        only = "" if table in owners_added else f" AND NOT EXISTS (SELECT 1 {created})"
        op.execute(
            f"UPDATE {table} SET owner_id = COALESCE({', '.join(guesses)}) "
            f"WHERE owner_id IS NULL{only}"
        )

"""won revenue kept summed by month, seller, currency and organization tags, by triggers on
deal and organization writes: the team's revenue reads a few hundred tally rows, not every
won deal of the year, however many deals the team has won

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-05 19:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The columns of a deal that decide where its revenue counts.
COUNTED = "status, won_on, won_amount_minor, owner_id, currency, organization_id"
UPSERT = (
    "ON CONFLICT (month, seller_id, currency, tags) DO UPDATE SET "
    "amount_minor = revenue_tally.amount_minor + excluded.amount_minor, "
    "deals = revenue_tally.deals + excluded.deals"
)


def _sqlite_add(row: str, sign: str) -> str:
    """SQLite: count (sign +) or uncount (sign -) the deal `row` (NEW or OLD)."""
    return (
        "INSERT INTO revenue_tally (month, seller_id, currency, tags, amount_minor, deals) "
        f"SELECT strftime('%Y-%m', {row}.won_on), {row}.owner_id, {row}.currency, "
        f"coalesce((SELECT tags FROM organization WHERE id = {row}.organization_id), ''), "
        f"{sign}coalesce({row}.won_amount_minor, 0), {sign}1 WHERE true {UPSERT};"
    )


def _sqlite_retag(tags: str, sign: str) -> str:
    return (
        "INSERT INTO revenue_tally (month, seller_id, currency, tags, amount_minor, deals) "
        f"SELECT strftime('%Y-%m', won_on), owner_id, currency, {tags}, "
        f"{sign}sum(coalesce(won_amount_minor, 0)), {sign}count(*) FROM deal "
        "WHERE organization_id = NEW.id AND status = 'won' AND won_on IS NOT NULL "
        f"GROUP BY 1, 2, 3 {UPSERT};"
    )


WON = "{row}.status = 'won' AND {row}.won_on IS NOT NULL"

SQLITE = [
    f"CREATE TRIGGER revenue_deal_insert AFTER INSERT ON deal WHEN {WON.format(row='NEW')} "
    f"BEGIN {_sqlite_add('NEW', '')} END",
    f"CREATE TRIGGER revenue_deal_delete AFTER DELETE ON deal WHEN {WON.format(row='OLD')} "
    f"BEGIN {_sqlite_add('OLD', '-')} END",
    # Two triggers for an update: each runs only when its side was won.
    f"CREATE TRIGGER revenue_deal_update_old AFTER UPDATE OF {COUNTED} ON deal "
    f"WHEN {WON.format(row='OLD')} BEGIN {_sqlite_add('OLD', '-')} END",
    f"CREATE TRIGGER revenue_deal_update_new AFTER UPDATE OF {COUNTED} ON deal "
    f"WHEN {WON.format(row='NEW')} BEGIN {_sqlite_add('NEW', '')} END",
    "CREATE TRIGGER revenue_organization_tags AFTER UPDATE OF tags ON organization "
    "WHEN OLD.tags IS NOT NEW.tags "
    f"BEGIN {_sqlite_retag('OLD.tags', '-')} {_sqlite_retag('NEW.tags', '')} END",
]

POSTGRESQL = [
    f"""CREATE FUNCTION revenue_tally_add(m text, s integer, c text, t text, a bigint, n integer)
    RETURNS void LANGUAGE sql AS $$
      INSERT INTO revenue_tally (month, seller_id, currency, tags, amount_minor, deals)
      VALUES (m, s, c, t, a, n) {UPSERT}
    $$""",
    """CREATE FUNCTION revenue_deal_tally() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.status = 'won' AND OLD.won_on IS NOT NULL THEN
        PERFORM revenue_tally_add(to_char(OLD.won_on, 'YYYY-MM'), OLD.owner_id, OLD.currency,
          coalesce((SELECT tags FROM organization WHERE id = OLD.organization_id), ''),
          -coalesce(OLD.won_amount_minor, 0), -1);
      END IF;
      IF TG_OP IN ('UPDATE', 'INSERT') AND NEW.status = 'won' AND NEW.won_on IS NOT NULL THEN
        PERFORM revenue_tally_add(to_char(NEW.won_on, 'YYYY-MM'), NEW.owner_id, NEW.currency,
          coalesce((SELECT tags FROM organization WHERE id = NEW.organization_id), ''),
          coalesce(NEW.won_amount_minor, 0), 1);
      END IF;
      RETURN NULL;
    END $$""",
    f"CREATE TRIGGER revenue_deal_tally AFTER INSERT OR DELETE OR UPDATE OF {COUNTED} "
    "ON deal FOR EACH ROW EXECUTE FUNCTION revenue_deal_tally()",
    f"""CREATE FUNCTION revenue_organization_tags() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO revenue_tally (month, seller_id, currency, tags, amount_minor, deals)
      SELECT to_char(won_on, 'YYYY-MM'), owner_id, currency, t.tags, t.sign * sum(
        coalesce(won_amount_minor, 0)), t.sign * count(*)
      FROM deal, (VALUES (OLD.tags, -1), (NEW.tags, 1)) AS t (tags, sign)
      WHERE organization_id = NEW.id AND status = 'won' AND won_on IS NOT NULL
      GROUP BY 1, 2, 3, 4, t.sign {UPSERT};
      RETURN NULL;
    END $$""",
    "CREATE TRIGGER revenue_organization_tags AFTER UPDATE OF tags ON organization "
    "FOR EACH ROW WHEN (OLD.tags IS DISTINCT FROM NEW.tags) "
    "EXECUTE FUNCTION revenue_organization_tags()",
]


def _month(column: str) -> str:
    if op.get_bind().dialect.name == "sqlite":
        return f"strftime('%Y-%m', {column})"
    return f"to_char({column}, 'YYYY-MM')"


def upgrade() -> None:
    op.create_table(
        "revenue_tally",
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("seller_id", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("tags", sa.String(length=500), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("deals", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("month", "seller_id", "currency", "tags", name="pk_revenue_tally"),
    )
    # What was won before, counted once; the triggers keep it from here on.
    op.execute(
        "INSERT INTO revenue_tally (month, seller_id, currency, tags, amount_minor, deals) "
        f"SELECT {_month('deal.won_on')}, deal.owner_id, deal.currency, "
        "coalesce(organization.tags, ''), sum(coalesce(deal.won_amount_minor, 0)), count(*) "
        "FROM deal LEFT JOIN organization ON organization.id = deal.organization_id "
        "WHERE deal.status = 'won' AND deal.won_on IS NOT NULL GROUP BY 1, 2, 3, 4"
    )
    for statement in SQLITE if op.get_bind().dialect.name == "sqlite" else POSTGRESQL:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in (
            "revenue_deal_insert",
            "revenue_deal_delete",
            "revenue_deal_update_old",
            "revenue_deal_update_new",
            "revenue_organization_tags",
        ):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    else:
        op.execute("DROP TRIGGER IF EXISTS revenue_organization_tags ON organization")
        op.execute("DROP TRIGGER IF EXISTS revenue_deal_tally ON deal")
        op.execute("DROP FUNCTION IF EXISTS revenue_organization_tags()")
        op.execute("DROP FUNCTION IF EXISTS revenue_deal_tally()")
        op.execute(
            "DROP FUNCTION IF EXISTS revenue_tally_add(text, integer, text, text, bigint, integer)"
        )
    op.drop_table("revenue_tally")

"""running totals kept by triggers on every deal and organization write, whichever code
writes: won revenue by month, seller, currency and organization tags (the team's revenue
tables), and deals and amounts by stage, seller and currency (the board's column totals).
Pages read a few hundred tally rows instead of every deal the team has

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


def _upsert(table: str, key: str, sums: tuple[str, ...]) -> str:
    added = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in sums)
    return f"ON CONFLICT ({key}) DO UPDATE SET {added}"


REVENUE_KEY = "month, seller_id, currency, tags"
REVENUE_UPSERT = _upsert("revenue_tally", REVENUE_KEY, ("amount_minor", "deals"))
STAGE_KEY = "stage_id, seller_id, currency"
STAGE_UPSERT = _upsert("stage_tally", STAGE_KEY, ("deals", "amount_minor"))
# The columns of a deal that decide where it counts.
WON_BY = "status, won_on, won_amount_minor, owner_id, currency, organization_id"
STAGED_BY = "stage_id, owner_id, currency, amount_minor"
WON = "{row}.status = 'won' AND {row}.won_on IS NOT NULL"
TAGS_OF = "coalesce((SELECT tags FROM organization WHERE id = {row}.organization_id), '')"


# ---- SQLite: a trigger per change; one writer at a time, so no order to keep -------------


def _sqlite_revenue(row: str, sign: str) -> str:
    return (
        f"INSERT INTO revenue_tally ({REVENUE_KEY}, amount_minor, deals) "
        f"SELECT strftime('%Y-%m', {row}.won_on), {row}.owner_id, {row}.currency, "
        f"{TAGS_OF.format(row=row)}, {sign}coalesce({row}.won_amount_minor, 0), {sign}1 "
        f"WHERE true {REVENUE_UPSERT};"
    )


def _sqlite_retag(tags: str, sign: str) -> str:
    return (
        f"INSERT INTO revenue_tally ({REVENUE_KEY}, amount_minor, deals) "
        f"SELECT strftime('%Y-%m', won_on), owner_id, currency, {tags}, "
        f"{sign}sum(coalesce(won_amount_minor, 0)), {sign}count(*) FROM deal "
        "WHERE organization_id = NEW.id AND status = 'won' AND won_on IS NOT NULL "
        f"GROUP BY 1, 2, 3 {REVENUE_UPSERT};"
    )


def _sqlite_stage(row: str, sign: str) -> str:
    return (
        f"INSERT INTO stage_tally ({STAGE_KEY}, deals, amount_minor) "
        f"SELECT {row}.stage_id, {row}.owner_id, {row}.currency, {sign}1, "
        f"{sign}coalesce({row}.amount_minor, 0) WHERE true {STAGE_UPSERT};"
    )


SQLITE = [
    f"CREATE TRIGGER revenue_deal_insert AFTER INSERT ON deal WHEN {WON.format(row='NEW')} "
    f"BEGIN {_sqlite_revenue('NEW', '')} END",
    f"CREATE TRIGGER revenue_deal_delete AFTER DELETE ON deal WHEN {WON.format(row='OLD')} "
    f"BEGIN {_sqlite_revenue('OLD', '-')} END",
    # An update takes the old row out and puts the new one in, each when it counts.
    f"CREATE TRIGGER revenue_deal_update_old AFTER UPDATE OF {WON_BY} ON deal "
    f"WHEN {WON.format(row='OLD')} BEGIN {_sqlite_revenue('OLD', '-')} END",
    f"CREATE TRIGGER revenue_deal_update_new AFTER UPDATE OF {WON_BY} ON deal "
    f"WHEN {WON.format(row='NEW')} BEGIN {_sqlite_revenue('NEW', '')} END",
    "CREATE TRIGGER revenue_organization_tags AFTER UPDATE OF tags ON organization "
    "WHEN OLD.tags IS NOT NEW.tags "
    f"BEGIN {_sqlite_retag('OLD.tags', '-')} {_sqlite_retag('NEW.tags', '')} END",
    f"CREATE TRIGGER stage_deal_insert AFTER INSERT ON deal BEGIN {_sqlite_stage('NEW', '')} END",
    f"CREATE TRIGGER stage_deal_delete AFTER DELETE ON deal BEGIN {_sqlite_stage('OLD', '-')} END",
    f"CREATE TRIGGER stage_deal_update AFTER UPDATE OF {STAGED_BY} ON deal "
    f"BEGIN {_sqlite_stage('OLD', '-')} {_sqlite_stage('NEW', '')} END",
]

# ---- PostgreSQL: one function per table; a move touches two tally rows, always in key
# order, so two writers moving deals in opposite directions never wait for each other.

POSTGRESQL = [
    f"""CREATE FUNCTION revenue_tally_add(m text, s integer, c text, t text, a bigint, n integer)
    RETURNS void LANGUAGE sql AS $$
      INSERT INTO revenue_tally ({REVENUE_KEY}, amount_minor, deals)
      VALUES (m, s, c, t, a, n) {REVENUE_UPSERT}
    $$""",
    f"""CREATE FUNCTION stage_tally_add(st integer, s integer, c text, n integer, a bigint)
    RETURNS void LANGUAGE sql AS $$
      INSERT INTO stage_tally ({STAGE_KEY}, deals, amount_minor)
      VALUES (st, s, c, n, a) {STAGE_UPSERT}
    $$""",
    """CREATE FUNCTION deal_tallies() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      old_won boolean := TG_OP <> 'INSERT' AND OLD.status = 'won' AND OLD.won_on IS NOT NULL;
      new_won boolean := TG_OP <> 'DELETE' AND NEW.status = 'won' AND NEW.won_on IS NOT NULL;
      old_month text; new_month text; old_tags text; new_tags text;
    BEGIN
      IF TG_OP <> 'INSERT' THEN
        old_month := to_char(OLD.won_on, 'YYYY-MM');
        old_tags := coalesce((SELECT tags FROM organization WHERE id = OLD.organization_id), '');
      END IF;
      IF TG_OP <> 'DELETE' THEN
        new_month := to_char(NEW.won_on, 'YYYY-MM');
        new_tags := coalesce((SELECT tags FROM organization WHERE id = NEW.organization_id), '');
      END IF;
      IF TG_OP = 'UPDATE' AND old_won AND new_won
         AND (new_month, NEW.owner_id, NEW.currency, new_tags)
           < (old_month, OLD.owner_id, OLD.currency, old_tags) THEN
        PERFORM revenue_tally_add(new_month, NEW.owner_id, NEW.currency, new_tags,
          coalesce(NEW.won_amount_minor, 0), 1);
        new_won := false;
      END IF;
      IF old_won THEN
        PERFORM revenue_tally_add(old_month, OLD.owner_id, OLD.currency, old_tags,
          -coalesce(OLD.won_amount_minor, 0), -1);
      END IF;
      IF new_won THEN
        PERFORM revenue_tally_add(new_month, NEW.owner_id, NEW.currency, new_tags,
          coalesce(NEW.won_amount_minor, 0), 1);
      END IF;
      IF TG_OP = 'INSERT' THEN
        PERFORM stage_tally_add(NEW.stage_id, NEW.owner_id, NEW.currency, 1,
          coalesce(NEW.amount_minor, 0));
      ELSIF TG_OP = 'DELETE' THEN
        PERFORM stage_tally_add(OLD.stage_id, OLD.owner_id, OLD.currency, -1,
          -coalesce(OLD.amount_minor, 0));
      ELSIF (NEW.stage_id, NEW.owner_id, NEW.currency) < (OLD.stage_id, OLD.owner_id, OLD.currency)
      THEN
        PERFORM stage_tally_add(NEW.stage_id, NEW.owner_id, NEW.currency, 1,
          coalesce(NEW.amount_minor, 0));
        PERFORM stage_tally_add(OLD.stage_id, OLD.owner_id, OLD.currency, -1,
          -coalesce(OLD.amount_minor, 0));
      ELSE
        PERFORM stage_tally_add(OLD.stage_id, OLD.owner_id, OLD.currency, -1,
          -coalesce(OLD.amount_minor, 0));
        PERFORM stage_tally_add(NEW.stage_id, NEW.owner_id, NEW.currency, 1,
          coalesce(NEW.amount_minor, 0));
      END IF;
      RETURN NULL;
    END $$""",
    "CREATE TRIGGER deal_tallies AFTER INSERT OR DELETE "
    f"OR UPDATE OF {', '.join(sorted(set((WON_BY + ', ' + STAGED_BY).split(', '))))} "
    "ON deal FOR EACH ROW EXECUTE FUNCTION deal_tallies()",
    f"""CREATE FUNCTION revenue_organization_tags() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO revenue_tally ({REVENUE_KEY}, amount_minor, deals)
      SELECT to_char(won_on, 'YYYY-MM'), owner_id, currency, t.tags,
        t.sign * sum(coalesce(won_amount_minor, 0)), t.sign * count(*)
      FROM deal, (VALUES (OLD.tags, -1), (NEW.tags, 1)) AS t (tags, sign)
      WHERE organization_id = NEW.id AND status = 'won' AND won_on IS NOT NULL
      GROUP BY 1, 2, 3, 4, t.sign ORDER BY 1, 2, 3, 4 {REVENUE_UPSERT};
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
    op.create_table(
        "stage_tally",
        sa.Column("stage_id", sa.Integer(), nullable=False),
        sa.Column("seller_id", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("deals", sa.Integer(), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("stage_id", "seller_id", "currency", name="pk_stage_tally"),
    )
    # What is there already, counted once; the triggers keep both from here on.
    op.execute(
        f"INSERT INTO revenue_tally ({REVENUE_KEY}, amount_minor, deals) "
        f"SELECT {_month('deal.won_on')}, deal.owner_id, deal.currency, "
        "coalesce(organization.tags, ''), sum(coalesce(deal.won_amount_minor, 0)), count(*) "
        "FROM deal LEFT JOIN organization ON organization.id = deal.organization_id "
        "WHERE deal.status = 'won' AND deal.won_on IS NOT NULL GROUP BY 1, 2, 3, 4"
    )
    op.execute(
        f"INSERT INTO stage_tally ({STAGE_KEY}, deals, amount_minor) "
        "SELECT stage_id, owner_id, currency, count(*), sum(coalesce(amount_minor, 0)) "
        "FROM deal GROUP BY 1, 2, 3"
    )
    for statement in SQLITE if op.get_bind().dialect.name == "sqlite" else POSTGRESQL:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE:
            op.execute(f"DROP TRIGGER IF EXISTS {statement.split()[2]}")
    else:
        op.execute("DROP TRIGGER IF EXISTS revenue_organization_tags ON organization")
        op.execute("DROP TRIGGER IF EXISTS deal_tallies ON deal")
        op.execute("DROP FUNCTION IF EXISTS revenue_organization_tags()")
        op.execute("DROP FUNCTION IF EXISTS deal_tallies()")
        op.execute(
            "DROP FUNCTION IF EXISTS revenue_tally_add(text, integer, text, text, bigint, integer)"
        )
        op.execute(
            "DROP FUNCTION IF EXISTS stage_tally_add(integer, integer, text, integer, bigint)"
        )
    op.drop_table("stage_tally")
    op.drop_table("revenue_tally")

"""numbers stored with a calling code are found written nationally (their search text gains
the national form); the team's deal list, in each of its sorts, reads its first page from an
index instead of sorting every deal

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-06 02:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from phonenumbers import COUNTRY_CODE_TO_REGION_CODE

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEARCH_TEXT_CHARS = 400
CODES = frozenset(str(code) for code in COUNTRY_CODE_TO_REGION_CODE)
CLOSE_KEY = "coalesce(expected_close_on, '9999-12-31')"
# The team's list: (name, columns) per sort, open/won/lost first, then every status by date.
SORTS = [
    ("ix_deal_status_updated", ["status", "updated_at", "id"]),
    # My own list in its default order stays on my rows.
    ("ix_deal_owner_status_updated", ["owner_id", "status", "updated_at", "id"]),
    ("ix_deal_updated", ["updated_at", "id"]),
    ("ix_deal_status_amount", ["status", sa.text("coalesce(amount_minor, -1)"), "id"]),
    ("ix_deal_status_close", ["status", sa.text(CLOSE_KEY), "id"]),
    ("ix_deal_status_title", ["status", "title_key", "id"]),
]


def _words(phone: str) -> list[str]:
    """As app/core/phones.py stored_words was at this revision (a migration keeps its own
    copy: later changes to the app must not change what it did)."""
    digits = "".join(c for c in phone if c.isdigit())
    plus = phone.strip().startswith("+")
    if not (plus or digits.startswith("00")):
        return []
    international = digits if plus else digits[2:]
    words = [international] if international != digits else []
    for length in (1, 2, 3):
        if international[:length] in CODES:
            national = international[length:]
            if national:
                words.append(national if national.startswith("0") else "0" + national)
            break
    return words


def _refresh(table: str) -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            f"SELECT id, phone, search_text FROM {table} "
            "WHERE phone LIKE '+%' OR phone LIKE '00%' OR phone LIKE ' %'"
        )
    ).fetchall()
    updates = []
    for row_id, phone, searched in rows:
        present = set(searched.split())
        extra = [w for w in _words(phone or "") if w not in present]
        if extra:
            updates.append({"id": row_id, "t": f"{searched} {' '.join(extra)}"[:SEARCH_TEXT_CHARS]})
    if updates:
        bind.execute(sa.text(f"UPDATE {table} SET search_text = :t WHERE id = :id"), updates)


def upgrade() -> None:
    _refresh("contact")
    _refresh("organization")
    for name, columns in SORTS:
        op.create_index(name, "deal", columns)


def downgrade() -> None:
    for name, _columns in SORTS:
        op.drop_index(name, table_name="deal")

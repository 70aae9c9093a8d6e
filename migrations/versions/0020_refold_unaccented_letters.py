"""letters Unicode keeps whole (œ, æ, ø, ı, ł, đ, ð, þ, ħ) now fold to what people type
without them: the stored sort and search keys that hold one are refolded, so "oedipe" finds
"Œdipe" in what was saved before too

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-05 19:20:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The keys were folded (lower case, accents off) before: each of these letters is already
# lower case there, and replacing it letter by letter then cutting to the column's length
# gives what the new fold gives. Both engines have replace() and substr().
LETTERS = {
    "œ": "oe",
    "æ": "ae",
    "ø": "o",
    "ı": "i",
    "ł": "l",
    "đ": "d",
    "ð": "d",
    "þ": "th",
    "ħ": "h",
}
KEYS = {
    "contact": {"sort_key": 100, "search_text": 400},
    "organization": {"sort_key": 100, "search_text": 400},
    "deal": {"title_key": 100},
}


def _refolded(column: str, length: int) -> str:
    expression = column
    for letter, spelled in LETTERS.items():
        expression = f"replace({expression}, '{letter}', '{spelled}')"
    return f"substr({expression}, 1, {length})"


def upgrade() -> None:
    for table, columns in KEYS.items():
        assignments = ", ".join(f"{c} = {_refolded(c, n)}" for c, n in columns.items())
        holds = " OR ".join(f"{c} LIKE '%{letter}%'" for c in columns for letter in LETTERS)
        op.execute(f"UPDATE {table} SET {assignments} WHERE {holds}")


def downgrade() -> None:
    pass  # the refolded keys are what the earlier fold would match less well, not wrongly

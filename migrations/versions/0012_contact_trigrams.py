"""contacts found by letters inside a word, through an index on SQLite (FTS5 trigrams)

Quick entry fills its list with contacts that merely contain what was typed when too few
words start with it; on SQLite that was a scan of every contact. PostgreSQL is left as it
is here: its trigram index needs an extension an installation may not allow.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 07:55:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UP = [
    "CREATE VIRTUAL TABLE contact_trigrams USING fts5("
    "search_text, content='contact', content_rowid='id', tokenize='trigram')",
    "CREATE TRIGGER contact_trigrams_insert AFTER INSERT ON contact BEGIN "
    "INSERT INTO contact_trigrams(rowid, search_text) VALUES (new.id, new.search_text); END",
    "CREATE TRIGGER contact_trigrams_delete AFTER DELETE ON contact BEGIN "
    "INSERT INTO contact_trigrams(contact_trigrams, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); END",
    "CREATE TRIGGER contact_trigrams_update AFTER UPDATE OF search_text ON contact BEGIN "
    "INSERT INTO contact_trigrams(contact_trigrams, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); "
    "INSERT INTO contact_trigrams(rowid, search_text) VALUES (new.id, new.search_text); END",
    "INSERT INTO contact_trigrams(contact_trigrams) VALUES ('rebuild')",
]
DOWN = [
    "DROP TRIGGER IF EXISTS contact_trigrams_update",
    "DROP TRIGGER IF EXISTS contact_trigrams_delete",
    "DROP TRIGGER IF EXISTS contact_trigrams_insert",
    "DROP TABLE IF EXISTS contact_trigrams",
]


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in UP:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in DOWN:
            op.execute(statement)

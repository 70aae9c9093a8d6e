"""contacts found by the start of any word, through the engine's own full-text index

SQLite: an FTS5 index over contact.search_text, kept by triggers (every writer, bulk imports
included, keeps it without knowing). PostgreSQL: a GIN index on the words of search_text,
with e-mail and phone punctuation read as spaces, so a domain or a local part is a word too.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 07:20:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQLITE_UP = [
    "CREATE VIRTUAL TABLE contact_words USING fts5("
    "search_text, content='contact', content_rowid='id', "
    "tokenize='unicode61 remove_diacritics 2', prefix='2 3')",
    "CREATE TRIGGER contact_words_insert AFTER INSERT ON contact BEGIN "
    "INSERT INTO contact_words(rowid, search_text) VALUES (new.id, new.search_text); END",
    "CREATE TRIGGER contact_words_delete AFTER DELETE ON contact BEGIN "
    "INSERT INTO contact_words(contact_words, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); END",
    "CREATE TRIGGER contact_words_update AFTER UPDATE OF search_text ON contact BEGIN "
    "INSERT INTO contact_words(contact_words, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); "
    "INSERT INTO contact_words(rowid, search_text) VALUES (new.id, new.search_text); END",
    "INSERT INTO contact_words(contact_words) VALUES ('rebuild')",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS contact_words_update",
    "DROP TRIGGER IF EXISTS contact_words_delete",
    "DROP TRIGGER IF EXISTS contact_words_insert",
    "DROP TABLE IF EXISTS contact_words",
]
POSTGRES_UP = [
    "CREATE INDEX ix_contact_words ON contact USING gin "
    "(to_tsvector('simple', translate(search_text, '@._-+', '     ')))",
]
POSTGRES_DOWN = ["DROP INDEX IF EXISTS ix_contact_words"]


def _run(statements: list[str]) -> None:
    for statement in statements:
        op.execute(statement)


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _run(SQLITE_UP)
    else:
        _run(POSTGRES_UP)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _run(SQLITE_DOWN)
    else:
        _run(POSTGRES_DOWN)

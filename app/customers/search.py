"""Which contacts a search of the list means, read from the engine's trigram index when
they are few: an email address, a phone number, a rare surname is found without walking
every live contact. When many contacts match, walking the names in order finds a page
sooner, so the list does that as before.

SQLite keeps an FTS5 trigram table (migration 0012). PostgreSQL has a trigram GIN index
when the pg_trgm extension could be created (migration 0017); without it, None: the list
walks, as it always did."""

from sqlalchemy import text
from sqlmodel import Session, select

from app.core.text import fold, like_pattern
from app.customers.models import Contact

RARE = 500  # at most this many matches: fetch them by id and sort them
_TRIGRAM_INDEX = "ix_contact_search_trgm"
_has_index: dict[str, bool] = {}  # per database URL: asked once per process


def _postgres_index(session: Session) -> bool:
    url = str(session.get_bind().engine.url)
    if url not in _has_index:
        found = session.execute(
            text("SELECT 1 FROM pg_indexes WHERE indexname = :name"), {"name": _TRIGRAM_INDEX}
        ).first()
        _has_index[url] = found is not None
    return _has_index[url]


def few_matches(session: Session, query: str, archived: bool) -> list[int] | None:
    """The ids of the contacts containing the query when there are at most RARE, else
    None (many, a query too short for trigrams, or no index to ask)."""
    folded = fold(query).strip()
    if len(folded) < 3:
        return None
    if session.get_bind().dialect.name == "sqlite":
        ids = session.execute(
            text("SELECT rowid FROM contact_trigrams WHERE contact_trigrams MATCH :m LIMIT :n"),
            {"m": '"' + folded.replace('"', '""') + '"', "n": RARE + 1},
        ).scalars()
    elif _postgres_index(session) and not archived:
        ids = session.exec(
            select(Contact.id)
            .where(
                Contact.archived_at.is_(None),
                Contact.search_text.like(like_pattern(query), escape="\\"),
            )
            .limit(RARE + 1)
        )
    else:
        return None
    found = list(ids)
    return found if len(found) <= RARE else None

"""Which contacts a search of the list means, read from the engine's trigram index when
they are few: an email address, a phone number, a rare surname is found without walking
every live contact. When many contacts match, walking the names in order finds a page
sooner, so the list does that as before.

SQLite keeps an FTS5 trigram table (migration 0012), asked here first. PostgreSQL gets a
trigram GIN index when the pg_trgm extension could be created (migration 0017) and its
planner, which knows from its statistics how common the letters are, picks between that
index and the walk by itself: asking first cost a common search ("mar") more than it saved."""

from sqlalchemy import text
from sqlmodel import Session

from app.core.text import fold

RARE = 500  # at most this many matches: fetch them by id and sort them


def few_matches(session: Session, query: str) -> list[int] | None:
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
    else:
        return None
    found = list(ids)
    return found if len(found) <= RARE else None

"""Which contacts a page of the list's search shows, found without reading every contact.

Matches are listed in name order. Where they are dense among the first names (a common
"mar"), walking the name index and keeping those that match finds a page at once; where
they start late or are rare ("zoe" is mostly Zoé, at the end; an email address matches
one), that walk would read nearly every contact. So the walk is bounded (WALK names from
the cursor) and, when it comes back short, the engine's trigram index lists the matches
and the engine sorts those: SQLite's FTS5 trigram table (migration 0012), PostgreSQL's
pg_trgm GIN index (migration 0017). Each way costs what it finds, not what the team has.
"""

import re

from sqlalchemy import and_, func, literal_column, or_, select, text
from sqlmodel import Session

from app.core.phones import number_spellings
from app.core.text import fold, like_pattern
from app.customers.models import Contact

WALK = 6000  # names read in order before the trigram index is asked instead
RARE = 500  # SQLite: at most this many listed by the index, sorted without walking
LONG_NUMBER = 7  # digits from which a number is rare enough to be listed, not walked to


def spellings(query: str) -> list[str]:
    """The folded texts a search looks for: a number's spellings (app/core/phones.py), or
    the text typed."""
    return number_spellings(query) or [fold(query).strip()]


def matching(column, query: str):
    """SQL: the searched text holds the query, anywhere; a number from its start only (the
    searched text's number words follow a space), never digits inside another number."""
    numbers = number_spellings(query)
    if not numbers:
        return column.like(like_pattern(query), escape="\\")
    starts = []
    for number in numbers:
        starts += [column.like(f"% {number}%"), column.like(f"{number}%")]
    return or_(*starts)


def _match(words: list[str]) -> str:
    """An FTS5 query for any of these texts, each a phrase. Of a long text (an email
    address) only its longest part is asked: the trigram index answers a phrase by reading
    the list of every trigram in it, and "example.com" is in thousands of addresses; the
    exact text is then checked on the rows listed."""
    return " OR ".join('"' + _selective(w).replace('"', '""') + '"' for w in words)


def _listing(words: list[str]) -> tuple[str, str]:
    """(table, MATCH text) listing the contacts that may match, on SQLite. A number is a
    word of the searched text: its prefix in the word index (migration 0010) is a short
    range, where its digits' trigrams are in every stored number."""
    if all(w.isdigit() for w in words):
        return "contact_words", " OR ".join(f'"{w}"*' for w in words)
    return "contact_trigrams", _match(words)


def _selective(text: str) -> str:
    if len(text) <= 12:
        return text
    parts = [p for p in re.split(r"[@.\s]+", text) if len(p) >= 3]
    return max(parts, key=len) if parts else text


def words_document():
    """PostgreSQL: the words of a contact's searched text, as its GIN index holds them
    (migration 0010); quick entry reads the same index."""
    return func.to_tsvector(
        literal_column("'simple'"),
        func.translate(Contact.search_text, literal_column("'@._-+'"), literal_column("'     '")),
    )


def _number_words(numbers: list[str]):
    query = " | ".join(f"{n}:*" for n in numbers)
    return words_document().op("@@")(func.to_tsquery(literal_column("'simple'"), query))


def page_ids(
    session: Session, query: str, after: tuple[str, int] | None, n: int
) -> list[int] | None:
    """The ids of the first `n` live contacts matching the query after the cursor, in name
    order; None when the query is too short for trigrams or no trigram index is there (then
    the list walks the names as before)."""
    words = spellings(query)
    if min(len(w) for w in words) < 3:
        return None
    live = [Contact.archived_at.is_(None)]
    if after:
        key, last_id = after
        live.append(
            or_(Contact.sort_key > key, and_(Contact.sort_key == key, Contact.id > last_id))
        )
    if _rare(session, words) or all(w.isdigit() and len(w) >= LONG_NUMBER for w in words):
        # Few matches (SQLite counts them; a number of seven digits or more has few on
        # either engine): the index lists them, the engine sorts them.
        return _indexed(session, words, query, live, n)
    window = (
        select(Contact.id, Contact.sort_key, Contact.search_text)
        .where(*live)
        .order_by(Contact.sort_key, Contact.id)
        .limit(WALK)
        .subquery("window")
    )
    found = list(
        session.execute(
            select(window.c.id).where(matching(window.c.search_text, query)).limit(n)
        ).scalars()
    )
    if len(found) == n:
        return found
    # Short: either the walk reached the last name (then that is all) or the rest is far.
    read = session.execute(select(window.c.id).offset(WALK - 1).limit(1)).first()
    if read is None or not _has_trigrams(session):
        return found if read is None else None
    return _indexed(session, words, query, live, n)


_TRIGRAMS: dict[str, bool] = {}  # per database URL: asked once per process


def _has_trigrams(session: Session) -> bool:
    """SQLite always has its trigram table; PostgreSQL when pg_trgm could be installed
    (migration 0017). Without it the list walks the names as it always did."""
    bind = session.get_bind()
    if bind.dialect.name == "sqlite":
        return True
    url = str(getattr(bind, "engine", bind).url)
    if url not in _TRIGRAMS:
        found = session.execute(
            text("SELECT 1 FROM pg_indexes WHERE indexname = 'ix_contact_search_trgm'")
        ).first()
        _TRIGRAMS[url] = found is not None
    return _TRIGRAMS[url]


def _rare(session: Session, words: list[str]) -> bool:
    """SQLite: whether the trigram table lists at most RARE contacts (an email address, a
    phone number, a rare surname), which are then sorted rather than walked to. PostgreSQL's
    planner knows that from its statistics and walks only a few names first."""
    if session.get_bind().dialect.name != "sqlite":
        return False
    table, match = _listing(words)
    listed = text(
        f"SELECT count(*) FROM (SELECT rowid FROM {table} WHERE {table} MATCH :m LIMIT :n)"
    )
    return session.execute(listed, {"m": match, "n": RARE + 1}).scalar() <= RARE


def _indexed(session: Session, words: list[str], query: str, live: list, n: int) -> list[int]:
    """The first `n` matches in name order, the index listing them and the engine sorting."""
    found = matching(Contact.search_text, query)
    if session.get_bind().dialect.name == "sqlite":
        table, match = _listing(words)
        listed = text(f"SELECT rowid FROM {table} WHERE {table} MATCH :m").bindparams(m=match)
        # The unary + keeps SQLite off the name indexes: the listed rows by id, then sorted.
        stmt = (
            select(Contact.id)
            .where(Contact.id.in_(listed.columns(rowid=Contact.id.type)), found)
            .where(literal_column("+contact.archived_at").is_(None), *live[1:])
            .order_by(literal_column("+contact.sort_key"), Contact.id)
        )
    else:
        # Ordered by an expression no index gives, PostgreSQL takes the trigram index and
        # sorts what it lists, instead of walking the names hoping for an early match.
        if all(w.isdigit() for w in words):
            found = and_(_number_words(words), found)
        stmt = (
            select(Contact.id).where(*live, found).order_by(Contact.sort_key.concat(""), Contact.id)
        )
    return list(session.execute(stmt.limit(n)).scalars())

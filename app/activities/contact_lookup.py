"""Quick entry's contact lookup: the person the seller means, in two or three keys.

Order: contacts whose words start with what was typed come before contacts that merely
contain it; within each, the people on my open follow-ups (soonest due first), then those of
my recent activities, then the contacts I look after, then everyone else, by name. Several
words must each start a word ("ben ng" is Benoît Nguyen). Digits match phone numbers
whatever their spacing, and 06… also finds the same number written +33 6….

Every query is bounded: my open follow-ups and my last activities are read through their
owner indexes, and the team-wide step walks the name index and stops at the first matches.
"""

import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Integer, and_, case, column, func, literal_column, or_, text, true
from sqlmodel import Session, select

from app.activities.models import Activity, FollowUp
from app.auth.models import User
from app.core.access import require_records
from app.core.text import fold
from app.customers.models import Contact, Organization
from app.deals.models import DealContact

# How many of my latest activities count as "recent".
RECENT_ACTIVITIES = 200
PHONE_QUERY = re.compile(r"[\d\s().+/-]+")


@dataclass
class Near:
    """The record quick entry was opened on: its people come first."""

    organization_id: int | None = None
    deal_id: int | None = None


@dataclass
class Suggestion:
    id: int
    name: str
    organization_name: str | None
    next_step: str | None = None
    next_step_due: date | None = None


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _terms(query: str) -> list[str]:
    """The folded words typed; a phone number typed with spaces is one term of digits."""
    query = query.strip()
    if PHONE_QUERY.fullmatch(query) and sum(c.isdigit() for c in query) >= 3:
        return ["".join(c for c in query if c.isdigit())]
    return fold(query).split()[:4]


def _words(terms: list[str]) -> list[str]:
    """The terms as the full-text indexes cut them: letters and digits only."""
    return [w for t in terms for w in re.split(r"[^\w]+", t) if w]


def _spellings(word: str) -> list[str]:
    """A number as it may be stored: +33 6 12… typed finds 06 12… and +33 (0)6 12… too (the
    country code is one to three digits; each is tried)."""
    if not word.isdigit() or len(word) < 8 or word.startswith("0"):
        return [word]
    found = [word]
    for k in (1, 2, 3):
        found += ["0" + word[k:], word[:k] + "0" + word[k:]]
    return found


def _fts_match(words: list[str]) -> str:
    return " AND ".join(
        "(" + " OR ".join(f'"{w}"*' for w in _spellings(word)) + ")" for word in words
    )


def _tsquery(words: list[str]):
    document = func.to_tsvector(
        literal_column("'simple'"),
        func.translate(Contact.search_text, literal_column("'@._-+'"), literal_column("'     '")),
    )
    query = " & ".join("(" + " | ".join(f"{w}:*" for w in _spellings(word)) + ")" for word in words)
    return document.op("@@")(func.to_tsquery(literal_column("'simple'"), query))


def _by_words(session: Session, words: list[str], columns):
    """Contacts with a word starting with each of `words`, through the engine's full-text
    index (migration 0010) and driven by it: the cost follows the matches, not the table."""
    if session.get_bind().dialect.name == "sqlite":
        found = (
            text("SELECT rowid AS contact_id FROM contact_words WHERE contact_words MATCH :m")
            .bindparams(m=_fts_match(words))
            .columns(column("contact_id", Integer))
            .subquery("words")
        )
        return select(*columns).select_from(found).join(Contact, Contact.id == found.c.contact_id)
    found = _pg_matches(words).subquery("words")
    return select(*columns).select_from(found).join(Contact, Contact.id == found.c.id)


def _pg_matches(words: list[str]):
    """The ids whose words match, read from the GIN index first. OFFSET 0 keeps PostgreSQL
    from folding this into the outer query, where it would rather walk the name index and
    compute every contact's words to keep the order (a second per common prefix)."""
    return select(Contact.id).where(_tsquery(words)).offset(0)


def _word_ids(session: Session, words: list[str]):
    """The same as a condition, for a query driven by another index (my follow-ups)."""
    if session.get_bind().dialect.name == "sqlite":
        ids = text("SELECT rowid FROM contact_words WHERE contact_words MATCH :m")
        return Contact.id.in_(ids.bindparams(m=_fts_match(words)).columns(column("rowid")))
    return Contact.id.in_(_pg_matches(words))


def _containing(session: Session, terms: list[str], columns):
    """Contacts containing every term (each of three letters or more): through SQLite's
    trigram index (migration 0012); elsewhere the caller's LIKE reads the contacts."""
    if session.get_bind().dialect.name != "sqlite":
        return select(*columns)
    phrases = []
    for term in terms:
        quoted = " OR ".join('"' + v.replace('"', '""') + '"' for v in _inner_spellings(term))
        phrases.append(f"({quoted})")
    found = (
        text("SELECT rowid AS contact_id FROM contact_trigrams WHERE contact_trigrams MATCH :m")
        .bindparams(m=" AND ".join(phrases))
        .columns(column("contact_id", Integer))
        .subquery("inside")
    )
    return select(*columns).select_from(found).join(Contact, Contact.id == found.c.contact_id)


def _inner_spellings(term: str) -> list[str]:
    if term.isdigit() and term.startswith("0") and len(term) >= 4:
        # A national number (06 12…) is stored by some as +33 6 12…: drop the trunk 0.
        return [term, term[1:]]
    return _spellings(term)


def _contains(term: str):
    return or_(
        *[Contact.search_text.like(f"%{_escape(v)}%", escape="\\") for v in _inner_spellings(term)]
    )


def _word_start(searched: str, words: list[str]) -> bool:
    present = re.split(r"[^\w]+", searched)
    return all(any(p.startswith(w) for p in present) for w in words)


def find_contacts(
    session: Session, user: User, query: str, limit: int = 8, near: Near | None = None
) -> list[Suggestion]:
    require_records(user)
    terms = _terms(query)
    words = _words(terms)
    if not words:
        return []
    contains = and_(*[_contains(t) for t in terms])
    live = Contact.archived_at.is_(None)
    columns = (Contact.id, Contact.search_text, Contact.sort_key)
    found: dict[int, tuple] = {}

    def take(rows, rank: int) -> None:
        for order, (contact_id, searched, sort_key) in enumerate(rows):
            tier = 0 if _word_start(searched, words) else 1
            key = (tier, rank, order if 0 <= rank < 2 else 0, sort_key, contact_id)
            found[contact_id] = min(found.get(contact_id, key), key)

    def my_follow_ups(matching):
        """My open follow-ups' contacts, soonest due first."""
        return session.exec(
            select(*columns)
            .join(FollowUp, FollowUp.contact_id == Contact.id)
            .where(FollowUp.owner_id == user.id, FollowUp.done_at.is_(None), live, matching)
            .group_by(*columns)
            .order_by(func.min(FollowUp.due_on))
            .limit(limit)
        )

    if near is not None and (near.organization_id or near.deal_id):
        # The people of the organization or deal the entry was opened on, before anyone.
        ties = []
        if near.organization_id:
            ties.append(Contact.organization_id == near.organization_id)
        if near.deal_id:
            on_deal = select(DealContact.contact_id).where(DealContact.deal_id == near.deal_id)
            ties.append(Contact.id.in_(on_deal))
        take(
            session.exec(
                select(*columns)
                .where(live, or_(*ties), contains)
                .order_by(Contact.sort_key)
                .limit(limit)
            ),
            -1,
        )
    take(my_follow_ups(_word_ids(session, words)), 0)
    # The people of my latest activities, latest first.
    recent = (
        select(Activity.contact_id, Activity.occurred_at)
        .where(Activity.author_id == user.id, Activity.contact_id.is_not(None))
        .order_by(Activity.occurred_at.desc())
        .limit(RECENT_ACTIVITIES)
        .subquery()
    )
    take(
        session.exec(
            select(*columns)
            .join(recent, recent.c.contact_id == Contact.id)
            .where(live, contains)
            .group_by(*columns)
            .order_by(func.max(recent.c.occurred_at).desc())
            .limit(limit * 2)
        ),
        1,
    )
    # Then the contacts I look after, then everyone's, by name.
    if max(map(len, words)) >= 3:
        # Few contacts match a word of three letters: read them from the index and sort
        # them, mine first, in one query.
        others = case((Contact.owner_id == user.id, 2), else_=3)
        rows = session.exec(
            _by_words(session, words, (*columns, others))
            .where(live)
            .order_by(others, Contact.sort_key, Contact.id)
            .limit(limit)
        ).all()
        for contact_id, searched, sort_key, rank in rows:
            take([(contact_id, searched, sort_key)], rank)
    else:
        # Thousands match one or two letters: walk the name index and stop at the first.
        by_name = (Contact.sort_key, Contact.id)
        for rank, scope in ((2, Contact.owner_id == user.id), (3, true())):
            take(
                session.exec(
                    select(*columns)
                    .where(live, scope, _word_ids(session, words))
                    .order_by(*by_name)
                    .limit(limit)
                ),
                rank,
            )
    long_terms = [t for t in terms if len(t) >= 3]
    if sum(1 for key in found.values() if key[0] == 0) < limit and long_terms:
        # Too few word starts: letters inside words fill the list (three letters or more,
        # where an inner match means something).
        take(
            session.exec(
                _containing(session, long_terms, columns)
                .where(live, contains)
                .order_by(Contact.sort_key)
                .limit(limit)
            ),
            3,
        )
    best = sorted(found, key=found.__getitem__)[:limit]
    return _described(session, user, best)


def _described(session: Session, user: User, ids: list[int]) -> list[Suggestion]:
    """Each suggestion with its organization and my next follow-up on it, so two Benoîts can
    be told apart."""
    if not ids:
        return []
    rows = session.exec(
        select(Contact.id, Contact.name, Organization.name)
        .outerjoin(Organization, Organization.id == Contact.organization_id)
        .where(Contact.id.in_(ids))
    )
    by_id = {r[0]: Suggestion(r[0], r[1], r[2]) for r in rows}
    steps = session.exec(
        select(FollowUp.contact_id, FollowUp.owner_id, FollowUp.what, FollowUp.due_on)
        # By contact (a few rows each), not by owner (all of mine); mine are kept below.
        .where(FollowUp.contact_id.in_(ids), FollowUp.done_at.is_(None))
        .order_by(FollowUp.due_on.desc())
    )
    for contact_id, owner_id, what, due_on in steps:
        if owner_id != user.id:
            continue
        # Descending, so the soonest is written last.
        by_id[contact_id].next_step, by_id[contact_id].next_step_due = what, due_on
    return [by_id[i] for i in ids if i in by_id]

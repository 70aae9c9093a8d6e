"""Quick entry's contact lookup: the person the seller means, in two or three keys.

Order: contacts whose words start with what was typed come before contacts that merely
contain it; within each, the people on my open follow-ups (soonest due first), then those of
my recent activities, then the contacts I look after, then everyone else, by name. Several
words must each start a word ("ben ng" is Benoît Nguyen). Digits match phone numbers
whatever their spacing, and 06… also finds the same number written +33 6….

Every query is bounded, so the lookup costs what it finds, not what the team holds: my
soonest open follow-ups and my latest activities (a few hundred) are read through their
owner indexes and checked here; names starting with the first word are a range of the name
index; other word starts come from a walk of at most WINDOW names; and a word too rare for
those is listed by the full-text index, which answers a rare word from a short list. With
very many matches the "everyone else" step shows the first by name among those it read,
not necessarily the first of the whole team.
"""

import re
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from sqlalchemy import and_, func, literal_column, or_, text
from sqlmodel import Session, select

from app.activities.models import Activity, FollowUp
from app.auth.models import User
from app.core.access import require_records
from app.core.phones import national_digits
from app.core.text import fold, looks_like_email
from app.customers.models import Contact, Organization
from app.deals.models import DealContact

# How many of my latest activities count as "recent", of my open follow-ups as "soon".
RECENT_ACTIVITIES = 200
SOONEST_FOLLOW_UPS = 200
# Names a walk reads at most before the full-text index is asked instead, and how many
# contacts the index lists at most (a word rarer than the walks can find has few).
WINDOW = 500
RARE = 200
PHONE_QUERY = re.compile(r"[\d\s().+/-]+")


class Found(NamedTuple):
    """A contact a step read, as every step reads it (the `columns` of find_contacts)."""

    id: int
    search_text: str
    sort_key: str


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
    """The folded words typed; a phone number typed with spaces is one term of digits,
    marked "+" when it starts with a country code (+33 or 0033)."""
    query = query.strip()
    if PHONE_QUERY.fullmatch(query) and sum(c.isdigit() for c in query) >= 3:
        digits = "".join(c for c in query if c.isdigit())
        if query.startswith("+"):
            return ["+" + digits]
        if digits.startswith("00") and len(digits) > 4:
            return ["+" + digits[2:]]
        return [digits]
    return fold(query).split()[:4]


def _words(terms: list[str]) -> list[str]:
    """The terms as the full-text indexes cut them: letters and digits only (a number keeps
    its country-code mark, which _spellings reads)."""
    return [w for t in terms for w in ([t] if _international(t) else re.split(r"[^\w]+", t)) if w]


def _international(word: str) -> bool:
    return word.startswith("+") and word[1:].isdigit()


def _spellings(word: str) -> list[str]:
    """A number as it may be stored: +33 6 12… typed finds 06 12… too (stored numbers with a
    calling code carry their national form as well, app/core/phones.py). Digits typed without
    + are read as an international number only when long enough to be one."""
    if _international(word):
        word = word[1:]
    elif not (word.isdigit() and len(word) >= 8 and not word.startswith("0")):
        return [word]
    national = national_digits(word)
    if not national:
        return [word]
    return [word, national if national.startswith("0") else "0" + national]


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


def _starts_word(word: str, searched):
    """SQL: a word of the searched text starts with the word (as the full-text indexes
    cut words: after a space or . @ - +), checked on the rows a walk reads."""
    conditions = []
    for spelling in _spellings(word):
        escaped = _escape(spelling)
        conditions.append(searched.like(f"{escaped}%", escape="\\"))
        conditions += [searched.like(f"%{sep}{escaped}%", escape="\\") for sep in " .@-+"]
    return or_(*conditions)


def _next_prefix(prefix: str) -> str:
    """The first text after every text starting with `prefix` (a range on the name index)."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def _walk(session: Session, columns, scope, condition, limit: int, after=None):
    """The first `limit` live contacts in name order meeting `condition`, reading at most
    WINDOW names (from `after` on): bounded whatever the table holds."""
    names = select(*columns).where(Contact.archived_at.is_(None), *scope)
    if after is not None:
        names = names.where(Contact.sort_key >= after[0], Contact.sort_key < after[1])
    window = names.order_by(Contact.sort_key, Contact.id).limit(WINDOW).subquery("window")
    # No ORDER BY outside: the window is read in name order and the limit stops it early
    # (sorting again would read the whole window first). Rows are ordered by the caller.
    stmt = (
        select(*[window.c[c.key] for c in columns])
        .select_from(window)
        .where(condition(window.c.search_text))
        .limit(limit)
    )
    return list(session.exec(stmt))


def _probe(session: Session, words: list[str]) -> list[int]:
    """At most RARE ids of contacts whose words start with `words`, from the engine's
    full-text index (migration 0010): asked once the walks found too few, so the word is
    rare and the index answers from a short list."""
    if session.get_bind().dialect.name == "sqlite":
        found = text("SELECT rowid FROM contact_words WHERE contact_words MATCH :m LIMIT :n")
        return list(session.execute(found, {"m": _fts_match(words), "n": RARE}).scalars())
    return list(session.exec(select(Contact.id).where(_tsquery(words)).limit(RARE)))


def _inner_probe(session: Session, terms: list[str]) -> list[int]:
    """At most RARE ids of contacts containing every term, from the trigram indexes
    (SQLite 0012, PostgreSQL 0017)."""
    if session.get_bind().dialect.name == "sqlite":
        phrases = []
        for term in terms:
            quoted = " OR ".join('"' + v.replace('"', '""') + '"' for v in _inner_spellings(term))
            phrases.append(f"({quoted})")
        found = text("SELECT rowid FROM contact_trigrams WHERE contact_trigrams MATCH :m LIMIT :n")
        return list(session.execute(found, {"m": " AND ".join(phrases), "n": RARE}).scalars())
    live = Contact.archived_at.is_(None)
    inside = [_contains(t, Contact.search_text) for t in terms]
    return list(session.exec(select(Contact.id).where(live, *inside).limit(RARE)))


def _by_ids(session: Session, columns, ids: list[int], scope, limit: int):
    """The first `limit` by name of these live contacts (a few hundred at most)."""
    if not ids:
        return []
    # The conditions are read as a column, not filtered on: in a WHERE beside the ids they
    # let SQLite walk a seller's whole name index (owner_id, live) instead of taking the few
    # rows by id (measured: 29 ms against 0.5 at 5× the bench data).
    keep = and_(Contact.archived_at.is_(None), *scope).label("keep")
    rows = session.exec(select(*columns, keep).where(Contact.id.in_(ids)))
    kept = sorted((r for r in rows if r.keep), key=lambda r: (r.sort_key, r.id))[:limit]
    return [Found(*tuple(r)[:-1]) for r in kept]


def _inner_spellings(term: str) -> list[str]:
    if _national(term):
        # A national number (06 12…) is stored by some as +33 6 12…: drop the trunk 0.
        return [term, term[1:]]
    return _spellings(term)


def _contains(term: str, searched):
    if _national(term):
        # 06 12… typed: the number as typed anywhere, or without its trunk 0 right after a
        # country code of one to three digits starting a word (+33 6 12… stored as 336 12…),
        # not anywhere: 0799 is not the 799 inside +33 6 79 98….
        rest = _escape(term[1:])
        after_code = [searched.like(f"% {'_' * k}{rest}%", escape="\\") for k in (1, 2, 3)]
        return or_(searched.like(f"%{_escape(term)}%", escape="\\"), *after_code)
    return or_(*[searched.like(f"%{_escape(v)}%", escape="\\") for v in _inner_spellings(term)])


def _spelled_starts(words: list[str]):
    """Whether each word (or one of a number's spellings) starts a word of the searched
    text, as the full-text index matches: a number typed +33 6 12 starts 06 12…."""
    wanted = [tuple(_spellings(w)) for w in words]
    # 06 12 typed also starts +33 6 12… as stored: its digits after a country code.
    national = [w[1:] for w in words if _national(w)]

    def matches(searched: str) -> bool:
        present = re.split(r"[^\w]+", searched)
        if all(any(p.startswith(w) for p in present) for w in wanted):
            return True
        return bool(national) and any(_after_code(p).startswith(national[0]) for p in present)

    return matches


def _national(term: str) -> bool:
    """A national number as typed: 06 12…, whose trunk 0 an international spelling drops."""
    return term.isdigit() and term.startswith("0") and len(term) >= 4


def _after_code(word: str) -> str:
    """An international number's digits after its country calling code ("" for others)."""
    if len(word) < 8 or not word.isdigit():
        return ""
    return national_digits(word) or ""


def _really_contains(terms: list[str]):
    """Checks here what SQL could only approximate: a national number typed finds the same
    number stored with a country code only after a real calling code (0799 is +33 7 99…,
    not the +33 6 79 98… whose digits 336 could be read as a code)."""
    national = [t for t in terms if _national(t)]

    def matches(searched: str) -> bool:
        present = re.split(r"[^\w]+", searched)
        return all(
            t in searched or any(_after_code(p).startswith(t[1:]) for p in present)
            for t in national
        )

    return matches


def find_contacts(
    session: Session, user: User, query: str, limit: int = 8, near: Near | None = None
) -> list[Suggestion]:
    require_records(user)
    terms = _terms(query)
    words = _words(terms)
    if not words:
        return []
    if looks_like_email(query.strip()):
        # A whole address names its person: read by the email index, not as words that every
        # address of the same domain shares.
        exact = session.exec(
            select(Contact.id)
            .where(Contact.email == query.strip().lower(), Contact.archived_at.is_(None))
            .order_by(Contact.id)
            .limit(limit)
        ).all()
        if exact:
            return _described(session, user, list(exact))
    contains = and_(*[_contains(t, Contact.search_text) for t in terms])
    live = Contact.archived_at.is_(None)
    columns = (Contact.id, Contact.search_text, Contact.sort_key)
    found: dict[int, tuple] = {}

    starts = _spelled_starts(words)
    really = _really_contains(terms)

    def take(rows, rank: int) -> None:
        for order, (contact_id, searched, sort_key) in enumerate(rows):
            if not really(searched):
                continue
            tier = 0 if starts(searched) else 1
            key = (tier, rank, order if 0 <= rank < 2 else 0, sort_key, contact_id)
            found[contact_id] = min(found.get(contact_id, key), key)

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
    # The people of my soonest open follow-ups, soonest first; the words are checked here
    # on those few rows rather than by asking the index for everyone who matches.
    soonest = (
        select(FollowUp.contact_id, FollowUp.due_on)
        .where(FollowUp.owner_id == user.id, FollowUp.done_at.is_(None))
        .order_by(FollowUp.due_on, FollowUp.id)
        .limit(SOONEST_FOLLOW_UPS)
        .subquery()
    )
    due = session.exec(
        select(*columns)
        .join(soonest, soonest.c.contact_id == Contact.id)
        .where(live)
        .order_by(soonest.c.due_on)
    )
    take([r for r in due if starts(r.search_text)][: limit * 2], 0)
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
    for rank, rows in _word_starts_by_name(session, user, words, columns, limit):
        take(rows, rank)
    long_terms = [t for t in terms if len(t) >= 3]
    if sum(1 for key in found.values() if key[0] == 0) < limit and long_terms:
        # Too few word starts: letters inside words fill the list (three letters or more,
        # where an inner match means something).
        inside = lambda searched: and_(*[_contains(t, searched) for t in terms])  # noqa: E731
        rows = _walk(session, columns, (), inside, limit)
        if len(rows) < limit:
            probed = _inner_probe(session, long_terms)
            rows = _merged(rows, _by_ids(session, columns, probed, (contains,), limit))
        take(rows, 3)
    best = sorted(found, key=found.__getitem__)[:limit]
    return _described(session, user, best)


def _word_starts_by_name(session: Session, user: User, words: list[str], columns, limit: int):
    """(rank, rows): my contacts whose words start with `words`, then everyone's, each in
    name order. Each costs what it finds, not what the table holds: names starting with
    the first word come from a range of the name index, other word starts from a walk of
    at most WINDOW names; when both find too few, the word is rare and the full-text index
    lists its few contacts."""
    starts = lambda searched: and_(*[_starts_word(w, searched) for w in words])  # noqa: E731
    probed: list[int] | None = None
    for rank, scope in ((2, (Contact.owner_id == user.id,)), (3, ())):
        rows = _walk(session, columns, scope, starts, limit, after=_name_range(words[0]))
        if len(rows) < limit:
            rows = _merged(rows, _walk(session, columns, scope, starts, limit))
        if len(rows) < limit:
            probed = _probe(session, words) if probed is None else probed
            rows = _merged(rows, _by_ids(session, columns, probed, scope, limit))
        yield rank, sorted(rows, key=lambda r: (r.sort_key, r.id))[:limit]


def _name_range(word: str) -> tuple[str, str]:
    return word, _next_prefix(word)


def _merged(first: list, more: list) -> list:
    seen = {r.id for r in first}
    return first + [r for r in more if r.id not in seen]


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
    )
    for contact_id, owner_id, what, due_on in sorted(steps, key=lambda s: s[3], reverse=True):
        if owner_id != user.id:
            continue
        # Descending, so the soonest is written last.
        by_id[contact_id].next_step, by_id[contact_id].next_step_due = what, due_on
    return [by_id[i] for i in ids if i in by_id]

"""Follow-ups, read and changed through this one module wherever they appear: Today, record
pages, the calendar feed, the export and the hand-over. A follow-up set by a private activity
is private with it (R2): it exists only for its owner."""

from collections import namedtuple
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import and_, func, literal, or_, union_all, update
from sqlmodel import Session, select

from app.activities.models import Activity, FollowUp
from app.auth.models import User
from app.core.access import require_records
from app.core.clock import user_today
from app.core.due_dates import parse_due
from app.core.errors import FormErrors, NotFound
from app.core.i18n import N_, reading_language
from app.core.pagination import Page, clamp_limit, cursor_id, decode_cursor, encode_cursor
from app.core.schema import utcnow
from app.customers.models import Contact, Organization

DUE_HELP = N_("Write a date like +3d, tomorrow, friday or 2026-12-01.")
SECTIONS = ("overdue", "today", "week", "open")


def user_language(user: User) -> str:
    return reading_language(user)


_COLUMNS = tuple(FollowUp.__table__.c)
# A follow-up as a page shows it, read as plain columns: building an ORM entity per row
# cost Today about a millisecond for its 30 rows.
OpenFollowUp = namedtuple("OpenFollowUp", [c.key for c in _COLUMNS])


@dataclass
class FollowUpRow:
    follow_up: FollowUp | OpenFollowUp
    contact_name: str | None
    organization_name: str | None


def _section_filter(section: str, day: date):
    if section == "overdue":
        return FollowUp.due_on < day
    if section == "today":
        return FollowUp.due_on == day
    if section == "week":
        return and_(FollowUp.due_on > day, FollowUp.due_on <= day + timedelta(days=7))
    return FollowUp.due_on.is_not(None)


def my_follow_ups(
    session: Session,
    user: User,
    section: str = "open",
    cursor: str | None = None,
    limit=None,
    day: date | None = None,
) -> Page[FollowUpRow]:
    """My open follow-ups in one section, oldest due first; R3: never anyone else's."""
    require_records(user)
    limit = clamp_limit(limit, 20)
    stmt = select(FollowUp.id).where(
        FollowUp.owner_id == user.id,
        FollowUp.done_at.is_(None),
        _section_filter(section if section in SECTIONS else "open", day or user_today(user)),
    )
    after = decode_cursor(cursor, 2)
    if after:
        try:
            due = date.fromisoformat(str(after[0]))
        except (TypeError, ValueError):
            due = None
        last_id = cursor_id(after[1]) or 0
        if due is not None:
            stmt = stmt.where(
                or_(FollowUp.due_on > due, and_(FollowUp.due_on == due, FollowUp.id > last_id))
            )
    order = (FollowUp.due_on, FollowUp.id)
    # The page first, then its names: joined before the limit, PostgreSQL would hash every
    # contact and organization to name a few hundred follow-ups and keep twenty.
    page_ids = stmt.order_by(*order).limit(limit + 1).subquery("page")
    rows = list(
        session.exec(
            select(FollowUp, Contact.name, Organization.name)
            .join(page_ids, page_ids.c.id == FollowUp.id)
            .outerjoin(Contact, Contact.id == FollowUp.contact_id)
            .outerjoin(Organization, Organization.id == FollowUp.organization_id)
            .order_by(*order)
        )
    )
    page = Page(items=[FollowUpRow(f, c, o) for f, c, o in rows[:limit]])
    if len(rows) > limit:
        last = rows[limit - 1][0]
        page.next_cursor = encode_cursor(last.due_on.isoformat(), last.id)
    return page


TODAY_SECTIONS = ("overdue", "today", "week")


def today_sections(
    session: Session, user: User, day: date, limit: int
) -> tuple[dict[str, Page[FollowUpRow]], dict[str, int]]:
    """Today's three sections, their first `limit` rows each and how many each holds, in
    two round trips whatever the sections hold: each section's page of ids read from the
    open follow-ups' index (one statement), then the counts of the sections that had
    more than a page."""
    require_records(user)
    parts = [
        select(FollowUp.id, literal(section).label("section"))
        .where(
            FollowUp.owner_id == user.id,
            FollowUp.done_at.is_(None),
            _section_filter(section, day),
        )
        .order_by(FollowUp.due_on, FollowUp.id)
        .limit(limit + 1)
        .subquery()
        for section in TODAY_SECTIONS
    ]
    picked = union_all(*[select(p.c.id, p.c.section) for p in parts]).subquery("picked")
    rows = session.execute(
        select(*_COLUMNS, Contact.name, Organization.name, picked.c.section)
        .join(picked, picked.c.id == FollowUp.id)
        .outerjoin(Contact, Contact.id == FollowUp.contact_id)
        .outerjoin(Organization, Organization.id == FollowUp.organization_id)
    ).all()
    by_section: dict[str, list] = {section: [] for section in TODAY_SECTIONS}
    width = len(_COLUMNS)
    for row in rows:
        contact, organization, section = row[width:]
        by_section[section].append(FollowUpRow(OpenFollowUp(*row[:width]), contact, organization))
    pages, counts, fuller = {}, {}, []
    for section, found in by_section.items():
        found.sort(key=lambda r: (r.follow_up.due_on, r.follow_up.id))
        pages[section] = page = Page(items=found[:limit])
        counts[section] = len(page.items)
        if len(found) > limit:
            last = found[limit - 1].follow_up
            page.next_cursor = encode_cursor(last.due_on.isoformat(), last.id)
            fuller.append(section)
    if fuller:
        # execute, not exec: one counted section must still come back as a row.
        totals = session.execute(
            select(
                *[func.count().filter(_section_filter(section, day)) for section in fuller]
            ).where(FollowUp.owner_id == user.id, FollowUp.done_at.is_(None))
        ).one()
        counts.update(zip(fuller, totals, strict=True))
    return pages, counts


def get_follow_up(session: Session, user: User, follow_up_id: int) -> FollowUp:
    """Follow-ups are their owner's to work on; others see them on the record only."""
    require_records(user)
    follow_up = session.get(FollowUp, follow_up_id)
    if follow_up is None or follow_up.owner_id != user.id:
        raise NotFound
    return follow_up


def follow_up_row(session: Session, user: User, follow_up: FollowUp) -> FollowUpRow:
    contact = session.get(Contact, follow_up.contact_id) if follow_up.contact_id else None
    org = (
        session.get(Organization, follow_up.organization_id) if follow_up.organization_id else None
    )
    return FollowUpRow(follow_up, contact and contact.name, org and org.name)


def _due(user: User, when: str, errors: FormErrors, field: str) -> date | None:
    try:
        due = parse_due(when, user_today(user), user_language(user))
    except ValueError:
        due = None
    if due is None:
        errors.add(field, DUE_HELP)
    return due


def mark_done(
    session: Session,
    user: User,
    follow_up: FollowUp,
    done: bool = True,
    next_step: str = "",
    next_due: str = "",
) -> FollowUp:
    """Done, and in the same breath what comes next (optional): a new follow-up on the same
    contact, as private as the one it replaces."""
    require_records(user)
    next_step = " ".join(next_step.split())[:500]
    errors = FormErrors()
    due = _due(user, next_due, errors, "next_step_due") if next_step or next_due.strip() else None
    if next_due.strip() and not next_step:
        errors.add("next_step", N_("What is the next step?"))
    errors.raise_if_any()
    if done:
        # Only the first of two tabs (or two clicks) closes it and sets what comes next.
        closed = session.execute(
            update(FollowUp)
            .where(FollowUp.id == follow_up.id, FollowUp.done_at.is_(None))
            .values(done_at=utcnow())
        )
        if closed.rowcount == 0:
            session.rollback()
            session.refresh(follow_up)
            errors.add("__all__", N_("This follow-up was already done; nothing was changed."))
            errors.raise_if_any()
        session.expire(follow_up, ["done_at"])
    else:
        follow_up.done_at = None
        session.add(follow_up)
    if done and next_step:
        session.add(
            FollowUp(
                what=next_step,
                due_on=due,
                owner_id=user.id,
                contact_id=follow_up.contact_id,
                organization_id=follow_up.organization_id,
                is_private=follow_up.is_private,
            )
        )
    session.commit()
    return follow_up


def reschedule(session: Session, user: User, follow_up: FollowUp, when: str) -> FollowUp:
    require_records(user)
    errors = FormErrors()
    due = _due(user, when, errors, "due")
    errors.raise_if_any()
    follow_up.due_on = due
    session.add(follow_up)
    session.commit()
    return follow_up


def answerable(
    session: Session, user: User, contact_id: int, follow_up_id: int | None = None
) -> FollowUp | None:
    """The follow-up an activity on this contact most likely answers: the one named (from
    Today's Log), else my earliest open one on the contact due today or before."""
    if follow_up_id is not None:
        named = session.get(FollowUp, follow_up_id)
        if named is not None and named.owner_id == user.id and named.done_at is None:
            return named
    return session.exec(
        select(FollowUp)
        .where(
            FollowUp.contact_id == contact_id,
            FollowUp.done_at.is_(None),
            FollowUp.owner_id == user.id,
            FollowUp.due_on <= user_today(user),
        )
        .order_by(FollowUp.due_on, FollowUp.id)
        .limit(1)
    ).first()


def deal_of(session: Session, follow_up: FollowUp) -> int | None:
    """The deal of the activity that set this follow-up, if any."""
    activity = session.get(Activity, follow_up.activity_id) if follow_up.activity_id else None
    return activity.deal_id if activity else None


@dataclass
class NextStep:
    follow_up: FollowUp
    owner_name: str
    # How many steps are open on the record, this one included.
    open_count: int = 1


def next_follow_up(
    session: Session,
    user: User,
    *,
    contact_id: int | None = None,
    organization_id: int | None = None,
) -> NextStep | None:
    """The record's earliest open step, team-visible or mine (R2), and how many are open."""
    require_records(user)
    where = (
        FollowUp.contact_id == contact_id
        if contact_id is not None
        else FollowUp.organization_id == organization_id
    )
    visible = (where, FollowUp.done_at.is_(None), visible_to(user))
    row = session.exec(
        select(FollowUp, User.name)
        .join(User, User.id == FollowUp.owner_id)
        .where(*visible)
        .order_by(FollowUp.due_on, FollowUp.id)
        .limit(1)
    ).first()
    if row is None:
        return None
    count = session.exec(select(func.count()).select_from(FollowUp).where(*visible)).one()
    return NextStep(row[0], row[1], count)


def visible_to(user: User):
    """The follow-ups a user may see: the team's, and their own private ones (R2)."""
    return or_(FollowUp.is_private.is_(False), FollowUp.owner_id == user.id)


def open_of(session: Session, user: User, limit: int):
    """The user's own open follow-ups with their contact's and organization's names, soonest
    first (the calendar feed)."""
    return session.exec(
        select(FollowUp, Contact.name, Organization.name)
        .outerjoin(Contact, Contact.id == FollowUp.contact_id)
        .outerjoin(Organization, Organization.id == FollowUp.organization_id)
        .where(FollowUp.owner_id == user.id, FollowUp.done_at.is_(None))
        .order_by(FollowUp.due_on)
        .limit(limit)
    )


def to_hand_over(session: Session, departing: User):
    """(id, contact id, organization id) of a departing seller's open team follow-ups: their
    private ones stay theirs."""
    return session.exec(
        select(FollowUp.id, FollowUp.contact_id, FollowUp.organization_id)
        .where(
            FollowUp.owner_id == departing.id,
            FollowUp.done_at.is_(None),
            FollowUp.is_private.is_(False),
        )
        .order_by(FollowUp.id)
    )


def reassign(session: Session, ids: list[int], owner_id: int) -> None:
    """In the caller's transaction (the hand-over commits it with everything else)."""
    session.execute(update(FollowUp).where(FollowUp.id.in_(ids)).values(owner_id=owner_id))

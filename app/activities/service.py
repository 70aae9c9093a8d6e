"""Logging activities, their follow-ups, timelines and the seller's Today.

Visibility (R2): a private activity, and the follow-up it sets, exist only for
their author; everyone else, admins included, gets NotFound.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_
from sqlmodel import Session, select

from app.activities import follow_ups
from app.activities.follow_ups import (
    DUE_HELP,
    FollowUpRow,
    user_language,
)
from app.activities.models import Activity, ActivityCreate, ActivityUpdate, FollowUp
from app.auth.models import User
from app.core import outbox
from app.core.access import require_records
from app.core.clock import user_today, week_of
from app.core.due_dates import parse_due
from app.core.errors import Forbidden, FormErrors, NotFound, refusal_rolls_back
from app.core.forms import parse_form
from app.core.i18n import N_
from app.core.pagination import (
    Page,
    clamp_limit,
    cursor_id,
    cursor_time,
    decode_cursor,
    encode_cursor,
)
from app.core.schema import utcnow
from app.customers.models import Contact, Organization
from app.deals import queries as deal_queries
from app.deals import service as deals
from app.deals.models import Deal
from app.documents.service import sync_activity_privacy


def visible_to(user: User):
    """The one filter for who may see an activity."""
    return or_(Activity.visibility == "team", Activity.author_id == user.id)


def _to_utc(moment: datetime, user: User) -> datetime:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(user.timezone))
    return moment.astimezone(UTC)


def log_activity(
    session: Session, user: User, data: ActivityCreate, *, mail_message_id: int | None = None
) -> Activity:
    """Saves an activity and, when given, its next step, in one transaction (with whatever
    the caller added to the session: a mail sent from Carnet and its sending job)."""
    require_records(user)
    errors = FormErrors()
    contact = organization = None
    if data.contact_id is not None:
        contact = session.get(Contact, data.contact_id)
        if contact is None:
            errors.add("contact_id", N_("This contact does not exist."))
    if data.organization_id is not None:
        organization = session.get(Organization, data.organization_id)
        if organization is None:
            errors.add("organization_id", N_("This organization does not exist."))
    deal = None
    if data.deal_id is not None:
        deal = session.get(Deal, data.deal_id)
        if deal is None:
            errors.add("deal_id", N_("This deal does not exist."))
    if contact is None and organization is None and deal is None and not errors:
        errors.add("contact_id", N_("Pick a contact."))
    if data.kind == "note" and not data.text:
        errors.add("text", N_("Write the note."))
    due = None
    try:
        due = parse_due(data.next_step_due, user_today(user), user_language(user))
    except ValueError:
        errors.add("next_step_due", DUE_HELP)
    if data.next_step and due is None and "next_step_due" not in errors.fields:
        errors.add("next_step_due", N_("When is the next step due?"))
    if due is not None and not data.next_step:
        errors.add("next_step", N_("What is the next step?"))
    occurred_at = _to_utc(data.occurred_at, user) if data.occurred_at else utcnow()
    if occurred_at > utcnow() + timedelta(days=366):
        errors.add("occurred_at", N_("This is more than a year ahead."))
    errors.raise_if_any()

    org_id = organization.id if organization else (contact.organization_id if contact else None)
    if deal is None and data.new_deal_title:
        deal = deals.quick_deal(session, user, data.new_deal_title, contact, org_id)
    if deal is not None and org_id is None:
        org_id = deal.organization_id
    activity = Activity(
        kind=data.kind,
        occurred_at=occurred_at,
        occurred_week=week_of(occurred_at),
        contact_id=contact.id if contact else None,
        organization_id=org_id,
        deal_id=deal.id if deal else None,
        author_id=user.id,
        text=data.text,
        visibility=data.visibility,
        mail_message_id=mail_message_id,
    )
    session.add(activity)
    session.flush()
    if data.next_step and due is not None and deal is not None and data.visibility == "team":
        # On a deal, the next step is the deal's: the board and Today show it there.
        deals.set_next_step(session, user, deal, data.next_step, due)
    elif data.next_step and due is not None:
        session.add(
            FollowUp(
                what=data.next_step,
                due_on=due,
                owner_id=user.id,
                contact_id=activity.contact_id,
                organization_id=org_id,
                activity_id=activity.id,
                is_private=data.visibility == "private",
            )
        )
    if data.closes_follow_up_id is not None:
        _close_answered(session, user, data.closes_follow_up_id)
    if activity.visibility == "team":
        # Private activities never leave Carnet (R2).
        outbox.emit(
            session,
            "activity.logged",
            {
                "activity_id": activity.id,
                "kind": activity.kind,
                "occurred_at": activity.occurred_at,
                "contact_id": activity.contact_id,
                "organization_id": activity.organization_id,
                "deal_id": activity.deal_id,
                "text": activity.text,
            },
        )
    session.commit()
    session.refresh(activity)
    return activity


def _close_answered(session: Session, user: User, follow_up_id: int) -> None:
    """The call that answers a follow-up closes it. Someone else's, or one already done
    (in another tab), is left as it is: nothing to refuse, the activity is what counts."""
    follow_up = session.get(FollowUp, follow_up_id)
    if follow_up is not None and follow_up.owner_id == user.id and follow_up.done_at is None:
        follow_up.done_at = utcnow()
        session.add(follow_up)


def get_activity(session: Session, user: User, activity_id: int) -> Activity:
    require_records(user)
    activity = session.get(Activity, activity_id)
    if activity is None or (activity.visibility != "team" and activity.author_id != user.id):
        raise NotFound
    return activity


@refusal_rolls_back
def update_activity(
    session: Session, user: User, activity: Activity, data: ActivityUpdate
) -> Activity:
    require_records(user)
    if activity.author_id != user.id:
        # Colleagues may read a team activity, but only its author rewrites it.
        raise Forbidden
    changes = {k: v for k, v in data.model_dump(exclude_unset=True).items() if v is not None}
    if "occurred_at" in changes:
        changes["occurred_at"] = _to_utc(changes["occurred_at"], user)
        changes["occurred_week"] = week_of(changes["occurred_at"])
    activity.sqlmodel_update(changes)
    session.add(activity)
    if "visibility" in changes:
        for follow_up in session.exec(select(FollowUp).where(FollowUp.activity_id == activity.id)):
            follow_up.is_private = activity.visibility == "private"
            session.add(follow_up)
        sync_activity_privacy(session, activity)
    session.commit()
    session.refresh(activity)
    return activity


@dataclass
class TimelineEntry:
    activity: Activity
    author_name: str
    contact_name: str | None


def _timeline(session: Session, user: User, where, cursor: str | None, limit: int | None):
    limit = clamp_limit(limit, 50)
    stmt = (
        select(Activity, User.name, Contact.name)
        .join(User, User.id == Activity.author_id)
        .outerjoin(Contact, Contact.id == Activity.contact_id)
        .where(where, visible_to(user))
    )
    after = decode_cursor(cursor, 2)
    if after:
        when, last_id = cursor_time(after[0]), cursor_id(after[1]) or 0
        if when is not None:
            stmt = stmt.where(
                or_(
                    Activity.occurred_at < when,
                    and_(Activity.occurred_at == when, Activity.id < last_id),
                )
            )
    rows = list(
        session.exec(
            stmt.order_by(Activity.occurred_at.desc(), Activity.id.desc()).limit(limit + 1)
        )
    )
    page = Page(items=[TimelineEntry(a, author, contact) for a, author, contact in rows[:limit]])
    if len(rows) > limit:
        last = rows[limit - 1][0]
        page.next_cursor = encode_cursor(last.occurred_at.isoformat(), last.id)
    return page


def contact_timeline(
    session: Session, user: User, contact: Contact, cursor: str | None = None, limit=None
) -> Page[TimelineEntry]:
    require_records(user)
    return _timeline(session, user, Activity.contact_id == contact.id, cursor, limit)


def organization_timeline(
    session: Session, user: User, org: Organization, cursor: str | None = None, limit=None
) -> Page[TimelineEntry]:
    require_records(user)
    return _timeline(session, user, Activity.organization_id == org.id, cursor, limit)


def deal_timeline(
    session: Session, user: User, deal: Deal, cursor: str | None = None, limit=None
) -> Page[TimelineEntry]:
    require_records(user)
    return _timeline(session, user, Activity.deal_id == deal.id, cursor, limit)


def my_activities(
    session: Session, user: User, cursor: str | None = None, limit=None
) -> Page[TimelineEntry]:
    """R3: "my" lists are always the current user's own."""
    require_records(user)
    return _timeline(session, user, Activity.author_id == user.id, cursor, limit)


# Sections of my open follow-ups, as Today shows them; "open" is all of them.
TODAY_ROWS = 10


@dataclass
class Today:
    day: date
    overdue: Page[FollowUpRow]
    due_today: Page[FollowUpRow]
    next_days: Page[FollowUpRow]
    recent: Page[TimelineEntry]
    deals: deal_queries.DealsToday
    # How many each section holds in all: the page shows the first few and links the rest.
    counts: dict[str, int]

    @property
    def is_empty(self) -> bool:
        return not (
            self.overdue.items
            or self.due_today.items
            or self.next_days.items
            or self.recent.items
            or not self.deals.is_empty
        )


def today_for(session: Session, user: User, quote_wait_days: int = 7) -> Today:
    """The seller's day: overdue, due today, the next 7 days, recent activities, and the
    deals that need them. Only theirs. Each section shows its first 10 and says how many
    it holds, so the page stays short however busy the seller is."""
    require_records(user)
    day = user_today(user)
    sections, counts = follow_ups.today_sections(session, user, day, TODAY_ROWS)
    return Today(
        day=day,
        overdue=sections["overdue"],
        due_today=sections["today"],
        next_days=sections["week"],
        recent=my_activities(session, user, limit=5),
        deals=deal_queries.deals_today(session, user, quote_wait_days, limit=TODAY_ROWS),
        counts=counts,
    )


class ContactNotChosen(FormErrors):
    """The typed name matched zero or several contacts; `choices` lists the candidates."""

    def __init__(self, choices: list) -> None:
        super().__init__()
        self.choices = choices


@dataclass
class NewContact:
    """A person quick entry creates on the way: the organization is found by name, or
    created."""

    name: str
    organization: str = ""
    phone: str = ""
    email: str = ""


def _log_with_new_contact(
    session: Session, user: User, data: ActivityCreate, new: NewContact
) -> Activity:
    """The contact, its organization and the activity in one transaction: all or nothing,
    so a refused activity leaves no half-made contact behind to be created twice."""
    from app.customers import service as customers
    from app.customers.models import ContactCreate, OrganizationCreate

    try:
        org = None
        if new.organization.strip():
            org = customers.organization_named(session, user, new.organization)
            if org is None:
                try:
                    named = parse_form(OrganizationCreate, {"name": new.organization})
                except FormErrors as exc:
                    exc.fields["new_contact_organization"] = exc.fields.pop("name", [])
                    raise
                org = customers.create_organization(session, user, named, commit=False)
        values = {"name": new.name, "phone": new.phone, "email": new.email}
        contact = customers.create_contact(
            session,
            user,
            parse_form(ContactCreate, values | {"organization_id": org and org.id}),
            commit=False,
        )
        return log_activity(session, user, data.model_copy(update={"contact_id": contact.id}))
    except FormErrors as exc:
        session.rollback()
        for field in ("name", "phone", "email", "organization_id"):
            if field in exc.fields:
                exc.fields[f"new_contact_{field}"] = exc.fields.pop(field)
        raise


def log_from_quick_entry(
    session: Session,
    user: User,
    data: ActivityCreate,
    contact_query: str,
    new_contact: NewContact | None = None,
) -> Activity:
    """Quick entry: a contact picked from the suggestions, or one created on the way, or
    else the typed letters pick it if they match exactly one; otherwise the user chooses
    among the matches."""
    require_records(user)
    if data.contact_id is None and new_contact is not None and new_contact.name.strip():
        return _log_with_new_contact(session, user, data, new_contact)
    if data.contact_id is None and contact_query.strip():
        from app.activities.contact_lookup import find_contacts

        matches = find_contacts(session, user, contact_query, limit=6)
        if len(matches) == 1:
            data = data.model_copy(update={"contact_id": matches[0].id})
        else:
            error = ContactNotChosen(matches)
            error.add(
                "contact_id",
                N_("Several contacts match: pick one.")
                if matches
                else N_("No contact matches these letters."),
            )
            raise error
    return log_activity(session, user, data)

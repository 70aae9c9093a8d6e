"""The user's follow-ups, deals' next steps and meetings as an iCalendar feed (RFC 5545).

Only the user's own (R3): their follow-ups (private ones included: they are theirs),
the next steps of the deals they own, the meetings they logged."""

import secrets
from datetime import timedelta

from icalendar import Calendar, Event
from itsdangerous import BadSignature, URLSafeSerializer
from sqlmodel import Session, select

from app.activities import follow_ups as follow_up_list
from app.activities.models import Activity
from app.auth.models import User
from app.core.access import require_records
from app.core.errors import NotFound
from app.core.schema import utcnow
from app.customers.models import Contact, Organization
from app.deals.models import Deal
from app.interop.calendar.models import CalendarFeed

LIMIT = 1000


def _signer(secret: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt="carnet-calendar")


def feed_token(session: Session, user: User, secret: str) -> str | None:
    feed = session.get(CalendarFeed, user.id)
    return _signer(secret).dumps([user.id, feed.nonce]) if feed else None


def new_feed(session: Session, user: User) -> None:
    """Creates the feed, or replaces its secret: any old URL stops working."""
    require_records(user)
    feed = session.get(CalendarFeed, user.id) or CalendarFeed(user_id=user.id, nonce="")
    feed.nonce = secrets.token_urlsafe(12)
    feed.created_at = utcnow()
    session.add(feed)
    session.commit()


def revoke_feed(session: Session, user: User) -> None:
    feed = session.get(CalendarFeed, user.id)
    if feed is not None:
        session.delete(feed)
        session.commit()


def user_for_token(session: Session, secret: str, token: str) -> User:
    try:
        user_id, nonce = _signer(secret).loads(token)
        feed = session.get(CalendarFeed, int(user_id))
    except (BadSignature, ValueError, TypeError):
        raise NotFound from None
    if feed is None or not secrets.compare_digest(str(nonce), feed.nonce):
        raise NotFound
    user = session.get(User, feed.user_id)
    if user is None or not user.is_active or not user.can_see_records:
        raise NotFound
    return user


def calendar_for(session: Session, user: User, base_url: str, loc) -> bytes:
    cal = Calendar()
    cal.add("prodid", "-//Carnet//Carnet CRM//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", f"Carnet · {user.name}")
    stamp = utcnow()
    follow_ups = follow_up_list.open_of(session, user, LIMIT)
    for follow_up, contact, org in follow_ups:
        who = " · ".join(x for x in (contact, org) if x)
        event = Event()
        event.add("uid", f"follow-up-{follow_up.id}@carnet")
        event.add("dtstamp", stamp)
        event.add("dtstart", follow_up.due_on)
        event.add("dtend", follow_up.due_on + timedelta(days=1))
        event.add("summary", f"{follow_up.what} — {who}" if who else follow_up.what)
        link = (
            f"{base_url}contacts/{follow_up.contact_id}"
            if follow_up.contact_id
            else f"{base_url}today"
        )
        event.add("url", link)
        event.add("description", f"{who}\n{link}" if who else link)
        cal.add_component(event)
    deals = session.exec(
        select(Deal, Organization.name)
        .outerjoin(Organization, Organization.id == Deal.organization_id)
        .where(Deal.owner_id == user.id, Deal.status == "open", Deal.next_step_due.is_not(None))
        .order_by(Deal.next_step_due)
        .limit(LIMIT)
    )
    for deal, org in deals:
        event = Event()
        event.add("uid", f"deal-{deal.id}-next-step@carnet")
        event.add("dtstamp", stamp)
        event.add("dtstart", deal.next_step_due)
        event.add("dtend", deal.next_step_due + timedelta(days=1))
        event.add("summary", f"{deal.next_step} — {deal.title}")
        link = f"{base_url}deals/{deal.id}"
        event.add("url", link)
        event.add("description", f"{deal.title}{' · ' + org if org else ''}\n{link}")
        cal.add_component(event)
    meetings = session.exec(
        select(Activity, Contact.name)
        .outerjoin(Contact, Contact.id == Activity.contact_id)
        .where(
            Activity.author_id == user.id,
            Activity.kind == "meeting",
            Activity.occurred_at >= stamp - timedelta(days=90),
        )
        .order_by(Activity.occurred_at)
        .limit(LIMIT)
    )
    for activity, contact in meetings:
        event = Event()
        event.add("uid", f"activity-{activity.id}@carnet")
        event.add("dtstamp", stamp)
        event.add("dtstart", activity.occurred_at)
        event.add("dtend", activity.occurred_at + timedelta(hours=1))
        meeting = loc.gettext("Meeting")
        event.add("summary", f"{meeting} — {contact}" if contact else meeting)
        link = f"{base_url}activities/{activity.id}"
        event.add("url", link)
        event.add("description", f"{activity.text}\n{link}".strip())
        cal.add_component(event)
    return cal.to_ical()

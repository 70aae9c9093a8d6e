"""What every record page (contact, organization, deal) shows the same way: its activity
timeline and its change trail, each first page on the record page and the next pages as
fragments from one pair of handlers per record type."""

from fastapi import APIRouter, Request
from sqlmodel import Session

from app.activities import service
from app.audit.trail import history
from app.auth.deps import RecordUser, SessionDep
from app.auth.models import User
from app.core.templating import render
from app.interop.mail.on_records import mail_lines

PATHS = {"contact": "/contacts", "organization": "/organizations", "deal": "/deals"}
TIMELINES = {
    "contact": service.contact_timeline,
    "organization": service.organization_timeline,
    "deal": service.deal_timeline,
}


# The record page opens on the latest activities, a phone screen's worth a few times over;
# "Older activities" then brings 50 at a time. A record with years of mail opens as fast as
# a new one (bench/mail.py).
FIRST_PAGE = 20


def timeline(session: Session, user: User, record_type: str, record, cursor: str = "") -> dict:
    """The record's activities, newest first (private ones only for their author, R2), and
    the mail behind their email activities."""
    limit = None if cursor else FIRST_PAGE
    page = TIMELINES[record_type](session, user, record, cursor=cursor or None, limit=limit)
    mail_ids = {e.activity.mail_message_id for e in page.items if e.activity.mail_message_id}
    return {
        "timeline": page,
        "timeline_url": f"{PATHS[record_type]}/{record.id}/timeline",
        "mail": mail_lines(session, mail_ids),
    }


def changes(session: Session, record_type: str, record_id: int, cursor: str = "") -> dict:
    """The record's change trail (R7): shown to exactly those who may see the record."""
    return {
        "changes": history(session, record_type, record_id, cursor or None),
        "changes_url": f"{PATHS[record_type]}/{record_id}/history",
    }


def add_record_feeds(router: APIRouter, record_type: str, loaded) -> None:
    """Registers `<path>/{id}/timeline` and `<path>/{id}/history` for one record type;
    `loaded` is the type's loader dependency, which applies the visibility rules."""
    path = f"{PATHS[record_type]}/{{{record_type}_id}}"

    def timeline_page(
        request: Request, session: SessionDep, user: RecordUser, record: loaded, cursor: str = ""
    ):
        context = timeline(session, user, record_type, record, cursor)
        return render(request, "activities/_timeline_items.html", context)

    def changes_page(
        request: Request, session: SessionDep, user: RecordUser, record: loaded, cursor: str = ""
    ):
        context = changes(session, record_type, record.id, cursor)
        return render(request, "audit/_changes.html", context)

    router.add_api_route(f"{path}/timeline", timeline_page, methods=["GET"])
    router.add_api_route(f"{path}/history", changes_page, methods=["GET"])

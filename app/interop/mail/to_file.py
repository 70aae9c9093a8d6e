"""The seller's "To file" list: captured mail that matched no contact, for their eyes only.
Filed on a contact (found by its address or name), on a contact made from the sender in
one step, or dropped."""

import json

from pydantic import ValidationError
from sqlalchemy import or_
from sqlmodel import Session, select

from app.activities.models import Activity
from app.auth.models import User
from app.core.access import require_records
from app.core.config import Settings
from app.core.errors import FormErrors, NotFound
from app.core.i18n import N_
from app.core.pagination import Page, clamp_limit, cursor_id, decode_cursor, encode_cursor
from app.core.text import fold
from app.customers import service as customers
from app.customers.models import Contact, ContactCreate
from app.documents.models import Document
from app.interop.mail import capture
from app.interop.mail.models import DROPPED, FILED, TO_FILE, MailMessage


def waiting(session: Session, user: User, cursor: str | None = None, limit: int = 25) -> Page:
    """My captured mail waiting to be filed, newest first (a page, by id)."""
    require_records(user)
    limit = clamp_limit(limit, 25)
    stmt = select(MailMessage).where(MailMessage.owner_id == user.id, MailMessage.status == TO_FILE)
    after = decode_cursor(cursor, 1)
    if after:
        stmt = stmt.where(MailMessage.id < (cursor_id(after[0]) or 0))
    rows = list(session.exec(stmt.order_by(MailMessage.id.desc()).limit(limit + 1)))
    page = Page(items=rows[:limit])
    if len(rows) > limit:
        page.next_cursor = encode_cursor(rows[limit - 1].id)
    return page


def get_waiting(session: Session, user: User, message_id: int) -> MailMessage | None:
    """One of my mails still waiting; None once filed or dropped (a second click); anyone
    else's is not found (R2)."""
    require_records(user)
    message = session.get(MailMessage, message_id)
    if message is None or message.owner_id != user.id:
        raise NotFound
    return message if message.status == TO_FILE else None


def _contact_for(session: Session, user: User, typed: str) -> Contact:
    """The one live contact whose address is `typed`, or whose name is it (folded)."""
    typed = typed.strip()
    errors = FormErrors()
    if not typed:
        errors.add("contact", N_("Type the contact's email address or name."))
        errors.raise_if_any()
    found = session.exec(
        select(Contact)
        .where(
            Contact.archived_at.is_(None),
            or_(Contact.email == typed.lower(), Contact.sort_key == fold(typed)[:200]),
        )
        .limit(2)
    ).all()
    if not found:
        errors.add("contact", N_("No contact has this address or name."))
    elif len(found) > 1:
        errors.add("contact", N_("Several contacts have this name: type their email address."))
    errors.raise_if_any()
    return found[0]


def file_on(
    session: Session, settings: Settings, store, user: User, message: MailMessage, typed: str
) -> Contact:
    contact = _contact_for(session, user, typed)
    _file(session, settings, store, user, message, contact)
    return contact


def new_contact_address(message: MailMessage, user: User) -> tuple[str, str]:
    """(address, name) of the customer a waiting mail is about: its sender, unless the seller
    wrote it (a BCC'd mail), then the first person it was written to."""
    if message.sender_email and message.sender_email.lower() != user.email.lower():
        return message.sender_email, message.sender_name
    return (message.addresses.split() or [""])[0], ""


def file_on_new_contact(
    session: Session, settings: Settings, store, user: User, message: MailMessage
) -> Contact:
    """A contact made from the sender (their name, or their address's first part), then the
    mail filed on it: one step, one transaction."""
    email, name = new_contact_address(message, user)
    name = name or email.split("@")[0]
    try:
        data = ContactCreate(name=name or email, email=email)
    except ValidationError:
        errors = FormErrors()
        errors.add("contact", N_("The sender's address cannot make a contact."))
        raise errors from None
    contact = customers.create_contact(session, user, data, commit=False)
    _file(session, settings, store, user, message, contact)
    return contact


def _file(session, settings, store, user, message: MailMessage, contact: Contact) -> None:
    capture.file_activities(session, settings, store, user, message, [contact], None)
    activity_id = session.exec(
        select(Activity.id).where(Activity.mail_message_id == message.id)
    ).first()
    kept = [f["document_id"] for f in json.loads(message.files or "[]") if f.get("document_id")]
    for document in session.exec(select(Document).where(Document.id.in_(kept))).all():
        # The attachments waited privately; they now go with the activity, as private as it.
        document.activity_id = activity_id
        document.private_to = user.id if message.visibility == "private" else None
        session.add(document)
    message.status = FILED
    session.add(message)
    session.commit()


def drop(session: Session, user: User, message: MailMessage) -> None:
    message.status = DROPPED
    session.add(message)
    session.commit()

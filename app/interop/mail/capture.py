"""Filing a captured mail: the seller by the secret of their capture address, the customers by
the addresses of the original mail, one email activity per contact (with its organization),
the attachments as documents on it. Captured once per Message-ID; replies join their thread.
Nothing of it is ever counted per person."""

import hashlib
import io
import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlmodel import Session, select

from app.activities.models import Activity
from app.auth.models import User
from app.core.clock import week_of
from app.core.config import Settings
from app.core.errors import FormErrors
from app.core.outbox import emit
from app.core.schema import utcnow
from app.customers.models import Contact
from app.documents import service as documents
from app.documents.service import DocumentStore, Upload
from app.interop.mail import capture_address
from app.interop.mail.models import FILED, TO_FILE, MailMessage
from app.interop.mail.parsing import ParsedMail, parse

log = logging.getLogger("carnet.mail")

# Outcomes of one message.
UNKNOWN_KEY, AUTOMATIC, DUPLICATE = "unknown_key", "automatic", "duplicate"
ACTIVITY_TEXT = 20_000


@dataclass
class Outcome:
    status: str  # FILED, TO_FILE, UNKNOWN_KEY, AUTOMATIC or DUPLICATE
    message_id: int | None = None
    activities: int = 0


def _received_by(mail: ParsedMail) -> list[str]:
    return mail.delivered_to + [a.email for a in mail.to + mail.cc]


def _customers(mail: ParsedMail, seller: User, team: set[str]) -> list[str]:
    """The customers' addresses: a forward's original people (its sender first), or a BCC'd
    mail's recipients; never the seller, a colleague or a capture address."""
    if mail.forwarded is not None:
        people = ([mail.forwarded.sender] if mail.forwarded.sender else []) + (
            mail.forwarded.to + mail.forwarded.cc
        )
    else:
        people = mail.to + mail.cc
        if mail.sender and mail.sender.email != seller.email.lower():
            people.insert(0, mail.sender)  # a customer's mail the seller was copied on
    team_domains = {e.split("@")[1] for e in team if "@" in e}
    found: list[str] = []
    for person in people:
        local, domain = person.email.split("@", 1)
        # A colleague, or a plus address of the team's own domains (a capture address).
        if person.email in team or ("+" in local and domain in team_domains):
            continue
        if person.email not in found:
            found.append(person.email)
    return found[:50]


def _thread(session: Session, mail: ParsedMail, own_id: str) -> str:
    """The first message of the conversation this one answers, if Carnet has it."""
    known = [m for m in [mail.in_reply_to, *reversed(mail.references)] if m]
    if known:
        row = session.exec(
            select(MailMessage.thread_id).where(MailMessage.message_id.in_(known[:21]))
        ).first()
        if row:
            return row
    return mail.references[0] if mail.references else own_id


def _message_id(mail: ParsedMail, raw: bytes) -> str:
    # A mail without a Message-ID is still captured once: its bytes name it.
    return mail.message_id or "sha256:" + hashlib.sha256(raw).hexdigest()


def file_raw(session: Session, settings: Settings, store: DocumentStore, raw: bytes) -> Outcome:
    """Files one message; commits. Raises only on a fault of Carnet's (the database), never
    on what the mail holds."""
    mail = parse(raw)
    seller = capture_address.seller_for(
        session, capture_address.key_in(settings, _received_by(mail))
    )
    if seller is None:
        log.warning("mail %r: no seller has this capture address; ignored", mail.message_id[:80])
        return Outcome(UNKNOWN_KEY)
    own = {settings.smtp_from.lower(), settings.capture_address.lower()}
    if mail.automatic or (mail.sender is not None and mail.sender.email in own):
        # Carnet's own mail (a digest, a mail it sent) coming back round is a loop.
        return Outcome(AUTOMATIC)
    own_id = _message_id(mail, raw)
    if session.exec(select(MailMessage.id).where(MailMessage.message_id == own_id)).first():
        return Outcome(DUPLICATE)
    team = {e.lower() for e in session.exec(select(User.email)).all()}
    team.add(settings.capture_address.lower())
    original = mail.forwarded or mail
    addresses = _customers(mail, seller, team)
    contacts = (
        session.exec(
            select(Contact)
            .where(Contact.email.in_(addresses))
            .where(Contact.archived_at.is_(None))
            .order_by(Contact.id)
        ).all()
        if addresses
        else []
    )
    private = seller.capture_private or mail.private or original.private
    subject = original.subject if mail.forwarded and original.subject else mail.subject
    message = MailMessage(
        owner_id=seller.id,
        message_id=own_id,
        thread_id=_thread(session, mail, own_id),
        direction="in",
        subject=subject,
        sent_at=original.sent_at or mail.sent_at,
        sender_email=original.sender.email if original.sender else "",
        sender_name=(original.sender.name if original.sender else "")[:200],
        addresses=" ".join(addresses)[:4000],
        text=original.text,
        quoted=original.quoted,
        visibility="private" if private else "team",
        status=FILED if contacts else TO_FILE,
    )
    session.add(message)
    session.flush()
    files = file_activities(session, settings, store, seller, message, contacts, mail)
    message.files = json.dumps(files)[:20_000]
    session.commit()
    return Outcome(message.status, message.id, len(contacts))


def activity_text(message: MailMessage) -> str:
    return (f"{message.subject}\n\n{message.text}" if message.subject else message.text)[
        :ACTIVITY_TEXT
    ]


def file_activities(
    session: Session,
    settings: Settings,
    store: DocumentStore,
    seller: User,
    message: MailMessage,
    contacts: list[Contact],
    mail: ParsedMail | None,
) -> list[dict]:
    """One email activity per contact; the attachments as documents on the first (a file
    larger than the upload limit is listed, not kept)."""
    when = message.sent_at or message.received_at or utcnow()
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    when = min(when, datetime.now(UTC))
    first = None
    for contact in contacts:
        activity = Activity(
            kind="email",
            occurred_at=when,
            occurred_week=week_of(when),
            contact_id=contact.id,
            organization_id=contact.organization_id,
            author_id=seller.id,
            text=activity_text(message),
            visibility=message.visibility,
            mail_message_id=message.id,
        )
        session.add(activity)
        session.flush()
        first = first or activity
        if activity.visibility == "team":
            emit(
                session,
                "activity.logged",
                {
                    "activity_id": activity.id,
                    "kind": "email",
                    "occurred_at": activity.occurred_at,
                    "contact_id": activity.contact_id,
                    "organization_id": activity.organization_id,
                    "deal_id": None,
                    "text": activity.text,
                },
            )
    files = []
    for attachment in mail.attachments if mail else []:
        entry = {
            "name": attachment.filename,
            "size": len(attachment.data),
            "sha256": hashlib.sha256(attachment.data).hexdigest(),
            "kept": False,
        }
        if 0 < len(attachment.data) <= settings.max_upload_bytes:
            upload = Upload(
                attachment.filename, attachment.content_type, io.BytesIO(attachment.data)
            )
            try:
                document = documents.attach(
                    session, seller, store, upload, activity=first, commit=False
                )
            except FormErrors:
                # A file Carnet cannot keep (a name it refuses): listed, the mail still filed.
                files.append(entry)
                continue
            if first is None:
                # Waiting in "To file": the seller's alone until filed on a record.
                document.private_to = seller.id
            entry.update(kept=True, document_id=document.id, version=1)
        files.append(entry)
    return files

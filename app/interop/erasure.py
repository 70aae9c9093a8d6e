"""A person's rights over what Carnet holds about them: to see it all (an access export) and to
be forgotten (erasure). Both are the team's to carry out, so a seller or an admin may.

Erasure removes or blanks what is about the person and keeps what the team's figures need:
the contact record stays, emptied, so activity counts, deal amounts and survey tallies still
add up; a line "erased" with who and when stays in its history.
"""

import contextlib
import json
import re
from pathlib import Path

from sqlalchemy import delete, func, or_, update
from sqlmodel import Session, select

from app.activities import follow_ups
from app.activities.models import Activity, FollowUp
from app.activities.service import visible_to as activity_visible_to
from app.audit.trail import AuditEntry, record_changes
from app.auth.models import User
from app.core.access import require_records
from app.core.outbox import WebhookDelivery
from app.core.schema import utcnow
from app.core.text import fold
from app.customers.models import Contact, Organization
from app.deals.models import TITLE_KEY_CHARS, Deal, DealContact
from app.documents.models import Document, DocumentVersion
from app.documents.service import visible_to as document_visible_to
from app.documents.storage import DocumentStore
from app.interop.mail.models import MailMessage
from app.satisfaction.models import SurveyLink, SurveyResponse

ERASED_NAME = "—"


def _their_documents(contact: Contact):
    on_activities = select(Activity.id).where(Activity.contact_id == contact.id)
    return or_(Document.contact_id == contact.id, Document.activity_id.in_(on_activities))


def person_export(session: Session, user: User, contact: Contact) -> dict:
    """Everything about the person that the user may see, as one document to hand over."""
    require_records(user)
    org = session.get(Organization, contact.organization_id) if contact.organization_id else None
    activities = session.exec(
        select(Activity)
        .where(Activity.contact_id == contact.id, activity_visible_to(user))
        .order_by(Activity.occurred_at)
    ).all()
    steps = session.exec(
        select(FollowUp).where(FollowUp.contact_id == contact.id, follow_ups.visible_to(user))
    ).all()
    deals = session.exec(
        select(Deal.title)
        .join(DealContact, DealContact.deal_id == Deal.id)
        .where(DealContact.contact_id == contact.id)
    ).all()
    documents = session.exec(
        select(Document.title).where(_their_documents(contact), document_visible_to(user))
    ).all()
    answers = session.exec(
        select(SurveyResponse).where(SurveyResponse.contact_id == contact.id)
    ).all()
    history = session.exec(
        select(AuditEntry)
        .where(AuditEntry.record_type == "contact", AuditEntry.record_id == contact.id)
        .order_by(AuditEntry.id)
    ).all()
    # Colleagues' private notes stay theirs (R2), but the file says they exist, so the
    # person can be told what else is held and who to ask.
    withheld = session.exec(
        select(func.count())
        .select_from(Activity)
        .where(Activity.contact_id == contact.id, ~activity_visible_to(user))
    ).one()
    return {
        "withheld": {
            "private_activities_of_colleagues": withheld,
            "note": "Each colleague can download this file for their own private notes.",
        },
        "contact": {
            "name": contact.name,
            "email": contact.email,
            "phone": contact.phone,
            "title": contact.title,
            "organization": org.name if org else None,
            "tags": contact.tags,
            "notes": contact.notes,
            "language": contact.language,
            "created_at": contact.created_at.isoformat(),
        },
        "activities": [
            {"kind": a.kind, "occurred_at": a.occurred_at.isoformat(), "text": a.text}
            for a in activities
        ],
        "next_steps": [
            {"what": f.what, "due_on": f.due_on.isoformat(), "done": f.done_at is not None}
            for f in steps
        ],
        "deals": list(deals),
        "documents": list(documents),
        "survey_answers": [
            {
                "kind": r.kind,
                "score": r.score,
                "comment": r.comment,
                "at": r.answered_at.isoformat(),
            }
            for r in answers
        ],
        "changes": [
            {"field": e.field, "old": e.old_value, "new": e.new_value, "at": e.at.isoformat()}
            for e in history
        ],
    }


def erase(session: Session, user: User, contact: Contact, store: DocumentStore) -> None:
    """Forgets the person, in one transaction; their documents' files go once it commits."""
    require_records(user)
    cid = contact.id
    _scrub_their_deals(session, contact)
    _scrub_their_mail(session, contact)
    session.execute(update(Activity).where(Activity.contact_id == cid).values(text=""))
    session.execute(delete(FollowUp).where(FollowUp.contact_id == cid))
    session.execute(delete(DealContact).where(DealContact.contact_id == cid))
    # Survey answers: the team's running tallies keep them, anonymous; the rows go.
    session.execute(delete(SurveyResponse).where(SurveyResponse.contact_id == cid))
    session.execute(delete(SurveyLink).where(SurveyLink.contact_id == cid))
    files = _drop_documents(session, store, contact)
    # What the trail said about them (old names, emails) goes; that it changed stays.
    session.execute(
        update(AuditEntry)
        .where(AuditEntry.record_type == "contact", AuditEntry.record_id == cid)
        .values(old_value="", new_value="")
    )
    _scrub_webhook_payloads(session, cid)
    contact.sqlmodel_update(
        {
            "name": ERASED_NAME,
            "email": "",
            "phone": "",
            "title": "",
            "tags": "",
            "notes": "",
            "language": "",
            "sort_key": "",
            "search_text": "",
            "archived_at": contact.archived_at or utcnow(),
            "updated_at": utcnow(),
        }
    )
    session.add(contact)
    record_changes(session, user, "contact", cid, {"erased": ("", "")})
    session.commit()
    for path in files:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def _scrub_their_mail(session: Session, contact: Contact) -> None:
    """The mail filed on them, and mail from or to them still waiting to be filed: what it
    said and who it was between go; that a mail was sent or captured stays. (A mail written
    to them and others loses its text for all: it speaks of them.)"""
    filed = select(Activity.mail_message_id).where(
        Activity.contact_id == contact.id, Activity.mail_message_id.is_not(None)
    )
    theirs = MailMessage.id.in_(filed)
    if contact.email:
        email = contact.email.lower()
        theirs = or_(
            theirs,
            MailMessage.sender_email == email,
            MailMessage.addresses.contains(email),  # rare: no index needed for an erasure
        )
    session.execute(
        update(MailMessage)
        .where(theirs)
        .values(
            subject="",
            text="",
            quoted="",
            addresses="",
            sender_email="",
            sender_name="",
            files="[]",
        )
    )


def _mentions(contact: Contact) -> re.Pattern | None:
    """Their name, each word of it of three letters or more, and their email, as written in
    free text about a deal ("Call Zacharie", "Quote for Zacharie Erasme")."""
    words = [contact.name, contact.email, *contact.name.split()]
    words = sorted({w.strip() for w in words if len(w.strip()) >= 3}, key=len, reverse=True)
    if not words:
        return None
    return re.compile(r"\b(?:" + "|".join(re.escape(w) for w in words) + r")\b", re.IGNORECASE)


def _scrub(text: str | None, mentions: re.Pattern) -> str | None:
    return mentions.sub(ERASED_NAME, text) if text else text


def _scrub_their_deals(session: Session, contact: Contact) -> None:
    """The deals they were on keep their amounts and stages, not their name: in the title,
    next step and reason, in those deals' change trail and in their webhook events."""
    mentions = _mentions(contact)
    ids = session.exec(select(DealContact.deal_id).where(DealContact.contact_id == contact.id))
    ids = list(ids)
    if mentions is None or not ids:
        return
    for deal in session.exec(select(Deal).where(Deal.id.in_(ids))).all():
        deal.title = _scrub(deal.title, mentions) or deal.title
        deal.title_key = fold(deal.title)[:TITLE_KEY_CHARS]
        deal.next_step = _scrub(deal.next_step, mentions)
        deal.lost_reason = _scrub(deal.lost_reason, mentions)
        session.add(deal)
    trail = session.exec(
        select(AuditEntry).where(AuditEntry.record_type == "deal", AuditEntry.record_id.in_(ids))
    ).all()
    for entry in trail:
        entry.old_value = _scrub(entry.old_value, mentions)
        entry.new_value = _scrub(entry.new_value, mentions)
        session.add(entry)
    for deal_id in ids:
        pattern = f'%"deal_id": {deal_id}%'
        for delivery in session.exec(
            select(WebhookDelivery).where(WebhookDelivery.payload.like(pattern))
        ).all():
            delivery.payload = _scrub(delivery.payload, mentions)
            session.add(delivery)


def _scrub_webhook_payloads(session: Session, cid: int) -> None:
    """Webhook events about the person, sent or still queued, keep their id and that they
    were erased, nothing else: a queued one goes out without what was asked to be
    forgotten. Erasure is rare, so a LIKE over the deliveries is fine; JSON confirms."""
    found = session.exec(
        select(WebhookDelivery).where(WebhookDelivery.payload.like(f'%"contact_id": {cid}%'))
    ).all()
    for delivery in found:
        body = json.loads(delivery.payload)
        if isinstance(body.get("data"), dict) and body["data"].get("contact_id") == cid:
            body["data"] = {"contact_id": cid, "erased": True}
            delivery.payload = json.dumps(body, ensure_ascii=False)
            session.add(delivery)


def _drop_documents(session: Session, store: DocumentStore, contact: Contact) -> list[Path]:
    docs = session.exec(select(Document.id).where(_their_documents(contact))).all()
    if not docs:
        return []
    shas = set(
        session.exec(
            select(DocumentVersion.sha256).where(DocumentVersion.document_id.in_(docs))
        ).all()
    )
    session.execute(update(Document).where(Document.id.in_(docs)).values(current_version_id=None))
    session.execute(delete(DocumentVersion).where(DocumentVersion.document_id.in_(docs)))
    session.execute(delete(Document).where(Document.id.in_(docs)))
    still_used = set(
        session.exec(select(DocumentVersion.sha256).where(DocumentVersion.sha256.in_(shas))).all()
    )
    paths = [store.forget(session, sha) for sha in shas - still_used]
    return [p for p in paths if p is not None]

"""Sending a mail from Carnet: written on a record's page, logged at once as an email activity
(with its next step, in the same transaction), sent by a background job through the
CARNET_SMTP_* settings with the seller as Reply-To. The documents attached are recorded
version by version with their SHA-256: "which quote did they get?" has an answer."""

import json
import re
import secrets
import smtplib
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from app.activities.models import ActivityCreate
from app.activities.service import log_activity
from app.auth.models import User
from app.core import jobs
from app.core.config import Settings
from app.core.errors import FormErrors, Message
from app.core.i18n import N_
from app.core.jobs import Retry
from app.core.mail import can_send
from app.core.mail import send as send_mail
from app.core.schema import utcnow
from app.documents.models import Document, DocumentVersion
from app.documents.service import DocumentStore, visible_to
from app.interop.mail.compose import Record
from app.interop.mail.models import FAILED, SENDING, SENT, MailMessage
from app.satisfaction import service as satisfaction

KIND = "mail_send"
MAX_ATTEMPTS = 8
SURVEY_FIELD = "{survey_link}"
MAX_ATTACHMENTS = 10
DRAFT_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,40}$")


def new_draft_token() -> str:
    return secrets.token_urlsafe(16)


@dataclass
class Draft:
    """What the seller typed; attachments map a document id to the version number chosen."""

    contact_id: int | None = None
    # The compose form's own token: the mail's Message-ID is made from it, so a form posted
    # twice (a double click, a retried request) sends one mail.
    token: str = ""
    subject: str = ""
    body: str = ""
    attachments: dict[int, int | None] = field(default_factory=dict)
    survey: str = ""  # "", "csat" or "nps": add a survey link
    visibility: str = "team"
    next_step: str = ""
    next_step_due: str = ""


def parse(form: dict[str, str]) -> Draft:
    """The compose form: `attach_<document id>` ticks a document, `version_<document id>`
    picks its version (the current one when absent)."""
    attachments: dict[int, int | None] = {}
    for key, value in form.items():
        if key.startswith("attach_") and key[7:].isdigit() and value:
            version = form.get(f"version_{key[7:]}", "")
            attachments[int(key[7:])] = int(version) if version.isdigit() else None
    contact = form.get("to", "")
    token = form.get("draft", "")
    return Draft(
        contact_id=int(contact) if contact.isdigit() and len(contact) < 12 else None,
        token=token if DRAFT_TOKEN.match(token) else "",
        subject=form.get("subject", "").strip(),
        body=form.get("body", "").strip("\r\n").rstrip(),
        attachments=attachments,
        survey=form.get("survey", "") if form.get("survey") in ("csat", "nps") else "",
        visibility="private" if form.get("visibility") == "private" else "team",
        next_step=form.get("next_step", "").strip(),
        next_step_due=form.get("next_step_due", "").strip(),
    )


def _versions(session, user, record: Record, draft: Draft, errors, max_bytes: int) -> list:
    """The chosen versions of the record's documents the user may see; one that is not the
    record's (a forged id) is refused like a missing one."""
    chosen = list(draft.attachments.items())[: MAX_ATTACHMENTS + 1]
    if len(chosen) > MAX_ATTACHMENTS:
        errors.add("attachments", Message(N_("Attach at most %(n)s files."), n=MAX_ATTACHMENTS))
        return []
    found = []
    for document_id, number in chosen:
        stmt = (
            select(Document, DocumentVersion)
            .join(DocumentVersion, DocumentVersion.document_id == Document.id)
            .where(Document.id == document_id, visible_to(user))
        )
        for column, record_id in record.hidden.items():
            stmt = stmt.where(getattr(Document, column) == record_id)
        if number is None:
            stmt = stmt.where(DocumentVersion.id == Document.current_version_id)
        else:
            stmt = stmt.where(DocumentVersion.number == number)
        row = session.exec(stmt).first()
        if row is None:
            errors.add("attachments", N_("One of these documents is no longer here."))
            return []
        found.append(row)
    if sum(version.size for _, version in found) > max_bytes:
        errors.add(
            "attachments",
            Message(
                N_("These files add up to more than %(mb)s MB: attach fewer."),
                mb=max_bytes // (1024 * 1024),
            ),
        )
    return found


def _survey_text(session, user, settings, secret_key, record, person, kind, body) -> str:
    link = satisfaction.create_link(
        session, user, person, kind, record.deal, settings.survey_days, commit=False
    )
    url = settings.base_url.rstrip("/") + "/s/" + satisfaction.token_of(secret_key, link)
    if SURVEY_FIELD in body:
        return body.replace(SURVEY_FIELD, url)
    return f"{body}\n\n{url}" if body else url


def send(
    session: Session,
    user: User,
    settings: Settings,
    secret_key: str,
    record: Record,
    draft: Draft,
) -> MailMessage:
    """Logs the mail as an email activity on the record and queues its sending, in one
    transaction; raises FormErrors (nothing saved) on what the seller has to fix."""
    errors = FormErrors()
    if not can_send(settings):
        errors.add(
            "__all__", N_("Mail cannot be sent yet: ask your admin to set up CARNET_SMTP_*.")
        )
    person = next((p for p in record.people if p.id == draft.contact_id), None)
    if person is None:
        errors.add("to", N_("Pick who the mail is for."))
    if not draft.subject:
        errors.add("subject", N_("Write the subject."))
    elif "\n" in draft.subject or "\r" in draft.subject:
        errors.add("subject", N_("A subject is one line."))
    elif len(draft.subject) > 500:
        errors.add("subject", Message(N_("At most %(n)s characters."), n=500))
    if not draft.body and not draft.survey:
        errors.add("body", N_("Write the message."))
    elif len(draft.body) > 20_000:
        errors.add("body", Message(N_("At most %(n)s characters."), n=20_000))
    versions = _versions(session, user, record, draft, errors, settings.max_upload_bytes)
    errors.raise_if_any()
    own_id = f"<{draft.token}.{user.id}@{_domain(settings)}>" if draft.token else ""
    sent = _posted_already(session, user, own_id)
    if sent is not None:
        return sent  # this form was posted already: one mail, one activity

    body = draft.body
    if draft.survey or SURVEY_FIELD in body:
        body = _survey_text(
            session, user, settings, secret_key, record, person, draft.survey or "csat", body
        )
    files = [
        {
            "document_id": document.id,
            "version": version.number,
            "name": version.filename,
            "content_type": version.content_type,
            "size": version.size,
            "sha256": version.sha256,
        }
        for document, version in versions
    ]
    own_id = own_id or make_msgid(domain=_domain(settings))
    message = MailMessage(
        owner_id=user.id,
        message_id=own_id,
        thread_id=own_id,
        direction="out",
        subject=draft.subject,
        sender_email=user.email,
        sender_name=user.name[:200],
        addresses=person.email.lower(),
        text=body,
        files=json.dumps(files),
        visibility=draft.visibility,
        status=SENDING,
    )
    session.add(message)
    session.flush()
    jobs.enqueue(session, KIND, ref_id=message.id, max_attempts=MAX_ATTEMPTS)
    data = ActivityCreate(
        kind="email",
        contact_id=person.id,
        organization_id=person.organization_id
        or (record.organization.id if record.organization else None),
        deal_id=record.deal.id if record.deal is not None else None,
        text=f"{draft.subject}\n\n{body}"[:20_000],
        visibility=draft.visibility,
        next_step=draft.next_step,
        next_step_due=draft.next_step_due,
    )
    try:
        log_activity(session, user, data, mail_message_id=message.id)  # commits
    except FormErrors:
        session.rollback()
        raise
    except IntegrityError:
        # The same form, posted twice at the same moment: the other request sent it.
        session.rollback()
        sent = _posted_already(session, user, own_id)
        if sent is None:
            raise
        return sent
    return message


def _posted_already(session: Session, user: User, own_id: str) -> MailMessage | None:
    if not own_id:
        return None
    sent = session.exec(select(MailMessage).where(MailMessage.message_id == own_id)).first()
    return sent if sent is not None and sent.owner_id == user.id else None


def _domain(settings: Settings) -> str:
    address = settings.smtp_from.rsplit("@", 1)
    return address[1].strip("> ") if len(address) == 2 else "carnet.invalid"


def build(session: Session, settings: Settings, store, message: MailMessage, owner: User):
    """The MIME message as it leaves: from the installation's address (or the seller's, when
    CARNET_SMTP_FROM_SELLER says the server allows it), the seller as Reply-To."""
    mail = EmailMessage()
    if settings.smtp_from_seller:
        mail["From"] = formataddr((owner.name, owner.email))
    else:
        mail["From"] = formataddr((owner.name, settings.smtp_from))
    mail["Reply-To"] = formataddr((owner.name, owner.email))
    mail["To"] = message.addresses
    mail["Subject"] = message.subject
    mail["Message-ID"] = message.message_id
    mail["Date"] = format_datetime(utcnow())
    mail.set_content(message.text)
    for entry in json.loads(message.files):
        content = store.find(session, entry["sha256"])
        if content is None:
            raise LookupError(f"{entry['name']}: the stored file is missing")
        data = b"".join(content.chunks(_same(session)))
        maintype, _, subtype = entry["content_type"].partition("/")
        mail.add_attachment(
            data,
            maintype=maintype or "application",
            subtype=subtype or "octet-stream",
            filename=entry["name"],
        )
    return mail


def _same(session):
    """Hands the chunks reader the job's own session (a short job: no need for a new one)."""
    return lambda: nullcontext(session)


def explain(exc: Exception) -> str:
    """What went wrong, in words a seller can act on (the server's own answer kept)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        answers = [
            f"{code} {reply.decode(errors='replace') if isinstance(reply, bytes) else reply}"
            for code, reply in exc.recipients.values()
        ]
        return "The mail server refused this address: " + "; ".join(answers)
    if isinstance(exc, smtplib.SMTPResponseException):
        reply = exc.smtp_error
        reply = reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
        return f"The mail server answered: {exc.smtp_code} {reply}"
    if isinstance(exc, smtplib.SMTPException):  # before OSError, which it is a kind of
        return f"The mail server stopped answering ({exc})"
    if isinstance(exc, OSError):
        return f"The mail server could not be reached ({exc.strerror or exc})"
    return str(exc)


def _permanent(exc: Exception) -> bool:
    """A refusal no later attempt will change (a recipient refused, a 5xx answer)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return True
    code = getattr(exc, "smtp_code", None)
    return isinstance(code, int) and 500 <= code < 600


def run_send(sessions, settings: Settings, job, run) -> None:
    store = DocumentStore.of(settings)
    with sessions() as session:
        message = session.get(MailMessage, job.ref_id)
        if message is None or message.status != SENDING:
            return  # sent already (a job replayed after a crash), or given up
        owner = session.get(User, message.owner_id)
        try:
            mail = build(session, settings, store, message, owner)
            send_mail(settings, [mail])
        except (OSError, smtplib.SMTPException, LookupError, ValueError) as exc:
            message.error = explain(exc)[:500]
            if _permanent(exc) or isinstance(exc, LookupError | ValueError):
                message.status = FAILED
            session.add(message)
            session.commit()
            if message.status != FAILED:
                raise Retry(message.error) from exc
            return
        message.status, message.sent_at, message.error = SENT, utcnow(), ""
        session.add(message)
        session.commit()


def send_ended(session: Session, job, status: str) -> None:
    """The last attempt failed: the mail is marked not sent, for the seller to see."""
    message = session.get(MailMessage, job.ref_id)
    if message is not None and message.status == SENDING:
        message.status = FAILED
        if status == jobs.INTERRUPTED:
            message.error = "Carnet stopped while sending this mail: it may not have left."
        message.error = message.error or job.error[:500]
        session.add(message)
        session.commit()


def backoff(attempts: int, settings=None) -> timedelta:
    """1, 2, 4 … minutes, at most 30."""
    return timedelta(minutes=min(2 ** (attempts - 1), 30))

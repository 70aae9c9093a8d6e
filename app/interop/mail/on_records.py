"""How a mail shows on a record's timeline under its email activity: sent or not yet (and
why), the files it carried (which version of which document), its quoted part folded."""

import json
from dataclasses import dataclass

from sqlalchemy import and_, or_
from sqlmodel import Session, select

from app.auth.models import User
from app.interop.mail.models import DROPPED, TO_FILE, MailMessage


def visible_to(user: User):
    """The one filter for who may see a mail outside a timeline (the API, the export): its
    seller always; others a team mail filed on the records (never one waiting in a seller's
    "To file" list or dropped from it, never a private one)."""
    return or_(
        MailMessage.owner_id == user.id,
        and_(MailMessage.visibility == "team", MailMessage.status.not_in((TO_FILE, DROPPED))),
    )


@dataclass
class MailLine:
    direction: str
    status: str
    error: str
    addresses: str
    files: list[dict]
    quoted: str


def mail_lines(session: Session, message_ids: set[int]) -> dict[int, MailLine]:
    """The mails of one timeline page (at most its 50 activities), in one query. Who may see
    them was decided by the activities: a mail shows only under an activity the user sees."""
    if not message_ids:
        return {}
    rows = session.exec(
        select(
            MailMessage.id,
            MailMessage.direction,
            MailMessage.status,
            MailMessage.error,
            MailMessage.addresses,
            MailMessage.files,
            MailMessage.quoted,
        ).where(MailMessage.id.in_(sorted(message_ids)))
    )
    return {
        row.id: MailLine(
            row.direction, row.status, row.error, row.addresses, json.loads(row.files), row.quoted
        )
        for row in rows
    }

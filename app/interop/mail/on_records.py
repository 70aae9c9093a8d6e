"""How a mail shows on a record's timeline under its email activity: sent or not yet (and
why), the files it carried (which version of which document), its quoted part folded."""

import json
from dataclasses import dataclass

from sqlmodel import Session, select

from app.interop.mail.models import MailMessage


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

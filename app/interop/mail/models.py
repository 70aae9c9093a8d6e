"""Mail captured from the team mailbox or sent from Carnet: one row per message, its email
activities (one per contact it concerns) point back to it."""

from datetime import datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.schema import utcnow

# What became of a captured message: filed on records, waiting in the seller's "To file"
# list, or dropped by the seller from that list.
FILED, TO_FILE, DROPPED = "filed", "to_file", "dropped"


class MailMessage(SQLModel, table=True):
    __tablename__ = "mail_message"
    __table_args__ = (
        # The seller's "To file" list, newest first.
        Index("ix_mail_message_owner_status", "owner_id", "status", "received_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    # The seller it was captured for (found by their capture address) or who sent it.
    owner_id: int = Field(foreign_key="user.id")
    # Captured once: a message BCC'd twice, or fetched again after a crash, is the same row.
    message_id: str = Field(max_length=300, unique=True)
    # The first message of its conversation (References / In-Reply-To), for threads.
    thread_id: str = Field(max_length=300, index=True)
    direction: str = Field(default="in", max_length=4)  # "in": captured, "out": sent
    subject: str = Field(default="", max_length=500)
    sent_at: datetime | None = None
    sender_email: str = Field(default="", max_length=254)
    sender_name: str = Field(default="", max_length=200)
    # The customers' addresses it was written to or from, space-separated, lower case.
    addresses: str = Field(default="", max_length=4000)
    text: str = Field(default="", max_length=100_000)
    quoted: str = Field(default="", max_length=100_000)
    # The files it carried, as JSON: [{"name", "size", "sha256", "document_id", "version",
    # "kept"}]: the document versions a sent mail attached (which quote did they get?), the
    # attachments a captured mail brought (or that were too large to keep).
    files: str = Field(default="[]", max_length=20_000)
    visibility: str = Field(default="team", max_length=8)
    status: str = Field(default=FILED, max_length=8)
    # Why a sent mail did not leave (the SMTP server's last answer); empty otherwise.
    error: str = Field(default="", max_length=500)
    received_at: datetime = Field(default_factory=utcnow)


# A sent mail's life (direction "out"): queued for the SMTP server, accepted by it, or given
# up on after the last attempt (its error kept for the seller to read).
SENDING, SENT, FAILED = "sending", "sent", "failed"


class MailTemplate(SQLModel, table=True):
    """A team template the admin keeps, in one language; its fields ({first_name} …) are
    filled in when a seller picks it."""

    __tablename__ = "mail_template"
    __table_args__ = (UniqueConstraint("name", "language"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100)
    language: str = Field(default="en", max_length=8)
    subject: str = Field(default="", max_length=500)
    body: str = Field(default="", max_length=10_000)
    updated_by: int = Field(foreign_key="user.id")
    updated_at: datetime = Field(default_factory=utcnow)

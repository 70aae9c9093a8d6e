"""Activities (call, meeting, email, note) and the follow-ups they set."""

from datetime import date, datetime
from typing import Literal

from pydantic import ConfigDict
from sqlalchemy import Index, text
from sqlmodel import Field, SQLModel

from app.core.schema import MAX_ID, CleanInput, RecordId, utcnow

KINDS = ("call", "meeting", "email", "note")
VISIBILITIES = ("team", "private")


# Open (not done) follow-ups, the ones every page reads.
OPEN = text("done_at IS NULL")


class ActivityBase(SQLModel):
    """What an activity is, as stored and as the API reads it."""

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)
    occurred_at: datetime
    contact_id: int | None = Field(default=None, foreign_key="contact.id")
    # Copied from the contact when logged, so an organization's timeline is one indexed read.
    organization_id: int | None = Field(default=None, foreign_key="organization.id")
    deal_id: int | None = Field(default=None, foreign_key="deal.id")
    author_id: int = Field(foreign_key="user.id")
    text: str = Field(default="", max_length=20000)
    visibility: str = Field(default="team", max_length=8)
    created_at: datetime = Field(default_factory=utcnow)


class Activity(ActivityBase, table=True):
    __table_args__ = (
        Index("ix_activity_contact_when", "contact_id", "occurred_at"),
        Index("ix_activity_org_when", "organization_id", "occurred_at"),
        Index("ix_activity_author_when", "author_id", "occurred_at"),
        Index("ix_activity_deal_when", "deal_id", "occurred_at"),
        # The seller's "activities by type per week" reads this index only.
        Index("ix_activity_author_week", "author_id", "occurred_week", "kind"),
    )
    # The Monday (UTC) of occurred_at's week, kept so weekly counts need no date functions,
    # which SQLite and PostgreSQL spell differently.
    occurred_week: date | None = None
    # The captured or sent mail this email activity files (app/interop/mail); an index, not a
    # foreign key: adding one would rebuild the activity table on SQLite (migration 0023).
    mail_message_id: int | None = Field(default=None, index=True)


class FollowUp(SQLModel, table=True):
    __tablename__ = "follow_up"
    __table_args__ = (
        Index("ix_follow_up_owner_open_due", "owner_id", "done_at", "due_on"),
        # Open follow-ups in due order, without a sort on PostgreSQL (migration 0019).
        Index(
            "ix_follow_up_owner_open",
            "owner_id",
            "due_on",
            "id",
            sqlite_where=OPEN,
            postgresql_where=OPEN,
        ),
        Index("ix_follow_up_contact_open_due", "contact_id", "done_at", "due_on"),
    )
    id: int | None = Field(default=None, primary_key=True)
    what: str = Field(max_length=500)
    # A calendar day in the owner's zone: "call back Thursday" has no hour.
    due_on: date
    owner_id: int = Field(foreign_key="user.id")
    contact_id: int | None = Field(default=None, foreign_key="contact.id")
    organization_id: int | None = Field(
        default=None, foreign_key="organization.id", index=True, ge=1, le=MAX_ID
    )
    activity_id: int | None = Field(default=None, foreign_key="activity.id", index=True)
    # A follow-up set by a private activity is private with it (R2).
    is_private: bool = False
    done_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


class ActivityCreate(CleanInput):
    kind: Literal["call", "meeting", "email", "note"] = "call"
    # Naive times are read in the user's zone; None means now.
    occurred_at: datetime | None = None
    contact_id: RecordId | None = None
    organization_id: RecordId | None = None
    # On a deal, a team activity's next step becomes the deal's next step.
    deal_id: RecordId | None = None
    # Quick entry may open a deal in the same breath: its title.
    new_deal_title: str = Field(default="", max_length=200)
    text: str = Field(default="", max_length=20000)
    visibility: Literal["team", "private"] = "team"
    next_step: str = Field(default="", max_length=500)
    # "+3d", "tomorrow", "friday", a date in the user's locale or ISO 8601.
    next_step_due: str = Field(default="", max_length=40)
    # The follow-up this activity answers (one of mine, still open): done with it.
    closes_follow_up_id: RecordId | None = None


class ActivityUpdate(CleanInput):
    kind: Literal["call", "meeting", "email", "note"] | None = None
    occurred_at: datetime | None = None
    text: str | None = Field(default=None, max_length=20000)
    visibility: Literal["team", "private"] | None = None


class ActivityRead(ActivityBase):
    # Every field is always in the answer: the API description says so (defaults are for
    # the table, not for readers).
    model_config = ConfigDict(json_schema_serialization_defaults_required=True)

    id: int
    # None in a collection for someone else's activity (R3); its record page names them.
    author_id: int | None
    # The mail this email activity files, at /api/v1/mail/{id}.
    mail_message_id: int | None = None


class FollowUpRead(SQLModel):
    id: int
    what: str
    due_on: date
    contact_id: int | None
    organization_id: int | None
    activity_id: int | None
    done_at: datetime | None

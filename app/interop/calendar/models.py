"""Interoperability records: a user's secret calendar feed."""

from datetime import datetime

from sqlmodel import Field, SQLModel

from app.core.schema import utcnow


class CalendarFeed(SQLModel, table=True):
    """One per user while active; the URL is [user id, nonce] signed, so a new nonce (or no
    row) turns every copy of the old URL off."""

    __tablename__ = "calendar_feed"
    user_id: int = Field(primary_key=True, foreign_key="user.id")
    nonce: str = Field(max_length=32)
    created_at: datetime = Field(default_factory=utcnow)

"""One-question satisfaction surveys: a signed, single-use link per contact, and answers."""

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from app.core.schema import utcnow

KINDS = ("csat", "nps")
SCALES = {"csat": range(1, 6), "nps": range(0, 11)}


class SurveyLink(SQLModel, table=True):
    __tablename__ = "survey_link"
    id: int | None = Field(default=None, primary_key=True)
    # Signed into the link with the id: a link cannot be guessed from its neighbours'.
    nonce: str = Field(max_length=32)
    contact_id: int = Field(foreign_key="contact.id", index=True)
    deal_id: int | None = Field(default=None, foreign_key="deal.id", index=True)
    created_by: int = Field(foreign_key="user.id")
    kind: str = Field(default="csat", max_length=8)
    language: str = Field(default="en", max_length=8)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    used_at: datetime | None = None


class SurveyResponse(SQLModel, table=True):
    __tablename__ = "survey_response"
    __table_args__ = (
        Index("ix_survey_response_seller_answered", "seller_id", "answered_at"),
        Index("ix_survey_response_kind_month", "kind", "answered_month", "seller_id", "score"),
    )
    id: int | None = Field(default=None, primary_key=True)
    link_id: int = Field(foreign_key="survey_link.id", unique=True)
    contact_id: int = Field(foreign_key="contact.id", index=True)
    deal_id: int | None = Field(default=None, foreign_key="deal.id", index=True)
    # The seller the answer is about: the deal's owner, else who sent the link. It feeds that
    # seller's own report and, only as a K-suppressed aggregate, the team's.
    seller_id: int = Field(foreign_key="user.id")
    kind: str = Field(max_length=8)
    score: int
    comment: str = Field(default="", max_length=2000)
    answered_at: datetime = Field(default_factory=utcnow)
    # "2026-11" (UTC): reports group by month without dialect-specific date functions.
    answered_month: str = Field(default="", max_length=7)


class SurveyAttempt(SQLModel, table=True):
    """Submissions per client, for rate limiting a page anyone may post to."""

    __tablename__ = "survey_attempt"
    id: int | None = Field(default=None, primary_key=True)
    client: str = Field(max_length=64, index=True)
    at: datetime = Field(default_factory=utcnow, index=True)


class SurveyTally(SQLModel, table=True):
    """Answers pre-counted by kind, month, seller and score band, kept up to date as each
    answer arrives: the team's satisfaction tables read a few thousand rows of this
    instead of grouping every answer. Never shown per seller (R4)."""

    __tablename__ = "survey_tally"
    kind: str = Field(primary_key=True, max_length=8)
    month: str = Field(primary_key=True, max_length=7)
    seller_id: int = Field(primary_key=True, foreign_key="user.id")
    band: str = Field(primary_key=True, max_length=16)
    answers: int = 0
    # CSAT: the sum of the scores. NPS: promoters minus detractors.
    points: int = 0


def band_of(kind: str, score: int) -> str:
    if kind == "csat":
        return str(score)
    return "promoters" if score >= 9 else "passives" if score >= 7 else "detractors"


def points_of(kind: str, score: int) -> int:
    if kind == "csat":
        return score
    return 1 if score >= 9 else -1 if score <= 6 else 0

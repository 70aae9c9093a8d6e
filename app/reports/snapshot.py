"""The team's pipeline as it stood when the month began, kept for the whole month.

A live pipeline table changes with every deal moved: a manager who reads it, waits for one
seller's move and reads it again sees that one deal. Team figures are made of whole
months (DESIGN.md R4), so the pipeline is taken once per month, at the first look in the
month, and every view of that month reads the same rows."""

from datetime import date, datetime

from sqlalchemy import BigInteger, Column, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, select

from app.core.schema import utcnow
from app.deals.models import Deal

MARK = 0  # stage 0, seller 0: the row saying the month's snapshot was taken, and when


class PipelineSnapshot(SQLModel, table=True):
    __tablename__ = "pipeline_snapshot"
    month: str = Field(primary_key=True, max_length=7)
    stage_id: int = Field(primary_key=True)
    seller_id: int = Field(primary_key=True)
    currency: str = Field(primary_key=True, max_length=8)
    deals: int = 0
    amount_minor: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    taken_at: datetime = Field(default_factory=utcnow)


def _take(session: Session, month: str) -> None:
    now = utcnow()
    live = session.exec(
        select(
            Deal.stage_id, Deal.owner_id, Deal.currency, func.count(), func.sum(Deal.amount_minor)
        )
        .where(Deal.status == "open")
        .group_by(Deal.stage_id, Deal.owner_id, Deal.currency)
    ).all()
    rows = [PipelineSnapshot(month=month, stage_id=MARK, seller_id=MARK, currency="", taken_at=now)]
    rows += [
        PipelineSnapshot(
            month=month,
            stage_id=stage,
            seller_id=owner,
            currency=currency,
            deals=count,
            amount_minor=amount or 0,
            taken_at=now,
        )
        for stage, owner, currency, count, amount in live
    ]
    try:
        with session.begin_nested():
            session.add_all(rows)
    except IntegrityError:
        pass  # another process took it first: theirs stands


def pipeline_of_month(session: Session, today: date) -> tuple[list, datetime]:
    """(stage_id, seller_id, currency, deals, amount_minor) rows of this month's snapshot,
    taken now if nobody has looked this month yet, and when it was taken."""
    month = today.strftime("%Y-%m")
    mark = session.get(PipelineSnapshot, (month, MARK, MARK, ""))
    if mark is None:
        _take(session, month)
        session.commit()
        mark = session.get(PipelineSnapshot, (month, MARK, MARK, ""))
    rows = session.exec(
        select(
            PipelineSnapshot.stage_id,
            PipelineSnapshot.seller_id,
            PipelineSnapshot.currency,
            PipelineSnapshot.deals,
            PipelineSnapshot.amount_minor,
        ).where(PipelineSnapshot.month == month, PipelineSnapshot.stage_id != MARK)
    ).all()
    return list(rows), mark.taken_at

"""The outbox: events written in the caller's transaction, so they go out only if the change
itself is committed. Each webhook delivery is a job, claimed once by whichever process is free;
sending lives with the webhooks feature (app/interop/webhooks.py)."""

import json
from datetime import datetime

from sqlalchemy import Index, insert
from sqlmodel import Field, Session, SQLModel, select

from app.core import jobs
from app.core.i18n import N_
from app.core.schema import utcnow

EVENTS = {
    "deal.stage_changed": N_("A deal changed stage"),
    "deal.won": N_("A deal was won"),
    "contact.created": N_("A contact was created"),
    "activity.logged": N_("A team activity was logged"),
}
MAX_ATTEMPTS = 8


class Webhook(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    url: str = Field(max_length=500)
    events: str = Field(max_length=200)
    secret: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow)


class WebhookDelivery(SQLModel, table=True):
    __tablename__ = "webhook_delivery"
    __table_args__ = (
        Index("ix_webhook_delivery_due", "status", "next_attempt_at"),
        Index("ix_webhook_delivery_hook", "webhook_id", "id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    webhook_id: int = Field(foreign_key="webhook.id")
    event: str = Field(max_length=40)
    payload: str
    status: str = Field(default="pending", max_length=12)  # pending, delivered, failed
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow)
    last_status: int | None = None
    last_error: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow)
    delivered_at: datetime | None = None


def emit(session: Session, event: str, data: dict) -> None:
    """Queues the event for every webhook that asked for it, in the caller's transaction:
    it goes out only if the change itself is committed."""
    emit_many(session, subscribed(session, event), event, [data])


def subscribed(session: Session, event: str) -> list[Webhook]:
    hooks = session.exec(select(Webhook).where(Webhook.events.contains(event))).all()
    return [h for h in hooks if event in h.events.split(",")]


def emit_many(session: Session, hooks: list[Webhook], event: str, items: list[dict]) -> None:
    """emit() for a batch (an import): the hooks are looked up once by the caller. Each
    delivery is a job, claimed once by whichever process is free."""
    rows = []
    for data in items:
        body = json.dumps(
            {"event": event, "occurred_at": utcnow().isoformat(), "data": data},
            ensure_ascii=False,
            default=str,
        )
        rows.extend(
            {
                "webhook_id": h.id,
                "event": event,
                "payload": body,
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": utcnow(),
                "last_error": "",
                "created_at": utcnow(),
            }
            for h in hooks
        )
    if rows:
        ids = session.scalars(insert(WebhookDelivery).returning(WebhookDelivery.id), rows).all()
        jobs.enqueue_many(session, "webhook", list(ids), MAX_ATTEMPTS)

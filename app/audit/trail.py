"""One audit trail for record changes, written by the services, read per record (R7)."""

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Index
from sqlmodel import Field, Session, SQLModel, select

from app.auth.models import User
from app.core.pagination import Page, clamp_limit, cursor_id, decode_cursor, encode_cursor
from app.core.schema import utcnow

VALUE_CHARS = 500


class AuditEntry(SQLModel, table=True):
    __tablename__ = "audit_entry"
    # Read only per record, newest first: never per actor, so no index invites it (R7).
    __table_args__ = (Index("ix_audit_entry_record", "record_type", "record_id", "id"),)
    id: int | None = Field(default=None, primary_key=True)
    record_type: str = Field(max_length=16)
    record_id: int
    field: str = Field(max_length=40)
    old_value: str = Field(default="", max_length=VALUE_CHARS)
    new_value: str = Field(default="", max_length=VALUE_CHARS)
    actor_id: int | None = Field(default=None, foreign_key="user.id")
    at: datetime = Field(default_factory=utcnow)


def shown(value) -> str:
    """How a value is kept in the trail: readable, short, stable across languages."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)[:VALUE_CHARS]


def changes_between(before: dict, after: dict) -> dict[str, tuple]:
    return {k: (before.get(k), v) for k, v in after.items() if shown(before.get(k)) != shown(v)}


def record_changes(
    session: Session, user: User | None, record_type: str, record_id: int, changes: dict
) -> None:
    """Adds one entry per changed field to the caller's transaction: the change and its
    trail commit together or not at all."""
    at = utcnow()
    for field, (old, new) in changes.items():
        session.add(
            AuditEntry(
                record_type=record_type,
                record_id=record_id,
                field=field,
                old_value=shown(old),
                new_value=shown(new),
                actor_id=user.id if user else None,
                at=at,
            )
        )


@dataclass
class HistoryEntry:
    field: str
    old_value: str
    new_value: str
    actor_name: str
    at: datetime


def history(
    session: Session, record_type: str, record_id: int, cursor: str | None = None, limit=None
) -> Page[HistoryEntry]:
    """A record's trail, newest first. The caller has already checked the user may see the
    record: the trail is shown to exactly those who see the record."""
    limit = clamp_limit(limit, 30)
    stmt = (
        select(AuditEntry, User.name)
        .outerjoin(User, User.id == AuditEntry.actor_id)
        .where(AuditEntry.record_type == record_type, AuditEntry.record_id == record_id)
    )
    after = decode_cursor(cursor, 1)
    if after and cursor_id(after[0]) is not None:
        stmt = stmt.where(AuditEntry.id < cursor_id(after[0]))
    rows = list(session.exec(stmt.order_by(AuditEntry.id.desc()).limit(limit + 1)))
    page = Page(
        items=[
            HistoryEntry(e.field, e.old_value, e.new_value, name or "", e.at)
            for e, name in rows[:limit]
        ]
    )
    if len(rows) > limit:
        page.next_cursor = encode_cursor(rows[limit - 1][0].id)
    return page

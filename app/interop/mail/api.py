"""JSON API for mail captured or sent: the same visibility as the records (R2), and no
author on someone else's mail (R3)."""

import json
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, FastAPI, Query
from pydantic import BaseModel
from sqlmodel import select

from app.auth.deps import RECORDS, RecordUser, SessionDep
from app.core.api import API_DOCS, API_ERRORS, API_PREFIX, ListOut
from app.core.errors import NotFound
from app.core.ids import IdPath
from app.core.pagination import cursor_id, decode_cursor, encode_cursor
from app.interop.mail.models import MailMessage
from app.interop.mail.on_records import visible_to

router = APIRouter(prefix=API_PREFIX, tags=["mail"], responses=API_ERRORS)


def mount(app: FastAPI) -> None:
    app.include_router(router, dependencies=[*API_DOCS, *RECORDS])


class MailFile(BaseModel):
    name: str
    size: int
    sha256: str
    # A sent mail: the document and the version it carried. A captured one: the document
    # its attachment became (version 1), or kept false when it was over the upload limit.
    document_id: int | None = None
    version: int | None = None
    kept: bool = True


class MailRead(BaseModel):
    id: int
    direction: str
    status: str
    error: str
    message_id: str
    thread_id: str
    subject: str
    sent_at: datetime | None
    received_at: datetime
    # None on someone else's mail: what was written, not who wrote it (R3).
    owner_id: int | None
    sender_email: str | None
    sender_name: str | None
    addresses: list[str]
    text: str
    quoted: str
    visibility: str
    files: list[MailFile]


def _read(message: MailMessage, user) -> MailRead:
    mine = message.owner_id == user.id
    return MailRead(
        id=message.id,
        direction=message.direction,
        status=message.status,
        error=message.error,
        message_id=message.message_id,
        thread_id=message.thread_id,
        subject=message.subject,
        sent_at=message.sent_at,
        received_at=message.received_at,
        owner_id=message.owner_id if mine else None,
        sender_email=message.sender_email if mine else None,
        sender_name=message.sender_name if mine else None,
        addresses=message.addresses.split(),
        text=message.text,
        quoted=message.quoted,
        visibility=message.visibility,
        files=[MailFile(**f) for f in json.loads(message.files)],
    )


@router.get("/mail", response_model=ListOut[MailRead])
def list_mail(
    session: SessionDep,
    user: RecordUser,
    thread_id: str = "",
    cursor: str = "",
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
):
    """Mail I may see, newest first; `thread_id` narrows it to one conversation."""
    stmt = select(MailMessage).where(visible_to(user))
    if thread_id:
        stmt = stmt.where(MailMessage.thread_id == thread_id[:300])
    after = decode_cursor(cursor, 1)
    if after and cursor_id(after[0]):
        stmt = stmt.where(MailMessage.id < cursor_id(after[0]))
    rows = list(session.exec(stmt.order_by(MailMessage.id.desc()).limit(limit + 1)))
    items = [_read(m, user) for m in rows[:limit]]
    following = encode_cursor(rows[limit - 1].id) if len(rows) > limit else None
    return ListOut(items=items, next_cursor=following)


@router.get("/mail/{message_id}", response_model=MailRead)
def get_mail(session: SessionDep, user: RecordUser, message_id: IdPath):
    message = session.exec(
        select(MailMessage).where(MailMessage.id == message_id, visible_to(user))
    ).first()
    if message is None:
        raise NotFound
    return _read(message, user)

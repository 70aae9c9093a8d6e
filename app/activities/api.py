"""JSON API for activities and follow-ups: the same services, so the same scoping."""

from typing import Annotated, Literal

from fastapi import APIRouter, FastAPI, Query
from pydantic import BaseModel, Field

from app.activities import follow_ups, service
from app.activities.deps import ActivityDep, FollowUpDep
from app.activities.models import ActivityCreate, ActivityRead, ActivityUpdate, FollowUpRead
from app.auth.deps import RECORDS, RecordUser, SessionDep
from app.core.api import API_DOCS, API_ERRORS, API_PREFIX, ListOut
from app.core.ids import IdQuery
from app.customers import service as customers

router = APIRouter(prefix=API_PREFIX, tags=["activities"], responses=API_ERRORS)


def mount(app: FastAPI) -> None:
    app.include_router(router, dependencies=[*API_DOCS, *RECORDS])


@router.get("/activities", response_model=ListOut[ActivityRead])
def list_activities(
    session: SessionDep,
    user: RecordUser,
    contact_id: IdQuery = None,
    organization_id: IdQuery = None,
    cursor: str = "",
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
):
    """A record's timeline (team activities and mine), or without a record, my own
    activities. There is deliberately no filter by another author (R3)."""
    if contact_id is not None:
        contact = customers.get_contact(session, user, contact_id)
        page = service.contact_timeline(session, user, contact, cursor, limit)
    elif organization_id is not None:
        org = customers.get_organization(session, user, organization_id)
        page = service.organization_timeline(session, user, org, cursor, limit)
    else:
        page = service.my_activities(session, user, cursor, limit)
    items = []
    for entry in page.items:
        item = ActivityRead.model_validate(entry.activity)
        if item.author_id != user.id:
            item.author_id = None  # a collection says what was done, not who did it (R3)
        items.append(item)
    return ListOut(items=items, next_cursor=page.next_cursor)


@router.post("/activities", response_model=ActivityRead, status_code=201)
def log_activity(session: SessionDep, user: RecordUser, data: ActivityCreate):
    return service.log_activity(session, user, data)


@router.get("/activities/{activity_id}", response_model=ActivityRead)
def get_activity(activity: ActivityDep):
    return activity


@router.patch("/activities/{activity_id}", response_model=ActivityRead)
def update_activity(
    session: SessionDep, user: RecordUser, activity: ActivityDep, data: ActivityUpdate
):
    return service.update_activity(session, user, activity, data)


@router.get("/follow-ups", response_model=ListOut[FollowUpRead])
def my_follow_ups(
    session: SessionDep,
    user: RecordUser,
    section: Literal["open", "overdue", "today", "week"] = "open",
    cursor: str = "",
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
):
    """My open follow-ups, oldest due first: all of them, or one section of Today."""
    page = follow_ups.my_follow_ups(session, user, section, cursor, limit)
    return ListOut(items=[r.follow_up for r in page.items], next_cursor=page.next_cursor)


class FollowUpChange(BaseModel):
    done: bool | None = None
    due: str | None = Field(default=None, max_length=40, examples=["+3d", "2026-12-01"])


@router.patch("/follow-ups/{follow_up_id}", response_model=FollowUpRead)
def update_follow_up(
    session: SessionDep, user: RecordUser, follow_up: FollowUpDep, data: FollowUpChange
):
    if data.due is not None:
        follow_ups.reschedule(session, user, follow_up, data.due)
    if data.done is not None:
        follow_ups.mark_done(session, user, follow_up, data.done)
    return follow_up

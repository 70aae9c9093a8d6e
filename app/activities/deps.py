"""Loader dependencies for activities and follow-ups, through the scoped service."""

from typing import Annotated

from fastapi import Depends

from app.activities import follow_ups, service
from app.activities.models import Activity, FollowUp
from app.auth.deps import RecordUser, SessionDep
from app.core.ids import IdPath


def current_activity(activity_id: IdPath, session: SessionDep, user: RecordUser) -> Activity:
    return service.get_activity(session, user, activity_id)


def current_follow_up(follow_up_id: IdPath, session: SessionDep, user: RecordUser) -> FollowUp:
    return follow_ups.get_follow_up(session, user, follow_up_id)


ActivityDep = Annotated[Activity, Depends(current_activity)]
FollowUpDep = Annotated[FollowUp, Depends(current_follow_up)]

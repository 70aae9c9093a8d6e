"""Loader dependencies for deals and stages, through the scoped services."""

from typing import Annotated

from fastapi import Depends

from app.auth.deps import AdminUser, RecordUser, SessionDep
from app.core.errors import NotFound
from app.core.ids import IdPath
from app.deals import queries
from app.deals import stages as stage_list
from app.deals.models import Deal, Stage


def current_deal(deal_id: IdPath, session: SessionDep, user: RecordUser) -> Deal:
    return queries.get_deal(session, user, deal_id)


def current_stage(stage_id: IdPath, session: SessionDep, user: AdminUser) -> Stage:
    stage = stage_list.get_stage(session, stage_id)
    if stage is None:
        raise NotFound
    return stage


DealDep = Annotated[Deal, Depends(current_deal)]
StageDep = Annotated[Stage, Depends(current_stage)]

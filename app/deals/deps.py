"""Loader dependencies for deals and stages, through the scoped services."""

from typing import Annotated

from fastapi import Depends, Request

from app.core.errors import NotFound
from app.core.ids import IdPath
from app.core.permissions import AdminUser, RecordUser, SessionDep
from app.deals import service
from app.deals.models import Deal, Stage
from app.documents.service import DocumentStore


def current_deal(deal_id: IdPath, session: SessionDep, user: RecordUser) -> Deal:
    return service.get_deal(session, user, deal_id)


def current_stage(stage_id: IdPath, session: SessionDep, user: AdminUser) -> Stage:
    stage = service.get_stage(session, stage_id)
    if stage is None:
        raise NotFound
    return stage


def document_store(request: Request) -> DocumentStore:
    settings = request.app.state.settings
    return DocumentStore.of(settings)


DealDep = Annotated[Deal, Depends(current_deal)]
StageDep = Annotated[Stage, Depends(current_stage)]
StoreDep = Annotated[DocumentStore, Depends(document_store)]

"""JSON API for deals and stages: the same services, so the same scoping and guardrails."""

from typing import Annotated

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.responses import JSONResponse

from app.auth.deps import RECORDS, RecordUser, SessionDep
from app.core.api import API_DOCS, API_ERRORS, API_PREFIX, ErrorOut, ListOut
from app.core.config import SettingsDep
from app.core.ids import IdQuery
from app.core.templating import localizer_for
from app.deals import queries, service
from app.deals import stages as stage_list
from app.deals.deps import DealDep
from app.deals.models import (
    FACT_LABELS,
    Deal,
    DealCreate,
    DealMove,
    DealRead,
    DealUpdate,
    StageRead,
)

router = APIRouter(prefix=API_PREFIX, tags=["deals"], responses=API_ERRORS)


def mount(app: FastAPI) -> None:
    app.include_router(router, dependencies=[*API_DOCS, *RECORDS])


def _read(deal: Deal, contact_ids: list[int]) -> DealRead:
    return DealRead.model_validate(deal, update={"contact_ids": contact_ids})


@router.get("/stages", response_model=list[StageRead])
def list_stages(request: Request, session: SessionDep, user: RecordUser):
    loc = localizer_for(request)
    return [
        StageRead(
            id=s.id,
            name=s.label(loc),
            position=s.position,
            kind=s.kind,
            required_facts=s.facts,
            probability=s.probability,
        )
        for s in stage_list.list_stages(session)
    ]


@router.get("/deals", response_model=ListOut[DealRead])
def list_deals(
    session: SessionDep,
    user: RecordUser,
    scope: Annotated[str, Query(pattern="^(mine|team)$")] = "mine",
    stage_id: IdQuery = None,
    status: Annotated[str, Query(pattern="^(open|won|lost|all)$")] = "open",
    q: Annotated[str, Query(max_length=200)] = "",
    sort: Annotated[str, Query(pattern="^(recent|close|amount|title)$")] = "recent",
    cursor: str = "",
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
):
    """My deals, or the team's with scope=team (R1). There is no filter by another owner."""
    page = queries.list_deals_full(
        session,
        user,
        scope=scope,
        stage_id=stage_id,
        status=status,
        query=q,
        sort=sort,
        cursor=cursor,
        limit=limit,
    )
    contacts = queries.contact_ids_of(session, [d.id for d in page.items])
    items = [_read(d, contacts[d.id]) for d in page.items]
    for item, deal in zip(items, page.items, strict=True):
        if queries.others_result(deal, user):
            item.owner_id = None  # whose result it was is not a list's business (R3)
    return ListOut(items=items, next_cursor=page.next_cursor)


@router.post("/deals", response_model=DealRead, status_code=201)
def create_deal(
    request: Request, settings: SettingsDep, session: SessionDep, user: RecordUser, data: DealCreate
):
    default_currency = settings.default_currency
    deal = service.create_deal(session, user, data, default_currency)
    return _read(deal, queries.contact_ids_of(session, [deal.id])[deal.id])


@router.get("/deals/{deal_id}", response_model=DealRead)
def get_deal(session: SessionDep, deal: DealDep):
    return _read(deal, queries.contact_ids_of(session, [deal.id])[deal.id])


@router.patch(
    "/deals/{deal_id}",
    response_model=DealRead,
    responses={409: {"model": ErrorOut, "description": "Changed since `version`"}},
)
def update_deal(session: SessionDep, user: RecordUser, deal: DealDep, data: DealUpdate):
    """Send the `version` you read: a newer one on the server answers 409, not an overwrite."""
    deal = service.update_deal(session, user, deal, data)
    return _read(deal, queries.contact_ids_of(session, [deal.id])[deal.id])


@router.post(
    "/deals/{deal_id}/move",
    response_model=DealRead,
    responses={
        409: {"model": ErrorOut, "description": "Changed since `version`"},
        422: {"description": "Facts missing"},
    },
)
def move_deal(
    request: Request, session: SessionDep, user: RecordUser, deal: DealDep, data: DealMove
):
    """Moves the deal; facts the stage needs may be sent along. A quote document is
    uploaded first with POST /documents. Missing facts answer 422 naming each one."""
    try:
        deal = service.move_deal(session, user, deal, data)
    except service.MissingFacts as exc:
        loc = localizer_for(request)
        detail = [
            {"loc": ["body", fact], "msg": loc.message(msg), "type": "missing_fact"}
            for fact, msgs in exc.fields.items()
            for msg in msgs
        ]
        return JSONResponse(
            {
                "detail": detail,
                "missing": exc.missing,
                "missing_labels": [loc.gettext(FACT_LABELS[f]) for f in exc.missing],
            },
            status_code=422,
        )
    return _read(deal, queries.contact_ids_of(session, [deal.id])[deal.id])

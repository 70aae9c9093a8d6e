"""JSON API for organizations and contacts: the same services, so the same scoping."""

from typing import Annotated

from fastapi import APIRouter, FastAPI, Query

from app.auth.deps import RECORDS, RecordUser, SessionDep
from app.core.api import API_DOCS, API_PREFIX, ListOut
from app.core.ids import IdQuery
from app.customers import service
from app.customers.deps import ContactDep, OrganizationDep
from app.customers.models import (
    ContactCreate,
    ContactRead,
    ContactUpdate,
    OrganizationCreate,
    OrganizationRead,
    OrganizationUpdate,
)

router = APIRouter(prefix=API_PREFIX, tags=["customers"])

Limit = Annotated[int, Query(ge=1, le=100)]


def mount(app: FastAPI) -> None:
    app.include_router(router, dependencies=[*API_DOCS, *RECORDS])


@router.get("/organizations", response_model=ListOut[OrganizationRead])
def list_organizations(
    session: SessionDep,
    user: RecordUser,
    q: Annotated[str, Query(max_length=200)] = "",
    cursor: str = "",
    limit: Limit = 25,
    archived: bool = False,
):
    page = service.list_organizations_full(session, user, q, cursor, limit, archived)
    return ListOut(items=page.items, next_cursor=page.next_cursor)


@router.post("/organizations", response_model=OrganizationRead, status_code=201)
def create_organization(session: SessionDep, user: RecordUser, data: OrganizationCreate):
    return service.create_organization(session, user, data)


@router.get("/organizations/{organization_id}", response_model=OrganizationRead)
def get_organization(organization: OrganizationDep):
    return organization


@router.patch("/organizations/{organization_id}", response_model=OrganizationRead)
def update_organization(
    session: SessionDep, user: RecordUser, organization: OrganizationDep, data: OrganizationUpdate
):
    return service.update_organization(session, user, organization, data)


@router.get("/contacts", response_model=ListOut[ContactRead])
def list_contacts(
    session: SessionDep,
    user: RecordUser,
    q: Annotated[str, Query(max_length=200)] = "",
    cursor: str = "",
    limit: Limit = 25,
    archived: bool = False,
    organization_id: IdQuery = None,
):
    page = service.list_contacts_full(session, user, q, cursor, limit, archived, organization_id)
    return ListOut(items=page.items, next_cursor=page.next_cursor)


@router.post("/contacts", response_model=ContactRead, status_code=201)
def create_contact(session: SessionDep, user: RecordUser, data: ContactCreate):
    return service.create_contact(session, user, data)


@router.get("/contacts/{contact_id}", response_model=ContactRead)
def get_contact(contact: ContactDep):
    return contact


@router.patch("/contacts/{contact_id}", response_model=ContactRead)
def update_contact(session: SessionDep, user: RecordUser, contact: ContactDep, data: ContactUpdate):
    return service.update_contact(session, user, contact, data)

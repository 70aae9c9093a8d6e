"""JSON API for organizations and contacts: the same services, so the same scoping."""

from fastapi import APIRouter, FastAPI

from app.auth.deps import RECORDS, RecordUser, SessionDep
from app.core.api import API_DOCS, API_ERRORS, API_PREFIX, ListOut, ListQueryDep, list_out
from app.core.ids import IdQuery
from app.customers import service
from app.customers.deps import ContactDep, OrganizationDep
from app.customers.models import (
    Contact,
    ContactCreate,
    ContactRead,
    ContactUpdate,
    Organization,
    OrganizationCreate,
    OrganizationRead,
    OrganizationUpdate,
)

router = APIRouter(prefix=API_PREFIX, tags=["customers"], responses=API_ERRORS)


def mount(app: FastAPI) -> None:
    app.include_router(router, dependencies=[*API_DOCS, *RECORDS])


@router.get("/organizations", response_model=ListOut[OrganizationRead])
def list_organizations(session: SessionDep, user: RecordUser, query: ListQueryDep):
    return list_out(service.list_full(session, user, Organization, query))


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
    session: SessionDep, user: RecordUser, query: ListQueryDep, organization_id: IdQuery = None
):
    return list_out(service.list_full(session, user, Contact, query, organization_id))


@router.post("/contacts", response_model=ContactRead, status_code=201)
def create_contact(session: SessionDep, user: RecordUser, data: ContactCreate):
    return service.create_contact(session, user, data)


@router.get("/contacts/{contact_id}", response_model=ContactRead)
def get_contact(contact: ContactDep):
    return contact


@router.patch("/contacts/{contact_id}", response_model=ContactRead)
def update_contact(session: SessionDep, user: RecordUser, contact: ContactDep, data: ContactUpdate):
    return service.update_contact(session, user, contact, data)

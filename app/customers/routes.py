"""Pages for organizations and contacts: lists with live search, record pages, forms."""

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import RedirectResponse

from app.auth.deps import RECORDS, RecordUser, SessionDep
from app.core.forms import FormData, parse_form
from app.core.templating import render, render_list, saved_or_form
from app.core.text import clean_query
from app.customers import pages, service
from app.customers.deps import ContactDep, OrganizationDep
from app.customers.models import (
    ContactCreate,
    ContactUpdate,
    OrganizationCreate,
    OrganizationUpdate,
)
from app.records.feeds import add_record_feeds

router = APIRouter(include_in_schema=False)

CONTACT_FIELDS = ("name", "email", "phone", "title", "organization_id", "tags", "notes", "language")
ORGANIZATION_FIELDS = ("name", "website", "phone", "tags", "notes")


def mount(app: FastAPI) -> None:
    app.include_router(router, dependencies=RECORDS)


def _fields(form: dict[str, str], names: tuple[str, ...]) -> dict[str, str]:
    return {name: form.get(name, "") for name in names}


# Each list: its service, its page, its rows fragment, and the prefix of its HTMX targets.
LISTS = {
    "contacts": (service.list_contacts, "customers/_contact_rows.html", "contact"),
    "organizations": (service.list_organizations, "customers/_organization_rows.html", "org"),
}


def _list_page(request, session, user, kind: str, q: str, cursor: str, archived: bool):
    lister, rows, targets = LISTS[kind]
    q = clean_query(q)
    page = lister(session, user, query=q, cursor=cursor, archived=archived)
    context = {"page": page, "q": q, "archived": archived}
    return render_list(request, f"customers/{kind}.html", rows, targets, context)


# ---- contacts --------------------------------------------------------------


@router.get("/contacts")
def contacts(
    request: Request,
    session: SessionDep,
    user: RecordUser,
    q: str = "",
    cursor: str = "",
    archived: bool = False,
):
    return _list_page(request, session, user, "contacts", q, cursor, archived)


def _contact_form(request, session, user, form, errors, contact=None, status=200):
    context = {
        "form": form,
        "errors": errors,
        "contact": contact,
        "organizations": service.organization_choices(session, user),
    }
    return render(request, "customers/contact_form.html", context, status_code=status)


@router.get("/contacts/new")
def new_contact(request: Request, session: SessionDep, user: RecordUser, organization_id: str = ""):
    return _contact_form(request, session, user, {"organization_id": organization_id}, {})


@router.post("/contacts")
def create_contact(request: Request, session: SessionDep, user: RecordUser, form: FormData):
    data = _fields(form, CONTACT_FIELDS)
    return saved_or_form(
        lambda: service.create_contact(session, user, parse_form(ContactCreate, data)),
        lambda contact: f"/contacts/{contact.id}",
        lambda errors: _contact_form(request, session, user, data, errors),
    )


@router.get("/contacts/{contact_id}")
def contact_page(request: Request, session: SessionDep, user: RecordUser, contact: ContactDep):
    context = pages.contact_page(session, user, contact, request.app.state.secret_key)
    return render(request, "customers/contact.html", context)


@router.get("/contacts/{contact_id}/edit")
def edit_contact(request: Request, session: SessionDep, user: RecordUser, contact: ContactDep):
    form = {name: getattr(contact, name) or "" for name in CONTACT_FIELDS}
    return _contact_form(request, session, user, form, {}, contact)


@router.post("/contacts/{contact_id}")
def update_contact(
    request: Request, session: SessionDep, user: RecordUser, contact: ContactDep, form: FormData
):
    data = _fields(form, CONTACT_FIELDS)
    return saved_or_form(
        lambda: service.update_contact(session, user, contact, parse_form(ContactUpdate, data)),
        f"/contacts/{contact.id}",
        lambda errors: _contact_form(request, session, user, data, errors, contact),
    )


@router.post("/contacts/{contact_id}/archive")
def archive_contact(request: Request, session: SessionDep, user: RecordUser, contact: ContactDep):
    service.set_contact_archived(session, user, contact, True)
    return RedirectResponse(f"/contacts/{contact.id}", 303)


@router.post("/contacts/{contact_id}/restore")
def restore_contact(request: Request, session: SessionDep, user: RecordUser, contact: ContactDep):
    service.set_contact_archived(session, user, contact, False)
    return RedirectResponse(f"/contacts/{contact.id}", 303)


# ---- organizations ---------------------------------------------------------


@router.get("/organizations")
def organizations(
    request: Request,
    session: SessionDep,
    user: RecordUser,
    q: str = "",
    cursor: str = "",
    archived: bool = False,
):
    return _list_page(request, session, user, "organizations", q, cursor, archived)


def _organization_form(request, form, errors, organization=None, status=200):
    context = {"form": form, "errors": errors, "organization": organization}
    return render(request, "customers/organization_form.html", context, status_code=status)


@router.get("/organizations/new")
def new_organization(request: Request, user: RecordUser):
    return _organization_form(request, {}, {})


FIRST_PERSON_FIELDS = ("name", "email", "phone", "title")


@router.post("/organizations")
def create_organization(request: Request, session: SessionDep, user: RecordUser, form: FormData):
    data = _fields(form, ORGANIZATION_FIELDS)
    person = {name: form.get(f"contact_{name}", "") for name in FIRST_PERSON_FIELDS}
    return saved_or_form(
        lambda: service.create_organization_with_contact(
            session, user, parse_form(OrganizationCreate, data), person
        ),
        lambda org: f"/organizations/{org.id}",
        lambda errors: _organization_form(
            request, data | {f"contact_{k}": v for k, v in person.items()}, errors
        ),
    )


@router.get("/organizations/{organization_id}")
def organization_page(
    request: Request, session: SessionDep, user: RecordUser, organization: OrganizationDep
):
    context = pages.organization_page(session, user, organization)
    return render(request, "customers/organization.html", context)


@router.get("/organizations/{organization_id}/edit")
def edit_organization(request: Request, user: RecordUser, organization: OrganizationDep):
    form = {name: getattr(organization, name) or "" for name in ORGANIZATION_FIELDS}
    return _organization_form(request, form, {}, organization)


@router.post("/organizations/{organization_id}")
def update_organization(
    request: Request,
    session: SessionDep,
    user: RecordUser,
    organization: OrganizationDep,
    form: FormData,
):
    data = _fields(form, ORGANIZATION_FIELDS)
    return saved_or_form(
        lambda: service.update_organization(
            session, user, organization, parse_form(OrganizationUpdate, data)
        ),
        f"/organizations/{organization.id}",
        lambda errors: _organization_form(request, data, errors, organization),
    )


@router.post("/organizations/{organization_id}/archive")
def archive_organization(
    request: Request, session: SessionDep, user: RecordUser, organization: OrganizationDep
):
    service.set_organization_archived(session, user, organization, True)
    return RedirectResponse(f"/organizations/{organization.id}", 303)


@router.post("/organizations/{organization_id}/restore")
def restore_organization(
    request: Request, session: SessionDep, user: RecordUser, organization: OrganizationDep
):
    service.set_organization_archived(session, user, organization, False)
    return RedirectResponse(f"/organizations/{organization.id}", 303)


add_record_feeds(router, "contact", ContactDep)
add_record_feeds(router, "organization", OrganizationDep)

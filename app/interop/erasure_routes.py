"""A person's data from their contact page: everything Carnet holds about them, and erasure."""

import json

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import RedirectResponse, Response

from app.auth.deps import RECORDS, RecordUser, SessionDep
from app.core.forms import FormData, checked
from app.customers.deps import ContactDep
from app.documents.deps import StoreDep
from app.interop import erasure

router = APIRouter(include_in_schema=False)


def mount(app: FastAPI) -> None:
    app.include_router(router, dependencies=RECORDS)


@router.get("/contacts/{contact_id}/personal-data.json")
def personal_data(session: SessionDep, user: RecordUser, contact: ContactDep):
    """What a person may ask to see (access request): as one JSON file."""
    body = json.dumps(erasure.person_export(session, user, contact), ensure_ascii=False, indent=1)
    name = f"carnet-contact-{contact.id}.json"
    return Response(
        body,
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.post("/contacts/{contact_id}/erase")
def erase_contact(
    request: Request,
    session: SessionDep,
    user: RecordUser,
    contact: ContactDep,
    store: StoreDep,
    form: FormData,
):
    if not checked(form, "confirm"):
        # Back to the person's page, which says what is missing beside the box.
        return RedirectResponse(f"/contacts/{contact.id}?erase=unconfirmed#personal-data", 303)
    erasure.erase(session, user, contact, store)
    return RedirectResponse(f"/contacts/{contact.id}", 303)

"""The seller's mail page: their capture address (copy, renew) and the default visibility of
what they capture."""

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import RedirectResponse

from app.auth.deps import RECORDS, RecordUser, SessionDep
from app.core.config import SettingsDep
from app.core.forms import FormData, checked
from app.core.templating import render
from app.interop.mail import capture_address

router = APIRouter(include_in_schema=False)


def mount(app: FastAPI) -> None:
    app.include_router(router, dependencies=RECORDS)


@router.get("/mail")
def mail_page(request: Request, settings: SettingsDep, user: RecordUser):
    context = {
        "enabled": capture_address.enabled(settings),
        "address": capture_address.address_for(settings, user),
        "saved": request.query_params.get("saved"),
    }
    return render(request, "interop/mail.html", context)


@router.post("/mail/capture-address")
def renew_capture_address(session: SessionDep, user: RecordUser):
    capture_address.new_key(session, user)
    return RedirectResponse("/mail?saved=address", 303)


@router.post("/mail/capture-default")
def capture_default(session: SessionDep, user: RecordUser, form: FormData):
    capture_address.set_default_private(session, user, checked(form, "private"))
    return RedirectResponse("/mail?saved=default", 303)

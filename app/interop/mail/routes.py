"""The seller's mail page: their capture address (copy, renew) and the default visibility of
what they capture."""

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import RedirectResponse

from app.auth.deps import ADMIN, RECORDS, RecordUser, SessionDep
from app.core.config import SettingsDep
from app.core.errors import FormErrors
from app.core.forms import FormData, checked
from app.core.ids import IdPath
from app.core.templating import render
from app.documents.deps import StoreDep
from app.interop.mail import capture_address, mailbox, to_file

router = APIRouter(include_in_schema=False)
admin = APIRouter(include_in_schema=False)


def mount(app: FastAPI) -> None:
    app.include_router(router, dependencies=RECORDS)
    app.include_router(admin, dependencies=ADMIN)


@admin.get("/admin/mail")
def mailbox_page(request: Request, settings: SettingsDep, session: SessionDep):
    """The team mailbox as Carnet last saw it: when it was read, the last error and when
    Carnet tries again (never a seller's mail or count: R3)."""
    context = {
        "configured": mailbox.configured(settings),
        "host": settings.imap_host,
        "folder": settings.imap_folder,
        "failed_folder": settings.imap_failed_folder,
        "address": settings.capture_address,
        "status": mailbox.status(session),
    }
    return render(request, "admin/mail.html", context)


@router.get("/mail")
def mail_page(request: Request, settings: SettingsDep, user: RecordUser):
    context = {
        "enabled": capture_address.enabled(settings),
        "address": capture_address.address_for(settings, user),
        "saved": request.query_params.get("saved"),
    }
    return render(request, "interop/mail.html", context)


def _to_file_page(request, session, user, status=200, **extra):
    context = {
        "page": to_file.waiting(session, user, request.query_params.get("cursor")),
        "errors": {},
        "failed_id": None,
        "typed": "",
        "new_contact_for": to_file.new_contact_address,
    }
    context.update(extra)
    return render(request, "interop/to_file.html", context, status_code=status)


@router.get("/mail/to-file")
def to_file_page(request: Request, session: SessionDep, user: RecordUser):
    """My captured mail that matched no contact: mine alone."""
    return _to_file_page(request, session, user, filed=request.query_params.get("filed"))


@router.post("/mail/to-file/{message_id}/file")
def file_waiting_mail(
    request: Request,
    settings: SettingsDep,
    session: SessionDep,
    user: RecordUser,
    store: StoreDep,
    message_id: IdPath,
    form: FormData,
):
    message = to_file.get_waiting(session, user, message_id)
    if message is None:
        return RedirectResponse("/mail/to-file", 303)
    typed = form.get("contact", "")
    try:
        contact = to_file.file_on(session, settings, store, user, message, typed)
    except FormErrors as exc:
        return _to_file_page(
            request, session, user, 400, errors=exc.fields, failed_id=message_id, typed=typed
        )
    return RedirectResponse(f"/mail/to-file?filed={contact.id}", 303)


@router.post("/mail/to-file/{message_id}/new-contact")
def file_on_new_contact(
    request: Request,
    settings: SettingsDep,
    session: SessionDep,
    user: RecordUser,
    store: StoreDep,
    message_id: IdPath,
):
    message = to_file.get_waiting(session, user, message_id)
    if message is None:
        return RedirectResponse("/mail/to-file", 303)
    try:
        contact = to_file.file_on_new_contact(session, settings, store, user, message)
    except FormErrors as exc:
        session.rollback()
        return _to_file_page(request, session, user, 400, errors=exc.fields, failed_id=message_id)
    return RedirectResponse(f"/contacts/{contact.id}", 303)


@router.post("/mail/to-file/{message_id}/drop")
def drop_waiting_mail(session: SessionDep, user: RecordUser, message_id: IdPath):
    message = to_file.get_waiting(session, user, message_id)
    if message is not None:
        to_file.drop(session, user, message)
    return RedirectResponse("/mail/to-file", 303)


@router.post("/mail/capture-address")
def renew_capture_address(session: SessionDep, user: RecordUser):
    capture_address.new_key(session, user)
    return RedirectResponse("/mail?saved=address", 303)


@router.post("/mail/capture-default")
def capture_default(session: SessionDep, user: RecordUser, form: FormData):
    capture_address.set_default_private(session, user, checked(form, "private"))
    return RedirectResponse("/mail?saved=default", 303)

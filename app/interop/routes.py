"""The calendar feed: its settings page, and the feed itself (keyed by its secret URL)."""

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from sqlmodel import select
from starlette.background import BackgroundTask

from app.auth.deps import ADMIN, RECORDS, AdminUser, RecordUser, SessionDep
from app.auth.models import User
from app.core.errors import FormErrors
from app.core.forms import MultipartData
from app.core.i18n import N_, Localizer
from app.core.ids import IdPath, IdQuery
from app.core.schema import utcnow
from app.core.templating import render
from app.customers.deps import ContactDep
from app.documents.deps import StoreDep
from app.interop import calendar, export, handover, vcard, webhooks

public = APIRouter(include_in_schema=False)
router = APIRouter(include_in_schema=False)
admin = APIRouter(include_in_schema=False)


def mount(app: FastAPI) -> None:
    app.include_router(public)
    app.include_router(router, dependencies=RECORDS)
    app.include_router(admin, dependencies=ADMIN)


@public.get("/calendar/{calendar_token}.ics")
def calendar_feed(request: Request, session: SessionDep, calendar_token: str):
    """No session here: calendar apps fetch it alone. The URL is the secret."""
    user = calendar.user_for_token(session, request.app.state.secret_key, calendar_token[:300])
    loc = Localizer(language=user.language or "en", timezone=user.timezone)
    body = calendar.calendar_for(session, user, str(request.base_url), loc)
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={"Cache-Control": "private, max-age=300"},
    )


@router.get("/calendar")
def calendar_page(request: Request, session: SessionDep, user: RecordUser):
    token = calendar.feed_token(session, user, request.app.state.secret_key)
    url = f"{request.base_url}calendar/{token}.ics" if token else None
    return render(request, "interop/calendar.html", {"feed_url": url})


@router.post("/calendar")
def new_calendar_feed(session: SessionDep, user: RecordUser):
    calendar.new_feed(session, user)
    return RedirectResponse("/calendar", 303)


@router.post("/calendar/revoke")
def revoke_calendar_feed(session: SessionDep, user: RecordUser):
    calendar.revoke_feed(session, user)
    return RedirectResponse("/calendar", 303)


def _vcard_response(text: str, filename: str) -> Response:
    return Response(
        text,
        media_type="text/vcard; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/contacts/{contact_id}/vcard")
def contact_vcard(session: SessionDep, user: RecordUser, contact: ContactDep):
    return _vcard_response(
        vcard.export_contacts(session, user, [contact]), f"contact-{contact.id}.vcf"
    )


@router.get("/export/contacts.vcf")
def contacts_vcard(
    session: SessionDep, user: RecordUser, q: str = "", organization_id: IdQuery = None
):
    """The contacts a search shows (up to 1 000), as one file."""
    contacts = vcard.contacts_for_export(session, user, q[:200], organization_id)
    return _vcard_response(vcard.export_contacts(session, user, contacts), "contacts.vcf")


def _vcard_page(request, errors, report, status=200):
    context = {"errors": errors, "report": report}
    return render(request, "interop/vcard_import.html", context, status_code=status)


@router.get("/import/vcard")
def vcard_import_page(request: Request, user: RecordUser):
    return _vcard_page(request, {}, None)


@router.post("/import/vcard")
def import_vcard(request: Request, session: SessionDep, user: RecordUser, submitted: MultipartData):
    upload = submitted.file("file")
    limit = request.app.state.settings.max_upload_bytes
    data = upload.file.read(limit + 1) if upload is not None else b""
    errors = FormErrors()
    if upload is None:
        errors.add("file", N_("Choose a file to upload."))
    elif len(data) > limit:
        errors.add("file", N_("This file is larger than the upload limit."))
    if errors:
        return _vcard_page(request, errors.fields, None, 400)
    try:
        report = vcard.import_cards(session, user, data)
    except FormErrors as exc:
        return _vcard_page(request, exc.fields, None, 400)
    return _vcard_page(request, {}, report)


def _sellers(session) -> list[User]:
    return list(
        session.exec(
            select(User).where(User.is_seller, User.is_active).order_by(User.name).limit(1000)
        )
    )


def _ids(values: list[str]) -> list[int]:
    return [int(v) for v in values if v.isdigit() and len(v) < 19]


@admin.get("/admin/handover")
def handover_page(request: Request, session: SessionDep, user: AdminUser):
    """Pick who leaves and who takes over; the same page previews the counts."""
    departing = _ids(request.query_params.getlist("departing"))
    colleagues = _ids(request.query_params.getlist("colleagues"))
    plan, errors = None, {}
    if departing:
        try:
            plan = handover.plan_handover(session, user, departing[0], colleagues)
        except FormErrors as exc:
            errors = exc.fields
    context = {
        "sellers": _sellers(session),
        "departing": departing[0] if departing else None,
        "colleagues": colleagues,
        "plan": plan,
        "errors": errors,
        "done": request.query_params.get("done"),
    }
    return render(request, "interop/handover.html", context, status_code=400 if errors else 200)


@admin.post("/admin/handover")
def do_handover(request: Request, session: SessionDep, user: AdminUser, submitted: MultipartData):
    departing = _ids(submitted.lists.get("departing", []))
    colleagues = _ids(submitted.lists.get("colleagues", []))
    try:
        plan = handover.hand_over(session, user, departing[0] if departing else None, colleagues)
    except FormErrors as exc:
        context = {
            "sellers": _sellers(session),
            "departing": None,
            "colleagues": colleagues,
            "plan": None,
            "errors": exc.fields,
            "done": None,
        }
        return render(request, "interop/handover.html", context, status_code=400)
    return RedirectResponse(f"/admin/handover?done={plan.departing.id}", 303)


@router.get("/export")
def export_page(request: Request, user: RecordUser):
    return render(request, "interop/export.html", {})


@router.get("/export/everything.zip")
def export_everything(request: Request, session: SessionDep, user: RecordUser, store: StoreDep):
    """Everything you may see, as CSV, JSON and the documents themselves."""
    settings = request.app.state.settings
    path = export.export_everything(session, user, store, settings.data_dir / "tmp")
    return FileResponse(
        path,
        media_type="application/zip",
        filename=f"carnet-export-{utcnow():%Y-%m-%d}.zip",
        background=BackgroundTask(path.unlink, missing_ok=True),
    )


def _webhooks_page(request, session, user, errors=None, form=None, status=200):
    context = {
        "hooks": webhooks.webhooks_with_deliveries(session, user),
        "events": webhooks.EVENTS,
        "errors": errors or {},
        "form": form or {},
    }
    return render(request, "interop/webhooks.html", context, status_code=status)


@admin.get("/admin/webhooks")
def webhooks_page(request: Request, session: SessionDep, user: AdminUser):
    return _webhooks_page(request, session, user)


@admin.post("/admin/webhooks")
def create_webhook(
    request: Request, session: SessionDep, user: AdminUser, submitted: MultipartData
):
    url = submitted.fields.get("url", "")
    events = submitted.lists.get("events", [])
    try:
        webhooks.create_webhook(session, user, url, events)
    except FormErrors as exc:
        return _webhooks_page(request, session, user, exc.fields, {"url": url}, 400)
    return RedirectResponse("/admin/webhooks", 303)


@admin.post("/admin/webhooks/{webhook_id}/delete")
def delete_webhook(session: SessionDep, user: AdminUser, webhook_id: IdPath):
    webhooks.delete_webhook(session, user, webhook_id)
    return RedirectResponse("/admin/webhooks", 303)

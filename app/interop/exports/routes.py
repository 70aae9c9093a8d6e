"""Pages for taking data out and bringing cards in: vCards, the export page, the whole zip."""

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import FileResponse, Response, StreamingResponse
from starlette.background import BackgroundTask

from app.auth.deps import RECORDS, RecordUser, SessionDep
from app.core.config import SettingsDep
from app.core.errors import FormErrors
from app.core.forms import MultipartData
from app.core.i18n import N_
from app.core.ids import IdQuery
from app.core.schema import utcnow
from app.core.templating import render
from app.core.text import clean_query
from app.customers.deps import ContactDep
from app.documents.deps import StoreDep
from app.interop.exports import archive as export
from app.interop.exports import vcard

router = APIRouter(include_in_schema=False)


def mount(app: FastAPI) -> None:
    app.include_router(router, dependencies=RECORDS)


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
    request: Request, user: RecordUser, q: str = "", organization_id: IdQuery = None
):
    """Every contact a search shows, as one file, sent as it is read."""
    factory = request.app.state.session_factory
    pages = vcard.card_pages(lambda: factory(writes=False), user, clean_query(q), organization_id)
    return StreamingResponse(
        pages,
        media_type="text/vcard; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="contacts.vcf"'},
    )


def _vcard_page(request, errors, report, status=200):
    context = {"errors": errors, "report": report}
    return render(request, "interop/vcard_import.html", context, status_code=status)


@router.get("/import/vcard")
def vcard_import_page(request: Request, user: RecordUser):
    return _vcard_page(request, {}, None)


@router.post("/import/vcard")
def import_vcard(
    request: Request,
    settings: SettingsDep,
    session: SessionDep,
    user: RecordUser,
    submitted: MultipartData,
):
    upload = submitted.file("file")
    limit = settings.max_upload_bytes
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


@router.get("/export")
def export_page(request: Request, user: RecordUser):
    return render(request, "interop/export.html", {})


@router.get("/export/everything.zip")
def export_everything(
    request: Request, settings: SettingsDep, session: SessionDep, user: RecordUser, store: StoreDep
):
    """Everything you may see, as CSV, JSON and the documents themselves."""
    path = export.export_everything(session, user, store, settings.data_dir / "tmp")
    return FileResponse(
        path,
        media_type="application/zip",
        filename=f"carnet-export-{utcnow():%Y-%m-%d}.zip",
        background=BackgroundTask(path.unlink, missing_ok=True),
    )

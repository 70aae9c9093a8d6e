"""Pages for documents: attach to a record, upload a version, see versions, download."""

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.responses import FileResponse, Response, StreamingResponse

from app.activities.deps import ActivityDep
from app.auth.deps import RECORDS, RecordUser, SessionDep
from app.core.forms import MultipartData, local_path
from app.core.templating import render, saved_or_form
from app.customers.deps import ContactDep, OrganizationDep
from app.documents import service
from app.documents.deps import DocumentDep, StoreDep
from app.documents.models import KIND_LABELS
from app.documents.service import Upload

router = APIRouter(include_in_schema=False)

VersionNumber = Annotated[int | None, Query(ge=1, le=1_000_000)]


def mount(app: FastAPI) -> None:
    app.include_router(router, dependencies=RECORDS)


def record_url(document) -> str:
    if document.deal_id:
        return f"/deals/{document.deal_id}"
    if document.organization_id:
        return f"/organizations/{document.organization_id}"
    if document.contact_id:
        return f"/contacts/{document.contact_id}"
    return f"/activities/{document.activity_id}"


def _document_page(request, session, user, document, errors=None, status=200):
    context = {
        "document": document,
        "versions": service.versions_of(session, user, document),
        "record_url": record_url(document),
        "kind_labels": KIND_LABELS,
        "errors": errors or {},
    }
    return render(request, "documents/document.html", context, status_code=status)


@router.get("/documents/{document_id}")
def document_page(request: Request, session: SessionDep, user: RecordUser, document: DocumentDep):
    return _document_page(request, session, user, document)


@router.get("/documents/{document_id}/download")
def download(
    request: Request,
    session: SessionDep,
    user: RecordUser,
    document: DocumentDep,
    store: StoreDep,
    version: VersionNumber = None,
):
    return file_response(request, session, user, store, document, version)


def file_response(request, session, user, store, document, version: int | None) -> Response:
    """The stored file as a download: its own content type, its name, never shown inline."""
    found = service.get_version(session, user, document, version)
    content = service.file_of(session, store, found)
    if content.path is not None:
        return FileResponse(
            content.path,
            media_type=found.content_type,
            filename=found.filename,
            content_disposition_type="attachment",
        )
    sessions = request.app.state.session_factory
    return StreamingResponse(
        content.chunks(lambda: sessions(writes=False)),
        media_type=found.content_type,
        headers={
            "content-length": str(content.size),
            "content-disposition": _attachment(found.filename),
        },
    )


def _attachment(filename: str) -> str:
    """As FileResponse writes it: RFC 6266, with RFC 5987 encoding for other characters."""
    quoted = quote(filename)
    if quoted != filename:
        return f"attachment; filename*=utf-8''{quoted}"
    return f'attachment; filename="{filename}"'


@router.post("/documents/{document_id}/versions")
def upload_version(
    request: Request,
    session: SessionDep,
    user: RecordUser,
    document: DocumentDep,
    store: StoreDep,
    submitted: MultipartData,
):
    upload = Upload.of(submitted.file("file"))
    return saved_or_form(
        lambda: service.add_version(session, user, store, document, upload),
        local_path(submitted.fields.get("next", ""), f"/documents/{document.id}"),
        lambda errors: _document_page(request, session, user, document, errors),
    )


def _attach(request, session, user, store, submitted, back: str, **record):
    upload, kind = Upload.of(submitted.file("file")), submitted.fields.get("kind", "")
    return saved_or_form(
        lambda: service.attach(session, user, store, upload, kind, **record),
        back + "#documents",
        lambda errors: render(
            request,
            "documents/attach_failed.html",
            {"errors": errors, "back": back, "kind_labels": KIND_LABELS},
        ),
    )


@router.post("/organizations/{organization_id}/documents")
def attach_to_organization(
    request: Request,
    session: SessionDep,
    user: RecordUser,
    organization: OrganizationDep,
    store: StoreDep,
    submitted: MultipartData,
):
    back = f"/organizations/{organization.id}"
    return _attach(request, session, user, store, submitted, back, organization=organization)


@router.post("/contacts/{contact_id}/documents")
def attach_to_contact(
    request: Request,
    session: SessionDep,
    user: RecordUser,
    contact: ContactDep,
    store: StoreDep,
    submitted: MultipartData,
):
    back = f"/contacts/{contact.id}"
    return _attach(request, session, user, store, submitted, back, contact=contact)


@router.post("/activities/{activity_id}/documents")
def attach_to_activity(
    request: Request,
    session: SessionDep,
    user: RecordUser,
    activity: ActivityDep,
    store: StoreDep,
    submitted: MultipartData,
):
    back = f"/activities/{activity.id}"
    return _attach(request, session, user, store, submitted, back, activity=activity)

"""JSON API for documents: upload, list versions, download; scoped like their records."""

from typing import Annotated

from fastapi import APIRouter, FastAPI, File, Form, Query, Request, UploadFile

from app.activities import service as activities
from app.auth.deps import RECORDS, RecordUser, SessionDep
from app.core.api import API_DOCS, API_ERRORS, API_PREFIX, ListOut
from app.core.errors import FormErrors
from app.core.ids import IdQuery
from app.customers import service as customers
from app.deals import queries as deals
from app.documents import service
from app.documents.deps import DocumentDep, StoreDep
from app.documents.models import Document, DocumentRead, DocumentVersionRead
from app.documents.routes import file_response
from app.documents.service import Upload

router = APIRouter(prefix=API_PREFIX, tags=["documents"], responses=API_ERRORS)


def mount(app: FastAPI) -> None:
    app.include_router(router, dependencies=[*API_DOCS, *RECORDS])


def _read(session, user, document: Document) -> DocumentRead:
    versions = [
        DocumentVersionRead.model_validate(row.version, update={"is_current": row.is_current})
        for row in service.versions_of(session, user, document)
    ]
    return DocumentRead.model_validate(document, update={"versions": versions})


def _record(session, user, deal_id, organization_id, contact_id, activity_id) -> dict:
    given = [x for x in (deal_id, organization_id, contact_id, activity_id) if x is not None]
    if len(given) != 1:
        errors = FormErrors()
        errors.add(
            "deal_id", "Give exactly one of deal_id, organization_id, contact_id, activity_id."
        )
        raise errors
    if deal_id is not None:
        return {"deal": deals.get_deal(session, user, deal_id)}
    if organization_id is not None:
        return {"organization": customers.get_organization(session, user, organization_id)}
    if contact_id is not None:
        return {"contact": customers.get_contact(session, user, contact_id)}
    return {"activity": activities.get_activity(session, user, activity_id)}


@router.get("/documents", response_model=ListOut[DocumentRead])
def list_documents(
    session: SessionDep,
    user: RecordUser,
    deal_id: IdQuery = None,
    organization_id: IdQuery = None,
    contact_id: IdQuery = None,
    activity_id: IdQuery = None,
):
    """A record's documents (exactly one record), each with its versions."""
    record = _record(session, user, deal_id, organization_id, contact_id, activity_id)
    key, obj = next(iter(record.items()))
    rows = service.documents_of(session, user, **{f"{key}_id": obj.id})
    return ListOut(items=[_read(session, user, r.document) for r in rows])


@router.post("/documents", response_model=DocumentRead, status_code=201)
def upload_document(
    session: SessionDep,
    user: RecordUser,
    store: StoreDep,
    file: Annotated[UploadFile, File()],
    kind: Annotated[str, Form(max_length=16)] = "other",
    deal_id: Annotated[int | None, Form(ge=1, le=2**63 - 1)] = None,
    organization_id: Annotated[int | None, Form(ge=1, le=2**63 - 1)] = None,
    contact_id: Annotated[int | None, Form(ge=1, le=2**63 - 1)] = None,
    activity_id: Annotated[int | None, Form(ge=1, le=2**63 - 1)] = None,
):
    record = _record(session, user, deal_id, organization_id, contact_id, activity_id)
    upload = Upload(file.filename or "", file.content_type or "", file.file)
    document = service.attach(session, user, store, upload, kind, **record)
    return _read(session, user, document)


@router.get("/documents/{document_id}", response_model=DocumentRead)
def get_document(session: SessionDep, user: RecordUser, document: DocumentDep):
    return _read(session, user, document)


@router.post(
    "/documents/{document_id}/versions", response_model=DocumentVersionRead, status_code=201
)
def upload_version(
    session: SessionDep,
    user: RecordUser,
    store: StoreDep,
    document: DocumentDep,
    file: Annotated[UploadFile, File()],
):
    upload = Upload(file.filename or "", file.content_type or "", file.file)
    version = service.add_version(session, user, store, document, upload)
    return DocumentVersionRead.model_validate(version, update={"is_current": True})


@router.get("/documents/{document_id}/download")
def download(
    request: Request,
    session: SessionDep,
    user: RecordUser,
    document: DocumentDep,
    store: StoreDep,
    version: Annotated[int | None, Query(ge=1, le=1_000_000)] = None,
):
    """The current version, or `version=N`."""
    return file_response(request, session, user, store, document, version)

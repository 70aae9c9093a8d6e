"""Loader dependency for documents, through the scoped service (404 for others' private ones)."""

from typing import Annotated

from fastapi import Depends, Request

from app.auth.deps import RecordUser, SessionDep
from app.core.ids import IdPath
from app.documents import service
from app.documents.models import Document
from app.documents.service import DocumentStore


def current_document(document_id: IdPath, session: SessionDep, user: RecordUser) -> Document:
    return service.get_document(session, user, document_id)


DocumentDep = Annotated[Document, Depends(current_document)]


def document_store(request: Request) -> DocumentStore:
    return DocumentStore.of(request.app.state.settings)


StoreDep = Annotated[DocumentStore, Depends(document_store)]

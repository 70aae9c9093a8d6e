"""Loader dependency for documents, through the scoped service (404 for others' private ones)."""

from typing import Annotated

from fastapi import Depends

from app.core.ids import IdPath
from app.core.permissions import RecordUser, SessionDep
from app.documents import service
from app.documents.models import Document


def current_document(document_id: IdPath, session: SessionDep, user: RecordUser) -> Document:
    return service.get_document(session, user, document_id)


DocumentDep = Annotated[Document, Depends(current_document)]

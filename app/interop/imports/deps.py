"""The import a route names, loaded through the scoped service (its author's only)."""

from typing import Annotated

from fastapi import Depends

from app.auth.deps import RecordUser, SessionDep
from app.core.ids import IdPath
from app.interop.imports import service
from app.interop.imports.models import ImportJob


def current_import(import_id: IdPath, session: SessionDep, user: RecordUser) -> ImportJob:
    return service.get_job(session, user, import_id)


ImportDep = Annotated[ImportJob, Depends(current_import)]

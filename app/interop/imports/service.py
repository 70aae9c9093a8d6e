"""Spreadsheet import as the pages see it: upload, the seller's own imports, and a small
import run within the request. Large ones run as jobs (jobs.py).

Rows become records in bulk, so 50 000 contacts import in seconds; the whole import commits
at once or not at all."""

import json

from sqlmodel import Session, select

from app.auth.models import User
from app.core.access import require_records
from app.core.errors import FormErrors, Message, NotFound
from app.core.i18n import N_, reading_language
from app.interop.imports.mapping import ENTITIES, guess_mapping
from app.interop.imports.models import ImportFile, ImportJob
from app.interop.imports.planning import RUNNABLE, plan_import
from app.interop.imports.tabular import read_table
from app.interop.imports.writing import lock, write_import

# Files over this are refused before they are read to the end.
MAX_IMPORT_BYTES = 50 * 1024 * 1024


def start_import(session: Session, user: User, settings, upload, entity: str) -> ImportJob:
    """Keeps the uploaded file in the database, so whichever process runs the import, on
    whichever host, reads the same bytes; it is removed once the import is done."""
    require_records(user)
    errors = FormErrors()
    if entity not in ENTITIES:
        errors.add("entity", N_("Pick a value from the list."))
    if upload is None:
        errors.add("file", N_("Choose a file to upload."))
    errors.raise_if_any()
    name = (upload.filename or "import").replace("/", "_").replace("\\", "_")[:200]
    data = upload.file.read(MAX_IMPORT_BYTES + 1)
    if len(data) > MAX_IMPORT_BYTES:
        errors.add(
            "file",
            Message(
                N_("This file is larger than %(mb)s MB: split it in smaller files."),
                mb=MAX_IMPORT_BYTES // (1024 * 1024),
            ),
        )
        raise errors
    sheet = read_table(data, name)
    job = ImportJob(
        user_id=user.id,
        entity=entity,
        filename=name,
        stored_as="database",
        headers=json.dumps(sheet.headers),
        mapping=json.dumps({str(k): v for k, v in guess_mapping(entity, sheet.headers).items()}),
        total_rows=len(sheet.rows),
        language=reading_language(user),
    )
    session.add(job)
    session.flush()
    session.add(ImportFile(import_id=job.id, content=data))
    session.commit()
    session.refresh(job)
    return job


def get_job(session: Session, user: User, job_id: int) -> ImportJob:
    """An import is its author's business only."""
    require_records(user)
    job = session.get(ImportJob, job_id)
    if job is None or job.user_id != user.id:
        raise NotFound
    return job


def list_jobs(session: Session, user: User) -> list[ImportJob]:
    require_records(user)
    return list(
        session.exec(
            select(ImportJob)
            .where(ImportJob.user_id == user.id)
            .order_by(ImportJob.id.desc())
            .limit(20)
        )
    )


def run_import(
    session: Session,
    user: User,
    job: ImportJob,
    settings,
    decisions: dict[str, str],
    default: str = "merge",
) -> ImportJob:
    """Runs a small import within the request. The row is locked first, so a double
    submit waits and then finds it done."""
    require_records(user)
    locked = lock(session, job)
    if locked.status not in RUNNABLE:
        return locked
    write_import(
        session, user, locked, plan_import(session, user, locked, settings, decisions, default)
    )
    return locked

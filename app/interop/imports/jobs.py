"""Imports too big for one request run as a background job: queued once however often
"run" is pressed, run by whichever process is free, with progress in the database, a cancel
button, and "interrupted, nothing was imported" when the process running it died."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, update
from sqlmodel import Session, select

from app.auth.models import User
from app.core import jobs
from app.core.errors import FormErrors, refusal_rolls_back
from app.core.i18n import N_
from app.interop.imports import planning, service, writing
from app.interop.imports.models import ImportFile, ImportJob

# Smaller files import within the request; larger ones in the background, with progress.
INLINE_ROWS = 2000
KIND = "import"
# A file uploaded and never imported is dropped after this long.
KEEP_UNUSED_FILES = timedelta(days=7)


@refusal_rolls_back
def run_or_queue(session: Session, user: User, job: ImportJob, settings, decisions, default):
    """Runs a small import now, queues a big one. Either way a second press while the first
    is under way (or done) changes nothing."""
    if job.total_rows <= INLINE_ROWS:
        return service.run_import(session, user, job, settings, decisions, default)
    locked = writing.lock(session, job)
    if locked.status not in planning.RUNNABLE:
        return locked
    locked.status = "queued"
    locked.error = ""
    session.add(locked)
    jobs.enqueue(
        session,
        KIND,
        ref_id=locked.id,
        payload={"decisions": decisions, "default": default},
        total=locked.total_rows,
    )
    session.commit()
    return locked


def run_job(sessions, settings, job: jobs.Job, run) -> None:
    """The background part. The file is read and checked in a read-only transaction; only
    the writing holds SQLite's write lock. One commit for everything, or nothing."""
    with sessions(writes=False) as session:
        imp = session.get(ImportJob, job.ref_id)
        user = imp and session.get(User, imp.user_id)
        if imp is None or user is None or imp.status not in ("queued", "running"):
            return
        data = job.data
        try:
            plan = planning.plan_import(
                session, user, imp, settings, data.get("decisions", {}), data.get("default")
            )
        except FormErrors as exc:
            session.rollback()
            _end(sessions, imp.id, "failed", _first_message(exc))
            return
    run.check()
    with sessions() as session:
        imp = session.get(ImportJob, job.ref_id)
        imp.status = "running"
        session.add(imp)
        writing.PROGRESS[imp.id] = run
        try:
            writing.write_import(
                session, user, imp, plan, finish=lambda s: jobs.finish(s, job, run.worker)
            )
        finally:
            writing.PROGRESS.pop(imp.id, None)


def _first_message(exc: FormErrors) -> str:
    for messages in exc.fields.values():
        for message in messages:
            return str(message)[:500]
    return N_("This file cannot be imported.")


def _end(sessions, import_id: int, status: str, error: str) -> None:
    with sessions() as session:
        _set_status(session, import_id, status, error)
        session.commit()


def _set_status(session: Session, import_id: int, status: str, error: str) -> None:
    session.execute(
        update(ImportJob)
        .where(ImportJob.id == import_id, ImportJob.status.in_(("queued", "running")))
        .values(status=status, error=error[:500])
    )


def job_ended(session: Session, job: jobs.Job, status: str) -> None:
    """The job stopped without importing (failed, cancelled, its process died): the import
    says so and can be run again. Nothing of it was written."""
    _set_status(session, job.ref_id, status, job.error if status == jobs.FAILED else "")


def cancel(session: Session, user: User, imp: ImportJob) -> None:
    if imp.status not in ("queued", "running"):
        return
    jobs.cancel(session, KIND, imp.id)
    session.execute(
        update(ImportJob)
        .where(ImportJob.id == imp.id, ImportJob.status == "queued")
        .values(status="cancelled")
    )
    session.commit()


@dataclass
class Progress:
    state: str  # waiting, reading, writing
    done: int
    total: int


def progress_of(session: Session, imp: ImportJob) -> Progress:
    job = jobs.latest(session, KIND, imp.id)
    total = imp.total_rows
    if job is None or job.status == jobs.QUEUED:
        return Progress("waiting", 0, total)
    if imp.status == "queued" or not job.progress_done:
        return Progress("reading", 0, total)
    return Progress("writing", min(job.progress_done, total), total)


def remove_abandoned_files(session: Session, now: datetime) -> int:
    """Files of imports nobody ran within KEEP_UNUSED_FILES, and of finished ones."""
    stale = select(ImportJob.id).where(
        ImportJob.created_at < now - KEEP_UNUSED_FILES,
        ImportJob.status.not_in(("queued", "running")),
    )
    removed = session.execute(delete(ImportFile).where(ImportFile.import_id.in_(stale)))
    session.commit()
    return removed.rowcount


def decisions_of(form) -> tuple[dict, str]:
    decisions = {k.removeprefix("group_"): v for k, v in form.items() if k.startswith("group_")}
    return decisions, form.get("default_action", "merge")

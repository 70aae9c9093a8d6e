"""The mailbox looked at as a background job: one look per poll interval, taken by one
process whatever how many run (the job key is the interval's), backing off while the IMAP
server is away; finished looks are forgotten after a day."""

from datetime import timedelta

from sqlalchemy import delete
from sqlmodel import Session, select

from app.core import jobs
from app.core.config import Settings
from app.core.jobs import Job
from app.core.schema import utcnow
from app.documents.service import DocumentStore
from app.interop.mail import mailbox

KIND = "mail"


def schedule_due(session: Session, settings: Settings, now) -> bool:
    """Queues this interval's look unless one is queued already or the server is being
    given time after failures. Commits; returns whether a look was queued."""
    if not mailbox.configured(settings) or not mailbox.due(session, now):
        return False
    live = session.exec(
        select(Job.id).where(Job.kind == KIND, Job.status.in_(jobs.LIVE)).limit(1)
    ).first()
    if live is not None:
        return False  # a look still waiting for a slow server: no second one behind it
    interval = max(1, settings.imap_poll_seconds)
    queued = jobs.enqueue(session, KIND, key=f"mail:{int(now.timestamp()) // interval}")
    session.execute(
        delete(Job).where(
            Job.kind == KIND,
            Job.status.in_((jobs.DONE, jobs.FAILED)),
            Job.created_at < now - timedelta(days=1),
        )
    )
    session.commit()
    return queued


def run_look(sessions, settings: Settings, job, run) -> None:
    store = DocumentStore.of(settings)
    try:
        seen = mailbox.look(sessions, settings, store)
    except mailbox.MailboxUnreachable as exc:
        with sessions() as session:
            mailbox.note_failure(session, str(exc), utcnow())
        return
    with sessions() as session:
        mailbox.note_success(session, seen, utcnow())

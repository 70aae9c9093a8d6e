"""Background work kept in the application's own database. A job is claimed by exactly one
process (FOR UPDATE SKIP LOCKED on PostgreSQL; SQLite's write lock, taken when the claiming
transaction begins), holds a lease it renews while it runs, counts its attempt before its
side effect, is retried with backoff, and is found again by a sweep when its process died.

The pattern is that of Oban, good_job or Solid Queue. No maintained Python library does it on
both SQLite and PostgreSQL without a broker, hence this small module."""

import json
import os
import socket
import uuid
from datetime import datetime, timedelta

from sqlalchemy import Index, event, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Field, Session, SQLModel

from app.core.schema import utcnow

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
INTERRUPTED, CANCELLED = "interrupted", "cancelled"
LIVE = (QUEUED, RUNNING)
LEASE = timedelta(seconds=60)


class Stopped(Exception):
    """Raised by a job that saw a cancel request or its process shutting down."""


class Retry(Exception):
    """A failed attempt that may succeed later (a target down, SMTP refusing)."""


class Job(SQLModel, table=True):
    __tablename__ = "job"
    __table_args__ = (
        Index("ix_job_due", "status", "run_after"),
        Index("ix_job_kind_ref", "kind", "ref_id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=32)
    # The record the job works for (an import, a webhook delivery, a user for a digest).
    ref_id: int | None = None
    # At most one job per key ever: three processes scheduling the same digest queue one.
    key: str | None = Field(default=None, max_length=120, unique=True)
    payload: str = Field(default="{}")
    status: str = Field(default=QUEUED, max_length=12)
    attempts: int = 0
    max_attempts: int = 1
    run_after: datetime = Field(default_factory=utcnow)
    claimed_by: str = Field(default="", max_length=120)
    lease_until: datetime | None = None
    progress_done: int = 0
    progress_total: int = 0
    cancel_requested: bool = False
    error: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None

    @property
    def data(self) -> dict:
        return json.loads(self.payload or "{}")


def worker_name() -> str:
    """host:pid:nonce. The nonce tells this process from an earlier one with the same pid."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


# Called (from any thread) once a transaction that queued jobs commits: the runners of this
# process look at once instead of at their next idle check.
_listeners: list = []


def on_enqueue(callback) -> None:
    _listeners.append(callback)


def off_enqueue(callback) -> None:
    if callback in _listeners:
        _listeners.remove(callback)


def _notify(session: Session) -> None:
    session.info.pop("wakes_runners", None)
    for callback in list(_listeners):
        callback()


def _wake_after_commit(session: Session) -> None:
    # Once per session until its next commit (a rolled-back one wakes them for nothing).
    if not session.info.get("wakes_runners"):
        session.info["wakes_runners"] = True
        event.listen(session, "after_commit", _notify, once=True)


def _insert(session: Session):
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


def enqueue(
    session: Session,
    kind: str,
    *,
    ref_id: int | None = None,
    key: str | None = None,
    payload: dict | None = None,
    max_attempts: int = 1,
    run_after: datetime | None = None,
    total: int = 0,
) -> bool:
    """Adds a job in the caller's transaction (it runs only if that commits). With a key
    already used, nothing is added and False is returned."""
    row = {
        "kind": kind,
        "ref_id": ref_id,
        "key": key,
        "payload": json.dumps(payload or {}, default=str),
        "status": QUEUED,
        "attempts": 0,
        "max_attempts": max_attempts,
        "run_after": run_after or utcnow(),
        "claimed_by": "",
        "progress_done": 0,
        "progress_total": total,
        "cancel_requested": False,
        "error": "",
        "created_at": utcnow(),
    }
    statement = _insert(session)(Job).values(row)
    _wake_after_commit(session)
    if key is not None:
        statement = statement.on_conflict_do_nothing(index_elements=["key"])
    return session.execute(statement).rowcount == 1


def enqueue_many(session: Session, kind: str, ref_ids: list[int], max_attempts: int) -> None:
    """One job per record, in bulk (an import that emits thousands of webhook events)."""
    if not ref_ids:
        return
    _wake_after_commit(session)
    now = utcnow()
    session.execute(
        _insert(session)(Job),
        [
            {
                "kind": kind,
                "ref_id": ref_id,
                "payload": "{}",
                "status": QUEUED,
                "attempts": 0,
                "max_attempts": max_attempts,
                "run_after": now,
                "claimed_by": "",
                "progress_done": 0,
                "progress_total": 0,
                "cancel_requested": False,
                "error": "",
                "created_at": now,
            }
            for ref_id in ref_ids
        ],
    )


def due_exists(session: Session, kinds: list[str], now: datetime) -> bool:
    """A cheap read first, so an idle process does not take SQLite's write lock every second."""
    found = session.execute(
        select(Job.id)
        .where(Job.status == QUEUED, Job.run_after <= now, Job.kind.in_(kinds))
        .limit(1)
    ).first()
    session.rollback()
    return found is not None


def claim(session: Session, worker: str, kinds: list[str], now: datetime) -> Job | None:
    """Takes the next due job for this worker and commits, so the attempt is counted before
    any side effect. Two processes never get the same job."""
    candidate = (
        select(Job.id)
        .where(Job.status == QUEUED, Job.run_after <= now, Job.kind.in_(kinds))
        .order_by(Job.run_after, Job.id)
        .limit(1)
        .with_for_update(skip_locked=True)  # dropped on SQLite, where the write lock serialises
        .scalar_subquery()
    )
    job_id = session.execute(
        update(Job)
        .where(Job.id == candidate, Job.status == QUEUED)
        .values(
            status=RUNNING,
            claimed_by=worker,
            lease_until=now + LEASE,
            attempts=Job.attempts + 1,
        )
        .returning(Job.id)
    ).scalar()
    session.commit()
    return session.get(Job, job_id) if job_id is not None else None


def renew(session: Session, job_id: int, worker: str, done: int | None) -> bool:
    """Extends the lease (and stores progress); returns whether a cancel was asked. A job
    that is no longer ours (swept meanwhile) reads as cancelled."""
    values = {"lease_until": utcnow() + LEASE}
    if done is not None:
        values["progress_done"] = done
    result = session.execute(
        update(Job)
        .where(Job.id == job_id, Job.claimed_by == worker, Job.status == RUNNING)
        .values(**values)
    )
    cancel = session.execute(select(Job.cancel_requested).where(Job.id == job_id)).scalar()
    session.commit()
    return result.rowcount != 1 or bool(cancel)


def finish(session: Session, job: Job, worker: str, status: str = DONE, error: str = "") -> bool:
    """Closes our claim, in the caller's transaction (an import commits its rows and this
    together). False when the claim was lost: the caller must then roll back."""
    result = session.execute(
        update(Job)
        .where(Job.id == job.id, Job.claimed_by == worker, Job.status == RUNNING)
        .values(status=status, error=error[:500], finished_at=utcnow(), lease_until=None)
    )
    return result.rowcount == 1


def retry_later(session: Session, job: Job, worker: str, error: str, delay: timedelta) -> str:
    """After a failed attempt: queued again after `delay`, or failed for good. Commits."""
    status = QUEUED if job.attempts < job.max_attempts else FAILED
    session.execute(
        update(Job)
        .where(Job.id == job.id, Job.claimed_by == worker, Job.status == RUNNING)
        .values(
            status=status,
            error=error[:500],
            run_after=utcnow() + delay,
            claimed_by="",
            lease_until=None,
            finished_at=utcnow() if status == FAILED else None,
        )
    )
    session.commit()
    return status


def cancel(session: Session, kind: str, ref_id: int) -> None:
    """A queued job stops at once; a running one at its next check. Commits."""
    session.execute(
        update(Job)
        .where(Job.kind == kind, Job.ref_id == ref_id, Job.status == QUEUED)
        .values(status=CANCELLED, finished_at=utcnow())
    )
    session.execute(
        update(Job)
        .where(Job.kind == kind, Job.ref_id == ref_id, Job.status == RUNNING)
        .values(cancel_requested=True)
    )
    session.commit()


def latest(session: Session, kind: str, ref_id: int) -> Job | None:
    return session.execute(
        select(Job).where(Job.kind == kind, Job.ref_id == ref_id).order_by(Job.id.desc()).limit(1)
    ).scalar()


def _dead_here(worker: str, host: str, me: str) -> bool:
    """A claim by an earlier process on this host whose pid is gone (or is now ours)."""
    parts = worker.rsplit(":", 2)
    if len(parts) != 3 or parts[0] != host or worker == me:
        return False
    pid = int(parts[1]) if parts[1].isdigit() else 0
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def sweep(session: Session, me: str, now: datetime) -> list[Job]:
    """Finds running jobs whose process is gone: the lease ran out, or (at start-up) the
    claimant was an earlier process on this host. A job with attempts left is queued again
    (its attempt stays counted); the others read "interrupted". Commits; returns them."""
    host = me.rsplit(":", 2)[0]
    running = session.execute(
        select(Job).where(Job.status == RUNNING).order_by(Job.id).limit(1000)
    ).scalars()
    lost = [
        j
        for j in running
        if (j.lease_until is not None and j.lease_until < now) or _dead_here(j.claimed_by, host, me)
    ]
    swept = []
    for job in lost:
        status = QUEUED if job.attempts < job.max_attempts else INTERRUPTED
        result = session.execute(
            update(Job)
            .where(Job.id == job.id, Job.claimed_by == job.claimed_by, Job.status == RUNNING)
            .values(
                status=status,
                claimed_by="",
                lease_until=None,
                error="interrupted",
                finished_at=now if status == INTERRUPTED else None,
            )
        )
        if result.rowcount == 1:
            job.status = status
            swept.append(job)
    session.commit()
    return swept


def release_mine(session: Session, me: str) -> int:
    """At a graceful shutdown: what this process holds goes back to the queue, uncounted,
    for another process (or this one, restarted) to take."""
    result = session.execute(
        update(Job)
        .where(Job.status == RUNNING, Job.claimed_by == me)
        .values(status=QUEUED, claimed_by="", lease_until=None, attempts=Job.attempts - 1)
    )
    session.commit()
    return result.rowcount

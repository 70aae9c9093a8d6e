"""The job runner started with the app: each process claims due jobs (webhook deliveries,
digests, imports) from the database, runs a few at a time in threads, renews their leases,
sweeps jobs whose process died, and hands back what it holds when it shuts down."""

import asyncio
import logging
import threading
from collections.abc import Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import Engine
from sqlmodel import Session

from app.core import jobs
from app.core.db import make_engine
from app.core.health import database_unreachable, describe_database_error
from app.core.jobs import Retry, Stopped
from app.core.schema import utcnow

log = logging.getLogger("carnet.background")
IDLE_SECONDS = 0.5
# An idle process looks less and less often, up to this; a job queued by this process wakes
# it at once, one queued by another process waits at most this long.
IDLE_MAX_SECONDS = 5.0
HEARTBEAT_SECONDS = 2.0
HOUSEKEEPING_SECONDS = 30.0
DATABASE_AWAY_SECONDS = 5.0


@dataclass
class Kind:
    run: Callable  # (sessions, settings, job, JobRun) -> None; commits its own work
    # Called with (session, job, status) when a job ends other than "done".
    ended: Callable | None = None
    # (attempts, settings) -> how long until the next attempt
    backoff: Callable = lambda attempts, settings: timedelta(
        seconds=min(30 * 2 ** (attempts - 1), 3600)
    )


@dataclass
class JobRun:
    """What a running job sees of its runner."""

    worker: str
    stopping: threading.Event
    done: int | None = None
    cancelled: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    def progress(self, done: int) -> None:
        self.done = done

    def check(self) -> None:
        """Call between steps: raises Stopped on a cancel request or a shutdown."""
        if self.cancelled or self.stopping.is_set():
            raise Stopped


def kinds(settings=None) -> dict[str, Kind]:
    """What this process can run. A process without SMTP settings leaves digests and mail to
    one that has them (a `carnet digest` run, another server), rather than failing and
    backing off."""
    # Imported here: the runner sits above the domains, which register nothing themselves.
    from app.interop import digest
    from app.interop.imports import jobs as import_jobs
    from app.interop.mail import jobs as mail_jobs
    from app.interop.mail import mailbox, sending
    from app.interop.webhooks import service as webhooks

    registry = {
        "webhook": Kind(webhooks.run_delivery, webhooks.delivery_ended, webhooks.backoff),
        "digest": Kind(digest.run_digest, backoff=digest.backoff),
        "import": Kind(import_jobs.run_job, import_jobs.job_ended),
        sending.KIND: Kind(sending.run_send, sending.send_ended, sending.backoff),
    }
    if settings is not None and not settings.smtp_host:
        del registry["digest"]
        del registry[sending.KIND]
    if settings is None or mailbox.configured(settings):
        registry[mail_jobs.KIND] = Kind(mail_jobs.run_look)
    return registry


def housekeeping_seconds(settings) -> float:
    """How often sweeps and schedules run: every 30 s, or each mailbox poll if shorter."""
    from app.interop.mail import mailbox

    if mailbox.configured(settings):
        return max(1.0, min(HOUSEKEEPING_SECONDS, settings.imap_poll_seconds))
    return HOUSEKEEPING_SECONDS


# Deliveries come in bursts (an import can queue one per row): every other kind goes first,
# so an import or a digest never waits behind a backlog of webhooks.
BULK = ("webhook",)


class Runner:
    """`sessions(writes=True)` opens a session, as app.state.session_factory does."""

    def __init__(self, sessions, settings, engine: Engine | None = None, registry=None):
        self.sessions = sessions
        self.settings = settings
        self.registry = registry or kinds(settings)
        self.worker = jobs.worker_name()
        self.stopping = threading.Event()
        self.running: dict[int, JobRun] = {}
        self.beat_engine = engine
        if engine is not None and engine.dialect.name == "sqlite":
            # Lease renewals must not queue behind a long import's write lock.
            url = engine.url.render_as_string(hide_password=False)
            self.beat_engine = make_engine(url, busy_ms=250)

    def session(self) -> Session:
        return self.sessions()

    # ---- one step each, run in threads -------------------------------------------------

    def claim(self, now=None, names: list[str] | None = None) -> jobs.Job | None:
        names = [n for n in names or self.registry if n in self.registry]
        first = [n for n in names if n not in BULK]
        bulk = [n for n in names if n in BULK]
        for group in (g for g in (first, bulk) if g):
            job = self._claim_one(now or utcnow(), group)
            if job is not None:
                return job
        return None

    def _claim_one(self, now, names: list[str]) -> jobs.Job | None:
        with self.sessions(writes=False) as session:
            if not jobs.due_exists(session, names, now):
                return None
        with self.session() as session:
            return jobs.claim(session, self.worker, names, now)

    def execute(self, job: jobs.Job, run: JobRun) -> None:
        kind = self.registry[job.kind]
        status, error = jobs.DONE, ""
        try:
            kind.run(self.sessions, self.settings, job, run)
        except Stopped:
            if not run.cancelled:
                return  # shutting down: release_mine() hands it back
            status, error = jobs.CANCELLED, "cancelled"
        except Retry as exc:
            with self.session() as session:
                status = jobs.retry_later(
                    session, job, self.worker, str(exc), kind.backoff(job.attempts, self.settings)
                )
                job.error = str(exc)
                if status == jobs.FAILED and kind.ended:
                    kind.ended(session, job, status)
                    session.commit()
            return
        except Exception as exc:  # a bug in one job must not stop the others
            log.exception("job %s (%s) failed", job.id, job.kind)
            status, error = jobs.FAILED, f"{type(exc).__name__}: {exc}"
        with self.session() as session:
            finished = jobs.finish(session, job, self.worker, status, error)
            if finished and kind.ended and status != jobs.DONE:
                job.error = error
                kind.ended(session, job, status)
            session.commit()

    def heartbeat(self, job_id: int, run: JobRun) -> None:
        if self.beat_engine is None:
            return
        try:
            with Session(self.beat_engine) as session:
                if jobs.renew(session, job_id, self.worker, run.done):
                    run.cancelled = True
        except Exception:  # busy or unreachable: the next beat tries again
            log.debug("lease renewal of job %s skipped", job_id, exc_info=True)

    def housekeeping(self) -> None:
        with self.session() as session:
            for job in jobs.sweep(session, self.worker, utcnow()):
                log.warning("job %s (%s) was left by its process: %s", job.id, job.kind, job.status)
                kind = self.registry.get(job.kind)
                if job.status == jobs.INTERRUPTED and kind and kind.ended:
                    kind.ended(session, job, job.status)
                    session.commit()
        from app.interop import digest
        from app.interop.imports import jobs as import_jobs
        from app.interop.mail import jobs as mail_jobs

        with self.session() as session:
            digest.schedule_due(session, self.settings, utcnow())
            import_jobs.remove_abandoned_files(session, utcnow())
            mail_jobs.schedule_due(session, self.settings, utcnow())

    def release(self) -> None:
        with self.session() as session:
            released = jobs.release_mine(session, self.worker)
        if released:
            log.info("handed back %s job(s) at shutdown", released)

    # ---- the loop -------------------------------------------------------------------------

    async def run_one(self, job: jobs.Job, slots: asyncio.Semaphore) -> None:
        run = JobRun(self.worker, self.stopping)
        self.running[job.id] = run
        work = asyncio.create_task(asyncio.to_thread(self.execute, job, run))
        try:
            while not work.done():
                await asyncio.wait({work}, timeout=HEARTBEAT_SECONDS)
                if not work.done():
                    await asyncio.to_thread(self.heartbeat, job.id, run)
            await work
        except Exception:
            log.exception("job %s runner failed", job.id)
        finally:
            self.running.pop(job.id, None)
            slots.release()

    async def loop(self) -> None:
        slots = asyncio.Semaphore(max(1, self.settings.job_concurrency))
        tasks: set[asyncio.Task] = set()
        every = housekeeping_seconds(self.settings)
        last_housekeeping = -every
        running_loop = asyncio.get_running_loop()
        clock = running_loop.time
        wake = asyncio.Event()

        def woken() -> None:
            running_loop.call_soon_threadsafe(wake.set)

        jobs.on_enqueue(woken)
        idle = IDLE_SECONDS
        try:
            while not self.stopping.is_set():
                try:
                    if clock() - last_housekeeping >= every:
                        last_housekeeping = clock()
                        await asyncio.to_thread(self.housekeeping)
                    await slots.acquire()
                    job = await asyncio.to_thread(self.claim)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # the database away for a moment: try again shortly
                    job = None
                    pause = IDLE_SECONDS
                    if database_unreachable(exc):  # one line, not a traceback twice a second
                        log.warning("job claim: %s", describe_database_error(exc))
                        pause = DATABASE_AWAY_SECONDS
                    else:
                        log.exception("job claim failed")
                else:
                    # Nothing due: wait longer each time (idle costs next to nothing).
                    pause, idle = idle, min(idle * 2, IDLE_MAX_SECONDS)
                if job is None:
                    slots.release()
                    until_housekeeping = every - (clock() - last_housekeeping)
                    try:
                        await asyncio.wait_for(
                            wake.wait(), max(0.05, min(pause, until_housekeeping))
                        )
                        idle = IDLE_SECONDS
                    except TimeoutError:
                        pass
                    wake.clear()
                    continue
                idle = IDLE_SECONDS
                task = asyncio.create_task(self.run_one(job, slots))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
        finally:
            jobs.off_enqueue(woken)

    async def stop(self, grace: float = 10.0) -> None:
        self.stopping.set()
        deadline = asyncio.get_running_loop().time() + grace
        while self.running and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.05)
        await asyncio.to_thread(self.release)


def drain(sessions, settings, now=None, names: list[str] | None = None) -> int:
    """Runs the due jobs in this thread, one after another, until none is left (the
    `carnet digest` command; tests). Returns how many ran."""
    runner = Runner(sessions, settings)
    count = 0
    while job := runner.claim(now, names):
        runner.execute(job, JobRun(runner.worker, runner.stopping))
        count += 1
    return count


@asynccontextmanager
async def lifespan(app):
    settings = app.state.settings
    runner = None
    task = None
    if settings.background:
        runner = Runner(app.state.session_factory, settings, app.state.engine)
        app.state.runner = runner
        task = asyncio.create_task(runner.loop())
    yield
    if runner is not None:
        runner.stopping.set()
        await runner.stop()
        task.cancel()

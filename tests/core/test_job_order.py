"""Which job a free process takes next: nothing waits behind a burst of webhook deliveries,
and a process that cannot send mail leaves digests to one that can."""

from datetime import timedelta

from sqlmodel import Session

from app.background import Runner
from app.core import jobs
from app.core.schema import utcnow


def _runner(connection, settings):
    def sessions(writes=True):
        return Session(
            bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
        )

    return Runner(sessions, settings)


def test_an_import_is_taken_before_an_older_backlog_of_webhook_deliveries(
    connection, session, settings
):
    start = utcnow() - timedelta(minutes=5)
    for n in range(20):
        jobs.enqueue(session, "webhook", ref_id=n + 1, run_after=start + timedelta(seconds=n))
    jobs.enqueue(session, "import", ref_id=1, run_after=start + timedelta(minutes=1))
    session.commit()
    runner = _runner(connection, settings)
    assert runner.claim().kind == "import"
    assert runner.claim().kind == "webhook"  # the deliveries then go, oldest first


def test_a_process_without_smtp_leaves_the_digest_to_one_that_has_it(connection, session, settings):
    jobs.enqueue(session, "digest", ref_id=1, run_after=utcnow() - timedelta(seconds=1))
    session.commit()
    settings.smtp_host = ""
    assert _runner(connection, settings).claim() is None
    settings.smtp_host = "127.0.0.1"
    assert _runner(connection, settings).claim().kind == "digest"

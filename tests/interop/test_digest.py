"""The daily digest goes through a real SMTP server, in the user's language, theirs only."""

from datetime import UTC, datetime

import pytest
from sqlmodel import select

from app.auth.models import User
from app.auth.service import update_preferences
from app.interop.digest import schedule_due
from tests.smtpserver import free_port

MORNING = datetime(2026, 11, 24, 8, 30, tzinfo=UTC)  # 09:30 in Paris


@pytest.fixture
def send(session, settings, smtp, run_jobs):
    """What a server does each round: schedule the due digests, run their jobs."""

    def go(now, later=None) -> int:
        before = len(smtp.messages)
        schedule_due(session, settings, now)
        run_jobs(later, ["digest"])
        return len(smtp.messages) - before

    return go


def test_the_digest_arrives_in_french_with_my_follow_ups_and_nobody_elses(
    smtp, send, session, settings, seller, other_seller, make_contact, make_activity, make_deal
):
    update_preferences(session, seller, language="fr", timezone="Europe/Paris", digest=True)
    contact = make_contact("Zoé Petit")
    make_activity(seller, contact, next_step="Envoyer le devis", next_step_due="2026-11-24")
    make_activity(seller, contact, next_step="Relancer", next_step_due="2026-11-20")
    make_activity(
        other_seller, contact, next_step="Secret d'un collègue", next_step_due="2026-11-24"
    )
    make_deal("Four à pain")
    make_deal("Affaire d'un collègue", owner=other_seller)
    assert send(MORNING) == 1
    [message] = smtp.messages
    assert message["To"] == seller.email and message["From"] == "carnet@team.example"
    body = message.get_payload(decode=True).decode()
    assert "relance" in message["Subject"]
    assert "Envoyer le devis" in body and "Relancer" in body and "Zoé Petit" in body
    assert "Four à pain" in body and "http://crm.team.example/deals/" in body
    assert "Secret d'un collègue" not in body and "Affaire d'un collègue" not in body


def test_the_digest_goes_once_a_day_and_only_in_the_morning(
    smtp, send, session, settings, seller, make_contact, make_activity
):
    update_preferences(session, seller, language="en", timezone="Europe/Paris", digest=True)
    make_activity(seller, make_contact(), next_step="Call", next_step_due="2026-11-24")
    night = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)  # 04:00 in Paris
    assert send(night) == 0
    assert send(MORNING) == 1
    assert send(MORNING) == 0
    assert len(smtp.messages) == 1
    assert session.exec(select(User.last_digest_on).where(User.id == seller.id)).one() is not None


def test_no_digest_without_asking_or_with_nothing_to_say(
    smtp, send, session, settings, seller, other_seller
):
    update_preferences(session, other_seller, language="en", timezone="Europe/Paris", digest=True)
    assert send(MORNING) == 0
    assert smtp.messages == []


def test_the_account_page_turns_the_digest_on(client_for, seller, session):
    r = client_for(seller).post(
        "/account/preferences", data={"language": "en", "timezone": "Europe/Paris", "digest": "on"}
    )
    assert r.status_code == 303
    session.refresh(seller)
    assert seller.digest_enabled


def test_an_smtp_outage_leaves_the_digest_due_and_it_goes_out_later(
    smtp, send, session, settings, seller, make_contact, make_activity
):
    from datetime import timedelta

    from app.core.jobs import Job
    from app.core.schema import utcnow

    update_preferences(session, seller, language="en", timezone="Europe/Paris", digest=True)
    make_activity(seller, make_contact(), next_step="Call", next_step_due="2026-11-24")
    port = settings.smtp_port
    settings.smtp_port = free_port()  # nobody listens there
    assert send(MORNING) == 0
    job = session.exec(select(Job).where(Job.kind == "digest")).one()
    assert job.status == "queued" and job.attempts == 1 and "Connection" in job.error
    assert session.get(User, seller.id).last_digest_on is None
    settings.smtp_port = port
    assert send(MORNING) == 0  # not yet: it waits its backoff
    assert send(MORNING, later=utcnow() + timedelta(minutes=2)) == 1
    session.refresh(job)
    assert job.status == "done" and job.attempts == 2

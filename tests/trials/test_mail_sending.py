"""Three processes on one database, six sellers' browsers sending at once: every mail a page
acknowledged reaches the SMTP server exactly once, with its activity. (A busy or refusing
server is tried in tests/interop/mail/test_sending.py: its retry waits a minute.)"""

import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import text
from sqlmodel import Session

from app.auth.service import create_user
from app.customers.models import ContactCreate
from app.customers.service import create_contact
from tests.smtpserver import smtp_env, smtp_server
from tests.trials.conftest import PASSWORD, engine_of, login, serving

MAILS_PER_CLIENT = 15
CLIENTS = 6


def _send(base, email, contact_id, n):
    client = login(base, email)
    codes = Counter()
    for i in range(MAILS_PER_CLIENT):
        r = client.post(
            "/mail/compose",
            data={
                "contact_id": str(contact_id),
                "to": str(contact_id),
                "subject": f"mail c{n} {i}",
                "body": "Bonjour",
            },
        )
        codes[r.status_code] += 1
    return codes


def _rows(env):
    engine = engine_of(env)
    with engine.connect() as conn:
        mails = conn.execute(text("SELECT subject, status FROM mail_message")).all()
        activities = conn.execute(
            text("SELECT count(*) FROM activity WHERE kind = 'email' AND mail_message_id > 0")
        ).scalar_one()
    engine.dispose()
    return mails, activities


@pytest.mark.parametrize("backend", ["postgres_env", "sqlite_env"])
def test_three_processes_send_each_mail_exactly_once(backend, request, tmp_path):
    with smtp_server() as inbox:
        env = {**request.getfixturevalue(backend), **smtp_env(inbox)}
        engine = engine_of(env)
        with Session(engine, expire_on_commit=False) as session:
            team = []
            for n in range(3):
                user = create_user(
                    session, email=f"s{n}@example.test", name=f"S{n}", password=PASSWORD
                )
                contact = create_contact(
                    session, user, ContactCreate(name=f"C{n}", email=f"c{n}@customer.example")
                )
                team.append((user.email, contact.id))
        engine.dispose()
        with serving(env, tmp_path, count=3) as servers:
            with ThreadPoolExecutor(CLIENTS) as pool:
                futures = [
                    pool.submit(_send, servers[n % 3].url, *team[n % 3], n) for n in range(CLIENTS)
                ]
                codes = sum((f.result() for f in futures), Counter())
            assert codes == Counter({303: CLIENTS * MAILS_PER_CLIENT})
            deadline = time.time() + 60
            while len(inbox.messages) < CLIENTS * MAILS_PER_CLIENT and time.time() < deadline:
                time.sleep(0.5)
            time.sleep(3)  # anything sent twice would arrive now
        mails, activities = _rows(env)
    subjects = Counter(m["Subject"] for m in inbox.messages)
    assert len(subjects) == CLIENTS * MAILS_PER_CLIENT and set(subjects.values()) == {1}
    assert Counter(status for _s, status in mails) == Counter({"sent": CLIENTS * MAILS_PER_CLIENT})
    assert activities == CLIENTS * MAILS_PER_CLIENT

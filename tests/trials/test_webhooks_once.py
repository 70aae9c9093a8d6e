"""Three processes on one database deliver each webhook event once to a real receiver, and
send it again only after the receiver failed."""

import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import text
from sqlmodel import Session

from app.auth.service import create_user
from app.customers.models import ContactCreate
from app.customers.service import create_contact
from app.interop.webhooks.service import create_webhook
from tests.trials.conftest import PASSWORD, engine_of, login, serving

EVENTS_PER_CLIENT = 60
CLIENTS = 6


class Receiver:
    """Answers 500 the first time it sees every fifth delivery, 200 otherwise."""

    def __init__(self):
        self.seen = Counter()
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers["Content-Length"]))
                delivery = int(self.headers["X-Carnet-Delivery"])
                with receiver.lock:
                    receiver.seen[delivery] += 1
                    first = receiver.seen[delivery] == 1
                self.send_response(500 if first and delivery % 5 == 0 else 200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def _log_activities(base, email, contact_id, n):
    client = login(base, email)
    codes = Counter()
    for i in range(EVENTS_PER_CLIENT):
        r = client.post(
            "/activities",
            data={"kind": "call", "contact_id": str(contact_id), "text": f"hook c{n} {i}"},
        )
        codes[r.status_code] += 1
    return codes


def _deliveries(env):
    engine = engine_of(env)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, status, attempts FROM webhook_delivery")).all()
    engine.dispose()
    return rows


@pytest.mark.parametrize("backend", ["postgres_env", "sqlite_env"])
def test_three_processes_deliver_each_event_exactly_once(backend, request, tmp_path):
    env = {
        **request.getfixturevalue(backend),
        "CARNET_WEBHOOK_RETRY_SECONDS": "1",
        # The receiver runs on 127.0.0.1.
        "CARNET_WEBHOOK_ALLOW_PRIVATE": "true",
    }
    receiver = Receiver()
    engine = engine_of(env)
    with Session(engine, expire_on_commit=False) as session:
        admin = create_user(
            session,
            email="a@example.test",
            name="A",
            password=PASSWORD,
            is_admin=True,
            is_seller=False,
        )
        create_webhook(session, admin, receiver.url, ["activity.logged"], allow_private=True)
        team = []
        for n in range(3):
            user = create_user(session, email=f"s{n}@example.test", name=f"S{n}", password=PASSWORD)
            team.append((user.email, create_contact(session, user, ContactCreate(name=f"C{n}")).id))
    engine.dispose()
    with serving(env, tmp_path, count=3) as servers:
        with ThreadPoolExecutor(CLIENTS) as pool:
            codes = sum(
                (
                    f.result()
                    for f in [
                        pool.submit(_log_activities, servers[n % 3].url, *team[n % 3], n)
                        for n in range(CLIENTS)
                    ]
                ),
                Counter(),
            )
        assert codes == Counter({303: CLIENTS * EVENTS_PER_CLIENT})
        deadline = time.time() + 90
        while time.time() < deadline:
            rows = _deliveries(env)
            if rows and all(status == "delivered" for _i, status, _a in rows):
                break
            time.sleep(0.5)
    rows = _deliveries(env)
    assert len(rows) == CLIENTS * EVENTS_PER_CLIENT
    assert all(status == "delivered" for _i, status, _a in rows), Counter(s for _i, s, _a in rows)
    expected = {i: 2 if i % 5 == 0 else 1 for i, _s, _a in rows}
    assert dict(receiver.seen) == expected
    assert {i: a for i, _s, a in rows} == expected  # the database counts what was sent
    receiver.server.shutdown()

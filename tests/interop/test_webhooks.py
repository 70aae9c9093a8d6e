"""Webhooks: signed deliveries to a real HTTP server, retried with backoff, visible to admins."""

import hashlib
import hmac
import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from sqlmodel import select

from app.core.outbox import WebhookDelivery
from app.core.schema import utcnow
from app.interop.webhooks import service as webhooks

# The receivers here run on 127.0.0.1, as a receiver on the same network would: allowed.
LOCAL = True


def create_webhook(session, user, url, events):
    return webhooks.create_webhook(session, user, url, events, allow_private=LOCAL)


@pytest.fixture(autouse=True)
def _receivers_on_this_machine(settings):
    settings.webhook_allow_private = True


class Receiver:
    """A real HTTP server on 127.0.0.1 that answers with the next status of `answers`."""

    def __init__(self, answers):
        self.answers = list(answers)
        self.requests = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((dict(self.headers), body))
                code = receiver.answers.pop(0) if receiver.answers else 200
                self.send_response(code)
                self.end_headers()
                self.wfile.write(b"ok" if code < 300 else b"boom")

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    made = []

    def make(*answers):
        made.append(Receiver(answers))
        return made[-1]

    yield make
    for r in made:
        r.close()


def test_a_won_deal_is_delivered_signed_after_a_retry(
    receiver, run_jobs, session, admin, seller, make_deal, make_contact, stage_by_key
):
    from decimal import Decimal

    from app.deals.models import DealMove
    from app.deals.service import move_deal

    target = receiver(500, 200, 200)
    hook = create_webhook(session, admin, target.url, ["deal.stage_changed", "deal.won"])
    deal = make_deal(contact_id=make_contact().id)
    move_deal(
        session,
        seller,
        deal,
        DealMove(
            stage_id=stage_by_key("won").id, amount=Decimal("10"), expected_close_on=utcnow().date()
        ),
    )
    now = utcnow()
    assert run_jobs(now) == 2
    statuses = {d.event: d for d in session.exec(select(WebhookDelivery))}
    assert statuses["deal.stage_changed"].status == "pending"  # got a 500: retried later
    assert statuses["deal.stage_changed"].next_attempt_at > now
    assert statuses["deal.won"].status == "delivered"
    assert run_jobs(now) == 0  # not due yet: backoff
    assert run_jobs(now + timedelta(minutes=1)) == 1
    for delivery in statuses.values():
        session.refresh(delivery)
    assert statuses["deal.stage_changed"].status == "delivered"
    assert statuses["deal.stage_changed"].attempts == 2
    assert len(target.requests) == 3
    ids = [h["X-Carnet-Delivery"] for h, _b in target.requests]
    assert ids[0] == ids[2] == str(statuses["deal.stage_changed"].id)  # a retry keeps its id
    headers, body = target.requests[-1]
    expected = "sha256=" + hmac.new(hook.secret.encode(), body, hashlib.sha256).hexdigest()
    assert headers["X-Carnet-Signature"] == expected
    payload = json.loads(body)
    assert payload["event"] == "deal.stage_changed"
    assert payload["data"]["old_stage"] == "Lead" and payload["data"]["new_stage"] == "Won"


def test_private_activities_never_leave_and_team_ones_do(
    receiver, run_jobs, session, admin, seller, make_contact, make_activity
):
    target = receiver()
    create_webhook(session, admin, target.url, ["activity.logged", "contact.created"])
    contact = make_contact("Zoé Petit")
    make_activity(seller, contact, text="Team call")
    make_activity(seller, contact, text="Private thought", visibility="private")
    run_jobs()
    bodies = [json.loads(body) for _h, body in target.requests]
    assert [b["event"] for b in bodies] == ["contact.created", "activity.logged"]
    assert "Private thought" not in json.dumps(bodies)


def test_a_target_that_hangs_or_refuses_does_not_break_delivery(
    run_jobs, session, admin, make_contact, monkeypatch
):
    import app.interop.webhooks.service as webhooks

    monkeypatch.setattr(webhooks, "TIMEOUT", 0.5)
    monkeypatch.setattr(webhooks, "_client", None)
    create_webhook(session, admin, "http://127.0.0.1:9/closed", ["contact.created"])
    make_contact()
    assert run_jobs() == 1
    delivery = session.exec(select(WebhookDelivery)).one()
    assert delivery.status == "pending" and "ConnectError" in delivery.last_error


def test_the_admin_sees_each_deliverys_status(
    client_for, run_jobs, admin, session, receiver, make_contact
):
    target = receiver(200)
    client = client_for(admin)
    r = client.post("/admin/webhooks", data={"url": target.url, "events": ["contact.created"]})
    assert r.status_code == 303
    make_contact()
    run_jobs()
    page = client.get("/admin/webhooks").text
    assert target.url in page and "delivered" in page and "contact.created" in page
    bad = client.post("/admin/webhooks", data={"url": "ftp://x", "events": []})
    assert bad.status_code == 400 and "http://" in bad.text


def test_the_admin_removes_a_webhook_that_has_deliveries(
    client_for, run_jobs, admin, session, receiver, make_contact
):
    target = receiver(200)
    client = client_for(admin)
    client.post("/admin/webhooks", data={"url": target.url, "events": ["contact.created"]})
    make_contact()
    run_jobs()
    make_contact()  # a second delivery still pending when the webhook goes
    hook_id = session.exec(select(WebhookDelivery)).first().webhook_id
    r = client.post(f"/admin/webhooks/{hook_id}/delete")
    assert r.status_code == 303
    session.expire_all()
    assert session.exec(select(WebhookDelivery)).all() == []
    run_jobs()  # the pending deliveries' jobs end quietly: nothing is sent
    assert len(target.requests) == 1
    assert target.url not in client.get("/admin/webhooks").text


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:5432/",
        "http://localhost/admin",
        "http://10.0.0.7/",
        "http://192.168.1.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "http://100.64.0.1/",  # shared carrier space: some clouds' metadata lives there
        "http://100.100.100.200/latest/meta-data/",
        "http://[::ffff:10.0.0.7]/",
        "http://198.18.0.1/",
    ],
)
def test_a_webhook_into_the_servers_own_network_is_refused(client_for, admin, settings, url):
    settings.webhook_allow_private = False
    r = client_for(admin).post("/admin/webhooks", data={"url": url, "events": ["contact.created"]})
    assert r.status_code == 400 and "inside your network" in r.text


def test_a_delivery_to_an_inside_address_is_not_made_without_the_setting(
    session, admin, make_contact, run_jobs, settings
):
    target = Receiver([200])
    create_webhook(session, admin, target.url, ["contact.created"])
    settings.webhook_allow_private = False
    make_contact("Anne")
    run_jobs()
    delivery = session.exec(select(WebhookDelivery)).one()
    assert target.requests == [] and delivery.status == "pending"
    assert "inside the network" in delivery.last_error


def test_the_admin_sees_the_status_not_the_receivers_page(session, admin, make_contact, run_jobs):
    target = Receiver([500, 500, 500])
    create_webhook(session, admin, target.url, ["contact.created"])
    make_contact("Anne")
    run_jobs()
    delivery = session.exec(select(WebhookDelivery)).one()
    assert delivery.last_error == "HTTP 500" and "boom" not in delivery.last_error

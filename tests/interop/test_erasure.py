"""A person's right to be forgotten and to see what is held about them, from their page."""

import io
import json

from sqlmodel import func, select

from app.activities.models import Activity, FollowUp
from app.audit.trail import AuditEntry
from app.customers.models import Contact
from app.documents.models import Document, DocumentVersion
from app.satisfaction.models import SurveyResponse, SurveyTally
from app.satisfaction.service import answer, create_link


def _count(session, model, *where):
    return session.exec(select(func.count()).select_from(model).where(*where)).one()


def _person(session, seller, make_contact, make_activity, client):
    contact = make_contact("Nadia Sow", email="nadia@sow.test", phone="06 12 34 56 78")
    client.post(
        f"/contacts/{contact.id}",
        data={
            "name": "Nadia Sow",
            "email": "nadia@sow.test",
            "phone": "06 12 34 56 78",
            "notes": "Allergic to nuts",
        },
    )
    make_activity(
        seller, contact, text="Talked about her divorce", next_step="Call", next_step_due="+2d"
    )
    link = create_link(session, seller, contact, "csat")
    answer(session, link, "5", "Lovely seller", "client-1", 5)
    r = client.post(
        f"/contacts/{contact.id}/documents",
        files={"file": ("id-card.pdf", io.BytesIO(b"%PDF-1.4 id card"), "application/pdf")},
        data={"kind": "other"},
    )
    assert r.status_code == 303
    return contact


def test_everything_about_a_person_downloads_as_one_file(
    client_for, seller, make_contact, make_activity, session
):
    client = client_for(seller)
    contact = _person(session, seller, make_contact, make_activity, client)
    r = client.get(f"/contacts/{contact.id}/personal-data.json")
    assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
    data = r.json()
    assert data["contact"]["email"] == "nadia@sow.test"
    assert data["activities"][0]["text"] == "Talked about her divorce"
    assert data["survey_answers"][0]["comment"] == "Lovely seller"
    assert data["documents"] == ["id-card.pdf"]


def test_erasing_a_person_keeps_the_teams_figures_and_a_line_in_history(
    client_for, seller, make_contact, make_activity, session, settings
):
    client = client_for(seller)
    contact = _person(session, seller, make_contact, make_activity, client)
    tally_before = session.exec(select(SurveyTally)).all()
    refused = client.post(f"/contacts/{contact.id}/erase", data={})
    assert refused.status_code == 303
    assert "Tick the box" in client.get(refused.headers["location"]).text
    assert session.get(Contact, contact.id).email == "nadia@sow.test"
    r = client.post(f"/contacts/{contact.id}/erase", data={"confirm": "on"})
    assert r.status_code == 303
    session.expire_all()
    erased = session.get(Contact, contact.id)
    assert (erased.name, erased.email, erased.phone, erased.notes) == ("—", "", "", "")
    assert erased.archived_at is not None
    assert [a.text for a in session.exec(select(Activity))] == [""]  # counted, not told
    assert _count(session, FollowUp) == 0
    assert _count(session, Document) == 0 and _count(session, DocumentVersion) == 0
    assert not any(p.is_file() for p in settings.documents_dir.rglob("*") if "tmp" not in p.parts)
    assert _count(session, SurveyResponse) == 0
    assert [(t.kind, t.answers) for t in session.exec(select(SurveyTally))] == [
        (t.kind, t.answers) for t in tally_before
    ]
    trail = session.exec(select(AuditEntry).where(AuditEntry.record_id == contact.id)).all()
    assert all("Nadia" not in e.old_value + e.new_value for e in trail)
    assert any(e.field == "erased" and e.actor_id == seller.id for e in trail)
    page = client.get(f"/contacts/{contact.id}").text
    assert "This person was erased." in page and "nadia@sow.test" not in page
    export = json.loads(client.get(f"/contacts/{contact.id}/personal-data.json").text)
    assert export["contact"]["email"] == "" and export["survey_answers"] == []


def test_a_manager_can_neither_see_nor_erase_a_person(client_for, manager, make_contact):
    contact = make_contact()
    client = client_for(manager)
    assert client.get(f"/contacts/{contact.id}/personal-data.json").status_code == 403
    assert client.post(f"/contacts/{contact.id}/erase", data={"confirm": "on"}).status_code == 403


def test_webhook_events_about_an_erased_person_keep_only_their_id(
    client_for, seller, admin, make_contact, make_activity, session
):
    from app.core.outbox import WebhookDelivery
    from app.interop.webhooks import service as webhooks

    webhooks.create_webhook(
        session,
        admin,
        "http://127.0.0.1:9/closed",
        ["contact.created", "activity.logged"],
        allow_private=True,
    )
    contact = make_contact("Nadia Sow", email="nadia@sow.test")
    make_activity(seller, contact, text="Nadia's budget is 40k")
    other = make_contact("Jean Martin", email="jean@martin.test")
    sent = session.exec(select(WebhookDelivery)).first()
    sent.status = "delivered"  # one already out, one still queued: both are scrubbed
    session.add(sent)
    session.commit()
    r = client_for(seller).post(f"/contacts/{contact.id}/erase", data={"confirm": "on"})
    assert r.status_code == 303
    session.expire_all()
    payloads = [json.loads(d.payload) for d in session.exec(select(WebhookDelivery))]
    about = [p for p in payloads if p["data"].get("contact_id") == contact.id]
    assert len(about) == 2
    assert all(p["data"] == {"contact_id": contact.id, "erased": True} for p in about)
    assert "Nadia" not in json.dumps(payloads) and "40k" not in json.dumps(payloads)
    assert any(p["data"].get("name") == other.name for p in payloads)  # others untouched

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


def test_their_deals_keep_amounts_and_stages_not_their_name(
    client_for, seller, admin, make_contact, make_deal, session, stage_by_key
):
    from app.audit.trail import AuditEntry as Entry
    from app.core.outbox import WebhookDelivery
    from app.deals.models import Deal, DealMove, DealUpdate
    from app.deals.service import move_deal, update_deal
    from app.interop.webhooks import service as webhooks

    webhooks.create_webhook(
        session, admin, "http://127.0.0.1:9/closed", ["deal.stage_changed"], allow_private=True
    )
    person = make_contact("Zacharie Erasme", email="zach@erasme.test")
    deal = make_deal("Deal with Zacharie Erasme", contact_id=person.id)
    deal = update_deal(
        session, seller, deal, DealUpdate(version=deal.version, title="Ovens for Zacharie Erasme")
    )
    move_deal(
        session, seller, deal, DealMove(stage_id=stage_by_key("qualified").id, version=deal.version)
    )
    deal = session.get(Deal, deal.id)
    deal.next_step, deal.next_step_due = "Call Zacharie", deal.expected_close_on
    session.add(deal)
    session.commit()
    client = client_for(seller)
    page = client.get(f"/contacts/{person.id}").text
    assert "Attach" in page
    assert client.post(f"/contacts/{person.id}/erase", data={"confirm": "on"}).status_code == 303
    session.expire_all()
    kept = session.get(Deal, deal.id)
    assert kept.title == "Ovens for —" and kept.next_step == "Call —"
    assert kept.stage_id == stage_by_key("qualified").id
    trail = session.exec(select(Entry).where(Entry.record_type == "deal")).all()
    assert not any("Zacharie" in (e.old_value or "") + (e.new_value or "") for e in trail)
    payloads = [d.payload for d in session.exec(select(WebhookDelivery))]
    assert payloads and not any("Zacharie" in p for p in payloads)
    page = client.get(f"/contacts/{person.id}").text
    assert "This person was erased." in page
    assert "Restore" not in page and ">Attach<" not in page


def test_a_persons_file_counts_the_private_notes_it_cannot_show(
    client_for, seller, other_seller, make_contact, make_activity
):
    person = make_contact("Nadia Sow")
    make_activity(other_seller, person, text="Nadia is difficult", visibility="private")
    make_activity(seller, person, text="Called Nadia")
    data = client_for(seller).get(f"/contacts/{person.id}/personal-data.json").json()
    assert [a["text"] for a in data["activities"]] == ["Called Nadia"]
    assert data["withheld"]["private_activities_of_colleagues"] == 1
    mine = client_for(other_seller).get(f"/contacts/{person.id}/personal-data.json").json()
    assert "Nadia is difficult" in [a["text"] for a in mine["activities"]]
    assert mine["withheld"]["private_activities_of_colleagues"] == 0


def test_an_erased_person_cannot_be_restored_surveyed_or_given_documents(
    client_for, seller, make_contact, session
):
    person = make_contact("Nadia Sow")
    client = client_for(seller)
    client.post(f"/contacts/{person.id}/erase", data={"confirm": "on"})
    client.post(f"/contacts/{person.id}/restore")
    session.expire_all()
    assert session.get(Contact, person.id).archived_at is not None
    survey = client.post(f"/contacts/{person.id}/surveys", data={"kind": "csat"})
    assert survey.status_code in (303, 400, 422) and _count(session, SurveyResponse) == 0
    from app.satisfaction.models import SurveyLink

    assert _count(session, SurveyLink) == 0
    files = {"file": ("note.pdf", io.BytesIO(b"%PDF-1.4 x"), "application/pdf")}
    client.post(f"/contacts/{person.id}/documents", data={"kind": "other"}, files=files)
    assert _count(session, Document) == 0

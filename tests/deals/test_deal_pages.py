"""Deals through HTTP: guardrails in place, documents and versions, conflicts, bad input."""

from datetime import timedelta

import pytest
from sqlmodel import select

from app.activities.models import FollowUp
from app.core.schema import utcnow
from app.deals.models import Deal
from app.documents.models import Document, DocumentVersion

PDF = ("quote.pdf", b"%PDF-1.4 first quote", "application/pdf")


def _move(client, deal, stage, files=None, **fields):
    data = {"stage_id": str(stage.id), "version": str(deal.version), **fields}
    return client.post(f"/deals/{deal.id}/move", data=data, files=files)


def test_a_move_without_its_facts_shows_exactly_what_is_missing_in_place(
    client_for, seller, make_deal, stage_by_key, session
):
    deal = make_deal()
    r = _move(client_for(seller), deal, stage_by_key("quote_sent"))
    assert r.status_code == 422
    assert "a current quote document" in r.text
    assert 'name="quote" type="file"' in r.text
    # Only the missing fact is asked for, not the whole deal form.
    assert 'name="amount"' not in r.text.split('id="move-form"')[1].split("</form>")[0]
    session.refresh(deal)
    assert deal.stage_id == stage_by_key("lead").id


def test_uploading_the_quote_in_place_completes_the_move_and_a_second_version_is_kept(
    client_for, seller, make_deal, stage_by_key, session
):
    deal = make_deal()
    client = client_for(seller)
    r = _move(client, deal, stage_by_key("quote_sent"), files={"quote": PDF})
    assert r.status_code == 303, r.text
    session.refresh(deal)
    assert deal.stage_id == stage_by_key("quote_sent").id
    document = session.exec(select(Document).where(Document.deal_id == deal.id)).one()
    r = client.post(
        f"/documents/{document.id}/versions",
        files={"file": ("quote-v2.pdf", b"%PDF-1.4 second quote", "application/pdf")},
        data={"next": f"/deals/{deal.id}"},
    )
    assert r.status_code == 303
    page = client.get(f"/deals/{deal.id}").text
    assert "v1 · quote.pdf" in page and "v2 · quote-v2.pdf" in page
    assert page.index("v2 · quote-v2.pdf") < page.index("v1 · quote.pdf")
    assert "Quote sent" in page.split('id="history"')[1]
    versions = session.exec(
        select(DocumentVersion).where(DocumentVersion.document_id == document.id)
    ).all()
    session.refresh(document)
    assert len(versions) == 2 and document.version_count == 2
    assert document.current_version_id == max(v.id for v in versions)


def test_a_download_has_its_content_type_and_an_attachment_disposition(
    client_for, seller, make_deal, session, store
):
    from app.documents.service import attach
    from tests.factories import upload

    deal = make_deal()
    doc = attach(session, seller, store, upload("Devis été.pdf", b"%PDF-1.4 x"), "quote", deal=deal)
    r = client_for(seller).get(f"/documents/{doc.id}/download")
    assert r.status_code == 200 and r.content == b"%PDF-1.4 x"
    assert r.headers["content-type"] == "application/pdf"
    assert r.headers["content-disposition"].startswith("attachment;")
    assert "filename*=utf-8''Devis%20%C3%A9t%C3%A9.pdf" in r.headers["content-disposition"]


def test_a_private_activitys_document_cannot_be_downloaded_by_a_colleague_or_an_admin(
    client_for, api_for, seller, other_seller, admin, make_contact, make_activity, session, store
):
    from app.documents.service import attach
    from tests.factories import upload

    private = make_activity(seller, make_contact(), visibility="private")
    doc = attach(session, seller, store, upload("secret.pdf"), "other", activity=private)
    assert client_for(seller).get(f"/documents/{doc.id}/download").status_code == 200
    for user in (other_seller, admin):
        assert client_for(user).get(f"/documents/{doc.id}/download").status_code == 404
        assert client_for(user).get(f"/documents/{doc.id}").status_code == 404
        assert api_for(user).get(f"/api/v1/documents/{doc.id}/download").status_code == 404
        listed = api_for(user).get("/api/v1/documents", params={"activity_id": private.id})
        assert listed.status_code == 404


def test_a_document_turns_private_when_its_activity_does(
    client_for, seller, other_seller, make_contact, make_activity, session, store
):
    from app.activities.models import ActivityUpdate
    from app.activities.service import update_activity
    from app.documents.service import attach
    from tests.factories import upload

    activity = make_activity(seller, make_contact())
    doc = attach(session, seller, store, upload("notes.pdf"), "other", activity=activity)
    assert client_for(other_seller).get(f"/documents/{doc.id}/download").status_code == 200
    update_activity(session, seller, activity, ActivityUpdate(visibility="private"))
    assert client_for(other_seller).get(f"/documents/{doc.id}/download").status_code == 404


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.pdf", b"", "This file is empty."),
        ("../../etc/passwd", b"x", "cannot contain"),
        ("a/b.pdf", b"x", "cannot contain"),
        ("..hidden.pdf", b"x", "cannot contain"),
    ],
)
def test_a_bad_upload_is_explained_and_nothing_is_stored(
    client_for, seller, make_deal, session, settings, name, content, message
):
    deal = make_deal()
    r = client_for(seller).post(
        f"/deals/{deal.id}/documents", data={"kind": "quote"}, files={"file": (name, content)}
    )
    assert r.status_code == 400 and message in r.text
    assert session.exec(select(Document)).first() is None
    stored = [p for p in settings.documents_dir.rglob("*") if p.is_file()]
    assert stored == []


def test_a_file_over_the_size_limit_is_refused_and_leaves_nothing_behind(
    app, client_for, seller, make_deal, session, settings
):
    settings.max_upload_mb = 1
    deal = make_deal()
    big = b"x" * (1024 * 1024 + 1)
    r = client_for(seller).post(
        f"/deals/{deal.id}/documents", data={"kind": "other"}, files={"file": ("big.bin", big)}
    )
    assert r.status_code == 400 and "larger than 1 MB" in r.text
    assert session.exec(select(Document)).first() is None
    assert [p for p in settings.documents_dir.rglob("*") if p.is_file()] == []
    huge = b"x" * (3 * 1024 * 1024)
    r = client_for(seller).post(
        f"/deals/{deal.id}/documents", data={"kind": "other"}, files={"file": ("huge.bin", huge)}
    )
    assert r.status_code == 413 and "larger than the upload limit" in r.text


@pytest.mark.parametrize(
    ("fields", "field_message"),
    [
        ({"amount": "1234.567", "currency": "EUR"}, "EUR amounts have at most 2 decimals."),
        ({"amount": "12.345", "currency": "EUR"}, "could be read two ways"),
        ({"amount": "100.5", "currency": "JPY"}, "JPY amounts have no decimals."),
        ({"amount": "12", "currency": "ABC"}, "Unknown currency"),
        ({"amount": "douze"}, "Enter an amount"),
        ({"expected_close_on": "31/31/2026"}, "Write a date like"),
        ({"expected_close_on": "next blue moon"}, "Write a date like"),
    ],
)
def test_bad_deal_input_is_explained_and_kept(client_for, seller, session, fields, field_message):
    data = {"title": "Ovens", **fields}
    r = client_for(seller).post("/deals", data=data)
    assert r.status_code == 400
    assert field_message in r.text
    assert 'value="Ovens"' in r.text
    assert session.exec(select(Deal)).first() is None


def test_a_deal_is_created_from_a_contact_page_with_its_contact_and_organization(
    client_for, seller, make_org, make_contact, session
):
    org = make_org("Acme")
    contact = make_contact("Zoé Petit", organization_id=org.id)
    client = client_for(seller)
    form = client.get(f"/deals/new?contact_id={contact.id}")
    assert form.status_code == 200 and "Zoé Petit" in form.text
    r = client.post(
        "/deals",
        data={
            "title": "Ovens",
            "contact_id": str(contact.id),
            "amount": "1,200.50",
            "currency": "EUR",
        },
    )
    assert r.status_code == 303
    deal = session.exec(select(Deal)).one()
    assert (deal.organization_id, deal.amount_minor) == (org.id, 120050)
    assert "Ovens" in client.get(f"/contacts/{contact.id}").text
    assert "Ovens" in client.get(f"/organizations/{org.id}").text


def test_two_sellers_moving_the_same_deal_at_once_the_second_is_told(
    client_for, seller, other_seller, make_deal, stage_by_key, session
):
    deal = make_deal()
    first, second = client_for(seller), client_for(other_seller)
    read = {"stage_id": "", "version": str(deal.version)}
    r1 = first.post(
        f"/deals/{deal.id}/move", data=read | {"stage_id": str(stage_by_key("meeting").id)}
    )
    r2 = second.post(
        f"/deals/{deal.id}/move", data=read | {"stage_id": str(stage_by_key("qualified").id)}
    )
    assert r1.status_code == 303
    assert r2.status_code == 409 and "Reload" in r2.text
    session.refresh(deal)
    assert deal.stage_id == stage_by_key("meeting").id


def test_the_board_shows_my_deals_and_the_team_filter_shows_everyones(
    client_for, seller, other_seller, make_deal
):
    make_deal("Mine")
    make_deal("Theirs", owner=other_seller)
    client = client_for(seller)
    mine = client.get("/deals/board").text
    assert "Mine" in mine and "Theirs" not in mine
    team = client.get("/deals/board?scope=team").text
    assert "Mine" in team and "Theirs" in team


def test_the_board_marks_deals_without_or_with_an_overdue_next_step(client_for, seller, make_deal):
    from datetime import date

    make_deal("Bare")
    make_deal("Late", next_step="Call", next_step_due=date(2020, 1, 2))
    page = client_for(seller).get("/deals/board").text
    assert "flag-none" in page and "flag-overdue" in page


def test_a_board_move_refused_by_a_guardrail_sends_the_seller_to_the_in_place_form(
    client_for, seller, make_deal, stage_by_key
):
    deal = make_deal()
    won = stage_by_key("won")
    r = client_for(seller).post(
        f"/deals/{deal.id}/move",
        data={"stage_id": str(won.id), "version": str(deal.version)},
        headers={"HX-Request": "true"},
    )
    assert r.headers["HX-Redirect"] == f"/deals/{deal.id}?move_to={won.id}"
    page = client_for(seller).get(r.headers["HX-Redirect"]).text
    assert "an amount" in page and "an expected close date" in page


def test_the_deal_list_pages_with_a_cursor_and_sorts_by_amount(client_for, seller, make_deal):
    from decimal import Decimal

    for i in range(30):
        make_deal(f"Deal {i:02}", amount=Decimal(i))
    client = client_for(seller)
    first = client.get("/deals?sort=amount").text
    assert first.index("Deal 29") < first.index("Deal 28")
    assert "Deal 04" not in first and "More deals" in first
    cursor = first.split("cursor=")[1].split('"')[0].split("&")[0]
    second = client.get(
        f"/deals?sort=amount&cursor={cursor}",
        headers={"HX-Request": "true", "HX-Target": "deal-more"},
    ).text
    assert "Deal 04" in second and "Deal 29" not in second


def test_logging_an_activity_on_a_deal_sets_its_next_step(
    client_for, seller, make_deal, make_contact, session
):
    contact = make_contact()
    deal = make_deal(contact_id=contact.id)
    r = client_for(seller).post(
        "/activities",
        data={
            "contact_id": str(contact.id),
            "deal_id": str(deal.id),
            "text": "Sent the quote",
            "next_step": "Call back",
            "next_step_due": "+2d",
        },
    )
    assert r.status_code == 303
    session.refresh(deal)
    assert deal.next_step == "Call back" and deal.next_step_due is not None
    assert session.exec(select(FollowUp)).first() is None


def test_quick_entry_can_open_a_deal_in_the_same_breath(client_for, seller, make_contact, session):
    contact = make_contact()
    r = client_for(seller).post(
        "/activities",
        data={"contact_id": str(contact.id), "text": "Interested", "new_deal_title": "Ovens"},
    )
    assert r.status_code == 303
    deal = session.exec(select(Deal)).one()
    assert (deal.title, deal.owner_id) == ("Ovens", seller.id)


def test_quick_entry_offers_the_contacts_open_deals(client_for, seller, make_contact, make_deal):
    contact = make_contact()
    make_deal("Ovens", contact_id=contact.id)
    r = client_for(seller).get(f"/quick/deals?contact_id={contact.id}")
    assert r.status_code == 200 and "Ovens" in r.text


def test_today_lists_quotes_waiting_for_an_answer(
    client_for, seller, make_deal, stage_by_key, session, store
):
    from app.deals.models import DealMove
    from app.deals.service import move_deal
    from tests.factories import upload

    deal = make_deal(
        "Waiting quote", next_step="Call", next_step_due=utcnow().date() + timedelta(days=5)
    )
    move_deal(
        session,
        seller,
        deal,
        DealMove(stage_id=stage_by_key("quote_sent").id),
        store=store,
        quote=upload(),
    )
    client = client_for(seller)
    assert "Waiting quote" not in client.get("/today").text
    deal.stage_entered_at = utcnow() - timedelta(days=8)
    session.add(deal)
    session.commit()
    section = client.get("/today").text.split('id="h-quotes-waiting"')[1].split("</section>")[0]
    assert "Waiting quote" in section


def test_a_french_seller_sees_the_default_stages_in_french(client_for, make_user, session):
    from app.auth.service import update_preferences

    french = make_user("fr@example.test", is_seller=True)
    update_preferences(session, french, language="fr", timezone="Europe/Paris")
    client = client_for(french)
    page = client.get("/deals/board").text
    assert "Devis envoyé" in page and "Négociation" in page and "Gagné" in page


def test_an_admin_renames_reorders_and_removes_stages_and_nothing_is_lost(
    client_for, admin, make_deal, stage_by_key, session
):
    deal = make_deal()
    lead, qualified = stage_by_key("lead"), stage_by_key("qualified")
    client = client_for(admin)
    r = client.post(f"/admin/stages/{lead.id}", data={"name": "Prospect", "kind": "open"})
    assert r.status_code == 303
    r = client.post(f"/admin/stages/{qualified.id}/up")
    assert r.status_code == 303
    page = client.get("/admin/stages").text
    assert page.index("Qualified") < page.index("Prospect")
    refused = client.post(f"/admin/stages/{lead.id}/delete", data={})
    assert refused.status_code == 400 and "choose where to move them" in refused.text
    r = client.post(f"/admin/stages/{lead.id}/delete", data={"move_to": str(qualified.id)})
    assert r.status_code == 303
    session.refresh(deal)
    assert deal.stage_id == qualified.id


def test_a_seller_cannot_change_the_stages(client_for, seller, stage_by_key):
    r = client_for(seller).post(f"/admin/stages/{stage_by_key('lead').id}", data={"name": "X"})
    assert r.status_code == 403


def test_history_of_a_contact_shows_who_changed_what(client_for, seller, make_contact):
    contact = make_contact("Zoé Petit")
    client = client_for(seller)
    client.post(f"/contacts/{contact.id}", data={"name": "Zoé Petit", "title": "CEO"})
    page = client.get(f"/contacts/{contact.id}").text
    changes = page.split(">Changes<")[1]
    assert "CEO" in changes and "Seller" in changes


def test_a_stage_that_needs_a_contact_takes_one_typed_in_place(
    client_for, seller, admin, make_deal, make_contact, stage_by_key, session
):
    from app.deals.stages import update_stage

    qualified = stage_by_key("qualified")
    update_stage(session, admin, qualified, "", "open", ["contact", "next_step"])
    make_contact("Zoé Petit")
    deal = make_deal()
    client = client_for(seller)
    r = _move(client, deal, qualified)
    assert r.status_code == 422
    assert "at least one contact" in r.text and "a next step" in r.text
    r = _move(
        client,
        deal,
        qualified,
        contact_query="zoe",
        next_step="Visit the bakery",
        next_step_due="2026-12-24",
    )
    assert r.status_code == 303, r.text
    session.refresh(deal)
    assert deal.stage_id == qualified.id and deal.next_step == "Visit the bakery"


def test_a_new_open_stage_goes_before_won_and_lost(client_for, admin, session):
    from app.deals.stages import list_stages

    r = client_for(admin).post("/admin/stages", data={"name": "Trial", "kind": "open"})
    assert r.status_code == 303
    kinds = [
        (s.label(type("L", (), {"gettext": staticmethod(str)})), s.kind)
        for s in list_stages(session)
    ]
    names = [name for name, _kind in kinds]
    assert names.index("Trial") < names.index("Won") < names.index("Lost")
    assert [p.position for p in list_stages(session)] == list(range(len(names)))


@pytest.mark.parametrize("scope", ["mine", "team"])
@pytest.mark.parametrize("sort", ["recent", "close", "amount", "title"])
def test_every_sort_pages_through_every_deal_once(
    client_for, session, seller, other_seller, make_deal, sort, scope
):
    """Each sort reads its pages from an index (migration 0024); paging one deal at a time
    must still give every deal once, those without an amount or a close date included."""
    from datetime import date
    from decimal import Decimal

    from app.deals.queries import list_deals

    titles = []
    for n in range(5):
        title = f"Deal {'ECAB'[n % 4]}{n}"
        fields = {}
        if n % 2:
            fields = {"amount": Decimal(100 * n), "expected_close_on": date.today() + timedelta(n)}
        make_deal(title, owner=seller if n != 3 else other_seller, **fields)
        titles.append(title)
    assert (
        client_for(seller).get("/deals", params={"sort": sort, "scope": scope}).status_code == 200
    )
    seen, cursor = [], None
    for _ in range(10):
        page = list_deals(session, seller, scope=scope, sort=sort, cursor=cursor, limit=1)
        seen += [row.title for row in page.items]
        cursor = page.next_cursor
        if not cursor:
            break
    expected = [t for t in titles if scope == "team" or t != "Deal B3"]
    assert sorted(seen) == sorted(expected) and len(seen) == len(expected)

"""Today closes the loop: logging what happened closes the follow-up it answers, Done asks
what is next, quick entry creates the person it does not find, and Today stays short."""

import re
from datetime import timedelta

from sqlmodel import func, select

from app.activities.models import Activity, FollowUp
from app.core.clock import user_today
from app.customers.models import Contact, Organization
from app.deals.models import Deal

HTMX = {"HX-Request": "true"}


def _follow_up_of(session, activity) -> FollowUp:
    return session.exec(select(FollowUp).where(FollowUp.activity_id == activity.id)).one()


def _overdue(session, make_activity, seller, contact, what="Call back", **fields):
    activity = make_activity(seller, contact, next_step=what, next_step_due="+1d", **fields)
    follow_up = _follow_up_of(session, activity)
    follow_up.due_on = user_today(seller) - timedelta(days=1)
    session.add(follow_up)
    session.commit()
    return follow_up


def test_log_from_a_today_row_opens_quick_entry_filled_in_and_offers_to_close_it(
    client_for, seller, make_contact, make_activity, make_deal, session
):
    contact = make_contact("Benoît Nguyen")
    deal = make_deal("Ovens for Nguyen")
    follow_up = _overdue(session, make_activity, seller, contact, deal_id=None)
    client = client_for(seller)
    today = client.get("/today").text
    link = f"/activities/new?follow_up_id={follow_up.id}&next=/today"
    assert link in today
    form = client.get(link, headers=HTMX).text
    assert 'value="Benoît Nguyen"' in form
    assert f'name="contact_id" id="qe-contact-id" value="{contact.id}"' in form
    assert f'name="closes_follow_up_id" value="{follow_up.id}"' in form
    assert re.search(r'name="close_follow_up" value="on"\s+checked', form)
    assert deal.id  # the follow-up was not set on a deal: none is picked
    assert 'class="deal-picked"' not in form


def test_a_follow_up_set_on_a_deal_brings_its_deal_into_quick_entry(
    client_for, seller, make_contact, make_deal, session
):
    contact = make_contact("Zoé Petit")
    deal = make_deal("Bakery ovens")
    client = client_for(seller)
    client.post(
        "/activities",
        data={
            "contact_id": str(contact.id),
            "kind": "call",
            "text": "First call",
            "visibility": "private",
            "private": "on",
            "deal_id": str(deal.id),
            "next_step": "Call again",
            "next_step_due": "+1d",
        },
    )
    follow_up = session.exec(select(FollowUp)).one()
    form = client.get(f"/activities/new?follow_up_id={follow_up.id}", headers=HTMX).text
    assert "Bakery ovens" in form and 'class="deal-picked"' in form


def test_logging_the_answer_closes_the_follow_up_and_the_new_step_shows(
    client_for, seller, make_contact, make_activity, session
):
    contact = make_contact("Benoît Nguyen")
    old = _overdue(session, make_activity, seller, contact, what="Call back about the ovens")
    client = client_for(seller)
    r = client.post(
        "/activities",
        data={
            "contact_id": str(contact.id),
            "kind": "call",
            "text": "He wants the quote",
            "next_step": "Send the quote",
            "next_step_due": "+3d",
            "closes_follow_up_id": str(old.id),
            "follow_up_offered": "1",
            "close_follow_up": "on",
        },
        headers=HTMX,
    )
    assert r.status_code == 200
    session.refresh(old)
    assert old.done_at is not None
    page = client.get(f"/contacts/{contact.id}").text
    assert "Send the quote" in page and "Call back about the ovens" not in page


def test_unticking_the_box_keeps_the_follow_up_open(
    client_for, seller, make_contact, make_activity, session
):
    contact = make_contact()
    old = _overdue(session, make_activity, seller, contact)
    client_for(seller).post(
        "/activities",
        data={
            "contact_id": str(contact.id),
            "kind": "note",
            "text": "Left a message",
            "closes_follow_up_id": str(old.id),
            "follow_up_offered": "1",
        },
        headers=HTMX,
    )
    session.refresh(old)
    assert old.done_at is None
    assert session.exec(select(func.count()).select_from(Activity)).one() == 2


def test_an_activity_cannot_close_someone_elses_follow_up(
    client_for, seller, other_seller, make_contact, make_activity, session
):
    contact = make_contact()
    theirs = _overdue(session, make_activity, other_seller, contact)
    client_for(seller).post(
        "/activities",
        data={
            "contact_id": str(contact.id),
            "kind": "call",
            "text": "Called",
            "closes_follow_up_id": str(theirs.id),
            "close_follow_up": "on",
        },
    )
    session.refresh(theirs)
    assert theirs.done_at is None


def test_picking_a_contact_offers_its_overdue_follow_up(
    client_for, seller, make_contact, make_activity, session
):
    contact = make_contact()
    old = _overdue(session, make_activity, seller, contact, what="Call back")
    page = client_for(seller).get(f"/quick/deals?contact_id={contact.id}", headers=HTMX).text
    assert 'id="qe-follow-up" hx-swap-oob="true"' in page
    assert f'value="{old.id}"' in page and "Mark done: Call back" in page


def test_done_asks_whats_next_and_sets_it_in_the_same_request(
    client_for, seller, make_contact, make_activity, session
):
    contact = make_contact()
    old = _overdue(session, make_activity, seller, contact, visibility="private")
    client = client_for(seller)
    r = client.post(
        f"/follow-ups/{old.id}/done",
        data={"next_step": "Visit the shop", "next_step_due": "+1w"},
        headers=HTMX,
    )
    assert r.status_code == 200 and "Undo" in r.text
    session.refresh(old)
    new = session.exec(select(FollowUp).where(FollowUp.id != old.id)).one()
    assert old.done_at is not None
    assert (new.what, new.contact_id, new.is_private) == ("Visit the shop", contact.id, True)
    assert new.due_on == user_today(seller) + timedelta(weeks=1)


def test_done_with_a_due_date_but_no_step_says_so_and_changes_nothing(
    client_for, seller, make_contact, make_activity, session
):
    old = _overdue(session, make_activity, seller, make_contact())
    r = client_for(seller).post(
        f"/follow-ups/{old.id}/done", data={"next_step_due": "+1w"}, headers=HTMX
    )
    assert r.status_code == 422 and "What is the next step?" in r.text
    session.refresh(old)
    assert old.done_at is None


def test_quick_entry_creates_the_contact_it_did_not_find_with_its_organization(
    client_for, seller, session
):
    existing = Organization(name="Fournil du Nord", sort_key="fournil du nord", owner_id=seller.id)
    session.add(existing)
    session.commit()
    r = client_for(seller).post(
        "/activities",
        data={
            "contact_query": "Nadia Sow",
            "new_contact_name": "Nadia Sow",
            "new_contact_organization": "FOURNIL DU NORD",
            "new_contact_phone": "06 12 34 56 78",
            "kind": "call",
            "text": "First call",
        },
        headers=HTMX,
    )
    assert r.status_code == 200
    nadia = session.exec(select(Contact).where(Contact.name == "Nadia Sow")).one()
    assert (nadia.organization_id, nadia.phone) == (existing.id, "06 12 34 56 78")
    activity = session.exec(select(Activity)).one()
    assert (activity.contact_id, activity.organization_id) == (nadia.id, existing.id)
    assert session.exec(select(func.count()).select_from(Organization)).one() == 1


def test_a_refused_activity_creates_no_contact_and_keeps_what_was_typed(
    client_for, seller, session
):
    r = client_for(seller).post(
        "/activities",
        data={
            "new_contact_name": "Nadia Sow",
            "new_contact_organization": "Boulangerie Neuve",
            "kind": "call",
            "text": "First call",
            "next_step": "Call again",
            "next_step_due": "someday maybe",
        },
        headers=HTMX,
    )
    assert r.status_code == 422 and "Write a date like" in r.text
    assert 'value="Nadia Sow"' in r.text and 'value="Boulangerie Neuve"' in r.text
    assert session.exec(select(func.count()).select_from(Contact)).one() == 0
    assert session.exec(select(func.count()).select_from(Organization)).one() == 0


def test_today_shows_ten_rows_a_section_and_says_how_many_there_are(
    client_for, seller, make_contact, make_activity, session
):
    contact = make_contact()
    for i in range(13):
        _overdue(session, make_activity, seller, contact, what=f"Step {i:02}")
    page = client_for(seller).get("/today").text
    overdue = page.split('id="h-overdue"')[1].split("</section>")[0]
    assert '<span class="count">13</span>' in overdue
    assert overdue.count('<li id="follow-up-') == 10
    assert "Show all 13" in overdue and 'href="/follow-ups?section=overdue"' in overdue


def test_a_contact_page_shows_the_earliest_open_step_and_how_many_are_open(
    client_for, seller, make_contact, make_activity, session
):
    contact = make_contact()
    _overdue(session, make_activity, seller, contact, what="Earliest")
    make_activity(seller, contact, next_step="Later one", next_step_due="+5d")
    page = client_for(seller).get(f"/contacts/{contact.id}").text
    step = page.split("next-step")[1].split("</p>")[0]
    assert "Earliest" in step and "2 open steps" in step


def test_an_organization_page_logs_on_the_organization(client_for, seller, session):
    org = Organization(name="Fournil du Nord", sort_key="fournil du nord", owner_id=seller.id)
    session.add(org)
    session.commit()
    client = client_for(seller)
    page = client.get(f"/organizations/{org.id}").text
    assert "data-record-entry" in page
    form = client.get(f"/activities/new?organization_id={org.id}", headers=HTMX).text
    assert f'name="organization_id" value="{org.id}"' in form and "Fournil du Nord" in form
    r = client.post(
        "/activities",
        data={"organization_id": str(org.id), "kind": "meeting", "text": "Visited"},
        headers=HTMX,
    )
    assert r.status_code == 200
    assert session.exec(select(Activity)).one().organization_id == org.id
    assert session.exec(select(func.count()).select_from(Deal)).one() == 0


def test_on_a_deal_page_quick_entry_keeps_the_deal_and_offers_the_contacts_follow_up(
    client_for, seller, make_contact, make_activity, make_deal, session
):
    contact = make_contact("François Müller")
    deal = make_deal("Cold room", contact_id=contact.id)
    old = _overdue(session, make_activity, seller, contact, what="Call back")
    client = client_for(seller)
    form = client.get(f"/activities/new?deal_id={deal.id}", headers=HTMX).text
    # One person on the deal: the call was with them, and their follow-up is offered.
    assert f'id="qe-contact-id" value="{contact.id}"' in form
    assert f'name="closes_follow_up_id" value="{old.id}"' in form
    picked = client.get(
        f"/quick/deals?contact_id={contact.id}&deal_id={deal.id}", headers=HTMX
    ).text
    assert 'class="deal-picked"' in picked and "Cold room" in picked
    assert f'value="{old.id}"' in picked


def test_the_people_of_the_record_quick_entry_was_opened_on_come_first(
    client_for, seller, other_seller, make_contact, make_activity, session
):
    from app.customers.models import ContactCreate, OrganizationCreate
    from app.customers.service import create_contact, create_organization

    org = create_organization(session, seller, OrganizationCreate(name="Fournil"))
    mine = make_contact("Lucas Aaron")
    make_activity(seller, mine)  # recent and mine: first anywhere else
    theirs = create_contact(
        session, other_seller, ContactCreate(name="Lucas O'Brien", organization_id=org.id)
    )
    client = client_for(seller)
    anywhere = client.get("/quick/contacts", params={"contact_query": "lu"}).text
    assert anywhere.index("Lucas Aaron") < anywhere.index("Lucas O&#39;Brien")
    here = client.get(
        "/quick/contacts", params={"contact_query": "lu", "organization_id": str(org.id)}
    ).text
    assert here.index(f'data-id="{theirs.id}"') < here.index(f'data-id="{mine.id}"')


def test_done_twice_from_two_tabs_sets_the_next_step_once(
    client_for, seller, make_contact, make_activity, session
):
    old = _overdue(session, make_activity, seller, make_contact())
    first, second = client_for(seller), client_for(seller)
    step = {"next_step": "Visit", "next_step_due": "+5d"}
    assert first.post(f"/follow-ups/{old.id}/done", data=step, headers=HTMX).status_code == 200
    again = second.post(f"/follow-ups/{old.id}/done", data=step, headers=HTMX)
    assert again.status_code == 422 and "already done" in again.text
    opened = session.exec(select(FollowUp).where(FollowUp.done_at.is_(None))).all()
    assert [f.what for f in opened] == ["Visit"]

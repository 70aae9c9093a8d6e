"""Quick entry finds the person the seller means: ranked suggestions through the real route."""

import re
from datetime import timedelta

import pytest
from sqlmodel import select

from app.activities.models import FollowUp
from app.core.clock import user_today
from app.customers.models import ContactCreate, OrganizationCreate
from app.customers.service import create_contact, create_organization


@pytest.fixture
def contact_of(session):
    def make(owner, name, **fields):
        return create_contact(session, owner, ContactCreate(name=name, **fields))

    return make


def _names(client, query: str) -> list[str]:
    page = client.get("/quick/contacts", params={"contact_query": query})
    assert page.status_code == 200
    return re.findall(r'data-name="([^"]+)"', page.text)


def _overdue_follow_up(session, make_activity, seller, contact, days=2):
    make_activity(seller, contact, next_step="Call back about the ovens", next_step_due="+1d")
    follow_up = session.exec(select(FollowUp).where(FollowUp.contact_id == contact.id)).one()
    follow_up.due_on = user_today(seller) - timedelta(days=days)
    session.add(follow_up)
    session.commit()


def test_the_contact_on_my_today_comes_first_for_three_letters(
    client_for, seller, other_seller, contact_of, make_activity, session
):
    for i in range(12):
        contact_of(other_seller, f"Benoît A{i:02}")
    contact_of(other_seller, "Benoît Bernard")
    nguyen = contact_of(other_seller, "Benoît Nguyen")
    _overdue_follow_up(session, make_activity, seller, nguyen)
    names = _names(client_for(seller), "Ben")
    assert names[0] == "Benoît Nguyen"
    assert len(names) == 8


def test_my_recent_contacts_come_before_the_ones_i_look_after_then_the_rest(
    client_for, seller, other_seller, contact_of, make_activity
):
    contact_of(other_seller, "Anne Aalto")
    mine = contact_of(seller, "Anne Zimmer")
    recent = contact_of(other_seller, "Anne Young")
    make_activity(seller, recent)
    assert _names(client_for(seller), "ann")[:3] == ["Anne Young", "Anne Zimmer", "Anne Aalto"]
    assert mine.owner_id == seller.id


def test_a_word_start_match_comes_before_a_match_inside_a_word(
    client_for, seller, other_seller, contact_of, make_activity
):
    inner = contact_of(seller, "Luc Aubenas")
    make_activity(seller, inner)  # even recent and mine, an inner match comes after
    contact_of(other_seller, "Zoé Benard")
    assert _names(client_for(seller), "ben") == ["Zoé Benard", "Luc Aubenas"]


def test_several_words_match_several_name_parts(client_for, seller, contact_of):
    contact_of(seller, "Benoît Bernard")
    contact_of(seller, "Benoît Nguyen")
    contact_of(seller, "Ngozi Benson")
    assert _names(client_for(seller), "ben ng") == ["Benoît Nguyen", "Ngozi Benson"]
    assert _names(client_for(seller), "nguy beno") == ["Benoît Nguyen"]


def test_phone_digits_find_a_contact_whatever_the_formatting(client_for, seller, contact_of):
    contact_of(seller, "Paul Mobile", phone="06 12 34 56 78")
    contact_of(seller, "Rita Abroad", phone="+33 6 12 98 76 54")
    contact_of(seller, "Omar Elsewhere", phone="01 45 00 00 00")
    client = client_for(seller)
    assert sorted(_names(client, "0612")) == ["Paul Mobile", "Rita Abroad"]
    assert _names(client, "06.12.34") == ["Paul Mobile"]
    assert _names(client, "+33 6 12 98") == ["Rita Abroad"]


def test_the_organization_name_finds_its_people(client_for, seller, contact_of, session):
    org = create_organization(session, seller, OrganizationCreate(name="Boulangerie Bento"))
    contact_of(seller, "Marie Martin", organization_id=org.id)
    assert _names(client_for(seller), "bento") == ["Marie Martin"]


def test_each_suggestion_shows_its_organization_and_my_next_step(
    client_for, seller, contact_of, make_activity, session
):
    org = create_organization(session, seller, OrganizationCreate(name="Fournil Nord"))
    nguyen = contact_of(seller, "Benoît Nguyen", organization_id=org.id)
    _overdue_follow_up(session, make_activity, seller, nguyen)
    page = client_for(seller).get("/quick/contacts", params={"contact_query": "ben"}).text
    assert "Fournil Nord" in page and "Call back about the ovens" in page


def test_archived_contacts_are_not_suggested(client_for, seller, contact_of):
    gone = contact_of(seller, "Benoît Parti")
    client = client_for(seller)
    client.post(f"/contacts/{gone.id}/archive")
    assert _names(client, "ben") == []


def test_what_was_typed_can_become_a_new_contact(client_for, seller):
    page = client_for(seller).get("/quick/contacts", params={"contact_query": "Nadia Sow"}).text
    assert 'data-create="Nadia Sow"' in page


def test_letters_inside_a_name_find_it_when_no_word_starts_with_them(
    client_for, seller, other_seller, contact_of
):
    contact_of(other_seller, "Luc Aubenas")
    contact_of(other_seller, "Marie Martin")
    client = client_for(seller)
    assert _names(client, "ubena") == ["Luc Aubenas"]
    assert _names(client, "ubena luc") == ["Luc Aubenas"]
    assert _names(client, "ub") == []  # two letters inside a word mean nothing yet


def test_an_international_number_finds_the_same_number_written_nationally(
    client_for, seller, contact_of
):
    contact_of(seller, "Zorglub National", phone="06.12.34 56.78")
    contact_of(seller, "Élodie Parenthèse", phone="+33 (0)6 11 22 33 44")
    client = client_for(seller)
    assert _names(client, "+33 6 12 34 56 78") == ["Zorglub National"]
    assert _names(client, "+33 6 11 22 33 44") == ["Élodie Parenthèse"]
    assert _names(client, "06 11 22 33 44") == ["Élodie Parenthèse"]


def test_the_start_of_an_international_number_finds_it_written_nationally(
    client_for, seller, contact_of
):
    contact_of(seller, "Paul Mobile", phone="06 12 34 56 78")
    contact_of(seller, "Rita Abroad", phone="+33 6 12 98 76 54")
    contact_of(seller, "Inès Inside", phone="01 45 06 12 00")  # 0612 inside, not at the start
    client = client_for(seller)
    for typed in ("+33 6 12", "0033 6 12", "+33612"):
        assert sorted(_names(client, typed)[:2]) == ["Paul Mobile", "Rita Abroad"], typed
    assert _names(client, "0033 6 12 98") == ["Rita Abroad"]


def test_a_number_that_starts_with_the_digits_comes_before_one_that_contains_them(
    client_for, seller, contact_of
):
    contact_of(seller, "Aaron Inside", phone="01 45 07 55 00")
    contact_of(seller, "Zoé Start", phone="07 55 12 34 56")
    contact_of(seller, "Rita Abroad", phone="+33 7 55 98 76 54")
    # Both numbers that start with 07 55 (one stored +33 7 55) before the one containing it.
    names = _names(client_for(seller), "07 55")
    assert sorted(names[:2]) == ["Rita Abroad", "Zoé Start"] and names[2:] == ["Aaron Inside"]


def test_a_query_of_spaces_offers_nothing_to_create(client_for, seller):
    page = client_for(seller).get("/quick/contacts", params={"contact_query": "   "}).text
    assert "data-create" not in page


def test_a_national_number_does_not_find_its_digits_inside_another_number(
    client_for, seller, contact_of
):
    contact_of(seller, "Rita Abroad", phone="+33 7 99 12 34 56")
    contact_of(seller, "Aaron Elsewhere", phone="+33 6 79 98 12 34")  # 799 inside, not 0799
    assert _names(client_for(seller), "0799") == ["Rita Abroad"]


def test_a_number_stored_with_00_and_its_code_is_found_written_nationally(
    client_for, seller, other_seller, contact_of
):
    contact_of(seller, "Otto Zeros", phone="0033 6 77 88 99 00")
    contact_of(other_seller, "Zed Theirs", phone="06 77 88 12 34")
    client = client_for(seller)
    for typed in ("06 77 88", "0677889900", "+33 6 77 88"):
        assert _names(client, typed)[0] == "Otto Zeros", typed  # mine first

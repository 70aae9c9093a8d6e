"""Amounts as a French or an English reader means them; an ambiguous one gets a message."""

from decimal import Decimal

import pytest
from sqlmodel import select

from app.core.money import MoneyError, parse_decimal_input
from app.deals.models import Deal


@pytest.mark.parametrize(
    ("text", "language", "value"),
    [
        ("1 200,50", "fr", "1200.50"),
        ("1200,50", "fr", "1200.50"),
        ("1,200.50", "fr", "1200.50"),
        ("1200.50", "fr", "1200.50"),
        ("1.200,50", "fr", "1200.50"),
        ("1\u202f200,50", "fr", "1200.50"),
        ("1,5", "fr", "1.5"),
        ("1,200.50", "en", "1200.50"),
        ("1200.50", "en", "1200.50"),
        ("1,200", "en", "1200"),
        ("1,234,567", "en", "1234567"),
        ("1 200.50", "en", "1200.50"),
        ("1.200,50", "en", "1200.50"),
        ("", "en", None),
    ],
)
def test_an_amount_means_what_its_reader_means(text, language, value):
    expected = None if value is None else Decimal(value)
    assert parse_decimal_input(text, language) == expected


@pytest.mark.parametrize(
    ("text", "language", "message"),
    [
        ("1.200", "fr", "could be read two ways"),
        ("1,200", "fr", "could be read two ways"),
        ("1.200", "en", "could be read two ways"),
        ("1200,50", "en", "Enter an amount"),
        ("1,5", "en", "Enter an amount"),
        ("1.2.3", "en", "Enter an amount"),
        ("douze", "fr", "Enter an amount"),
        ("-3", "en", "cannot be negative"),
    ],
)
def test_an_amount_a_reader_could_misread_is_refused_with_a_message(text, language, message):
    with pytest.raises(MoneyError) as caught:
        parse_decimal_input(text, language)
    assert message in str(caught.value.message)


def _win_with(client, deal, stage_by_key, amount, accept_language):
    return client.post(
        f"/deals/{deal.id}/move",
        data={
            "stage_id": str(stage_by_key("won").id),
            "version": str(deal.version),
            "amount": amount,
            "currency": "EUR",
            "expected_close_on": "2026-12-01",
        },
        headers={"Accept-Language": accept_language},
    )


def test_a_french_browser_wins_a_deal_for_1200_comma_50(
    client_for, seller, make_deal, stage_by_key, session
):
    """The seller chose no language: the page is French because the browser is, and the
    amount is read the French way."""
    assert seller.language is None
    deal = make_deal()
    r = _win_with(client_for(seller), deal, stage_by_key, "1200,50", "fr-FR,fr;q=0.9")
    assert r.status_code == 303, r.text
    session.refresh(deal)
    assert deal.won_amount_minor == 120050


def test_an_english_browser_reads_1_comma_200_as_twelve_hundred(
    client_for, seller, make_deal, stage_by_key, session
):
    deal = make_deal()
    r = _win_with(client_for(seller), deal, stage_by_key, "1,200", "en-GB,en;q=0.9")
    assert r.status_code == 303, r.text
    session.refresh(deal)
    assert deal.won_amount_minor == 120000


def test_an_ambiguous_amount_in_french_is_refused_in_the_page_not_misread(
    client_for, seller, make_deal, stage_by_key, session
):
    deal = make_deal()
    r = _win_with(client_for(seller), deal, stage_by_key, "1.200", "fr")
    assert r.status_code == 400
    assert "peut se lire de deux façons" in r.text and "1200" in r.text
    session.refresh(deal)
    assert deal.status == "open"


def test_a_new_deal_typed_in_french_keeps_its_amount(client_for, seller, session):
    client = client_for(seller)
    r = client.post(
        "/deals",
        data={"title": "Fours", "amount": "1 200,50", "currency": "EUR"},
        headers={"Accept-Language": "fr"},
    )
    assert r.status_code == 303
    assert session.exec(select(Deal)).one().amount_minor == 120050


@pytest.mark.parametrize(
    ("accept_language", "due"), [("fr-FR", "2027-04-03"), ("en", "2027-03-04")]
)
def test_quick_entry_reads_a_date_the_way_the_browsers_language_writes_it(
    client_for, seller, make_contact, session, accept_language, due
):
    from datetime import date

    from app.activities.models import FollowUp

    contact = make_contact()
    r = client_for(seller).post(
        "/activities",
        data={
            "contact_id": str(contact.id),
            "kind": "call",
            "text": "Rendez-vous pris",
            "next_step": "Visite",
            "next_step_due": "03/04/2027",
        },
        headers={"HX-Request": "true", "Accept-Language": accept_language},
    )
    assert r.status_code == 200
    assert session.exec(select(FollowUp)).one().due_on == date.fromisoformat(due)

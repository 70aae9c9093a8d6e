"""Spreadsheet import keeps what the file says: first and last names, which rows are left
out and why, how many were merged, and numbers and dates as the importer reads them."""

import re
from datetime import date

import pytest
from sqlmodel import select

from app.customers.models import Contact
from app.deals.models import Deal
from tests.interop.test_import import _job_id, _upload


def _guessed(page: str) -> dict[str, str]:
    """Header -> the field selected for it on the mapping form."""
    found = {}
    for header, options in re.findall(r'data-header="([^"]*)">(.*?)</select>', page, re.S):
        selected = re.search(r'value="(\w+)" selected', options)
        found[header] = selected.group(1) if selected else ""
    return found


@pytest.mark.parametrize(
    ("text", "last", "first"),
    [
        ("Nom;Prénom\nDupont;Marie\n", "Nom", "Prénom"),
        ("Nom de famille;Prénom\nDupont;Marie\n", "Nom de famille", "Prénom"),
        ("Last name,First name\nDupont,Marie\n", "Last name", "First name"),
        ("Surname,Given name\nDupont,Marie\n", "Surname", "Given name"),
        ("Name,First name\nDupont,Marie\n", "Name", "First name"),
    ],
)
def test_a_header_pair_maps_to_last_and_first_name_and_imports_first_then_last(
    client_for, seller, session, text, last, first
):
    client = client_for(seller)
    job = _job_id(_upload(client, text, encoding="utf-8"))
    assert _guessed(client.get(f"/imports/{job}").text) == {last: "last_name", first: "first_name"}
    assert client.post(f"/imports/{job}/run", data={}).status_code == 303
    assert [c.name for c in session.exec(select(Contact))] == ["Marie Dupont"]


def test_a_full_name_column_stays_the_whole_name(client_for, seller, session):
    client = client_for(seller)
    job = _job_id(_upload(client, "Nom complet;Prénom\nMarie Dupont;Marie\n", encoding="utf-8"))
    guessed = _guessed(client.get(f"/imports/{job}").text)
    assert guessed == {"Nom complet": "name", "Prénom": "first_name"}
    client.post(f"/imports/{job}/run", data={})
    assert [c.name for c in session.exec(select(Contact))] == ["Marie Dupont"]


BAD_ROWS = (
    "Name,Email,Phone\n"
    "Anne Roy,anne@roy.test,06 12 34 56 78\n"
    "Bob Lac,pas-un-email@,\n"
    "Chloé Ney,chloe@ney.test,abc\n"
    "Dan Ost,,12 34\n"
    "Eve Gil,eve@gil,+33 (0)6 11 22 33 44\n"
)
LEFT_OUT = {
    3: "“pas-un-email@” is not an email address.",
    4: "“abc” is not a phone number.",
    5: "“12 34” is not a phone number.",
    6: "“eve@gil” is not an email address.",
}


def _lines(html: str, list_id: str) -> dict[int, str]:
    block = html.split(list_id, 1)[1].split("</ul>", 1)[0]
    return {
        int(n): text.strip() for n, text in re.findall(r"<li>Line (\d+): (.*?)</li>", block, re.S)
    }


def test_bad_emails_and_phones_are_left_out_with_their_line_in_preview_and_report(
    client_for, seller, session
):
    client = client_for(seller)
    job = _job_id(_upload(client, BAD_ROWS, encoding="utf-8"))
    preview = client.get(f"/imports/{job}").text
    assert "4 rows have a problem and will be left out" in preview
    assert _lines(preview, 'class="row-errors"') == LEFT_OUT
    client.post(f"/imports/{job}/run", data={})
    report = client.get(f"/imports/{job}").text
    assert "1 created" in report and "4 rows left out" in report
    assert _lines(report, 'id="left-out"') == LEFT_OUT
    assert [c.name for c in session.exec(select(Contact))] == ["Anne Roy"]


def test_the_report_lists_left_out_rows_in_the_readers_language(client_for, seller, session):
    client = client_for(seller)
    job = _job_id(_upload(client, BAD_ROWS, encoding="utf-8"))
    client.post(f"/imports/{job}/run", data={})
    seller.language = "fr"
    session.add(seller)
    session.commit()
    report = client.get(f"/imports/{job}").text
    assert "Ligne 4 : « abc » n&#39;est pas un numéro de téléphone." in report


def test_every_merged_row_is_counted_and_listed_with_its_lines(
    client_for, seller, session, make_contact
):
    make_contact("Léo Bernard", email="leo@bernard.test")
    text = (
        "Name,Email,Phone\n"
        "Léo Bernard,leo@bernard.test,\n"  # line 2: known
        "L. Bernard,,+33 6 99 88 77 66\n"  # line 3: same phone as line 4, which is known
        "Léo B.,leo@bernard.test,06 99 88 77 66\n"  # line 4
        "Anne Roy,anne@roy.test,\n"  # line 5 and 6: the same person twice
        "Anne Roy,,06 11 22 33 44\n"
        "Bob Lac,,\n"
    )
    client = client_for(seller)
    job = _job_id(_upload(client, text, encoding="utf-8"))
    client.post(f"/imports/{job}/run", data={"default_action": "merge"})
    report = client.get(f"/imports/{job}").text
    # Five rows merged: three into Léo Bernard, two into one new Anne Roy; Bob is new.
    assert "5 rows merged" in report and "2 created" in report
    assert "Léo Bernard — lines 2, 3, 4 (already in Carnet)" in report
    assert "Anne Roy — lines 5, 6 (new)" in report
    assert sorted(c.name for c in session.exec(select(Contact))) == [
        "Anne Roy",
        "Bob Lac",
        "Léo Bernard",
    ]


DEALS = "Affaire;Montant;Clôture\nFour;1 200,50;03/04/2027\nPétrin;1,25;\nLevain;1.200;\n"


@pytest.mark.parametrize("where", ["request", "background"])
def test_a_french_browser_imports_deal_amounts_and_dates_read_in_french(
    client_for, seller, session, run_jobs, monkeypatch, where
):
    """No language on the account: the browser's French decides, in the request and in
    the background job that has no request to ask."""
    import app.interop.imports.jobs as import_jobs

    assert seller.language is None
    if where == "background":
        monkeypatch.setattr(import_jobs, "INLINE_ROWS", 0)
    client = client_for(seller)
    client.headers["Accept-Language"] = "fr-FR,fr;q=0.9,en;q=0.5"
    job = _job_id(_upload(client, DEALS, entity="deals", encoding="utf-8"))
    preview = client.get(f"/imports/{job}").text
    assert "« 1.200 » peut se lire de deux façons" in preview
    client.post(f"/imports/{job}/run", data={})
    if where == "background":
        assert session.exec(select(Deal)).first() is None
        client.headers["Accept-Language"] = "en"  # whoever's request is around: not theirs
        assert run_jobs() == 1
    deals = {d.title: d for d in session.exec(select(Deal))}
    assert set(deals) == {"Four", "Pétrin"}
    assert deals["Four"].amount_minor == 120050
    assert deals["Four"].expected_close_on == date(2027, 4, 3)
    assert deals["Pétrin"].amount_minor == 125


def test_a_phone_shared_by_another_name_is_not_merged_unless_the_user_says_so(
    client_for, seller, session, make_contact
):
    known = make_contact("Benoît Nguyen", phone="+33 6 12 34 56 78", email="benoit@n.test")
    text = "Nom;Prénom;Email;Téléphone\nDurand;Marie;marie.durand@exemple.fr;06 12 34 56 78\n"
    client = client_for(seller)
    page = _upload(client, text, encoding="utf-8")
    job = _job_id(page)
    preview = client.get(f"/imports/{job}").text
    assert "same phone, another name" in preview
    assert re.search(r'<option value="create" selected>', preview)
    client.post(f"/imports/{job}/run", data={"default_action": "merge"})
    session.refresh(known)
    assert (known.name, known.email) == ("Benoît Nguyen", "benoit@n.test")
    marie = session.exec(select(Contact).where(Contact.name == "Marie Durand")).one()
    assert marie.email == "marie.durand@exemple.fr"


def test_a_blank_line_does_not_shift_the_line_numbers_reported(client_for, seller, session):
    text = "Nom;Prénom;Email\nDurand;Anne;anne@d.test\n;;\nPetit;Zoé;zoe.petit@exemple\n"
    client = client_for(seller)
    job = _job_id(_upload(client, text, encoding="utf-8"))
    preview = client.get(f"/imports/{job}").text
    assert "Line 4" in preview and "Line 3" not in preview

"""Spreadsheet import: guessed mapping, row messages, duplicates, all or nothing, undo."""

import io
import re
import time

import pytest
from sqlmodel import Session, select

from app.customers.models import Contact, Organization
from app.deals.models import Deal

FRENCH = (
    "Prénom;Nom de famille;Courriel;Téléphone;Société;Fonction\r\n"
    "Hélène;Durand;helene@dupont.test;06 12 34 56 78;Boulangerie Dupont;Gérante\r\n"
    "Marc;Petit;marc@dupont.test;;Boulangerie Dupont;Mitron\r\n"
    ";;sans-nom@x.test;;;\r\n"
    "Zoé;Martin;pas-un-email;;;\r\n"
    "Léo;Bernard;zoe@existe.test;+33 6 99 88 77 66;;Chef\r\n"
)


def _upload(client, text, name="contacts.csv", entity="contacts", encoding="cp1252"):
    data = text.encode(encoding) if isinstance(text, str) else text
    return client.post(
        "/imports", data={"entity": entity}, files={"file": (name, data, "text/csv")}
    )


def _job_id(response) -> int:
    return int(re.search(r"/imports/(\d+)", response.headers["location"]).group(1))


def test_a_french_csv_is_mapped_previewed_deduplicated_and_reported(
    client_for, seller, make_contact, session
):
    existing = make_contact("Léo Bernard", email="zoe@existe.test")
    client = client_for(seller)
    r = _upload(client, FRENCH)
    assert r.status_code == 303
    job = _job_id(r)
    page = client.get(f"/imports/{job}").text
    # The mapping is guessed from the French headers.
    for column, field in (
        ("0", "first_name"),
        ("1", "last_name"),
        ("2", "email"),
        ("3", "phone"),
        ("4", "organization"),
        ("5", "title"),
    ):
        select_html = page.split(f'name="column_{column}"')[1].split("</select>")[0]
        assert f'value="{field}" selected' in select_html, (column, field)
    assert "2 rows have a problem" in page
    assert "Line 4" in page and "Line 5" in page and "pas-un-email" in page
    assert "Already in Carnet: Léo Bernard" in page
    r = client.post(f"/imports/{job}/run", data={"default_action": "merge"})
    assert r.status_code == 303
    report = client.get(f"/imports/{job}").text
    assert "2 created" in report and "1 merged" in report and "2 rows left out" in report
    session.expire_all()
    helene = session.exec(select(Contact).where(Contact.email == "helene@dupont.test")).one()
    assert helene.name == "Hélène Durand" and helene.title == "Gérante"
    assert session.get(Organization, helene.organization_id).name == "Boulangerie Dupont"
    merged = session.get(Contact, existing.id)
    assert merged.phone == "+33 6 99 88 77 66" and merged.title == "Chef"
    assert len(session.exec(select(Contact)).all()) == 3

    r = client.post(f"/imports/{job}/undo")
    assert r.status_code == 303
    session.expire_all()
    assert [c.name for c in session.exec(select(Contact))] == ["Léo Bernard"]
    assert session.get(Contact, existing.id).phone == ""
    assert session.exec(select(Organization)).first() is None


def test_rows_repeated_in_the_file_are_one_group_by_phone(client_for, seller, session):
    text = "Name,Phone\nAnne Roy,+33 6 11 22 33 44\nA. Roy,06 11 22 33 44\nBob,\n"
    client = client_for(seller)
    job = _job_id(_upload(client, text, encoding="utf-8"))
    assert "Repeated in the file" in client.get(f"/imports/{job}").text
    client.post(f"/imports/{job}/run", data={"default_action": "merge"})
    assert sorted(c.name for c in session.exec(select(Contact))) == ["Anne Roy", "Bob"]


def test_an_xlsx_file_imports_organizations(client_for, seller, session):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Company", "Website", "Tags"])
    sheet.append(["Fournil Martin", "https://fournil.test", "bakery, vip"])
    sheet.append(["Moulin Roux", None, None])
    out = io.BytesIO()
    book.save(out)
    client = client_for(seller)
    job = _job_id(_upload(client, out.getvalue(), name="orgs.xlsx", entity="organizations"))
    client.post(f"/imports/{job}/run", data={})
    orgs = {o.name: o for o in session.exec(select(Organization))}
    assert (
        set(orgs) == {"Fournil Martin", "Moulin Roux"}
        and orgs["Fournil Martin"].tags == "bakery, vip"
    )


def test_deals_import_with_french_stage_names_and_amounts(
    client_for, seller, session, stage_by_key
):
    text = (
        "Affaire;Société;Montant;Étape\nFour;Fournil;12 500,50;Devis envoyé\nPétrin;Fournil;900;\n"
    )
    fr = client_for(seller)
    job = _job_id(_upload(fr, text, entity="deals", encoding="utf-8"))
    fr.post(f"/imports/{job}/run", data={})
    deals = {d.title: d for d in session.exec(select(Deal))}
    assert deals["Four"].stage_id == stage_by_key("quote_sent").id
    assert deals["Four"].amount_minor == 1250050
    assert (
        deals["Pétrin"].stage_id == stage_by_key("lead").id
        and deals["Pétrin"].amount_minor == 90000
    )


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"", "empty.csv", "This file is empty."),
        (b"PK\x03\x04 not really a workbook", "broken.xlsx", "cannot be read"),
        (b"\n\n\n", "blank.csv", "This file is empty."),
    ],
)
def test_bad_files_get_a_clear_message_and_nothing_is_created(
    client_for, seller, session, content, name, message
):
    r = _upload(client_for(seller), content, name=name)
    assert r.status_code == 400 and message in r.text
    assert session.exec(select(Contact)).first() is None


def test_a_file_over_the_limit_is_refused_before_it_is_read(client_for, seller, monkeypatch):
    import app.interop.importing as importing

    monkeypatch.setattr(importing, "MAX_IMPORT_BYTES", 1000)
    r = _upload(client_for(seller), "Name\n" + "x\n" * 2000, encoding="utf-8")
    assert r.status_code == 400 and "split it in smaller files" in r.text


def test_ragged_rows_are_evened_out_and_said(client_for, seller, session):
    client = client_for(seller)
    job = _job_id(_upload(client, "Name,Email\nAnne,anne@x.test,extra\nBob\n", encoding="utf-8"))
    assert "2 rows did not have 2 cells" in client.get(f"/imports/{job}").text
    client.post(f"/imports/{job}/run", data={})
    assert sorted(c.name for c in session.exec(select(Contact))) == ["Anne", "Bob"]


def test_a_big_import_runs_in_the_background_in_one_transaction(tmp_path):
    from app.auth.service import create_user
    from app.core.config import Settings
    from app.core.db import make_engine, migrate
    from app.interop import importing
    from app.interop.models import ImportJob
    from tests.conftest import PASSWORD, upload

    settings = Settings(data_dir=tmp_path, secret_key="x", background=False)
    migrate(settings.effective_database_url)
    engine = make_engine(settings.effective_database_url)
    rows = "\n".join(f"Person {i},p{i}@example.test" for i in range(3000))
    with Session(engine, expire_on_commit=False) as session:
        user = create_user(session, email="s@x.test", name="S", password=PASSWORD)
        job = importing.start_import(
            session, user, settings, upload("big.csv", f"Name,Email\n{rows}\n".encode()), "contacts"
        )
    importing.run_in_background(engine, job.id, user.id, settings, {}, "merge")
    deadline = time.time() + 30
    while time.time() < deadline:
        with Session(engine) as session:
            if session.get(ImportJob, job.id).status == "done":
                break
        time.sleep(0.1)
    with Session(engine) as session:
        assert session.get(ImportJob, job.id).created == 3000
        assert len(session.exec(select(Contact.id)).all()) == 3000
    engine.dispose()

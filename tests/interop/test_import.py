"""Spreadsheet import: guessed mapping, row messages, duplicates, all or nothing, undo."""

import io
import re

import pytest
from sqlmodel import select

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
    assert "2 created" in report and "1 row merged" in report and "2 rows left out" in report
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
    import app.interop.imports.service as importing

    monkeypatch.setattr(importing, "MAX_IMPORT_BYTES", 1000)
    r = _upload(client_for(seller), "Name\n" + "x\n" * 2000, encoding="utf-8")
    assert r.status_code == 400 and "split it in smaller files" in r.text


def test_ragged_rows_are_evened_out_and_said(client_for, seller, session):
    client = client_for(seller)
    job = _job_id(_upload(client, "Name,Email\nAnne,anne@x.test,extra\nBob\n", encoding="utf-8"))
    assert "2 rows did not have 2 cells" in client.get(f"/imports/{job}").text
    client.post(f"/imports/{job}/run", data={})
    assert sorted(c.name for c in session.exec(select(Contact))) == ["Anne", "Bob"]


def _big(client, rows=3000):
    people = "\n".join(f"Person {i},p{i}@example.test" for i in range(rows))
    return _job_id(_upload(client, f"Name,Email\n{people}\n", encoding="utf-8"))


def test_a_big_import_is_queued_once_however_often_it_is_run(client_for, seller, session, run_jobs):
    from app.core.jobs import Job
    from app.interop.imports.models import ImportJob

    client = client_for(seller)
    job = _big(client)
    assert client.post(f"/imports/{job}/run", data={}).status_code == 303
    assert client.post(f"/imports/{job}/run", data={}).status_code == 303  # a double click
    page = client.get(f"/imports/{job}").text
    assert "Waiting for Carnet to start it" in page and "Cancel the import" in page
    assert len(session.exec(select(Job).where(Job.kind == "import")).all()) == 1
    assert run_jobs() == 1
    imported = session.get(ImportJob, job)
    session.refresh(imported)
    assert imported.status == "done" and imported.created == 3000
    assert len(session.exec(select(Contact.id)).all()) == 3000
    assert client.post(f"/imports/{job}/run", data={}).status_code == 303
    assert run_jobs() == 0 and len(session.exec(select(Contact.id)).all()) == 3000


def test_a_cancelled_import_imports_nothing_and_can_run_again(
    client_for, seller, session, run_jobs
):
    client = client_for(seller)
    job = _big(client)
    client.post(f"/imports/{job}/run", data={})
    assert client.post(f"/imports/{job}/cancel").status_code == 303
    assert "cancelled: nothing was imported" in client.get(f"/imports/{job}").text
    assert run_jobs() == 0 and session.exec(select(Contact.id)).first() is None
    client.post(f"/imports/{job}/run", data={})
    assert run_jobs() == 1 and len(session.exec(select(Contact.id)).all()) == 3000


def test_an_import_whose_process_died_reads_interrupted_and_runs_again(
    client_for, seller, session, run_jobs
):
    """A claim by a process of this host that is gone: the start-up sweep finds it."""
    from sqlalchemy import update

    from app.core import jobs
    from app.core.schema import utcnow

    client = client_for(seller)
    job = _big(client)
    client.post(f"/imports/{job}/run", data={})
    dead = jobs.worker_name().rsplit(":", 2)[0] + ":999999:0dead000"
    assert jobs.claim(session, dead, ["import"], utcnow()) is not None
    swept = jobs.sweep(session, jobs.worker_name(), utcnow())
    assert [j.status for j in swept] == ["interrupted"]
    from app.interop.imports.jobs import job_ended

    job_ended(session, swept[0], "interrupted")
    session.commit()
    page = client.get(f"/imports/{job}").text
    assert "interrupted" in page and "nothing was imported" in page
    assert session.exec(select(Contact.id)).first() is None
    session.execute(update(jobs.Job).values(status="done"))  # the dead one is history
    client.post(f"/imports/{job}/run", data={})
    assert run_jobs() == 1 and len(session.exec(select(Contact.id)).all()) == 3000

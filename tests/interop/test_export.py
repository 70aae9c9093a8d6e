"""Export everything: CSV with headers, JSON, documents; never another's private activity."""

import csv
import io
import json
import zipfile

from app.documents.service import attach
from tests.factories import upload


def _zip(client) -> zipfile.ZipFile:
    r = client.get("/export/everything.zip")
    assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
    return zipfile.ZipFile(io.BytesIO(r.content))


def _csv(archive, name) -> list[dict]:
    return list(csv.DictReader(io.StringIO(archive.read(name).decode("utf-8-sig"))))


def test_a_sellers_export_holds_what_they_see_and_no_colleagues_private_activity(
    client_for, seller, other_seller, admin, make_contact, make_activity, make_deal, session, store
):
    contact = make_contact("Zoé Petit", notes='=HYPERLINK("http://evil")')
    make_activity(seller, contact, text="Team call")
    make_activity(seller, contact, text="My private note", visibility="private")
    secret = make_activity(other_seller, contact, text="Their private note", visibility="private")
    attach(
        session, other_seller, store, upload("secret.pdf", b"%PDF secret"), "other", activity=secret
    )
    deal = make_deal("Ovens", contact_id=contact.id)
    attach(session, seller, store, upload("devis.pdf", b"%PDF v1"), "quote", deal=deal)

    archive = _zip(client_for(seller))
    names = set(archive.namelist())
    assert {
        "organizations.csv",
        "contacts.csv",
        "deals.csv",
        "activities.csv",
        "carnet.json",
    } <= names
    texts = {a["text"] for a in _csv(archive, "activities.csv")}
    assert texts == {"Team call", "My private note"}
    assert "Their private note" not in archive.read("carnet.json").decode()
    assert not any("secret.pdf" in n for n in names)
    assert any(n.endswith("v1-devis.pdf") for n in names)
    [row] = _csv(archive, "contacts.csv")
    assert row["name"] == "Zoé Petit" and row["notes"].startswith("'=HYPERLINK")
    data = json.loads(archive.read("carnet.json"))
    assert data["data"]["deals"][0]["title"] == "Ovens"

    admin_archive = _zip(client_for(admin))
    admin_texts = {a["text"] for a in _csv(admin_archive, "activities.csv")}
    assert admin_texts == {"Team call"}


def test_a_manager_exports_nothing(client_for, manager):
    assert client_for(manager).get("/export/everything.zip").status_code == 403

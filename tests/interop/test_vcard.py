"""vCard in and out: versions 3 and 4, a round trip, broken files refused whole."""

import vobject
from sqlmodel import select

from app.customers.models import Contact, Organization

V3 = """BEGIN:VCARD
VERSION:3.0
N:Durand;Hélène;;;
FN:Hélène Durand
ORG:Boulangerie Dupont
TITLE:Gérante
EMAIL;TYPE=INTERNET,WORK:helene@dupont.test
TEL;TYPE=CELL:+33 6 12 34 56 78
NOTE:Prefers mornings\\, not Mondays
CATEGORIES:bakery,vip
END:VCARD
BEGIN:VCARD
VERSION:3.0
N:Petit;Marc;;;
FN:Marc Petit
ORG:Boulangerie Dupont
END:VCARD
"""

V4 = "\r\n".join(
    [
        "BEGIN:VCARD",
        "VERSION:4.0",
        "FN:Zoé Martin",
        "EMAIL:zoe@martin.test",
        "LANG:fr",
        "END:VCARD",
        "",
    ]
)


def _import(client, text: str, name="cards.vcf", encoding="utf-8"):
    return client.post("/import/vcard", files={"file": (name, text.encode(encoding), "text/vcard")})


def test_a_multi_contact_vcard_3_file_imports_with_its_organization(client_for, seller, session):
    r = _import(client_for(seller), V3)
    assert r.status_code == 200 and "2 contacts created" in r.text
    helene = session.exec(select(Contact).where(Contact.email == "helene@dupont.test")).one()
    org = session.get(Organization, helene.organization_id)
    assert (helene.name, helene.title, helene.phone, org.name) == (
        "Hélène Durand",
        "Gérante",
        "+33 6 12 34 56 78",
        "Boulangerie Dupont",
    )
    assert helene.notes == "Prefers mornings, not Mondays" and helene.tags == "bakery, vip"
    assert len(session.exec(select(Organization)).all()) == 1


def test_a_vcard_4_in_windows_1252_imports(client_for, seller, session):
    r = _import(client_for(seller), V4.replace("Zoé", "Zoé"), encoding="cp1252")
    assert r.status_code == 200
    zoe = session.exec(select(Contact)).one()
    assert (zoe.name, zoe.language) == ("Zoé Martin", "fr")


def test_round_trip_export_then_import_skips_what_exists(client_for, seller, session):
    client = client_for(seller)
    _import(client, V3)
    exported = client.get("/export/contacts.vcf")
    assert exported.headers["content-type"].startswith("text/vcard")
    cards = list(vobject.readComponents(exported.text))
    assert {c.fn.value for c in cards} == {"Hélène Durand", "Marc Petit"}
    helene = next(c for c in cards if c.fn.value == "Hélène Durand")
    assert helene.version.value == "4.0" and helene.email.value == "helene@dupont.test"
    assert (
        helene.org.value == ["Boulangerie Dupont"]
        and helene.note.value == "Prefers mornings, not Mondays"
    )
    again = _import(client, exported.text)
    assert "1 contact created" in again.text  # Marc has no email: nothing tells he is the same
    assert "a contact with this email exists" in again.text
    one = client.get(f"/contacts/{session.exec(select(Contact.id)).first()}/vcard")
    assert one.status_code == 200 and one.text.count("BEGIN:VCARD") == 1


def test_a_broken_file_creates_nothing_and_says_where(client_for, seller, session):
    broken = V3.replace("FN:Marc Petit", "FN Marc Petit")
    r = _import(client_for(seller), broken)
    assert r.status_code == 400 and "not a valid vCard file" in r.text
    assert session.exec(select(Contact)).first() is None
    for bad in ("", "hello", "BEGIN:VCARD\nVERSION:3.0\nEND:VCARD\n"):
        r = _import(client_for(seller), bad)
        assert r.status_code == 400
    assert session.exec(select(Contact)).first() is None


def test_a_manager_cannot_export_vcards(client_for, manager):
    assert client_for(manager).get("/export/contacts.vcf").status_code == 403


def test_the_export_holds_every_contact_the_search_shows_not_a_first_thousand(
    client_for, seller, make_contact, monkeypatch
):
    from app.interop.exports import vcard

    monkeypatch.setattr(vcard, "PAGE", 2)  # five pages of two, as 1 000s of 100 would be
    for n in range(9):
        make_contact(f"Client {n}")
    make_contact("Someone Else")
    exported = client_for(seller).get("/export/contacts.vcf", params={"q": "client"})
    assert exported.headers["content-disposition"] == 'attachment; filename="contacts.vcf"'
    names = sorted(c.fn.value for c in vobject.readComponents(exported.text))
    assert names == [f"Client {n}" for n in range(9)]

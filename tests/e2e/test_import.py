"""A seller imports a CSV with French headers, a duplicate of a known contact and two bad
rows: the mapping is guessed, the preview shows the bad rows, the duplicate is merged,
and the report matches."""

from sqlmodel import select

from app.auth.service import create_user
from app.customers.models import Contact, ContactCreate
from app.customers.service import create_contact
from tests.e2e.conftest import ARTIFACTS
from tests.factories import PASSWORD

CSV = (
    "Prénom;Nom de famille;Courriel;Téléphone;Société\r\n"
    "Hélène;Durand;helene@dupont.test;06 12 34 56 78;Boulangerie Dupont\r\n"
    "Marc;Petit;marc@dupont.test;;Boulangerie Dupont\r\n"
    ";;sans-nom@dupont.test;;\r\n"
    "Zoé;Martin;pas-un-email;;\r\n"
    "Inès;Roux;ines@roux.test;07 00 11 22 33;Fournil Roux\r\n"
)


def test_a_french_csv_import_in_the_browser(live_server, db, page, tmp_path):
    base, _engine = live_server
    seller = create_user(db, email="imp@example.test", name="Ima", password=PASSWORD)
    known = create_contact(db, seller, ContactCreate(name="Inès Roux", email="ines@roux.test"))
    db.rollback()
    path = tmp_path / "contacts.csv"
    path.write_bytes(CSV.encode("cp1252"))

    page.goto(f"{base}/login")
    page.fill("#f-email", seller.email)
    page.fill("#f-password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/today")
    page.goto(f"{base}/imports")
    page.select_option("#f-entity", "contacts")
    page.set_input_files("#f-file", str(path))
    page.get_by_role("button", name="Continue").click()
    page.wait_for_selector("#mapping-form")

    guessed = {
        page.locator(f"#column-{i}").get_attribute("data-header"): page.locator(
            f"#column-{i}"
        ).input_value()
        for i in range(5)
    }
    assert guessed == {
        "Prénom": "first_name",
        "Nom de famille": "last_name",
        "Courriel": "email",
        "Téléphone": "phone",
        "Société": "organization",
    }
    assert page.locator("#invalid-count").inner_text().startswith("2 rows have a problem")
    errors = page.locator(".row-errors").inner_text()
    assert "Line 4" in errors and "Line 5" in errors and "pas-un-email" in errors
    group = page.locator(".duplicate-group")
    assert group.count() == 1 and "Already in Carnet: Inès Roux" in group.inner_text()
    group.locator("select").select_option("merge")
    page.screenshot(path=str(ARTIFACTS / "import-preview.png"), full_page=True)
    page.locator("#run-import").click()

    report = page.locator("#import-report")
    report.wait_for()
    assert page.locator("#count-created").inner_text() == "2 created"
    assert page.locator("#count-merged").inner_text() == "1 merged"
    assert page.locator("#count-invalid").inner_text() == "2 rows left out (problems)"
    db.rollback()
    merged = db.get(Contact, known.id)
    assert merged.phone == "07 00 11 22 33"
    names = sorted(c.name for c in db.exec(select(Contact).where(Contact.owner_id == seller.id)))
    assert names == ["Hélène Durand", "Inès Roux", "Marc Petit"]

"""A seller imports a CSV with French headers (Nom;Prénom), a duplicate of a known contact
and bad rows: the mapping is guessed, the preview and the report say which rows are left
out and why, the duplicate is merged and counted, and each page reads at 1280 and 375 px."""

from pathlib import Path

from sqlmodel import select

from app.auth.service import create_user
from app.customers.models import Contact, ContactCreate
from app.customers.service import create_contact
from tests.e2e.conftest import ARTIFACTS
from tests.factories import PASSWORD

AXE = Path(__file__).parent / "vendor" / "axe.min.js"

CSV = (
    "Nom;Prénom;Courriel;Téléphone;Société\r\n"
    "Durand;Hélène;helene@dupont.test;06 12 34 56 78;Boulangerie Dupont\r\n"
    "Petit;Marc;marc@dupont.test;;Boulangerie Dupont\r\n"
    ";;sans-nom@dupont.test;;\r\n"
    "Martin;Zoé;pas-un-email@;;\r\n"
    "Roux;Inès;ines@roux.test;07 00 11 22 33;Fournil Roux\r\n"
    "Blanc;Paul;paul@blanc.test;abc;\r\n"
)


def _looked_at(page, name: str) -> None:
    """Screenshots at 1280 and 375 px; nothing wider than the screen, no serious or
    critical axe violation (axe is injected, hence bypass_csp on the context)."""
    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(ARTIFACTS / f"{name}-{width}px.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= width, (name, width)
        page.add_script_tag(path=str(AXE))
        found = page.evaluate(
            "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
            ".filter(v => ['serious', 'critical'].includes(v.impact)).map(v => v.id)"
        )
        assert found == [], (name, width, found)
    page.set_viewport_size({"width": 1280, "height": 900})


def test_a_french_csv_import_in_the_browser(live_server, db, browser, tmp_path):
    base, _engine = live_server
    seller = create_user(db, email="imp@example.test", name="Ima", password=PASSWORD)
    known = create_contact(db, seller, ContactCreate(name="Inès Roux", email="ines@roux.test"))
    db.rollback()
    path = tmp_path / "contacts.csv"
    path.write_bytes(CSV.encode("cp1252"))
    context = browser.new_context(locale="en-GB", timezone_id="Europe/Paris", bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(20_000)

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
        "Nom": "last_name",
        "Prénom": "first_name",
        "Courriel": "email",
        "Téléphone": "phone",
        "Société": "organization",
    }
    assert page.locator("#invalid-count").inner_text().startswith("3 rows have a problem")
    errors = page.locator(".row-errors li").all_inner_texts()
    assert errors == [
        "Line 4: The name is missing.",
        "Line 5: “pas-un-email@” is not an email address.",
        "Line 7: “abc” is not a phone number.",
    ]
    group = page.locator(".duplicate-group")
    assert group.count() == 1 and "Already in Carnet: Inès Roux" in group.inner_text()
    group.locator("select").select_option("merge")
    _looked_at(page, "import-preview")
    page.locator("#run-import").click()

    report = page.locator("#import-report")
    report.wait_for()
    assert page.locator("#count-created").inner_text() == "2 created"
    assert page.locator("#count-merged").inner_text() == "1 row merged"
    assert page.locator("#count-invalid").inner_text() == "3 rows left out (problems)"
    assert page.locator("#left-out li").all_inner_texts() == errors
    assert "Inès Roux — line 6 (already in Carnet)" in page.locator("#merged-rows").inner_text()
    _looked_at(page, "import-report")
    db.rollback()
    merged = db.get(Contact, known.id)
    assert merged.phone == "07 00 11 22 33"
    names = sorted(c.name for c in db.exec(select(Contact).where(Contact.owner_id == seller.id)))
    assert names == ["Hélène Durand", "Inès Roux", "Marc Petit"]
    context.close()

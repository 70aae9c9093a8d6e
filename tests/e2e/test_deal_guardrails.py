"""A seller moves a deal to "Quote sent" without a quote, is told exactly what is missing,
uploads it in place, the move completes; a second version keeps the first; the board moves
a deal by drag and drop."""

from sqlmodel import select

from app.auth.service import create_user
from app.customers.models import ContactCreate, OrganizationCreate
from app.customers.service import create_contact, create_organization
from app.deals.models import DealCreate
from app.deals.service import create_deal
from app.documents.models import Document
from tests.e2e.conftest import ARTIFACTS
from tests.factories import PASSWORD


def _login(page, base, email):
    page.goto(f"{base}/login")
    page.fill("#f-email", email)
    page.fill("#f-password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/today")


def test_a_seller_completes_a_guarded_move_by_uploading_the_quote_in_place(
    live_server, db, page, tmp_path
):
    base, _engine = live_server
    seller = create_user(db, email="sam@example.test", name="Sam", password=PASSWORD)
    org = create_organization(db, seller, OrganizationCreate(name="Fournil Martin"))
    contact = create_contact(db, seller, ContactCreate(name="Inès Martin", organization_id=org.id))
    deal = create_deal(db, seller, DealCreate(title="Four à pain", contact_id=contact.id), "EUR")
    db.rollback()
    first = tmp_path / "devis.pdf"
    first.write_bytes(b"%PDF-1.4 first quote")
    second = tmp_path / "devis-v2.pdf"
    second.write_bytes(b"%PDF-1.4 second quote, 5% off")

    _login(page, base, seller.email)
    page.goto(f"{base}/deals/{deal.id}")
    page.select_option("#f-move-stage", label="Quote sent — needs a current quote document")
    page.get_by_role("button", name="Move", exact=True).click()

    form = page.locator("#move-form")
    form.wait_for()
    missing = form.locator("ul.missing").inner_text()
    assert missing.strip() == "a current quote document"
    assert form.locator("input[type=file][name=quote]").is_visible()
    assert form.locator("input[name=amount]").count() == 0
    form.locator("input[name=quote]").set_input_files(str(first))
    form.get_by_role("button", name="Save and move").click()

    page.wait_for_url(f"{base}/deals/{deal.id}")
    assert page.locator("#deal-stage").inner_text() == "Quote sent"
    assert page.locator("#move-form").count() == 0

    db.rollback()  # end the test's read snapshot, to see what the server wrote
    document = db.exec(select(Document).where(Document.deal_id == deal.id)).one()
    page.locator(f"#f-version-{document.id}").set_input_files(str(second))
    page.locator(f"#f-version-{document.id}").locator("xpath=..").get_by_role(
        "button", name="Upload"
    ).click()
    page.wait_for_url(f"{base}/deals/{deal.id}#documents")

    versions = page.locator("#documents .versions").inner_text()
    assert "v2 · devis-v2.pdf" in versions and "v1 · devis.pdf" in versions
    assert versions.index("v2 · devis-v2.pdf") < versions.index("v1 · devis.pdf")
    assert page.locator("#documents .version.current").inner_text().startswith("v2 · devis-v2.pdf")
    history = page.locator("#history").inner_text()
    assert "Lead → Quote sent" in history
    assert "devis.pdf (v1)" in history and "devis-v2.pdf (v2)" in history

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "deal-page.png"), full_page=True)
    page.set_viewport_size({"width": 375, "height": 740})
    for path in (f"/deals/{deal.id}", "/deals/board", "/deals"):
        page.goto(base + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, f"{path} is {width}px wide on a 375px screen"


def test_a_card_dragged_to_another_column_moves_the_deal(live_server, db, page):
    base, _engine = live_server
    seller = create_user(db, email="drag@example.test", name="Dora", password=PASSWORD)
    deal = create_deal(db, seller, DealCreate(title="Pétrin"), "EUR")
    db.rollback()
    _login(page, base, seller.email)
    page.goto(f"{base}/deals/board")
    card = page.locator(f".deal-card[data-deal-id='{deal.id}']")
    target = page.locator(".board-column", has=page.get_by_role("heading", name="Qualified"))
    card.drag_to(target)
    target.locator(f".deal-card[data-deal-id='{deal.id}']").wait_for()
    page.screenshot(path=str(ARTIFACTS / "board.png"), full_page=True)

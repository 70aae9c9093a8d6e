"""A seller logs a call with a next step using only the keyboard, then sees it on Today."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_date
from sqlmodel import select

from app.auth.service import create_user
from app.customers.models import Contact, ContactCreate, OrganizationCreate
from app.customers.service import create_contact, create_organization
from tests.e2e.conftest import ARTIFACTS
from tests.factories import PASSWORD


def _seller_with_customers(db, email="lea@example.test"):
    seller = create_user(db, email=email, name="Léa", password=PASSWORD)
    org = create_organization(db, seller, OrganizationCreate(name="Boulangerie Dupont"))
    create_contact(db, seller, ContactCreate(name="Hélène Durand", organization_id=org.id))
    create_contact(db, seller, ContactCreate(name="Marc Petit", organization_id=org.id))
    return seller


def test_a_seller_logs_a_call_with_a_next_step_using_only_the_keyboard(live_server, db, page):
    base, _engine = live_server
    seller = _seller_with_customers(db)

    page.goto(f"{base}/login")
    # The email field takes focus on load; Chromium applies autofocus at its next frame,
    # which a busy machine can delay past the first keystrokes.
    page.wait_for_function("document.activeElement && document.activeElement.id === 'f-email'")
    page.keyboard.type(seller.email)  # the email field has focus on load
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/today")
    assert page.get_by_role("heading", name="Nothing on your list yet").is_visible()

    page.keyboard.press("n")
    dialog = page.locator("dialog#quick-entry")
    dialog.wait_for(state="visible")
    assert page.evaluate("document.activeElement.id") == "qe-contact"

    page.keyboard.type("hel")  # three letters, no accent: finds Hélène
    option = page.locator("#qe-suggestions [role=option]").first
    option.wait_for(state="visible")
    assert "Hélène Durand" in option.inner_text()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "qe-text"
    page.keyboard.type("Discussed the new bread oven")
    page.keyboard.press("Tab")
    page.keyboard.type("Send the quote")
    page.keyboard.press("Tab")
    page.keyboard.type("+3d")
    page.keyboard.press("Enter")

    dialog.wait_for(state="hidden")
    soon = page.locator("section.follow-ups.soon")
    soon.get_by_text("Send the quote").wait_for()
    # "+3d" counts from the seller's day (Europe/Paris), not the machine's (UTC)
    due = datetime.now(ZoneInfo("Europe/Paris")).date() + timedelta(days=3)
    assert "Hélène Durand" in soon.inner_text()
    assert format_date(due, "EEE d MMM", locale="en") in soon.inner_text()
    assert "Discussed the new bread oven" in page.locator(".timeline").inner_text()


def test_pages_fit_a_phone_screen(live_server, db, page):
    base, _engine = live_server
    # Its own seller: with several test processes, this test may run without the one above.
    _seller_with_customers(db, "lea-phone@example.test")
    contact_id = db.exec(select(Contact.id).where(Contact.name == "Marc Petit")).first()
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(f"{base}/login")
    page.fill("#f-email", "lea-phone@example.test")
    page.fill("#f-password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/today")
    for path in ("/today", "/contacts", f"/contacts/{contact_id}", "/activities/new"):
        page.goto(base + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, f"{path} is {width}px wide on a 375px screen"
    ARTIFACTS.mkdir(exist_ok=True)
    page.goto(f"{base}/today")
    page.screenshot(path=str(ARTIFACTS / "today-375px.png"), full_page=True)


def _sign_in(page, base, email):
    page.goto(f"{base}/login")
    page.fill("#f-email", email)
    page.fill("#f-password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/today")


def test_n_on_a_contact_page_logs_on_that_contact(live_server, db, page):
    from playwright.sync_api import expect

    base, _engine = live_server
    seller = _seller_with_customers(db, "nadia-page@example.test")
    contact = db.exec(select(Contact).where(Contact.name == "Marc Petit")).first()
    db.rollback()
    _sign_in(page, base, seller.email)
    page.goto(f"{base}/contacts/{contact.id}")
    page.keyboard.press("n")
    expect(page.locator("#qe-text")).to_be_focused()
    assert page.locator("#qe-contact").input_value() == "Marc Petit"
    page.keyboard.type("Called from his page")
    page.keyboard.press("Enter")
    page.locator("dialog#quick-entry").wait_for(state="hidden")
    page.get_by_text("Called from his page").wait_for()


def test_quick_entry_creates_the_contact_it_does_not_find_without_leaving_the_dialog(
    live_server, db, page
):
    from playwright.sync_api import expect

    base, _engine = live_server
    seller = _seller_with_customers(db, "nadia-new@example.test")
    db.rollback()
    _sign_in(page, base, seller.email)
    page.keyboard.press("n")
    page.keyboard.type("Nadia Sow")
    create = page.locator("#qe-suggestions [role=option][data-create]")
    create.wait_for()
    assert "Create “Nadia Sow”" in create.inner_text()
    page.keyboard.press("Enter")  # no match: the first option creates
    expect(page.locator("#qe-new-org")).to_be_focused()
    assert page.locator("#qe-new-name").input_value() == "Nadia Sow"
    page.keyboard.type("boulangerie dupont")  # found whatever its case
    page.locator("#qe-text").fill("First call, wants a visit")
    page.locator("#qe-text").press("Enter")
    page.locator("dialog#quick-entry").wait_for(state="hidden")
    db.rollback()
    nadia = db.exec(select(Contact).where(Contact.name == "Nadia Sow")).one()
    dupont = db.exec(select(Contact).where(Contact.name == "Hélène Durand")).first()
    assert nadia.organization_id == dupont.organization_id

"""A customer answers a survey on a phone; the seller sees it on the contact and in their
reports; the team average appears to the manager only once 3 sellers contribute."""

from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlmodel import update

from app.auth.service import create_user
from app.customers.models import ContactCreate, OrganizationCreate
from app.customers.service import create_contact, create_organization
from app.satisfaction.models import SurveyTally
from app.satisfaction.service import create_link, token_of
from tests.e2e.conftest import ARTIFACTS
from tests.factories import PASSWORD

AXE = Path(__file__).parent / "vendor" / "axe.min.js"


def _login(page, base, email):
    page.goto(f"{base}/login")
    page.fill("#f-email", email)
    page.fill("#f-password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def _a_month_later(db):
    """Team figures count months that are over: file this month's answers under the last."""
    last = (date.today().replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    db.rollback()  # a fresh snapshot: the server has written since
    db.exec(update(SurveyTally).values(month=last))
    db.commit()


def _answer(page, base, token, score, comment=""):
    page.goto(f"{base}/s/{token}")
    page.locator(f"label.score:has(input[value='{score}'])").click()
    if comment:
        page.fill("#f-comment", comment)
    page.get_by_role("button").click()
    page.wait_for_load_state()


def test_a_customer_answers_on_a_phone_and_only_a_team_of_three_shows_an_average(
    live_server, db, browser
):
    base, _engine = live_server
    secret = "e2e"
    sellers = [
        create_user(db, email=f"v{i}@example.test", name=f"Vendeur {i}", password=PASSWORD)
        for i in range(3)
    ]
    manager = create_user(
        db,
        email="boss@example.test",
        name="Boss",
        password=PASSWORD,
        is_seller=False,
        is_manager=True,
    )
    tokens = []
    for i, seller in enumerate(sellers):
        contact = create_contact(
            db, seller, ContactCreate(name=f"Client {i}", language="fr" if i == 0 else "en")
        )
        tokens.append((contact.id, token_of(secret, create_link(db, seller, contact, "csat"))))
    db.rollback()

    phone = browser.new_context(
        viewport={"width": 375, "height": 740}, locale="en-GB", is_mobile=True, has_touch=True
    )
    customer = phone.new_page()
    customer.goto(f"{base}/s/{tokens[0][1]}")
    assert "Êtes-vous satisfait" in customer.locator("h1").inner_text()
    assert customer.evaluate("document.documentElement.scrollWidth") <= 375
    ARTIFACTS.mkdir(exist_ok=True)
    customer.screenshot(path=str(ARTIFACTS / "survey-375px.png"), full_page=True)
    _answer(customer, base, tokens[0][1], 5, "Parfait, merci")
    assert customer.locator("h1").inner_text() == "Merci !"
    assert customer.evaluate("document.documentElement.scrollWidth") <= 375

    seller_ctx = browser.new_context(locale="en-GB", timezone_id="Europe/Paris")
    seller_page = seller_ctx.new_page()
    _login(seller_page, base, sellers[0].email)
    seller_page.goto(f"{base}/contacts/{tokens[0][0]}")
    feedback = seller_page.locator("#surveys").inner_text()
    assert "5/5" in feedback and "Parfait, merci" in feedback
    seller_page.goto(f"{base}/reports")
    assert seller_page.locator("#kpi-csat").inner_text() == "5.0"
    seller_page.screenshot(path=str(ARTIFACTS / "seller-reports.png"), full_page=True)

    boss_ctx = browser.new_context(locale="en-GB", timezone_id="Europe/Paris")
    boss = boss_ctx.new_page()
    _login(boss, base, manager.email)
    boss.goto(f"{base}/reports/team")
    assert "5" not in boss.locator("#table-csat tfoot").inner_text()  # this month: not yet
    _a_month_later(db)
    boss.reload()
    csat = boss.locator("#table-csat tfoot").inner_text()
    assert "fewer than 3 contributors" in csat or "hidden" in csat
    assert "5.0" not in csat and "5" not in csat.split("Total")[1].replace("fewer than 3", "")

    _answer(customer, base, tokens[1][1], 4)
    _a_month_later(db)
    boss.reload()
    assert "4.5" not in boss.locator("#table-csat tfoot").inner_text()

    _answer(customer, base, tokens[2][1], 3)
    _a_month_later(db)
    boss.reload()
    total = boss.locator("#table-csat tfoot").inner_text()
    assert "4" in total and "3" in total  # the average (4) over 3 answers now shows
    assert "fewer than" not in total
    boss.screenshot(path=str(ARTIFACTS / "team-outcomes.png"), full_page=True)
    for ctx in (phone, seller_ctx, boss_ctx):
        ctx.close()


@pytest.mark.parametrize("kind", ["csat", "nps"])
def test_the_survey_is_answered_with_a_thumb_at_any_width(live_server, db, browser, kind):
    """Big score buttons that wrap into even rows, the company and the seller named, nothing
    wider than the screen, no serious accessibility problem: at 320, 375 and 1280 px."""
    base, _engine = live_server
    seller = create_user(
        db, email=f"marie-{kind}@example.test", name="Marie Martin", password=PASSWORD
    )
    org = create_organization(db, seller, OrganizationCreate(name="Boulangerie Dupont"))
    contact = create_contact(
        db, seller, ContactCreate(name="Hélène Durand", organization_id=org.id, language="en")
    )
    token = token_of("e2e", create_link(db, seller, contact, kind))
    db.rollback()
    phone = browser.new_context(locale="en-GB", is_mobile=True, has_touch=True, bypass_csp=True)
    customer = phone.new_page()
    customer.goto(f"{base}/s/{token}")
    said = customer.locator("#survey-from").inner_text()
    assert said == "Boulangerie Dupont — your contact: Marie Martin"
    assert seller.email not in customer.content()
    for width in (320, 375, 1280):
        customer.set_viewport_size({"width": width, "height": 800})
        customer.screenshot(path=str(ARTIFACTS / f"survey-{kind}-{width}px.png"), full_page=True)
        assert customer.evaluate("document.documentElement.scrollWidth") <= width, width
        boxes = [b.bounding_box() for b in customer.locator("label.score span").all()]
        assert len(boxes) == (5 if kind == "csat" else 11)
        assert all(b["width"] >= 44 and b["height"] >= 44 for b in boxes), (width, boxes)
        rows = {}
        for b in boxes:
            rows.setdefault(round(b["y"]), []).append(b)
        sizes = [len(r) for r in rows.values()]
        # Even rows: never a lone button left on the last one.
        assert len(sizes) <= 3 and sizes[-1] >= sizes[0] - 1, (width, sizes)
        customer.add_script_tag(path=str(AXE))
        found = customer.evaluate(
            "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
            ".filter(v => ['serious', 'critical'].includes(v.impact)).map(v => v.id)"
        )
        assert found == [], (width, found)
    customer.set_viewport_size({"width": 320, "height": 800})
    _answer(customer, base, token, 5 if kind == "csat" else 10)
    assert customer.locator("h1").inner_text() == "Thank you!"
    phone.close()

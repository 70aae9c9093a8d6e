"""Every main page, on the demo data, looked at in Chromium at 1280 px and 375 px, as the
role that uses it: a screenshot of each, no serious or critical axe-core violation, nothing
wider than the screen."""

import pytest
from sqlalchemy import update
from sqlmodel import select

from app.auth.models import User
from app.customers.models import Contact, Organization
from app.deals.models import Deal
from app.demo import load_demo
from app.interop.imports.models import ImportJob
from app.satisfaction.service import create_link, token_of
from tests.e2e.conftest import ARTIFACTS, serious_violations

WIDTHS = (1280, 375)


@pytest.fixture(scope="module")
def demo(live_server):
    """The demo team and customers, once for the module: (accounts by role, a few ids)."""
    _base, engine = live_server
    from sqlmodel import Session

    with Session(engine, expire_on_commit=False) as session:
        accounts = load_demo(session)
        session.commit()
        seller_email = next(a[0] for a in accounts if a[2] == "seller")
        seller = session.exec(select(User).where(User.email == seller_email)).one()
        contact = session.exec(
            select(Contact).where(Contact.owner_id == seller.id).order_by(Contact.id)
        ).first()
        org = session.exec(select(Organization).order_by(Organization.id)).first()
        deal = session.exec(
            select(Deal).where(Deal.owner_id == seller.id).order_by(Deal.id)
        ).first()
        token = token_of("e2e", create_link(session, seller, contact, "nps"))
    return {role: (email, password) for email, password, role in accounts}, {
        "contact": contact.id,
        "organization": org.id,
        "deal": deal.id,
        "survey": token,
    }


def _signed_in(browser, base, account, width):
    # The app's CSP allows no inline script; axe is injected as one, for the test only.
    context = browser.new_context(locale="en-GB", timezone_id="Europe/Paris", bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.set_viewport_size({"width": width, "height": 900})
    if account:
        email, password = account
        page.goto(f"{base}/login")
        page.fill("#f-email", email)
        page.fill("#f-password", password)
        page.click("button[type=submit]")
        page.wait_for_load_state()
    return context, page


def _import_preview(base, page, tmp_path) -> str:
    path = tmp_path / "people.csv"
    path.write_text("Nom;Prénom;Email\nDurand;Anne;anne@example.test\nPetit;Marc;pas-un-email@\n")
    page.goto(f"{base}/imports")
    page.set_input_files("#f-file", str(path))
    page.get_by_role("button", name="Continue").click()
    page.wait_for_selector("#mapping-form")
    return page.url.removeprefix(base)


def _look(page, base, path, name, width) -> list[str]:
    page.goto(base + path)
    page.wait_for_load_state()
    page.screenshot(path=str(ARTIFACTS / f"axe-{name}-{width}px.png"), full_page=True)
    found = serious_violations(page)
    if page.evaluate("document.documentElement.scrollWidth") > width:
        found.append("wider than the screen")
    return found


@pytest.mark.parametrize("width", WIDTHS)
def test_main_pages_have_no_serious_accessibility_violation(
    live_server, browser, demo, width, tmp_path
):
    base, engine = live_server
    accounts, ids = demo
    seller_pages = {
        "today": "/today",
        "contacts": "/contacts",
        "contact": f"/contacts/{ids['contact']}",
        "organization": f"/organizations/{ids['organization']}",
        "new-organization": "/organizations/new",
        "board": "/deals/board",
        "deal": f"/deals/{ids['deal']}",
        "my-reports": "/reports",
        "account": "/account",
        "mail": "/mail",
        "mail-to-file": "/mail/to-file",
        "write-mail": f"/mail/compose?deal_id={ids['deal']}",
    }
    problems = {}
    context, page = _signed_in(browser, base, accounts["seller"], width)
    for name, path in seller_pages.items():
        problems[name] = _look(page, base, path, name, width)
    preview = _import_preview(base, page, tmp_path)
    problems["import-preview"] = _look(page, base, preview, "import-preview", width)
    with engine.begin() as conn:  # that import, as a restart would leave it
        job_id = int(preview.rstrip("/").split("/")[-1])
        conn.execute(update(ImportJob).where(ImportJob.id == job_id).values(status="interrupted"))
    problems["import-interrupted"] = _look(page, base, preview, "import-interrupted", width)
    context.close()
    for role, name, path in [
        ("manager", "team-outcomes", "/reports/team"),
        ("admin", "admin-accounts", "/admin/users"),
        ("admin", "admin-mail-templates", "/admin/mail-templates"),
        (None, "survey", f"/s/{ids['survey']}"),
    ]:
        context, page = _signed_in(browser, base, accounts.get(role), width)
        problems[name] = _look(page, base, path, name, width)
        context.close()
    assert {name: found for name, found in problems.items() if found} == {}

"""Every main page, looked at in Chromium at 1280 px and 375 px: a screenshot of each, no
serious or critical axe-core violation, nothing wider than the screen."""

from pathlib import Path

import pytest
from sqlalchemy import update

from app.auth.service import create_user
from app.customers.models import ContactCreate
from app.customers.service import create_contact
from app.interop.imports.models import ImportJob
from tests.e2e.conftest import ARTIFACTS
from tests.factories import PASSWORD

AXE = Path(__file__).parent / "vendor" / "axe.min.js"  # axe-core 4.14.1, MPL-2.0
PAGES = ["/today", "/contacts", "/deals/board", "/imports", "/account", "/reports/mine"]


@pytest.fixture(params=[1280, 375])
def seller_page(request, live_server, db, browser):
    base, _engine = live_server
    email = f"axe{request.param}@example.test"
    seller = create_user(db, email=email, name="Axel", password=PASSWORD)
    create_contact(db, seller, ContactCreate(name="Hélène Durand"))
    db.rollback()
    # The app's CSP allows no inline script; axe is injected as one, for the test only.
    context = browser.new_context(locale="en-GB", timezone_id="Europe/Paris", bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{base}/login")
    page.fill("#f-email", seller.email)
    page.fill("#f-password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/today")
    page.set_viewport_size({"width": request.param, "height": 900})
    yield base, page, request.param
    context.close()


def _violations(page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".filter(v => ['serious', 'critical'].includes(v.impact))"
        ".map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).slice(0, 3).join(', '))"
    )
    return found


def _import_pages(base, page, tmp_path) -> list[str]:
    """The import's own states: the mapping, and an import that was interrupted."""
    path = tmp_path / "people.csv"
    path.write_text("Name,Email\nAnne,anne@example.test\n")
    page.goto(f"{base}/imports")
    page.set_input_files("#f-file", str(path))
    page.get_by_role("button", name="Continue").click()
    page.wait_for_selector("#mapping-form")
    return [page.url.removeprefix(base)]


def test_main_pages_have_no_serious_accessibility_violation(seller_page, tmp_path, live_server):
    base, page, width = seller_page
    _base, engine = live_server
    paths = PAGES + _import_pages(base, page, tmp_path)
    with engine.begin() as conn:  # that import, as a restart would leave it
        conn.execute(
            update(ImportJob)
            .where(ImportJob.id == int(paths[-1].split("/")[-1]))
            .values(status="interrupted")
        )
    problems = {}
    for path in paths:
        page.goto(base + path)
        name = path.strip("/").replace("/", "-") or "home"
        page.screenshot(path=str(ARTIFACTS / f"axe-{name}-{width}px.png"), full_page=True)
        found = _violations(page)
        wide = page.evaluate("document.documentElement.scrollWidth") > width
        if found or wide:
            problems[path] = found + (["wider than the screen"] if wide else [])
    assert problems == {}

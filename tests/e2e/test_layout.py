"""The layout in Chromium: made for a phone at 375 px (a bottom bar, big enough targets,
nothing wider than the screen), one navigation line at 1280 px, no keyboard hints on a touch
screen, focus where the user must act. Screenshots go to test-artifacts/layout-*.png."""

from decimal import Decimal

import pytest

from app.activities.models import ActivityCreate
from app.activities.service import log_activity
from app.auth.service import create_user
from app.customers.models import ContactCreate, OrganizationCreate
from app.customers.service import create_contact, create_organization
from app.deals.models import DealCreate
from app.deals.service import create_deal
from tests.e2e.conftest import ARTIFACTS, serious_violations
from tests.factories import PASSWORD

MIN_TARGET = 44  # px, WCAG 2.5.5 (AAA) and the platforms' own guidance for a thumb
BOTTOM_BAR = ["Today", "Contacts", "Log", "Pipeline", "More"]


def _seller_with_a_week(db, email):
    """A seller with a customer, a deal and a follow-up, so every page has rows to lay out."""
    seller = create_user(db, email=email, name="Léa", password=PASSWORD)
    org = create_organization(db, seller, OrganizationCreate(name="Boulangerie Dupont et Fils"))
    contact = create_contact(
        db,
        seller,
        ContactCreate(
            name="Hélène Durand-Lefèvre",
            organization_id=org.id,
            email="helene.durand-lefevre@boulangerie-dupont.example",
            phone="+33 6 12 34 56 78",
            title="Directrice des achats",
        ),
    )
    create_deal(
        db,
        seller,
        DealCreate(title="Four à pain", organization_id=org.id, amount=Decimal("12500")),
        "EUR",
    )
    log_activity(
        db,
        seller,
        ActivityCreate(
            contact_id=contact.id,
            text="Talked ovens",
            next_step="Send the quote",
            next_step_due="+0d",
        ),
    )
    db.commit()
    return seller, contact


def _log_in(browser, base, email, width, **context):
    ctx = browser.new_context(
        locale="en-GB",
        timezone_id="Europe/Paris",
        viewport={"width": width, "height": 800},
        bypass_csp=True,  # for axe only: the app's CSP allows no injected script
        **context,
    )
    page = ctx.new_page()
    page.set_default_timeout(20_000)
    page.goto(f"{base}/login")
    page.fill("#f-email", email)
    page.fill("#f-password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/today")
    return ctx, page


def _pages(contact_id):
    return {
        "today": "/today",
        "contacts": "/contacts",
        "contact": f"/contacts/{contact_id}",
        "board": "/deals/board",
        "reports": "/reports",
        "account": "/account",
        "mail": "/mail",
    }


def _small_targets(page, selector):
    """Visible links, buttons and menu toggles under `selector` smaller than a thumb."""
    return page.evaluate(
        """([selector, min]) => [...document.querySelectorAll(selector)]
            .filter(el => el.offsetParent !== null || getComputedStyle(el).position === 'fixed')
            .map(el => [el, el.getBoundingClientRect()])
            .filter(([el, r]) => r.width > 0 && (r.width < min || r.height < min))
            .map(([el, r]) => `${el.tagName} "${el.textContent.trim()}" ${r.width}x${r.height}`)""",
        [selector, MIN_TARGET],
    )


@pytest.fixture
def seller(live_server, db, request):
    seller, contact = _seller_with_a_week(db, f"{request.node.name[:40]}@example.test")
    return seller, contact


def test_on_a_phone_every_page_fits_and_the_bottom_bar_holds_five_big_shortcuts(
    live_server, browser, seller
):
    base, _engine = live_server
    user, contact = seller
    ctx, page = _log_in(browser, base, user.email, 375)
    problems = {}
    for name, path in _pages(contact.id).items():
        page.goto(base + path)
        page.screenshot(path=str(ARTIFACTS / f"layout-{name}-375px.png"), full_page=True)
        found = []
        if page.evaluate("document.documentElement.scrollWidth") > 375:
            found.append("wider than the screen")
        bar = page.locator("nav.bottombar")
        if not bar.is_visible():
            found.append("no bottom bar")
        items = bar.locator(":scope > a, :scope > details > summary")
        labels = [t.strip() for t in items.all_inner_texts()]
        if labels != BOTTOM_BAR:
            found.append(f"bottom bar reads {labels}")
        if page.locator("nav.nav-main").is_visible():
            found.append("the desktop navigation shows too")
        targets = ".topbar a, .topbar button, .topbar summary, .bottombar a, .bottombar summary"
        if name != "board":  # the board's cards are laid out by the board's own work
            targets += (
                ", main button, main .button, main select, main input:not([type=hidden])"
                ":not([type=checkbox]):not([type=radio]):not([type=file])"
            )
        small = _small_targets(page, targets)
        found += small
        # The last row is not hidden behind the fixed bar.
        covered = page.evaluate(
            """() => {
                window.scrollTo(0, document.documentElement.scrollHeight);
                const main = document.querySelector('main');
                const end = main.getBoundingClientRect().bottom
                    - parseFloat(getComputedStyle(main).paddingBottom);
                return end > document.querySelector('nav.bottombar').getBoundingClientRect().top;
            }"""
        )
        if covered:
            found.append("the end of the page is under the bottom bar")
        found += serious_violations(page)
        if found:
            problems[path] = found
    ctx.close()
    assert problems == {}, problems


def test_more_opens_the_other_places_and_escape_closes_it(live_server, browser, seller):
    base, _engine = live_server
    user, _contact = seller
    ctx, page = _log_in(browser, base, user.email, 375)
    more = page.locator(".bottombar summary")
    more.click()
    organizations = page.locator(".more-menu").get_by_role("link", name="Organizations")
    assert organizations.is_visible()
    page.screenshot(path=str(ARTIFACTS / "layout-more-375px.png"))
    assert serious_violations(page) == []
    page.keyboard.press("Escape")
    assert not organizations.is_visible()
    assert page.evaluate("document.activeElement.closest('.more-menu') !== null")
    more.click()
    page.locator("main h1").click()  # a tap elsewhere closes it too
    assert not organizations.is_visible()
    page.locator(".bottombar").get_by_role("link", name="Log").click()
    page.locator("dialog#quick-entry").wait_for(state="visible")
    ctx.close()


def test_at_desktop_width_one_navigation_line_marks_the_section(live_server, browser, seller):
    base, _engine = live_server
    user, contact = seller
    ctx, page = _log_in(browser, base, user.email, 1280)
    sections = {"today": "/today", "contacts": "/contacts", "contact": "/contacts"}
    sections |= {"board": "/deals/board", "reports": "/reports", "account": None, "mail": None}
    problems = {}
    for name, path in _pages(contact.id).items():
        page.goto(base + path)
        page.screenshot(path=str(ARTIFACTS / f"layout-{name}-1280px.png"), full_page=True)
        found = []
        if page.locator("nav.bottombar").is_visible():
            found.append("the phone's bottom bar shows")
        links = page.locator("nav.nav-main > a")
        tops = {round(box["y"]) for box in (a.bounding_box() for a in links.all())}
        if len(tops) != 1:
            found.append(f"navigation on {len(tops)} lines")
        current = page.locator("nav.nav-main > a[aria-current=page]")
        expected = sections[name]
        if expected is None:
            # The account page belongs to the account menu, marked on its toggle.
            if page.locator(".account-menu summary.current").count() != 1:
                found.append("account menu not marked")
        elif current.count() != 1 or current.get_attribute("href") != expected:
            found.append(f"current section: {current.count()} links")
        else:
            style = "el => getComputedStyle(el).boxShadow + getComputedStyle(el).color"
            other = page.locator("nav.nav-main > a:not([aria-current])").first
            if current.evaluate(style) == other.evaluate(style):
                found.append("the current section looks like the others")
        found += serious_violations(page)
        if page.evaluate("document.documentElement.scrollWidth") > 1280:
            found.append("wider than the screen")
        if found:
            problems[path] = found
    ctx.close()
    assert problems == {}, problems


def test_keyboard_hints_show_with_a_mouse_and_hide_on_a_touch_screen(live_server, browser, db):
    base, _engine = live_server
    user = create_user(db, email="touch@example.test", name="Tom", password=PASSWORD)
    db.commit()
    ctx, page = _log_in(browser, base, user.email, 1280)
    assert page.locator("kbd").first.is_visible()
    assert page.get_by_text("Press N anywhere").is_visible()
    ctx.close()

    ctx, page = _log_in(browser, base, user.email, 375, has_touch=True, is_mobile=True)
    assert page.evaluate("matchMedia('(hover: none) and (pointer: coarse)').matches")
    assert [k for k in page.locator("kbd").all() if k.is_visible()] == []
    assert not page.get_by_text("Press N anywhere").is_visible()
    assert page.get_by_text("Tap Log to record a call").is_visible()
    page.screenshot(path=str(ARTIFACTS / "layout-today-touch-375px.png"))
    ctx.close()


def test_typing_a_new_contacts_name_types_it_and_opens_nothing(live_server, browser, seller):
    base, _engine = live_server
    user, _contact = seller
    ctx, page = _log_in(browser, base, user.email, 1280)
    page.goto(f"{base}/contacts/new")
    page.keyboard.type("Nadia")  # N would open quick entry if the name field had no focus
    assert page.input_value("#f-name") == "Nadia"
    assert not page.locator("dialog#quick-entry").is_visible()
    page.keyboard.press("Tab")
    page.keyboard.type("nadia at example")
    # The server's check, not the browser's, is the one under test here.
    page.evaluate("document.querySelector('main form').noValidate = true")
    page.get_by_role("button", name="Save").click()
    page.wait_for_selector("#email-error")
    # The cursor is in the field to fix, not back at the top of the form.
    assert page.evaluate("document.activeElement.id") == "f-email"
    ctx.close()


def test_the_focus_ring_stands_out_from_the_page(live_server, browser, seller):
    base, _engine = live_server
    user, _contact = seller
    ctx, page = _log_in(browser, base, user.email, 1280)
    page.keyboard.press("Tab")  # the skip link
    page.keyboard.press("Tab")  # the brand
    ring = page.evaluate(
        "() => { const s = getComputedStyle(document.activeElement);"
        " return [s.outlineStyle, parseFloat(s.outlineWidth), s.outlineColor]; }"
    )
    assert ring[0] == "solid" and ring[1] >= 2
    assert _contrast(ring[2], "rgb(255, 255, 255)") >= 3
    assert _contrast(ring[2], "rgb(248, 250, 252)") >= 3
    ctx.close()


def _contrast(a: str, b: str) -> float:
    def luminance(rgb: str) -> float:
        parts = [int(x) / 255 for x in rgb[rgb.index("(") + 1 : rgb.index(")")].split(",")[:3]]
        lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in parts]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@pytest.mark.parametrize("width", [1280, 375])
def test_a_very_long_unbroken_name_never_widens_the_page(live_server, db, browser, width):
    base, _engine = live_server
    email = f"long{width}@example.test"
    seller = create_user(db, email=email, name="Long", password=PASSWORD)
    name = ("Wolfeschlegelsteinhausenbergerdorff" * 6)[:200]
    org = create_organization(db, seller, OrganizationCreate(name="Org" + "x" * 190))
    contact = create_contact(db, seller, ContactCreate(name=name, organization_id=org.id))
    log_activity(
        db,
        seller,
        ActivityCreate(
            contact_id=contact.id, text="y" * 300, next_step="z" * 300, next_step_due="today"
        ),
    )
    db.rollback()
    context = browser.new_context(locale="en-GB", timezone_id="Europe/Paris")
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{base}/login")
    page.fill("#f-email", email)
    page.fill("#f-password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/today")
    wide = {}
    for path in ["/today", "/contacts", f"/contacts/{contact.id}", f"/organizations/{org.id}"]:
        page.goto(base + path)
        overflow = page.evaluate("document.documentElement.scrollWidth")
        if overflow > width:
            wide[path] = overflow
    page.goto(f"{base}/today")
    page.keyboard.press("n")
    page.keyboard.type("wolfe")
    page.locator("#qe-suggestions [role=option]").first.wait_for()
    inside = page.evaluate(
        "(() => { const d = document.getElementById('quick-entry');"
        " return d.scrollWidth <= d.clientWidth; })()"
    )
    page.screenshot(path=str(ARTIFACTS / f"layout-long-name-{width}px.png"))
    context.close()
    assert wide == {} and inside

"""Two-step sign-in in Chromium, keyboard only: turn it on from the account page with the
key an app would scan, keep the recovery codes, sign out, sign back in with a code; on a
phone too. Screenshots at 1280 and 375 px; no serious axe-core violation."""

import time

import pyotp
import pytest

from app.auth.service import create_user
from tests.e2e.conftest import ARTIFACTS, serious_violations
from tests.factories import PASSWORD


def _look(page, name: str, width: int) -> list[str]:
    page.screenshot(path=str(ARTIFACTS / f"two-step-{name}-{width}px.png"), full_page=True)
    found = serious_violations(page)
    if page.evaluate("document.documentElement.scrollWidth") > width:
        found.append("wider than the screen")
    return found


@pytest.mark.parametrize("width", [1280, 375])
def test_turn_on_two_step_sign_in_then_sign_in_with_a_code(live_server, db, browser, width):
    base, _engine = live_server
    user = create_user(db, email=f"two-{width}@example.test", name="Zoé Two", password=PASSWORD)
    db.rollback()
    context = browser.new_context(locale="en-GB", timezone_id="Europe/Paris", bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{base}/login")
    page.fill("#f-email", user.email)
    page.fill("#f-password", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/today")
    problems = {}

    page.goto(f"{base}/account")
    page.get_by_role("link", name="Turn on two-step sign-in").click()
    page.wait_for_selector("#two-step-key")
    assert page.locator(".qr svg").is_visible()
    problems["setup"] = _look(page, "setup", width)
    totp = pyotp.TOTP(page.locator("#two-step-key").inner_text().replace(" ", ""))
    page.fill("#f-code", "000000" if totp.now() != "000000" else "111111")
    page.keyboard.press("Enter")
    page.wait_for_selector(".error")
    assert "does not match" in page.locator(".error").inner_text()
    assert page.evaluate("document.activeElement.id") == "f-code"  # back on what to fix
    page.fill("#f-code", totp.now())
    page.keyboard.press("Enter")
    page.wait_for_selector("#recovery-codes")
    assert page.locator("#recovery-codes li").count() == 10
    problems["codes"] = _look(page, "codes", width)
    page.get_by_role("link", name="I have kept them — continue").click()
    page.wait_for_url("**/account#two-step")
    assert "10 recovery codes left" in page.locator("#two-step").inner_text()

    context.clear_cookies()
    page.goto(f"{base}/login")
    page.fill("#f-email", user.email)
    page.fill("#f-password", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/login/code")
    assert page.evaluate("document.activeElement.id") == "f-code"
    problems["code"] = _look(page, "code", width)
    page.keyboard.type(totp.at(time.time() + 30))
    page.keyboard.press("Enter")
    page.wait_for_url("**/today")
    context.close()
    assert {name: found for name, found in problems.items() if found} == {}

"""A seller's morning on the demo data, keyboard only: from Today, log what happened on the
first overdue follow-up and set the next step, without retyping anything."""

import time

from playwright.sync_api import expect
from sqlmodel import select

from app.activities.models import FollowUp
from app.auth.models import User
from app.demo import load_demo
from tests.e2e.conftest import ARTIFACTS


def test_a_sellers_morning_from_today_log_the_first_overdue_call_and_its_next_step(
    live_server, db, browser
):
    base, _engine = live_server
    accounts = load_demo(db)
    db.commit()
    email, password, _role = next(a for a in accounts if a[2] == "seller")
    seller = db.exec(select(User).where(User.email == email)).one()
    context = browser.new_context(locale="en-GB", timezone_id="Europe/Paris")
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{base}/login")
    # The email field takes focus on load; Chromium applies autofocus at its next frame,
    # which a busy machine can delay past the first keystrokes.
    page.wait_for_function("document.activeElement && document.activeElement.id === 'f-email'")
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    page.keyboard.type(password)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/today")
    page.screenshot(path=str(ARTIFACTS / "morning-today-1280px.png"))

    overdue_count = page.locator("section.follow-ups.overdue h2 .count")
    soon_count = page.locator("section.follow-ups.soon h2 .count")
    overdue_before, soon_before = int(overdue_count.inner_text()), int(soon_count.inner_text())
    first = page.locator("section.follow-ups.overdue li.follow-up").first
    row_id = int(first.get_attribute("id").removeprefix("follow-up-"))
    what = first.locator(".what strong").inner_text()
    contact = first.locator(".who a").inner_text()
    keys: list[str] = []  # keys pressed to drive the page, beside the words typed
    typed: list[str] = []

    def press(key: str) -> None:
        keys.append(key)
        page.keyboard.press(key)

    def type_(text: str) -> None:
        typed.append(text)
        page.keyboard.type(text)

    started = time.perf_counter()
    press("j")  # the first row's Log
    expect(first.locator("a[data-row-key]")).to_be_focused()
    press("Enter")
    expect(page.locator("#qe-text")).to_be_focused()
    dialog = page.locator("dialog#quick-entry")
    assert dialog.locator("#qe-contact").input_value() == contact
    assert dialog.locator("input[name=close_follow_up]").is_checked()
    type_("Reached her, she wants the revised quote")
    press("Tab")
    type_("Send the revised quote")
    press("Tab")
    type_("+3d")
    press("Enter")
    dialog.wait_for(state="hidden")
    # Today comes back with one overdue row fewer and one more step in the coming week.
    overdue_count.filter(has_text=str(overdue_before - 1)).wait_for()
    soon_count.filter(has_text=str(soon_before + 1)).wait_for()
    seconds = time.perf_counter() - started
    page.screenshot(path=str(ARTIFACTS / "morning-after-1280px.png"))

    db.rollback()  # a new read snapshot: the server has written since
    answered = db.get(FollowUp, row_id)
    assert answered.done_at is not None, f"“{what}” should be done"
    new = db.exec(
        select(FollowUp).where(
            FollowUp.owner_id == seller.id,
            FollowUp.what == "Send the revised quote",
            FollowUp.done_at.is_(None),
        )
    ).one()
    assert new.contact_id == answered.contact_id
    assert page.locator(f"#follow-up-{row_id}").count() == 0
    print(
        f"\nseller's morning: {len(keys)} keys ({' '.join(keys)}) around "
        f"{sum(map(len, typed))} characters of what happened and what is next "
        f"({' / '.join(typed)}); {seconds:.2f} s from the first key to Today updated"
    )
    assert len(keys) == 5
    context.close()

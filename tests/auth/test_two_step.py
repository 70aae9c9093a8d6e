"""Two-step sign-in through the pages: the password alone no longer opens the account; a
code works once; recovery codes for a lost phone; wrong codes slow down; an admin can
require it for everyone or turn it off for someone who lost everything."""

import re
import time

import pyotp
import pytest
from fastapi.testclient import TestClient

from tests.factories import PASSWORD


def _csrf(page) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def _password(client, user, password=PASSWORD):
    page = client.get("/login")
    return client.post(
        "/login", data={"email": user.email, "password": password, "csrf_token": _csrf(page)}
    )


def _code(client, code):
    page = client.get("/login/code")
    return client.post("/login/code", data={"code": code, "csrf_token": _csrf(page)})


def _key(page) -> str:
    return re.search(r'id="two-step-key">([A-Z2-7 ]+)<', page.text).group(1).replace(" ", "")


def _codes(page) -> list[str]:
    return re.findall(r"<li><code>([0-9a-f]{6}-[0-9a-f]{6})</code></li>", page.text)


def _turn_on(client) -> tuple[pyotp.TOTP, list[str]]:
    page = client.get("/account/two-step")
    totp = pyotp.TOTP(_key(page))
    sealed = re.search(r'name="sealed" value="([^"]+)"', page.text).group(1)
    done = client.post(
        "/account/two-step",
        data={"code": totp.now(), "sealed": sealed, "csrf_token": _csrf(page)},
    )
    assert done.status_code == 200, done.text
    codes = _codes(done)
    assert len(codes) == 10
    return totp, codes


def _next_code(totp: pyotp.TOTP) -> str:
    """The code of the next 30-second step (accepted for a phone a little ahead), so a test
    need not wait for the clock to use a second fresh code."""
    return totp.at(time.time() + 30)


@pytest.fixture
def fresh(app):
    clients = []

    def make():
        c = TestClient(app, follow_redirects=False)
        c.__enter__()
        clients.append(c)
        return c

    yield make
    for c in clients:
        c.__exit__(None, None, None)


def test_with_two_step_on_the_password_alone_no_longer_signs_in(client_for, seller, fresh):
    totp, _codes_ = _turn_on(client_for(seller))
    browser = fresh()
    half = _password(browser, seller)
    assert half.status_code == 303 and half.headers["location"] == "/login/code"
    assert browser.get("/today").headers["location"].startswith("/login")
    wrong = _code(browser, "000000" if totp.now() != "000000" else "111111")
    assert wrong.status_code == 400 and "does not match" in wrong.text
    done = _code(browser, _next_code(totp))
    assert done.status_code == 303 and done.headers["location"] == "/today"
    assert browser.get("/today").status_code == 200
    assert "carnet_pending" not in browser.cookies


def test_a_code_signs_in_once(client_for, seller, fresh):
    totp, _codes_ = _turn_on(client_for(seller))
    code = _next_code(totp)
    first, second = fresh(), fresh()
    _password(first, seller)
    _password(second, seller)
    assert _code(first, code).status_code == 303
    assert _code(second, code).status_code == 400  # seen once: refused, even in its minute


def test_a_recovery_code_signs_in_once_and_new_ones_replace_them(client_for, seller, fresh):
    owner = client_for(seller)
    _totp, codes = _turn_on(owner)
    browser = fresh()
    _password(browser, seller)
    assert _code(browser, codes[0].upper()).status_code == 303  # as typed from paper
    again = fresh()
    _password(again, seller)
    assert _code(again, codes[0]).status_code == 400
    assert "9 recovery codes left" in owner.get("/account").text
    account = owner.get("/account")
    renewed = owner.post(
        "/account/two-step/codes", data={"password": PASSWORD, "csrf_token": _csrf(account)}
    )
    fresh_codes = _codes(renewed)
    assert len(fresh_codes) == 10 and not set(fresh_codes) & set(codes)
    assert _code(again, codes[1]).status_code == 400  # the old ones went


def test_wrong_codes_slow_down_and_the_password_does_not_reset_the_count(client_for, seller, fresh):
    totp, _codes_ = _turn_on(client_for(seller))
    browser = fresh()
    _password(browser, seller)
    statuses = [_code(browser, "123456").status_code for _ in range(7)]
    assert 429 in statuses, statuses
    _password(browser, seller)  # the right password again
    blocked = _code(browser, _next_code(totp))
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) >= 1


def test_turning_it_off_takes_the_password(client_for, seller, fresh):
    owner = client_for(seller)
    _turn_on(owner)
    page = owner.get("/account")
    refused = owner.post(
        "/account/two-step/off", data={"password": "not it", "csrf_token": _csrf(page)}
    )
    assert refused.status_code == 400 and "not your current password" in refused.text
    off = owner.post(
        "/account/two-step/off", data={"password": PASSWORD, "csrf_token": _csrf(page)}
    )
    assert off.status_code == 303
    assert _password(fresh(), seller).headers["location"] == "/today"


def test_a_team_requirement_has_everyone_set_it_up_at_their_next_sign_in(
    client_for, admin, seller, fresh
):
    before = client_for(seller)
    boss = client_for(admin)
    page = boss.get("/admin/users")
    assert (
        boss.post("/admin/two-step", data={"required": "on", "csrf_token": _csrf(page)}).status_code
        == 303
    )
    assert before.get("/today").headers["location"].startswith("/login")  # signed out
    browser = fresh()
    assert _password(browser, seller).headers["location"] == "/login/two-step"
    setup = browser.get("/login/two-step")
    assert "Your team requires two-step sign-in" in setup.text and "<svg" in setup.text
    assert browser.get("/today").headers["location"].startswith("/login")
    totp = pyotp.TOTP(_key(setup))
    done = browser.post("/login/two-step", data={"code": totp.now(), "csrf_token": _csrf(setup)})
    assert done.status_code == 200 and len(_codes(done)) == 10
    assert browser.get("/today").status_code == 200
    account = browser.get("/account")
    assert "Your team requires two-step sign-in." in account.text
    refused = browser.post(
        "/account/two-step/off", data={"password": PASSWORD, "csrf_token": _csrf(account)}
    )
    assert refused.status_code == 400


def test_an_admin_turns_it_off_for_someone_who_lost_their_phone(client_for, admin, seller, fresh):
    owner = client_for(seller)
    _turn_on(owner)
    boss = client_for(admin)
    page = boss.get("/admin/users")
    assert "On · turn off" in page.text
    r = boss.post(f"/admin/users/{seller.id}/two-step/off", data={"csrf_token": _csrf(page)})
    assert r.status_code == 303
    assert owner.get("/today").headers["location"].startswith("/login")  # signed out
    assert _password(fresh(), seller).headers["location"] == "/today"


def test_a_half_sign_in_expires_with_a_password_change(client_for, seller, fresh, session):
    owner = client_for(seller)
    totp, _codes_ = _turn_on(owner)
    browser = fresh()
    _password(browser, seller)
    page = owner.get("/account")
    owner.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "new_password": "another long passphrase",
            "csrf_token": _csrf(page),
        },
    )
    r = browser.post("/login/code", data={"code": _next_code(totp), "csrf_token": "x"})
    assert r.status_code == 303 and r.headers["location"] == "/login"

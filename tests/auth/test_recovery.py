"""A forgotten password: a signed link by mail (a real SMTP server), single use, expiring,
and the same answer whether the address has an account or not."""

import re
import time

import pytest

from tests.factories import PASSWORD


def _ask(client, email):
    page = client.get("/password/forgot")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    return client.post("/password/forgot", data={"email": email, "csrf_token": token})


def _link(inbox) -> str:
    body = inbox.messages[-1].get_payload(decode=True).decode()
    found = re.search(r"https?://crm\.example\.test(/password/reset/\S+)", body)
    return found.group(1)


def _reset(client, path, password):
    page = client.get(path)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    return client.post(path, data={"new_password": password, "csrf_token": token})


@pytest.fixture
def smtp(smtp, settings):
    """The shared SMTP server, with Carnet's address on HTTPS as the reset links say."""
    settings.base_url = "https://crm.example.test/"
    return smtp


@pytest.fixture
def visitor(app):
    """A browser reaching Carnet over HTTPS (the mail's links are https: cookies are Secure)."""
    from fastapi.testclient import TestClient

    with TestClient(app, base_url="https://crm.example.test", follow_redirects=False) as client:
        yield client


def _settle(inbox=None, count=1):
    """The mail goes after the answer: wait for it (or, with no inbox, a moment)."""
    deadline = time.monotonic() + 10
    while inbox is not None and len(inbox.messages) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    if inbox is None:
        time.sleep(0.5)


def test_a_reset_link_comes_by_mail_and_works_once(visitor, seller, smtp, api_for):
    api = api_for(seller)
    r = _ask(visitor, seller.email.upper())
    assert r.status_code == 200 and "a link to choose a new password is on its way" in r.text
    _settle(smtp)
    assert smtp.messages[-1]["To"] == seller.email
    path = _link(smtp)
    done = _reset(visitor, path, "a completely new passphrase")
    assert done.status_code == 303 and done.headers["location"] == "/login?reset=1"
    again = visitor.get(path)
    assert again.status_code == 400 and "expired or was already used" in again.text
    assert api.get("/api/v1/contacts").status_code == 401  # tokens went with the old password
    login = visitor.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', login.text).group(1)
    old = visitor.post(
        "/login", data={"email": seller.email, "password": PASSWORD, "csrf_token": token}
    )
    assert old.status_code == 400


def test_an_unknown_address_gets_the_same_answer_and_no_mail(visitor, smtp):
    r = _ask(visitor, "nobody@example.test")
    assert r.status_code == 200 and "a link to choose a new password is on its way" in r.text
    _settle()
    assert smtp.messages == []


def test_an_old_link_expires(visitor, seller, smtp, settings):
    settings.password_reset_minutes = 0
    _ask(visitor, seller.email)
    _settle(smtp)
    path = _link(smtp)
    time.sleep(1.1)
    assert visitor.get(path).status_code == 400


@pytest.mark.parametrize("path", ["/password/reset/garbage", "/password/reset/" + "x" * 5000])
def test_a_made_up_link_is_refused(anon, path):
    r = anon.get(path)
    assert r.status_code == 400 and "expired or was already used" in r.text


def test_an_admin_invites_by_email_and_the_person_chooses_their_password(
    client_for,
    admin,
    visitor,
    smtp,
    settings,
):
    settings.base_url = "http://crm.example.test/"  # the admin's test browser speaks http
    r = client_for(admin).post(
        "/admin/users",
        data={"name": "Nadia Sow", "email": "nadia@example.test", "is_seller": "on"},
    )
    assert r.status_code == 303
    _settle(smtp)
    mail = smtp.messages[-1]
    assert mail["To"] == "nadia@example.test" and "invites you" in mail["Subject"]
    path = _link(smtp)
    assert _reset(visitor, path, "nadia's own long passphrase").status_code == 303
    login = visitor.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', login.text).group(1)
    signed = visitor.post(
        "/login",
        data={
            "email": "nadia@example.test",
            "password": "nadia's own long passphrase",
            "csrf_token": token,
        },
    )
    assert signed.status_code == 303 and signed.headers["location"] == "/today"


def test_without_mail_an_admin_must_type_a_password(client_for, admin):
    r = client_for(admin).post(
        "/admin/users", data={"name": "Nadia", "email": "nadia@example.test", "is_seller": "on"}
    )
    assert r.status_code == 400 and "set up mail (CARNET_SMTP_*)" in r.text

import re

from sqlmodel import select

from app.auth.models import User
from tests.factories import PASSWORD


def _login_form(client):
    page = client.get("/login")
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def _login(client, email, password):
    token = _login_form(client)
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})


def test_an_empty_database_offers_to_create_the_first_admin(anon):
    assert anon.get("/").headers["location"] == "/setup"
    page = anon.get("/setup")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    r = anon.post(
        "/setup",
        data={
            "name": "Ada",
            "email": "ada@example.test",
            "password": "long enough pw",
            "is_seller": "on",
            "csrf_token": token,
        },
    )
    assert r.status_code == 303
    assert r.headers["location"] == "/today"
    assert "carnet_session" in r.headers["set-cookie"]
    assert "HttpOnly" in r.headers["set-cookie"] and "SameSite=lax" in r.headers["set-cookie"]


def test_setup_is_closed_once_an_account_exists(anon, seller):
    assert anon.get("/setup").headers["location"] == "/login"
    r = anon.post("/setup", data={"email": "evil@example.test", "password": "x" * 12})
    assert r.status_code == 303


def test_setup_keeps_the_input_and_says_what_is_wrong(anon):
    page = anon.get("/setup")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    r = anon.post(
        "/setup",
        data={"name": "Ada", "email": "not-an-email", "password": "short", "csrf_token": token},
    )
    assert r.status_code == 400
    assert 'value="not-an-email"' in r.text
    assert "Enter a valid email address." in r.text
    assert "Use at least 10 characters." in r.text


def test_a_seller_logs_in_and_lands_on_today(anon, seller):
    r = _login(anon, "SELLER@example.test ", PASSWORD)
    assert r.status_code == 303 and r.headers["location"] == "/today"
    assert anon.get("/today").status_code == 200


def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(anon, seller):
    r = _login(anon, seller.email, "wrong password")
    assert r.status_code == 400
    assert "do not match an active account" in r.text
    unknown = _login(anon, "nobody@example.test", "wrong password")
    assert unknown.status_code == 400
    assert "do not match an active account" in unknown.text


def test_repeated_failures_throttle_the_account(anon, seller):
    for _ in range(5):
        assert _login(anon, seller.email, "wrong password").status_code == 400
    r = _login(anon, seller.email, PASSWORD)
    assert r.status_code == 429
    assert "Too many failed attempts" in r.text


def test_login_without_the_form_token_is_refused(anon, seller):
    r = anon.post("/login", data={"email": seller.email, "password": PASSWORD})
    assert r.status_code == 400
    assert "carnet_session" not in r.headers.get("set-cookie", "")


def test_login_only_redirects_to_local_pages(anon, seller):
    token = _login_form(anon)
    r = anon.post(
        "/login",
        data={
            "email": seller.email,
            "password": PASSWORD,
            "csrf_token": token,
            "next": "//evil.example/x",
        },
    )
    assert r.headers["location"] == "/"


def test_unsafe_requests_without_the_csrf_token_are_refused(client_for, seller, make_contact):
    client = client_for(seller)
    contact = make_contact()
    del client.headers["X-CSRF-Token"]
    r = client.post(f"/contacts/{contact.id}/archive")
    assert r.status_code == 403
    r = client.post(f"/contacts/{contact.id}/archive", data={"csrf_token": "forged"})
    assert r.status_code == 403
    r = client.post(f"/contacts/{contact.id}/archive", data={"csrf_token": client.csrf})
    assert r.status_code == 303


def test_logout_ends_the_session(client_for, seller):
    client = client_for(seller)
    assert client.post("/logout").status_code == 303
    assert client.get("/today").status_code == 303


def test_a_disabled_account_is_logged_out_and_cannot_log_in(
    client_for, anon, seller, admin, session
):
    seller_client = client_for(seller)
    admin_client = client_for(admin)
    r = admin_client.post(f"/admin/users/{seller.id}", data={"is_seller": "on"})
    assert r.status_code == 303
    assert seller_client.get("/today").status_code == 303
    assert _login(anon, seller.email, PASSWORD).status_code == 400


def test_an_admin_creates_an_account_with_roles(client_for, admin, session):
    client = client_for(admin)
    r = client.post(
        "/admin/users",
        data={
            "name": "Marc",
            "email": "marc@example.test",
            "password": "a good password",
            "is_manager": "on",
        },
    )
    assert r.status_code == 303
    marc = session.exec(select(User).where(User.email == "marc@example.test")).one()
    assert (marc.is_seller, marc.is_manager, marc.is_admin) == (False, True, False)


def test_an_admin_cannot_remove_their_own_admin_access(client_for, admin):
    client = client_for(admin)
    r = client.post(f"/admin/users/{admin.id}", data={"is_seller": "on", "is_active": "on"})
    assert r.status_code == 400
    assert "cannot remove your own admin access" in r.text


def test_changing_the_password_needs_the_current_one(client_for, anon, seller):
    client = client_for(seller)
    r = client.post(
        "/account/password", data={"current_password": "nope", "new_password": "new password!"}
    )
    assert r.status_code == 400 and "This is not your current password." in r.text
    r = client.post(
        "/account/password",
        data={"current_password": PASSWORD, "new_password": "new password!"},
    )
    assert r.status_code == 303
    assert client.get("/today").status_code == 200
    assert _login(anon, seller.email, "new password!").status_code == 303


def test_language_and_time_zone_are_chosen_on_the_account_page(client_for, seller):
    client = client_for(seller)
    r = client.post("/account/preferences", data={"language": "fr", "timezone": "Asia/Tokyo"})
    assert r.status_code == 303
    assert "Rien sur votre liste" in client.get("/today").text
    bad = client.post("/account/preferences", data={"language": "xx", "timezone": "Mars/Base"})
    assert bad.status_code == 400


def test_api_tokens_are_shown_once_stored_hashed_and_revocable(client_for, seller, session):
    from app.auth.models import ApiToken

    client = client_for(seller)
    r = client.post("/account/tokens", data={"token_name": "spreadsheet"})
    raw = re.search(r'id="new-token">([^<]+)<', r.text).group(1)
    stored = session.exec(select(ApiToken).where(ApiToken.user_id == seller.id)).one()
    assert raw not in (stored.token_hash, stored.prefix)
    api = client.__class__(client.app)
    assert (
        api.get("/api/v1/contacts", headers={"Authorization": f"Bearer {raw}"}).status_code == 200
    )
    assert client.post(f"/account/tokens/{stored.id}/revoke").status_code == 303
    assert (
        api.get("/api/v1/contacts", headers={"Authorization": f"Bearer {raw}"}).status_code == 401
    )


def test_the_api_refuses_requests_without_a_token(anon):
    r = anon.get("/api/v1/contacts")
    assert r.status_code == 401
    assert r.json()["detail"]


def _client_at(app, address: str):
    from fastapi.testclient import TestClient

    client = TestClient(app, client=(address, 40000), follow_redirects=False)
    client.__enter__()
    return client


def test_an_attackers_failures_do_not_lock_the_owner_out_on_another_client(app, seller):
    attacker, owner = _client_at(app, "203.0.113.9"), _client_at(app, "198.51.100.4")
    codes = [_login(attacker, seller.email, "guess").status_code for _ in range(7)]
    assert codes[:5] == [400] * 5 and 429 in codes[5:]
    r = _login(owner, seller.email, PASSWORD)
    assert r.status_code == 303  # the owner, elsewhere, gets in at once


def test_a_burst_of_different_emails_from_one_client_is_slowed(app, seller):
    sprayer, owner = _client_at(app, "203.0.113.10"), _client_at(app, "198.51.100.5")
    codes = [_login(sprayer, f"user{n}@example.test", "Winter2026!").status_code for n in range(14)]
    assert codes[:10] == [400] * 10 and codes.count(429) >= 3
    slowed = _login(sprayer, f"user{99}@example.test", "x")
    assert slowed.status_code == 429 and int(slowed.headers["retry-after"]) >= 1
    assert _login(owner, seller.email, PASSWORD).status_code == 303


def test_an_anonymous_oversized_form_is_refused_before_it_is_read(anon):
    r = anon.post(
        "/login",
        content=b"email=" + b"a" * (3 * 1024 * 1024),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 413


def test_a_password_change_revokes_the_persons_api_tokens(client_for, api_for, seller):
    api = api_for(seller)
    assert api.get("/api/v1/contacts").status_code == 200
    client = client_for(seller)
    r = client.post(
        "/account/password",
        data={"current_password": PASSWORD, "new_password": "a brand new long passphrase"},
    )
    assert r.status_code == 303
    assert api.get("/api/v1/contacts").status_code == 401
    assert client.get("/today").status_code == 200  # this browser stays signed in
